"""Who may approve a document: the approval authority matrix (``ApprovalAuthority`` rows).

An approver holds one of the roles the matrix lists for the document's type, at the owner unit
itself or at a unit above it, as each row says. The revision form's approver picker offers only
them (``approver_scope``), and the services refuse anyone else with a message naming the rule
(``authority_refusal``). Reviewers and approvers are never the revision's author (the services
check that beside this).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ims.models import Membership, Role
from ims.models.org import ancestor_paths
from ims.pickers import PeopleScope

from .models import ApprovalAuthority, DocumentType

# The defaults loaded as reference data; the admin edits them afterwards (never overwritten).
_MANAGERS = (
    (Role.DIRECTOR, ApprovalAuthority.Level.UNIT_OR_ABOVE),
    (Role.QUALITY_MANAGER, ApprovalAuthority.Level.UNIT_OR_ABOVE),
)
_HEADS = (
    (Role.UNIT_HEAD, ApprovalAuthority.Level.OWN_UNIT),
    (Role.PRINCIPAL, ApprovalAuthority.Level.OWN_UNIT),
)
DEFAULT_AUTHORITY = {
    # The policy and the quality manual are approved by top management only.
    DocumentType.POLICY: ((Role.DIRECTOR, ApprovalAuthority.Level.UNIT_OR_ABOVE),),
    DocumentType.MANUAL: ((Role.DIRECTOR, ApprovalAuthority.Level.UNIT_OR_ABOVE),),
    DocumentType.PROCEDURE: _MANAGERS + _HEADS,
    DocumentType.INSTRUCTION: _MANAGERS + _HEADS,
    DocumentType.FORM: _MANAGERS + _HEADS,
    DocumentType.PLAN: _MANAGERS + _HEADS,
    DocumentType.RECORD: _MANAGERS + _HEADS,
    DocumentType.EXTERNAL: _MANAGERS + _HEADS,
}


def load_reference_data(apps):
    """Create the default matrix rows when missing; never overwrite a row an admin edited."""
    model = apps.get_model("documents", "ApprovalAuthority")
    for doc_type, rows in DEFAULT_AUTHORITY.items():
        for role, level in rows:
            model.objects.get_or_create(
                doc_type=str(doc_type), role=str(role), defaults={"level": str(level)}
            )


def grants(document):
    """``((paths, roles), ...)``: where each approving role must be held for ``document``."""
    cache = getattr(document, "_approval_grants", None)
    key = (document.doc_type, document.owner_unit_id)
    if cache is not None and cache[0] == key:
        return cache[1]
    by_level = {}
    for role, level in ApprovalAuthority.objects.filter(
        doc_type=document.doc_type, is_active=True
    ).values_list("role", "level"):
        by_level.setdefault(level, set()).add(role)
    path = document.owner_unit.path
    places = {
        ApprovalAuthority.Level.OWN_UNIT: (path,),
        ApprovalAuthority.Level.UNIT_OR_ABOVE: tuple(ancestor_paths(path)),
    }
    result = tuple(
        (places[level], tuple(sorted(roles))) for level, roles in sorted(by_level.items())
    )
    document._approval_grants = (key, result)
    return result


def _condition(document):
    condition = Q(pk__in=[])
    for paths, roles in grants(document):
        condition |= Q(unit__path__in=list(paths), role__in=list(roles))
    return condition


def may_approve(user, document):
    """``user`` holds an approving role for ``document`` (its type, its owner unit)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Membership.objects.active().filter(user=user).filter(_condition(document)).exists()


def approver_scope(actor, document, author):
    """The people the approver picker offers for ``document``: those who may approve it, never
    the ``author``."""
    paths = tuple(sorted({p for paths, _roles in grants(document) for p in paths}))
    return PeopleScope(units=paths, grants=grants(document)).excluding(author)


def approving_roles_scope(actor, author):
    """Before the document's type and unit are chosen (a new document): the people around
    ``actor`` holding a role the matrix lets approve anything. The service checks the exact
    rule once the document is known."""
    roles = tuple(
        sorted(set(ApprovalAuthority.objects.filter(is_active=True).values_list("role", flat=True)))
    )
    return PeopleScope.around(actor, roles=roles).excluding(author)


def authority_text(document):
    """The rule in words: "Director or Quality manager at Sở GD&ĐT or above; Principal of
    Trường X"."""
    labels = dict(Role.choices)
    parts = []
    for level, roles in _levels(document):
        names = [str(labels.get(role, role)) for role in roles]
        if len(names) > 1:
            names = _("%(roles)s or %(role)s") % {"roles": ", ".join(names[:-1]), "role": names[-1]}
        else:
            names = names[0]
        template = (
            _("%(roles)s of %(unit)s")
            if level == ApprovalAuthority.Level.OWN_UNIT
            else _("%(roles)s at %(unit)s or a unit above it")
        )
        parts.append(str(template) % {"roles": names, "unit": document.owner_unit.name})
    return "; ".join(parts) if parts else str(_("nobody (the matrix lists no role)"))


def _levels(document):
    by_level = {}
    for role, level in ApprovalAuthority.objects.filter(
        doc_type=document.doc_type, is_active=True
    ).values_list("role", "level"):
        by_level.setdefault(level, []).append(role)
    return sorted((level, sorted(roles)) for level, roles in by_level.items())


def authority_refusal(person, document):
    """The message refusing ``person`` as the approver of ``document``, naming the rule."""
    return _(
        "%(name)s cannot approve this document. Approval authority matrix: a %(type)s of "
        "%(unit)s is approved by %(rule)s."
    ) % {
        "name": person.display_name,
        "type": str(document.get_doc_type_display()).lower(),
        "unit": document.owner_unit.name,
        "rule": authority_text(document),
    }

"""Document revisions an auditor may cite as evidence.

Only published revisions in force or superseded can be cited, and only those the person may see
through the documents app's access rules (``Revision.objects.for_user``): one SQL condition, so
the picker stays light at province scale (thousands of documents).
"""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from documents.models import Confidentiality, Document, Revision, RevisionStatus
from ims.search import search

CITABLE_STATES = (RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED)
PICKER_LIMIT = 20


def citable_revisions(user):
    return (
        Revision.objects.for_user(user)
        .filter(status__in=CITABLE_STATES)
        .select_related("document")
        .order_by("document__code", "-number", "pk")
    )


def search_revisions(user, query, limit=PICKER_LIMIT):
    """At most ``limit`` citable revisions whose document matches every word of ``query``
    (code, title; case and diacritics ignored). A word "rev N" or a bare number narrows to
    revision N."""
    text, number = _split(query)
    if not text and number is None:
        return []
    revisions = search(citable_revisions(user), text, field="document__search_text")
    if number is not None:
        revisions = revisions.filter(number=number)
    return list(revisions[:limit])


def _split(query):
    """ "QT-07 rev 3" -> ("QT-07", 3); "QT-07" -> ("QT-07", None)."""
    words = query.split()
    numbers = [w for w in words if w.isdecimal() and len(w) <= 3]  # not a year in a title
    text = " ".join(w for w in words if w not in numbers and w.lower() not in {"rev", "rev."})
    return text, int(numbers[-1]) if numbers else None


def resolve_revision(user, *, revision_id=None, query=""):
    """The citable revision chosen by id (the picker) or typed as text (without JavaScript):
    a document code, optionally with a revision number ("QT-07 rev 3"; no number means the
    revision in force), or words of the title when they match one revision only.

    Raises ``ValidationError`` for an id the user may not see, a bogus id, or text that matches
    nothing; ``AmbiguousRevision`` (with ``candidates``) when several revisions match.
    """
    revisions = citable_revisions(user)
    if revision_id not in (None, ""):
        try:
            return revisions.get(pk=int(revision_id))
        except (Revision.DoesNotExist, ValueError, TypeError, OverflowError):
            raise ValidationError(
                _("This document revision does not exist or you may not see it."),
                code="revision_unknown",
            ) from None
    query = (query or "").strip()
    if not query:
        return None
    text, number = _split(query)
    by_code = revisions.filter(document__code__iexact=text)
    by_code = by_code.filter(number=number) if number else by_code.filter(status="effective")
    matches = list(by_code[: PICKER_LIMIT + 1]) or search_revisions(user, query, PICKER_LIMIT + 1)
    if not matches:
        raise ValidationError(
            _("No document revision you may see matches “%(query)s”.") % {"query": query},
            code="revision_not_found",
        )
    if len(matches) > 1:
        raise AmbiguousRevision(matches[:PICKER_LIMIT])
    return matches[0]


class AmbiguousRevision(ValidationError):
    def __init__(self, candidates):
        super().__init__(
            _("Several document revisions match: choose one."), code="revision_ambiguous"
        )
        self.candidates = candidates


def link_revisions(evidence_items, user):
    """Label each evidence item citing a revision for ``user``: ``revision_title_hidden`` when
    the document is restricted and ``user`` is not among its readers (the documents app's own
    rule, ``Revision.objects.for_user``: its code and number are shown, its title is not), and
    ``revision_url``, the document's page when the user may open it there, else None (the
    citation is then shown as text). Two queries at most."""
    items = [e for e in evidence_items if e.revision_id]
    restricted = {
        e.revision_id
        for e in items
        if e.revision.document.confidentiality == Confidentiality.RESTRICTED
    }
    readable = set(
        Revision.objects.for_user(user).filter(pk__in=restricted).values_list("pk", flat=True)
        if restricted
        else ()
    )
    document_ids = {e.revision.document_id for e in items}
    visible = set(
        Document.objects.for_user(user).filter(pk__in=document_ids).values_list("pk", flat=True)
        if document_ids
        else ()
    )
    for e in items:
        e.revision_title_hidden = e.revision_id in restricted and e.revision_id not in readable
        document_id = e.revision.document_id
        e.revision_url = (
            reverse("documents:document_detail", args=[document_id])
            if document_id in visible and not e.revision_title_hidden
            else None
        )
    return evidence_items

"""Controlled documents (ISO 9001 / ISO 21001 clause 7.5): documents, revisions, distribution.

A ``Document`` is the identity (code, title, owner, type); each ``Revision`` carries one file and
walks draft → in review → approved → effective → superseded (or obsolete). The document keeps a
denormalised copy of its current state (status, effective revision, dates) that only
``documents.services`` writes, so the register filters and sorts without joins.
"""

import calendar
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ims.access import MANAGER_ROLES, belongs_to, member_roles, units_visible_to
from ims.immutable import AppendOnlyModel, AppendOnlyQuerySet
from ims.models import Clause, Membership, OrgUnit, Role
from ims.search import SearchTextField, fold_join
from ims.workflow import Step, Workflow

# Roles that may create a draft in a unit (staff of the owner unit, heads, quality managers).
AUTHOR_ROLES = frozenset(
    {Role.STAFF, Role.UNIT_HEAD, Role.PRINCIPAL, Role.QUALITY_MANAGER, Role.DIRECTOR}
)
REVIEW_DUE_DAYS = 30


def add_months(day, months):
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DocumentType(models.TextChoices):
    POLICY = "policy", _("Policy")
    MANUAL = "manual", _("Quality manual")
    PROCEDURE = "procedure", _("Procedure")
    INSTRUCTION = "instruction", _("Instruction")
    FORM = "form", _("Form")
    PLAN = "plan", _("Plan")
    RECORD = "record", _("Record template")
    EXTERNAL = "external", _("External-origin document")


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    RESTRICTED = "restricted", _("Restricted")


class ExternalStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    REPEALED = "repealed", _("Repealed")
    REPLACED = "replaced", _("Replaced")


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    EFFECTIVE = "effective", _("Effective")
    SUPERSEDED = "superseded", _("Superseded")
    OBSOLETE = "obsolete", _("Obsolete")
    # A draft its author gave up: it ends there with a reason and stays in the history.
    DISCARDED = "discarded", _("Discarded")


WORKING_STATES = (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW, RevisionStatus.APPROVED)
PUBLISHED_STATES = (RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED, RevisionStatus.OBSOLETE)
LOCKED_STATES = (RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED, RevisionStatus.OBSOLETE)
# What a revision says (what its signatures bind to, with the document's code and title). Only a
# draft may change it: from submission on it is frozen, in the model, its QuerySet and, on
# PostgreSQL, a trigger (migration 0005). A draft returned for changes is editable again; the
# review signatures of the earlier text then show as invalid and are asked for again.
CONTENT_FIELDS = (
    "document",
    "number",
    "change_summary",
    "file",
    "file_name",
    "file_kind",
    "file_size",
    "sha256",
    "author",
    "approver",
    "created_at",
)
# The only fields a service may still write on a locked revision (its lifecycle step).
LOCKED_WRITABLE = frozenset({"status", "superseded_at", "obsolete_at", "obsolete_reason"})
# ...and the only status moves a locked revision may still make.
LOCKED_MOVES = {
    RevisionStatus.EFFECTIVE: {RevisionStatus.SUPERSEDED, RevisionStatus.OBSOLETE},
    RevisionStatus.SUPERSEDED: {RevisionStatus.OBSOLETE},
    RevisionStatus.OBSOLETE: set(),
}


def content_attnames():
    return [Revision._meta.get_field(f).attname for f in CONTENT_FIELDS]


def _manager_units(user):
    return units_visible_to(user, MANAGER_ROLES)


def is_manager_for(user, unit):
    """Directors and quality managers at ``unit`` or above it."""
    from ims.access import has_role

    return has_role(user, unit, MANAGER_ROLES)


def recipient_condition(user, revision_ref="pk"):
    """``Exists``: ``user`` is on the current distribution of the outer revision (named, or
    through a membership in a distributed unit's subtree) and may open it: a restricted
    document reaches only the people on its readers list."""
    memberships = Membership.objects.active().filter(
        user=user, unit__path__startswith=OuterRef("unit__path")
    )
    listed = Exists(
        Document.restricted_to.through.objects.filter(
            document=OuterRef("revision__document_id"), user=user
        )
    )
    return Exists(
        Distribution.objects.filter(revision=OuterRef(revision_ref))
        .filter(Q(user=user) | Q(unit__isnull=False) & Exists(memberships))
        .filter(~Q(revision__document__confidentiality=Confidentiality.RESTRICTED) | listed)
    )


# What every signature of a revision binds to on its document (``Revision.signature_payload``).
IDENTITY_FIELDS = ("code", "title")


def identity_frozen_condition():
    """``Q`` on documents: one of its revisions is signed (or published), so its code and title
    are part of a signed content hash and may no longer change in place."""
    from django.contrib.contenttypes.models import ContentType

    from ims.models import Signature

    signed = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(Revision),
        object_id=Cast(OuterRef("pk"), models.CharField()),
    )
    return Exists(
        Revision.objects.filter(document=OuterRef("pk")).filter(
            Q(status__in=LOCKED_STATES) | Exists(signed)
        )
    )


def identity_frozen_error():
    return PermissionDenied(
        _(
            "The code and title of a document cannot change once one of its revisions is "
            "signed: every signature binds to them."
        )
    )


class RevisionQuerySet(models.QuerySet):
    def for_user(self, user):
        """Revisions ``user`` may see, as one SQL condition.

        - directors and quality managers over the owner unit see everything;
        - the document owner, the author, the named reviewers and the approver see the revision
          (drafts are visible to nobody else);
        - a published revision (effective, superseded, obsolete) is visible to members of the
          owner unit's subtree and to its distribution; a public one to every signed-in user;
        - a restricted document's published revisions only to the people listed on it.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        manager = Q(document__owner_unit__in=_manager_units(user))
        participant = (
            Q(author=user)
            | Q(approver=user)
            | Q(document__owner=user)
            | Exists(Revision.reviewers.through.objects.filter(revision=OuterRef("pk"), user=user))
        )
        listed = Exists(
            Document.restricted_to.through.objects.filter(
                document=OuterRef("document_id"), user=user
            )
        )
        open_published = Q(document__confidentiality=Confidentiality.PUBLIC) | (
            Q(document__owner_unit__in=units_visible_to(user)) | recipient_condition(user)
        )
        published = Q(status__in=PUBLISHED_STATES) & (
            Q(document__confidentiality=Confidentiality.RESTRICTED) & listed
            | ~Q(document__confidentiality=Confidentiality.RESTRICTED) & open_published
        )
        return self.filter(manager | participant | published)

    def update(self, **kwargs):
        written = {self.model._meta.get_field(name).name for name in kwargs}
        if written & set(CONTENT_FIELDS) and self.exclude(status=RevisionStatus.DRAFT).exists():
            raise PermissionDenied(
                _("A submitted, signed or effective revision cannot be changed.")
            )
        locked = self.filter(status__in=LOCKED_STATES)
        if "status" in kwargs:
            target = kwargs["status"]
            locked = (
                self.filter(
                    status__in=[s for s, moves in LOCKED_MOVES.items() if target not in moves]
                )
                if set(kwargs) <= LOCKED_WRITABLE
                else locked
            )
        elif not set(kwargs) - LOCKED_WRITABLE:
            locked = self.none()
        if locked.exists():
            raise PermissionDenied(_("An effective or superseded revision cannot be changed."))
        return super().update(**kwargs)

    def delete(self):
        if self.exclude(status=RevisionStatus.DRAFT).exists():
            raise PermissionDenied(_("Only a draft revision can be deleted."))
        return super().delete()


def manages_every_unit(user):
    """True when ``user`` is a director or quality manager at every root of the tree.

    Such a user manages every unit, so every document's owner unit, and may see every document.
    One query, remembered on the user object for the request.
    """
    cached = getattr(user, "_documents_manages_every_unit", None)
    if cached is None and not member_roles(user) & MANAGER_ROLES:
        cached = user._documents_manages_every_unit = False  # no query: the menu's roles
    if cached is None:
        unmanaged_root = OrgUnit.objects.filter(parent__isnull=True).exclude(
            Exists(
                Membership.objects.active().filter(
                    user=user, role__in=list(MANAGER_ROLES), unit=OuterRef("pk")
                )
            )
        )
        cached = not unmanaged_root.exists()
        user._documents_manages_every_unit = cached
    return cached


def visible_document_condition(user):
    """``Q``: the outer document has at least one revision ``user`` may see, or ``user`` owns
    or manages it. ``RevisionQuerySet.for_user`` distributed over the document, so that each
    branch is a hashed subquery on an index (computed once) instead of a walk over every
    revision per document; ``tests/documents/test_for_user_equivalence.py`` checks that it
    selects the same documents as ``Exists(Revision.objects.for_user(user))``.
    """
    revisions = Revision.objects.all()
    # Participants: the author, the approver or a named reviewer of any revision.
    participant = (
        Q(pk__in=revisions.filter(author=user).values("document_id"))
        | Q(pk__in=revisions.filter(approver=user).values("document_id"))
        | Q(
            pk__in=Revision.reviewers.through.objects.filter(user=user).values(
                "revision__document_id"
            )
        )
    )
    published = Exists(revisions.filter(document=OuterRef("pk"), status__in=PUBLISHED_STATES))
    listed = Q(
        pk__in=Document.restricted_to.through.objects.filter(user=user).values("document_id")
    )
    # Units whose subtree holds one of the user's active memberships: a distribution to one of
    # them reaches the user (a few probes per unit, instead of a pattern match per distribution).
    covering_units = OrgUnit.objects.filter(
        Exists(
            Membership.objects.active().filter(user=user, unit__path__startswith=OuterRef("path"))
        )
    )
    # On the distribution of a published revision (named, or through a distributed unit).
    recipient = Q(
        pk__in=Distribution.objects.filter(revision__status__in=PUBLISHED_STATES)
        .filter(Q(user=user) | Q(unit__in=covering_units))
        .values("revision__document_id")
    )
    restricted = Q(confidentiality=Confidentiality.RESTRICTED)
    open_published = (
        Q(confidentiality=Confidentiality.PUBLIC)
        | Q(owner_unit__in=units_visible_to(user))
        | recipient
    )
    return (
        Q(owner_unit__in=_manager_units(user))
        | Q(owner=user)
        | participant
        | published & (restricted & listed | ~restricted & open_published)
    )


class DocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(IDENTITY_FIELDS) & set(kwargs) and self.filter(identity_frozen_condition()).exists():
            raise identity_frozen_error()
        return super().update(**kwargs)

    def for_user(self, user):
        """Documents with at least one revision ``user`` may see, plus those the user owns or
        manages (a document with no revision yet).

        The visible set is one semi-join (``pk IN (subquery)``): written as an ``OR`` in the
        outer query, the planner walks the register's sort order under ``LIMIT`` and evaluates
        the revision ``EXISTS`` per row, which took seconds at province scale. A manager at
        every root sees every document, so the condition is dropped for them.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser or manages_every_unit(user):
            return self.all()
        return self.filter(visible_document_condition(user))

    def due_for_review(self, today, days=REVIEW_DUE_DAYS):
        """Effective documents whose review falls within ``days`` from ``today`` (not overdue)."""
        return self.filter(
            status=RevisionStatus.EFFECTIVE,
            next_review_date__gte=today,
            next_review_date__lte=today + timezone.timedelta(days=days),
        )

    def review_overdue(self, today):
        return self.filter(status=RevisionStatus.EFFECTIVE, next_review_date__lt=today)


class Document(models.Model):
    # Each workflow step named for the history table (TransitionEvent.action -> label).
    STEP_NAMES = {"periodic_review": _("Periodic review confirmed")}
    # The document's own steps; its status otherwise mirrors its revisions'.
    workflow = Workflow(
        steps=(
            Step(
                "withdraw",
                (RevisionStatus.EFFECTIVE,),
                RevisionStatus.OBSOLETE,
                may="can_withdraw",
                denied=_("Only the owner or a quality manager may withdraw it."),
            ),
            Step(
                "periodic_review",
                (RevisionStatus.EFFECTIVE,),
                may="can_confirm_review",
                denied=_("Only the owner or a quality manager may record the review."),
            ),
        )
    )

    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=255)
    doc_type = models.CharField(_("type"), max_length=20, choices=DocumentType.choices)
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="documents", verbose_name=_("owner unit")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_documents",
        verbose_name=_("owner"),
    )
    process = models.CharField(_("process"), max_length=200, blank=True)
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="documents", verbose_name=_("cited clauses")
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=12,
        choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )
    restricted_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="restricted_documents",
        verbose_name=_("people who may read it (restricted)"),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("retention (years)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for permanent retention."),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("review interval (months)"), default=12
    )
    # External-origin documents (ministry circulars, provincial decisions, standards).
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    external_number = models.CharField(_("number"), max_length=60, blank=True)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    external_status = models.CharField(
        _("legal status"), max_length=10, choices=ExternalStatus.choices, blank=True
    )
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )
    # Current state, written only by the services.
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RevisionStatus.choices,
        default=RevisionStatus.DRAFT,
        editable=False,
    )
    effective_revision = models.OneToOneField(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    effective_date = models.DateField(_("effective date"), null=True, blank=True, editable=False)
    next_review_date = models.DateField(
        _("next review"), null=True, blank=True, editable=False, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    search_text = SearchTextField()

    objects = DocumentQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["search_text"], m2m_fields=[restricted_to, clauses]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["owner_unit", "code"], name="documents_document_code_unique_in_unit"
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__gte=1, review_interval_months__lte=120),
                name="documents_document_review_interval_range",
            ),
            models.CheckConstraint(
                condition=~Q(external_status=ExternalStatus.REPLACED)
                | Q(replaced_by__isnull=False),
                name="documents_document_replaced_needs_target",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=models.F("pk")),
                name="documents_document_not_replaced_by_itself",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="documents_document_code_not_blank"),
        ]
        indexes = [
            models.Index(fields=["doc_type", "status"]),
            # The register's order (code, then owner unit): an index scan that stops at a page.
            models.Index(fields=["code"], name="documents_document_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if (
            self.pk  # also a history revert: an instance built with the stored pk
            and (update_fields is None or set(IDENTITY_FIELDS) & set(update_fields))
            and self.identity_changed()
            and self.identity_frozen()
        ):
            raise identity_frozen_error()
        self.search_text = fold_join(self.code, self.title, self.process, self.external_number)
        if self.pk:
            # Only published revisions: a draft's summary is for those who may see the draft,
            # and the search text is matched for everyone who sees the document.
            summaries = Revision.objects.filter(
                document_id=self.pk, status__in=PUBLISHED_STATES
            ).values_list("change_summary", flat=True)
            self.search_text = fold_join(self.search_text, *summaries)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def identity_changed(self):
        """True when the code or title differs from the stored row."""
        stored = Document.objects.filter(pk=self.pk).values_list(*IDENTITY_FIELDS).first()
        return stored is not None and stored != tuple(getattr(self, f) for f in IDENTITY_FIELDS)

    def identity_frozen(self):
        """True once a revision is signed or published: the code and title are then fixed."""
        return (
            self.pk is not None
            and Document.objects.filter(pk=self.pk).filter(identity_frozen_condition()).exists()
        )

    @property
    def is_external(self):
        return self.doc_type == DocumentType.EXTERNAL

    def review_state(self, today=None):
        """ "overdue", "due" (within 30 days) or "" for an effective document."""
        today = today or timezone.localdate()
        if self.status != RevisionStatus.EFFECTIVE or not self.next_review_date:
            return ""
        if self.next_review_date < today:
            return "overdue"
        if (self.next_review_date - today).days <= REVIEW_DUE_DAYS:
            return "due"
        return ""

    def can_edit(self, user):
        """The owner while they still belong to the owner unit (at, above or below it), or a
        director or quality manager over it: the owner's rights end with their membership."""
        return self._is_serving_owner(user) or is_manager_for(user, self.owner_unit)

    def _is_serving_owner(self, user):
        if self.owner_id != user.pk:
            return False
        cached = getattr(self, "_serving_owner", None)  # asked several times per page
        if cached is None or cached[0] != (user.pk, self.owner_unit_id):
            cached = self._serving_owner = (
                (user.pk, self.owner_unit_id),
                belongs_to(user, self.owner_unit),
            )
        return cached[1]

    def can_add_revision(self, user):
        return (
            self.can_edit(user)
            and not self.revisions.filter(status__in=WORKING_STATES).exists()
            and self.status != RevisionStatus.OBSOLETE
        )

    def can_withdraw(self, user):
        return self.status == RevisionStatus.EFFECTIVE and self.can_edit(user)

    def can_confirm_review(self, user):
        return self.status == RevisionStatus.EFFECTIVE and self.can_edit(user)


def revision_upload_to(instance, filename):
    return f"documents/{instance.document_id}/{instance.number}/{filename}"


class Revision(models.Model):
    # Each workflow step named for the history table (TransitionEvent.action -> label).
    STEP_NAMES = {
        "create": _("Draft created"),
        "submit": _("Sent for review"),
        "review": _("Review signed"),
        "return": _("Returned to the author"),
        "approve": _("Approved and signed"),
        "publish": _("Issued, now effective"),
        "supersede": _("Replaced by a new revision"),
        "withdraw": _("Withdrawn"),
        "distribute": _("Distribution added"),
        "undistribute": _("Distribution ended"),
        "schedule": _("Scheduled to take effect"),
        "remind": _("Readers reminded"),
    }
    workflow = Workflow(
        steps=(
            Step(
                "submit",
                (RevisionStatus.DRAFT,),
                RevisionStatus.IN_REVIEW,
                may="can_submit",
                denied=_("Only the author or a quality manager may submit this draft."),
            ),
            Step(
                "discard",
                (RevisionStatus.DRAFT,),
                RevisionStatus.DISCARDED,
                may="can_discard",
                denied=_("Only the author may discard this draft."),
            ),
            Step(
                "review",
                (RevisionStatus.IN_REVIEW,),
                may="can_review",
                denied=_("You are not a reviewer of this revision, or already signed."),
            ),
            Step(
                "return",
                (RevisionStatus.IN_REVIEW,),
                RevisionStatus.DRAFT,
                may="can_return",
                denied=_("Only a reviewer or the approver may return this revision."),
            ),
            Step(
                "approve",
                (RevisionStatus.IN_REVIEW,),
                RevisionStatus.APPROVED,
                may="can_approve",
                denied=_("Only the named approver may approve this revision."),
            ),
            Step(
                "publish",
                (RevisionStatus.APPROVED,),
                RevisionStatus.EFFECTIVE,
                may="can_publish",
                denied=_("Only the approver or a quality manager may publish this revision."),
            ),
            # Taken by publishing the next revision, never by a person directly.
            Step("supersede", (RevisionStatus.EFFECTIVE,), RevisionStatus.SUPERSEDED),
            # Taken through the document (``Document.can_withdraw`` decides who).
            Step(
                "withdraw",
                (RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED),
                RevisionStatus.OBSOLETE,
            ),
            Step(
                "distribute",
                (*WORKING_STATES, RevisionStatus.EFFECTIVE),
                may="can_distribute",
                denied=_("You may not change this distribution list."),
            ),
            Step(
                "undistribute",
                (*WORKING_STATES, RevisionStatus.EFFECTIVE),
                may="can_distribute",
                denied=_("You may not change this distribution list."),
            ),
            # Events of an approved or effective revision that keep its state.
            Step("schedule", (RevisionStatus.APPROVED,)),
            Step("remind", (RevisionStatus.EFFECTIVE,)),
        )
    )

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("document")
    )
    number = models.PositiveSmallIntegerField(_("revision"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RevisionStatus.choices,
        default=RevisionStatus.DRAFT,
        editable=False,
    )
    change_summary = models.TextField(_("change summary"))
    file = models.FileField(_("file"), upload_to=revision_upload_to, max_length=255)
    file_name = models.CharField(_("file name"), max_length=200)
    file_kind = models.CharField(max_length=10)
    file_size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField("SHA-256", max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_revisions",
        verbose_name=_("author"),
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="revisions_to_review",
        verbose_name=_("reviewers"),
        blank=True,
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions_to_approve",
        verbose_name=_("approver"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    effective_date = models.DateField(_("effective date"), null=True, blank=True, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    obsolete_at = models.DateTimeField(null=True, blank=True, editable=False)
    obsolete_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)

    objects = RevisionQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[reviewers])

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_revision_number_unique"
            ),
            # At most one effective revision per document, even under concurrent publishes.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="documents_revision_one_effective",
            ),
            models.CheckConstraint(
                condition=~Q(approver=models.F("author")),
                name="documents_revision_approver_not_author",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="documents_revision_sha256_hex"
            ),
            models.CheckConstraint(
                condition=~Q(change_summary=""), name="documents_revision_change_summary_required"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="documents_revision_number_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["effective", "superseded"])
                | Q(effective_date__isnull=False),
                name="documents_revision_published_has_date",
            ),
        ]
        indexes = [
            # "Has a published revision" in DocumentQuerySet.for_user: an index-only scan.
            models.Index(
                fields=["document"],
                condition=Q(status__in=["effective", "superseded", "obsolete"]),
                name="documents_revision_published",
            ),
        ]

    def __str__(self):
        # "QT-07 lần ban hành 2" in Vietnamese, never "rev. 2".
        return gettext("%(code)s revision %(number)s") % {
            "code": self.document.code,
            "number": self.number,
        }

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk:
            attnames = content_attnames()
            row = Revision.objects.filter(pk=self.pk).values("status", *attnames).first() or {}
            stored = row.get("status")
            update_fields = kwargs.get("update_fields")
            written = attnames if update_fields is None else self._content_attnames(update_fields)
            if stored not in (None, RevisionStatus.DRAFT) and any(
                getattr(self, a) != row[a] for a in written
            ):
                raise PermissionDenied(
                    _("A submitted, signed or effective revision cannot be changed.")
                )
            if stored in LOCKED_STATES and (
                update_fields is None
                or set(update_fields) - LOCKED_WRITABLE
                or (self.status != stored and self.status not in LOCKED_MOVES[stored])
            ):
                raise PermissionDenied(_("An effective or superseded revision cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != RevisionStatus.DRAFT:
            raise PermissionDenied(_("Only a draft revision can be deleted."))
        return super().delete(*args, **kwargs)

    def _content_attnames(self, update_fields):
        written = {self._meta.get_field(f).attname for f in update_fields}
        return [a for a in content_attnames() if a in written]

    def signature_payload(self):
        """What a review or approval signature binds to: this exact content and file."""
        return {
            "document": self.document.code,
            "title": self.document.title,
            "revision": self.number,
            "change_summary": self.change_summary,
            "sha256": self.sha256,
            "author": self.author_id,
        }

    # --- predicates -------------------------------------------------------------------------

    def is_reviewer(self, user):
        return self.reviewers.filter(pk=user.pk).exists()

    def reviewer_ids_signed(self):
        from ims.models import Signature

        return set(
            Signature.objects.for_object(self)
            .filter(meaning=Signature.Meaning.REVIEWED, content_sha256=self.current_hash())
            .values_list("signer_id", flat=True)
        )

    def current_hash(self):
        from ims.models.records import content_hash

        return content_hash(self.signature_payload())

    def approval_is_valid(self):
        """The named approver's approval signature matches the revision as it is now."""
        from ims.models import Signature

        return (
            Signature.objects.for_object(self)
            .filter(
                meaning=Signature.Meaning.APPROVED,
                signer_id=self.approver_id,
                content_sha256=self.current_hash(),
            )
            .exists()
        )

    def all_reviews_signed(self):
        reviewers = set(self.reviewers.values_list("pk", flat=True))
        return bool(reviewers) and reviewers <= self.reviewer_ids_signed()

    def can_edit(self, user):
        return self.status == RevisionStatus.DRAFT and (
            self.author_id == user.pk or is_manager_for(user, self.document.owner_unit)
        )

    def can_submit(self, user):
        return self.can_edit(user)

    def can_discard(self, user):
        """Only the author gives up their own draft (a manager returns it or withdraws)."""
        return self.status == RevisionStatus.DRAFT and self.author_id == user.pk

    def can_review(self, user):
        """A named reviewer who has not signed yet, never the author."""
        return (
            self.status == RevisionStatus.IN_REVIEW
            and self.author_id != user.pk
            and self.is_reviewer(user)
            and user.pk not in self.reviewer_ids_signed()
        )

    def can_return(self, user):
        return self.status == RevisionStatus.IN_REVIEW and (
            self.is_reviewer(user) or self.approver_id == user.pk
        )

    def can_approve(self, user):
        """The named approver, not the author, holding an approving role for the document
        (``documents.authority``: the approval authority matrix)."""
        from .authority import may_approve

        return (
            self.status == RevisionStatus.IN_REVIEW
            and self.approver_id == user.pk
            and self.author_id != user.pk
            and may_approve(user, self.document)
        )

    @property
    def is_scheduled(self):
        """Approved and published with a future effective date: it takes effect on that date
        (``documents.services.publish_due``, a beat task)."""
        return self.status == RevisionStatus.APPROVED and self.effective_date is not None

    def can_publish(self, user):
        return (
            self.status == RevisionStatus.APPROVED
            and not self.is_scheduled
            and (self.approver_id == user.pk or is_manager_for(user, self.document.owner_unit))
        )

    def can_distribute(self, user):
        return self.status in (*WORKING_STATES, RevisionStatus.EFFECTIVE) and (
            self.document.can_edit(user) or self.author_id == user.pk
        )

    def can_acknowledge(self, user):
        return (
            self.status == RevisionStatus.EFFECTIVE
            and Revision.objects.filter(pk=self.pk).filter(recipient_condition(user)).exists()
            and not self.acknowledgements.filter(user=user).exists()
        )

    def opened_by(self, user):
        """``user`` has opened this revision (viewed or downloaded): acknowledging needs it."""
        return self.openings.filter(user=user).exists()


class CurrentDistributionManager(models.Manager):
    """The default manager: current entries only (not ended), so every query, related manager
    (``revision.distributions``) and subquery sees the list as it stands. ``all_objects`` has
    the ended ones too (admin, history)."""

    def get_queryset(self):
        return DistributionQuerySet(self.model, using=self._db).filter(ended_at__isnull=True)


class DistributionQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionDenied(_("A distribution entry is ended, never deleted."))


class Distribution(models.Model):
    """One entry of a revision's distribution list: a unit (with its subtree) or a person.

    Entries are never deleted: removing one ends it (``ended_at``, ``ended_by``), and its
    history keeps who added and who ended it. Only current entries reach anyone.
    """

    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="distributions", verbose_name=_("revision")
    )
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit (and the units below it)"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("distributed at"), default=timezone.now)
    ended_at = models.DateTimeField(_("removed at"), null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("removed by"),
    )

    objects = CurrentDistributionManager()
    all_objects = DistributionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["revision", "unit__path", "user__full_name"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distribution list")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, user__isnull=False)
                | Q(unit__isnull=False, user__isnull=True),
                name="documents_distribution_unit_xor_user",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True)
                | Q(ended_at__isnull=False, ended_by__isnull=False),
                name="documents_distribution_ended_with_who",
            ),
            # One current entry per unit or person; ended ones stay beside it.
            models.UniqueConstraint(
                fields=["revision", "unit"],
                condition=Q(unit__isnull=False, ended_at__isnull=True),
                name="documents_distribution_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["revision", "user"],
                condition=Q(user__isnull=False, ended_at__isnull=True),
                name="documents_distribution_unique_user",
            ),
        ]

    def __str__(self):
        return str(self.unit or self.user)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(_("A distribution entry is ended, never deleted."))


class Acknowledgement(AppendOnlyModel):
    """A recipient's read-and-acknowledge of one effective revision: written once, never changed
    or deleted (``ims.immutable``; a PostgreSQL trigger too)."""

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-acknowledged_at"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "user"], name="documents_acknowledgement_once"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.revision}"


class Opening(AppendOnlyModel):
    """The first time a person opened a revision (viewed in the browser or downloaded): what
    acknowledging it requires. One row per person and revision, written once, never changed or
    deleted (``ims.immutable``); later openings change nothing."""

    class Via(models.TextChoices):
        VIEW = "view", _("Viewed in the browser")
        DOWNLOAD = "download", _("Downloaded")

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="openings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_openings"
    )
    via = models.CharField(_("opened by"), max_length=10, choices=Via.choices)
    opened_at = models.DateTimeField(_("first opened at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening of a revision")
        verbose_name_plural = _("openings of revisions")
        constraints = [
            models.UniqueConstraint(fields=["revision", "user"], name="documents_opening_once"),
        ]

    def __str__(self):
        return f"{self.user} · {self.revision_id} · {self.opened_at:%Y-%m-%d}"


class CoverageCount(models.Model):
    """Roll-up of read-and-acknowledge coverage: for one effective revision and one unit, the
    people whose home unit it is that the revision reaches (``expected``) and how many of them
    acknowledged it. Derived data, written only by ``documents.coverage`` (definition there);
    it keeps no history, since it is re-counted from the rows that do."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    expected = models.PositiveIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("acknowledgement coverage count")
        verbose_name_plural = _("acknowledgement coverage counts")
        constraints = [
            models.UniqueConstraint(fields=["revision", "unit"], name="documents_coverage_once"),
        ]

    def __str__(self):
        return f"{self.revision_id} · {self.unit_id}: {self.acknowledged}/{self.expected}"


class ApprovalAuthority(models.Model):
    """One row of the approval authority matrix: a role that may approve documents of a type,
    held at the owner unit itself (a unit head for the unit's own documents) or at the owner
    unit or any unit above it (the director, the quality manager). Reference data loaded by
    ``documents.authority``; the Department edits it in the admin. A type with no active row
    can be approved by nobody (default deny)."""

    class Level(models.TextChoices):
        OWN_UNIT = "own_unit", _("At the owner unit itself")
        UNIT_OR_ABOVE = "unit_or_above", _("At the owner unit or a unit above it")

    doc_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    level = models.CharField(_("held"), max_length=20, choices=Level.choices)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["doc_type", "role"]
        verbose_name = _("approval authority")
        verbose_name_plural = _("approval authority matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["doc_type", "role"], name="documents_approval_authority_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()} · {self.get_role_display()}"

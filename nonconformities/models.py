"""Nonconformities and corrective actions (ISO 9001 10.2 / ISO 21001 10.1).

The loop is describe → contain/correct → root cause → extent check → corrective actions →
effectiveness verification → closure. The steps are declared here (``Nonconformity.workflow``)
and each is a service in ``services/``; the rules that make the loop impossible to skip live here
(predicates) and in the database (constraints).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ims.access import HEAD_ROLES, MANAGER_ROLES, roles_for, units_visible_to
from ims.ageing import AgeBucket, Ageing
from ims.models import Clause, OrgUnit
from ims.models.org import LocalizedLookup
from ims.search import SearchTextField, fold_join
from ims.workflow import Step, Workflow

REPEAT_WINDOW_DAYS = 365


class CauseCategory(LocalizedLookup):
    """A fishbone (Ishikawa) category: data, editable in the admin."""

    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta(LocalizedLookup.Meta):
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")


class NumberSequence(models.Model):
    """The last NC number issued in a year; locked while the next one is taken (no gaps)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("NC number sequence")
        verbose_name_plural = _("NC number sequences")

    def __str__(self):
        return f"{self.year}: {self.last}"


# Age of an NC since it was reported, in the buckets the register and the dashboard share.
AGE_BUCKETS = Ageing(
    field="reported_on",
    buckets=(
        AgeBucket("lt30", _("under 30 days"), 0, 29),
        AgeBucket("30-90", _("30–90 days"), 30, 90),
        AgeBucket("gt90", _("over 90 days"), 91),
    ),
)


class NonconformityQuerySet(models.QuerySet):
    def for_user(self, user):
        """NCs of units the user can see, plus those where the user owns an action or verifies.

        One SQL condition: a unit subquery on the tree path, or EXISTS on the user's actions.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        own_actions = CorrectiveAction.objects.filter(
            nonconformity=models.OuterRef("pk"), owner=user
        )
        return self.filter(
            models.Q(unit__in=units_visible_to(user))
            | models.Q(planned_verifier=user)
            | models.Q(containment_assignee=user)
            | models.Exists(own_actions)
        )

    def for_source(self, obj):
        """NCs raised from ``obj`` (an audit finding, a survey campaign, ...)."""
        return self.filter(
            source_content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            source_object_id=str(obj.pk),
        )

    def open(self):
        return self.exclude(status=Nonconformity.Status.CLOSED)

    def with_overdue(self, today=None):
        """Annotate ``overdue_actions``: open actions of the current round past their due date."""
        today = today or timezone.localdate()
        return self.annotate(
            overdue_actions=models.Count(
                "actions",
                filter=models.Q(
                    actions__status=CorrectiveAction.Status.OPEN, actions__due__lt=today
                ),
                distinct=True,
            )
        )

    def with_extensions(self):
        """Annotate ``extensions``: how many times this NC's actions had their due date moved
        later (a subquery: it stays right whatever else the register joins)."""
        total = (
            CorrectiveAction.objects.filter(nonconformity=models.OuterRef("pk"))
            .order_by()
            .values("nonconformity")
            .annotate(total=models.Sum("extensions"))
            .values("total")
        )
        return self.annotate(
            extensions=Coalesce(models.Subquery(total, output_field=models.IntegerField()), 0)
        )

    def overdue(self, today=None):
        today = today or timezone.localdate()
        late = CorrectiveAction.objects.filter(
            nonconformity=models.OuterRef("pk"),
            status=CorrectiveAction.Status.OPEN,
            due__lt=today,
        )
        return self.filter(models.Exists(late))


class Nonconformity(models.Model):
    # Each workflow step (of the NC or of one of its actions) named for the history tables.
    STEP_NAMES = {
        "raise": _("Opened"),
        "contain": _("Containment recorded"),
        "analyse": _("Root cause recorded"),
        "check_extent": _("Extent checked"),
        "plan_actions": _("Corrective actions planned"),
        "add": _("Action added"),
        "complete": _("Action completed"),
        "cancel": _("Action cancelled"),
        "actions_done": _("All actions finished"),
        "plan_verification": _("Effectiveness check planned"),
        "verify_early": _("Verified before the planned date"),
        "verify": _("Verified effective"),
        "verify_not_effective": _("Verified not effective: back to actions"),
        "close": _("Closed with signature"),
        "assign_containment": _("Containment assigned"),
        "revise_analysis": _("Root cause or extent revised"),
        "redate": _("Action due date changed"),
        "reassign": _("Action handed over"),
    }

    class Source(models.TextChoices):
        INTERNAL_AUDIT = "internal_audit", _("Internal audit")
        EXTERNAL_AUDIT = "external_audit", _("External (certification) audit")
        COMPLAINT = "complaint", _("Complaint")
        PROCESS_MONITORING = "process_monitoring", _("Process monitoring / KPI breach")
        SURVEY = "survey", _("Survey result")
        MANAGEMENT_REVIEW = "management_review", _("Management review")
        SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")

    class Kind(models.TextChoices):
        NONCONFORMITY = "nonconformity", _("Nonconformity")
        IMPROVEMENT = "improvement", _("Opportunity for improvement")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTAINED = "contained", _("Contained")
        ANALYSED = "analysed", _("Root cause analysed")
        EXTENT_CHECKED = "extent_checked", _("Extent checked")
        IN_ACTION = "in_action", _("Corrective actions in progress")
        AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
        VERIFIED = "verified", _("Verified effective")
        CLOSED = "closed", _("Closed")

    class Result(models.TextChoices):
        EFFECTIVE = "effective", _("Effective")
        NOT_EFFECTIVE = "not_effective", _("Not effective")

    # The loop, declared. Each predicate checks the state too, so the services refuse in their
    # own words (one reason per predicate) and take the step with ``checked=False``. Raising is
    # the NC's creation, not a step from a state.
    workflow = Workflow(
        steps=(
            Step("assign_containment", (Status.OPEN,), may="can_assign_containment"),
            Step("contain", (Status.OPEN,), Status.CONTAINED, may="can_contain"),
            Step("analyse", (Status.CONTAINED,), Status.ANALYSED, may="can_analyse"),
            Step("check_extent", (Status.ANALYSED,), Status.EXTENT_CHECKED, may="can_check_extent"),
            Step(
                "revise_analysis",
                (
                    Status.ANALYSED,
                    Status.EXTENT_CHECKED,
                    Status.IN_ACTION,
                    Status.AWAITING_VERIFICATION,
                ),
                may="can_revise_analysis",
            ),
            # Adding a corrective action: recorded on the action it creates; the first one
            # also starts the actions (plan_actions).
            Step("add", (Status.EXTENT_CHECKED, Status.IN_ACTION), may="can_add_action"),
            Step("plan_actions", (Status.EXTENT_CHECKED,), Status.IN_ACTION, may="can_add_action"),
            # Taken by the service that finishes the round's last open action, for whoever did.
            Step("actions_done", (Status.IN_ACTION,), Status.AWAITING_VERIFICATION),
            Step(
                "plan_verification",
                (Status.IN_ACTION, Status.AWAITING_VERIFICATION),
                may="can_plan_verification",
            ),
            Step("verify_early", (Status.AWAITING_VERIFICATION,), may="can_verify"),
            Step("verify", (Status.AWAITING_VERIFICATION,), Status.VERIFIED, may="can_verify"),
            # Not effective: back to the actions, in a new round.
            Step(
                "verify_not_effective",
                (Status.AWAITING_VERIFICATION,),
                Status.IN_ACTION,
                may="can_verify",
            ),
            Step("close", (Status.VERIFIED,), Status.CLOSED, may="can_close"),
        )
    )

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="nonconformities", verbose_name=_("unit")
    )
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.NONCONFORMITY
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.OPEN, editable=False
    )
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="nonconformities", verbose_name=_("clauses")
    )
    # Where it was raised from: a generic reference, so this app never imports its sources.
    source_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_object_id = models.CharField(max_length=64, null=True, blank=True)
    source_object = GenericForeignKey("source_content_type", "source_object_id")

    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="nonconformities_reported",
        verbose_name=_("reported by"),
    )
    reported_on = models.DateField(_("reported on"), default=timezone.localdate)
    due = models.DateField(_("target date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # 1. Containment and correction: assigned to a person with a due date, then recorded.
    containment_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nonconformities_to_contain",
        verbose_name=_("containment assigned to"),
        editable=False,
    )
    containment_due = models.DateField(_("containment due"), null=True, blank=True, editable=False)
    containment = models.TextField(_("containment and correction"), blank=True)
    contained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("contained by"),
    )
    contained_on = models.DateField(_("contained on"), null=True, blank=True)
    # 2. Root cause.
    root_cause = models.TextField(_("root cause"), blank=True)
    # 3. Extent check.
    extent_check = models.TextField(_("could it occur elsewhere?"), blank=True)
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related nonconformities")
    )
    # 4. Actions are CorrectiveAction rows; ``round`` counts the loops after "not effective".
    round = models.PositiveSmallIntegerField(_("round"), default=1, editable=False)
    completed_actions = models.PositiveSmallIntegerField(default=0, editable=False)
    # 5. Verification.
    planned_verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nonconformities_to_verify",
        verbose_name=_("planned verifier"),
    )
    verification_due = models.DateField(_("verification planned on"), null=True, blank=True)
    verification_result = models.CharField(
        _("verification result"), max_length=20, choices=Result.choices, blank=True, editable=False
    )
    # 6. Closure.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("closed by"),
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # Repeat: the same clause and unit within 12 months of a closed NC.
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
        verbose_name=_("repeat of"),
        editable=False,
    )
    search_text = SearchTextField()

    objects = NonconformityQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"], m2m_fields=[])

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="nc_unique_year_sequence"),
            models.UniqueConstraint(
                fields=["source_content_type", "source_object_id"],
                condition=models.Q(source_object_id__isnull=False),
                name="nc_unique_source_object",
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="nc_sequence_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(source_object_id__isnull=True)
                | models.Q(source_content_type__isnull=False),
                name="nc_source_reference_complete",
            ),
            # The loop cannot be skipped: a closed NC has a root cause, at least one completed
            # action, an "effective" verification, and a closer who is not the opener.
            models.CheckConstraint(
                condition=~models.Q(status="closed")
                | (
                    ~models.Q(root_cause="")
                    & models.Q(completed_actions__gte=1)
                    & models.Q(verification_result="effective")
                    & models.Q(closed_by__isnull=False)
                    & models.Q(closed_at__isnull=False)
                    & ~models.Q(closed_by=models.F("reported_by"))
                ),
                name="nc_closed_requires_loop",
            ),
            # Steps happen in order: past "open" there is a containment, past "contained" a
            # root cause.
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(containment=""),
                name="nc_past_open_requires_containment",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "contained"]) | ~models.Q(root_cause=""),
                name="nc_past_contained_requires_root_cause",
            ),
            models.CheckConstraint(
                condition=models.Q(containment_assignee__isnull=True)
                | models.Q(containment_due__isnull=False),
                name="nc_containment_assignment_has_due",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "unit"]),
            models.Index(fields=["source", "status"]),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("nonconformities:detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.search_text = fold_join(self.number, self.title, self.description)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"title", "description", "number"} & set(update_fields)):
            kwargs["update_fields"] = set(update_fields) | {"search_text"}
        super().save(*args, **kwargs)

    # --- what the record says -----------------------------------------------------------------

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    def age_days(self, today=None):
        end = self.closed_at.date() if self.closed_at else (today or timezone.localdate())
        return (end - self.reported_on).days

    def current_actions(self):
        return self.actions.filter(round=self.round)

    def last_action_due(self):
        return (
            self.current_actions()
            .exclude(status=CorrectiveAction.Status.CANCELLED)
            .aggregate(last=models.Max("due"))["last"]
        )

    def is_verification_early(self, today=None):
        """Whether effectiveness would be checked before its planned date."""
        return (
            bool(self.verification_due) and (today or timezone.localdate()) < self.verification_due
        )

    def action_owner_ids(self):
        return set(self.actions.values_list("owner_id", flat=True))

    def find_repeat_of(self):
        """The latest NC of the same unit citing the same (or an equivalent) clause that was
        closed within the last 12 months."""
        if not self.pk or self.kind != self.Kind.NONCONFORMITY:
            return None
        own = list(self.clauses.values_list("pk", flat=True))
        if not own:
            return None
        # The same requirement cited through an equivalent clause (ISO 9001 ↔ ISO 21001) counts.
        clause_ids = set(own) | set(
            Clause.objects.filter(mapped_to__in=own).values_list("pk", flat=True)
        )
        since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
        return (
            Nonconformity.objects.filter(
                unit_id=self.unit_id,
                kind=self.Kind.NONCONFORMITY,
                status=self.Status.CLOSED,
                closed_at__gte=since,
                clauses__in=clause_ids,
            )
            .exclude(pk=self.pk)
            .order_by("-closed_at")
            .first()
        )

    def signature_payload(self):
        return {
            "number": self.number,
            "unit": self.unit_id,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "severity": self.severity,
            "containment": self.containment,
            "root_cause": self.root_cause,
            "extent_check": self.extent_check,
            "round": self.round,
            "verification_result": self.verification_result,
            "actions": [
                [a.pk, a.description, a.owner_id, str(a.due), a.status, a.evidence]
                for a in self.actions.order_by("pk")
            ],
        }

    # --- who may do what (predicates; services check them again under a row lock) ------------

    def _roles(self, user):
        cache = getattr(self, "_roles_cache", None)
        if cache is None:
            cache = self._roles_cache = {}
        if user.pk not in cache:
            cache[user.pk] = roles_for(user, self.unit)
        return cache[user.pk]

    def can_work_on(self, user):
        """Unit head, staff and managers above may record containment, cause, extent, actions."""
        if not getattr(user, "is_authenticated", False) or self.is_closed:
            return False
        roles = self._roles(user)
        return bool(roles & (MANAGER_ROLES | HEAD_ROLES | {"staff"}))

    def can_manage(self, user):
        """Unit head or quality manager/director above: plan actions, verifier, attachments."""
        if not getattr(user, "is_authenticated", False):
            return False
        return bool(self._roles(user) & (MANAGER_ROLES | HEAD_ROLES))

    def can_contain(self, user):
        """The unit's people, or the person the containment was assigned to."""
        if self.status != self.Status.OPEN or not getattr(user, "is_authenticated", False):
            return False
        return user.pk == self.containment_assignee_id or self.can_work_on(user)

    def can_assign_containment(self, user):
        return self.status == self.Status.OPEN and self.can_manage(user)

    def can_revise_analysis(self, user):
        """Root cause and extent stay editable until the actions are verified."""
        return self.status in (
            self.Status.ANALYSED,
            self.Status.EXTENT_CHECKED,
            self.Status.IN_ACTION,
            self.Status.AWAITING_VERIFICATION,
        ) and self.can_work_on(user)

    def is_containment_overdue(self, today=None):
        return (
            self.status == self.Status.OPEN
            and self.containment_due is not None
            and self.containment_due < (today or timezone.localdate())
        )

    def can_analyse(self, user):
        return self.status == self.Status.CONTAINED and self.can_work_on(user)

    def can_check_extent(self, user):
        return self.status == self.Status.ANALYSED and self.can_work_on(user)

    def can_add_action(self, user):
        return self.status in (
            self.Status.EXTENT_CHECKED,
            self.Status.IN_ACTION,
        ) and self.can_work_on(user)

    def can_plan_verification(self, user):
        return self.status in (
            self.Status.IN_ACTION,
            self.Status.AWAITING_VERIFICATION,
        ) and self.can_manage(user)

    def can_verify(self, user):
        """The planned verifier, or a manager; never an action owner nor the opener."""
        if self.status != self.Status.AWAITING_VERIFICATION:
            return False
        if not getattr(user, "is_authenticated", False):
            return False
        if user.pk == self.reported_by_id or user.pk in self.action_owner_ids():
            return False
        if self.planned_verifier_id == user.pk:
            return True
        return bool(self._roles(user) & (MANAGER_ROLES | HEAD_ROLES))

    def closure_conflict_ids(self):
        """Who may never close this NC: the person who opened it and every owner of one of its
        corrective actions (any round)."""
        return {self.reported_by_id, *self.action_owner_ids()}

    def can_close(self, user):
        """A unit head, or a quality manager or director at the NC's unit or above, who neither
        opened the NC nor owned one of its actions. Where the unit's own heads all took part
        (a small school), nobody in the unit may close it: a manager above does, since roles
        held above the unit count here."""
        if self.status != self.Status.VERIFIED or not getattr(user, "is_authenticated", False):
            return False
        if user.pk in self.closure_conflict_ids():
            return False
        return bool(self._roles(user) & (MANAGER_ROLES | HEAD_ROLES))

    def can_attach(self, user):
        return self.can_work_on(user)


class CauseEntry(models.Model):
    """One step of a 5-whys chain, or one fishbone cause under a category."""

    class Method(models.TextChoices):
        WHY = "why", _("5 whys")
        FISHBONE = "fishbone", _("Fishbone")

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, related_name="causes"
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    category = models.ForeignKey(
        CauseCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    text = models.TextField(_("cause"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["method", "position", "pk"]
        verbose_name = _("cause")
        verbose_name_plural = _("causes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method="why", category__isnull=True)
                | models.Q(method="fishbone", category__isnull=False),
                name="nc_cause_category_matches_method",
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="nc_cause_text_required"),
        ]

    def __str__(self):
        return self.text


class CorrectiveActionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(nonconformity__in=Nonconformity.objects.for_user(user))


class CorrectiveAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("corrective action status", "Open")
        DONE = "done", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # Adding an action is its creation ("add"); the NC's table names its steps too.
    workflow = Workflow(
        steps=(
            Step("complete", (Status.OPEN,), Status.DONE, may="can_complete"),
            Step("cancel", (Status.OPEN,), Status.CANCELLED, may="can_cancel"),
            Step("redate", (Status.OPEN,), may="can_redate"),
            Step("reassign", (Status.OPEN,), may="can_reassign"),
        )
    )
    STEP_NAMES = Nonconformity.STEP_NAMES

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="actions"
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1, editable=False)
    description = models.TextField(_("corrective action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("owner"),
    )
    due = models.DateField(_("due date"))
    # The due date first agreed, and how many times it was moved later (shown in the register).
    original_due = models.DateField(_("original due date"), null=True, blank=True, editable=False)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    evidence = models.TextField(_("completion evidence"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CorrectiveActionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "due", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done")
                | (~models.Q(evidence="") & models.Q(completed_at__isnull=False)),
                name="nc_action_done_requires_evidence",
            ),
        ]
        indexes = [models.Index(fields=["status", "due"])]

    def __str__(self):
        return self.description[:80]

    def is_overdue(self, today=None):
        return self.status == self.Status.OPEN and self.due < (today or timezone.localdate())

    def days_overdue(self, today=None):
        return max(0, ((today or timezone.localdate()) - self.due).days)

    def can_complete(self, user):
        return (
            self.status == self.Status.OPEN
            and self.round == self.nonconformity.round
            and self.nonconformity.status == Nonconformity.Status.IN_ACTION
            and getattr(user, "is_authenticated", False)
            and user.pk == self.owner_id
        )

    def can_cancel(self, user):
        return (
            self.status == self.Status.OPEN
            and self.nonconformity.status == Nonconformity.Status.IN_ACTION
            and self.nonconformity.can_manage(user)
        )

    def can_redate(self, user):
        """Re-dating or handing over an open action: the unit head or the quality manager."""
        return self.can_cancel(user)

    can_reassign = can_redate

    @property
    def first_due(self):
        return self.original_due or self.due


class Verification(models.Model):
    """One effectiveness check. Kept for every round: "not effective" reopens the loop."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="verifications"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("verifier"),
    )
    result = models.CharField(_("result"), max_length=20, choices=Nonconformity.Result.choices)
    notes = models.TextField(_("evidence of effectiveness"))
    verified_on = models.DateField(_("verified on"), default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "created_at"]
        verbose_name = _("effectiveness verification")
        verbose_name_plural = _("effectiveness verifications")
        constraints = [
            models.UniqueConstraint(
                fields=["nonconformity", "round"], name="nc_one_verification_per_round"
            ),
            models.CheckConstraint(condition=~models.Q(notes=""), name="nc_verification_notes"),
        ]

    def __str__(self):
        return f"{self.nonconformity.number} #{self.round}: {self.get_result_display()}"


def attachment_path(instance, filename):
    return f"nonconformities/{instance.nonconformity_id}/{instance.sha256[:16]}-{filename}"


class Attachment(models.Model):
    """A file on an NC or on one of its actions (completion evidence); served after an access check."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="attachments"
    )
    action = models.ForeignKey(
        CorrectiveAction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("action"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="nc_attachment_sha256"
            ),
        ]

    def __str__(self):
        return self.name


def unit_heads(unit):
    """Active heads (unit head or principal) of ``unit``, or of the nearest unit above with one."""
    from ims.models import Membership, User

    for path in reversed(unit.ancestor_paths()):
        heads = list(
            User.objects.filter(
                is_active=True,
                memberships__in=Membership.objects.active().filter(
                    unit__path=path, role__in=list(HEAD_ROLES)
                ),
            ).distinct()
        )
        if heads:
            return heads
    return []


def people_with_role(unit, roles):
    """Active users holding ``roles`` at ``unit`` or above (e.g. the director of the Department)."""
    from ims.models import Membership, User

    return list(
        User.objects.filter(
            is_active=True,
            memberships__in=Membership.objects.active().filter(role__in=list(roles)).covering(unit),
        ).distinct()
    )


__all__ = [
    "Attachment",
    "CauseCategory",
    "CauseEntry",
    "CorrectiveAction",
    "Nonconformity",
    "NumberSequence",
    "Verification",
]

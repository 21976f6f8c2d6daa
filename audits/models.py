"""Audit programmes, audits, checklists and findings (ISO 9001/21001 clause 9.2, ISO 19011)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ims.access import (
    AUDITOR_ROLES,
    MANAGER_ROLES,
    has_role,
    units_visible_to,
)
from ims.models import Clause, Membership, OrgUnit, Role
from ims.models.i18n import localized
from ims.models.org import LocalizedLookup
from ims.schoolyear import SchoolYear
from ims.search import SearchTextField, fold_join
from ims.workflow import Step, Workflow

DEFAULT_REPORT_DUE_DAYS = 10
MAX_PHOTOS_PER_FINDING = 10


def report_due_days():
    return getattr(settings, "AUDIT_REPORT_DUE_DAYS", DEFAULT_REPORT_DUE_DAYS)


class FindingGrade(LocalizedLookup):
    """A grade of finding (major NC, minor NC, observation, ...): a configurable list."""

    class Severity(models.TextChoices):
        MAJOR = "major", _("Major nonconformity")
        MINOR = "minor", _("Minor nonconformity")
        NONE = "", _("Not a nonconformity")

    severity = models.CharField(
        _("nonconformity severity"), max_length=10, choices=Severity.choices, blank=True
    )

    history = HistoricalRecords()

    class Meta(LocalizedLookup.Meta):
        verbose_name = _("finding grade")
        verbose_name_plural = _("finding grades")

    @property
    def is_nonconformity(self):
        return bool(self.severity)


# --- processes -----------------------------------------------------------------------------------


class ProcessQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(unit__in=units_visible_to(user))


class Process(models.Model):
    """A process of the management system (clause 4.4), audited by scope, owned by a person."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="audit_processes", verbose_name=_("unit")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_processes",
        verbose_name=_("process owner"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProcessQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")

    def __str__(self):
        return f"{self.code} {self.label}"

    @property
    def label(self):
        return localized(self, "name")


# --- programme -----------------------------------------------------------------------------------


class ProgrammeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(unit__in=units_visible_to(user, roles=MANAGER_ROLES | AUDITOR_ROLES))


class AuditProgramme(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="audit_programmes", verbose_name=_("unit")
    )
    start_year = models.PositiveSmallIntegerField(_("school year"))
    title = models.CharField(_("title"), max_length=255)
    objectives = models.TextField(_("objectives"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_programmes",
        verbose_name=_("programme manager"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    workflow = Workflow(
        steps=(
            Step(
                "programme_approve",
                (Status.DRAFT,),
                Status.APPROVED,
                may="can_approve",
                denied=_("Only a director approves the audit programme."),
            ),
        )
    )

    objects = ProgrammeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_year", "unit__path"]
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "start_year"], name="audits_programme_one_per_unit_year"
            ),
            models.CheckConstraint(
                condition=models.Q(start_year__gte=2000, start_year__lte=2100),
                name="audits_programme_year_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(approved_at__isnull=False),
                name="audits_programme_approved_has_time",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("audits:programme_detail", args=[self.pk])

    @property
    def school_year(self):
        return SchoolYear(self.start_year)

    def signature_payload(self):
        return {
            "programme": self.pk,
            "unit": self.unit_id,
            "year": self.start_year,
            "title": self.title,
            "objectives": self.objectives,
            "owner": self.owner_id,
        }

    def is_manager(self, user):
        """Directors and quality managers at the programme's unit or above, through their
        active memberships. Being named its manager (``owner``) grants nothing by itself:
        the rights end with the role."""
        return has_role(user, self.unit, MANAGER_ROLES)

    def can_edit(self, user):
        """A draft changes; an approved programme's signature would no longer hold."""
        return self.status == self.Status.DRAFT and self.is_manager(user)

    def can_approve(self, user):
        return (
            self.status == self.Status.DRAFT
            and user.pk != self.owner_id
            and has_role(user, self.unit, {Role.DIRECTOR})
        )


# --- audit ---------------------------------------------------------------------------------------


def external_report_path(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"audits/external/{instance.pk}/{uuid.uuid4().hex}.{extension}"


class AuditQuerySet(models.QuerySet):
    def for_user(self, user):
        """Team, auditees, members of an audited unit (or above it within their own subtree),
        and managers/auditors of the programme's unit: one SQL condition."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        visible = units_visible_to(user)
        # an audited unit at or above one of the user's own units: auditees below the scope
        member_below = Membership.objects.active().filter(
            user=user, unit__path__startswith=models.OuterRef("orgunit__path")
        )
        scoped = Audit.scope_units.through.objects.filter(audit=models.OuterRef("pk"))
        return self.filter(
            models.Exists(AuditTeamMember.objects.filter(audit=models.OuterRef("pk"), user=user))
            | models.Exists(
                Audit.auditees.through.objects.filter(audit=models.OuterRef("pk"), user=user)
            )
            | models.Exists(scoped.filter(orgunit__in=visible))
            | models.Exists(scoped.filter(models.Exists(member_below)))
            | models.Q(
                programme__unit__in=units_visible_to(user, roles=MANAGER_ROLES | AUDITOR_ROLES)
            )
        )

    def with_finding_counts(self, user):
        """Annotate ``finding_count``: the findings of each audit that ``user`` may see, so an
        audit list's "N findings" matches what its page shows them."""
        visible = Finding.objects.for_user(user).values("pk")
        return self.annotate(
            finding_count=models.Count(
                "findings", filter=models.Q(findings__in=visible), distinct=True
            )
        )

    def active(self):
        return self.exclude(status=Audit.Status.CLOSED)

    def report_overdue(self, today):
        """Audits whose report is not issued although it is due: due date stored per row."""
        return self.filter(
            status__in=[Audit.Status.IN_PROGRESS, Audit.Status.REPORTING], report_due__lt=today
        )


class Audit(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("audit status", "Planned")
        PLAN_APPROVED = "plan_approved", pgettext_lazy("audit status", "Plan approved")
        IN_PROGRESS = "in_progress", pgettext_lazy("audit status", "In progress")
        REPORTING = "reporting", pgettext_lazy("audit status", "Reporting")
        REPORT_ISSUED = "report_issued", pgettext_lazy("audit status", "Report issued")
        CLOSED = "closed", pgettext_lazy("audit status", "Closed")

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal audit")
        CERTIFICATION = "certification", _("External certification audit")
        SURVEILLANCE = "surveillance", _("External surveillance audit")

    workflow = Workflow(
        steps=(
            Step(
                "approve_plan",
                (Status.PLANNED,),
                Status.PLAN_APPROVED,
                may="can_approve_plan",
                denied=_("Only the quality manager approves the audit plan."),
            ),
            Step(
                "revise_plan",
                (Status.PLAN_APPROVED,),
                Status.PLANNED,
                may="can_revise_plan",
                denied=_("Only the quality manager reopens an approved plan."),
            ),
            Step(
                "start",
                (Status.PLAN_APPROVED,),
                Status.IN_PROGRESS,
                may="can_start",
                denied=_("Only the lead auditor starts the audit."),
            ),
            Step(
                "finish_fieldwork",
                (Status.IN_PROGRESS,),
                Status.REPORTING,
                may="can_finish_fieldwork",
                denied=_("Only the lead auditor ends the fieldwork."),
            ),
            Step(
                "resume_fieldwork",
                (Status.REPORTING,),
                Status.IN_PROGRESS,
                may="can_resume_fieldwork",
                denied=_("Only the lead auditor resumes the fieldwork."),
            ),
            Step(
                "issue_report",
                (Status.REPORTING,),
                Status.REPORT_ISSUED,
                may="can_issue_report",
                denied=_("Only the lead auditor issues the report, once fieldwork ended."),
            ),
            Step(
                "close",
                (Status.REPORT_ISSUED,),
                Status.CLOSED,
                may="can_close",
                denied=_("Only the quality manager closes an audit with an issued report."),
            ),
            # Changes of the plan and the team: recorded in the history, the state stays.
            Step("plan_change", (Status.PLANNED,), may="can_edit_plan"),
            Step("team_assign", (Status.PLANNED,), may="can_manage_team"),
            Step("team_remove", (Status.PLANNED,), may="can_manage_team"),
            Step(
                "team_override_approve",
                (Status.PLANNED, Status.PLAN_APPROVED),
                may="can_approve_override",
            ),
            Step(
                "external_report_attach",
                (Status.PLANNED, Status.PLAN_APPROVED, Status.IN_PROGRESS, Status.REPORTING),
                may="can_attach_external_report",
            ),
        )
    )
    # The history's names of the steps that keep the state (the others are named by their state).
    STEP_NAMES = {
        "plan_change": _("Plan changed"),
        "team_assign": _("Added to the team"),
        "team_remove": _("Removed from the team"),
        "team_override_approve": _("Independence override approved"),
        "external_report_attach": _("Certification body's report attached"),
    }
    EDITABLE_STATES = (Status.PLANNED, Status.PLAN_APPROVED)
    RECORDING_STATES = (Status.IN_PROGRESS, Status.REPORTING)

    programme = models.ForeignKey(
        AuditProgramme,
        on_delete=models.PROTECT,
        related_name="audits",
        verbose_name=_("audit programme"),
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTERNAL)
    external_body = models.CharField(
        _("certification body"),
        max_length=200,
        blank=True,
        help_text=_("For external audits: the third party that audits."),
    )
    external_lead_auditor = models.CharField(
        _("lead auditor of the certification body"),
        max_length=200,
        blank=True,
        help_text=_("For external audits: the third party's lead auditor, by name."),
    )
    external_report = models.FileField(
        _("certification body's report"),
        upload_to=external_report_path,
        blank=True,
        editable=False,
    )
    external_report_name = models.CharField(max_length=255, blank=True, editable=False)
    external_report_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=255)
    objectives = models.TextField(_("objectives"))
    scope_units = models.ManyToManyField(
        OrgUnit,
        related_name="audits",
        verbose_name=_("audited units"),
        help_text=_("Each unit is audited with the units below it."),
    )
    processes = models.ManyToManyField(
        Process, blank=True, related_name="audits", verbose_name=_("audited processes")
    )
    clauses = models.ManyToManyField(
        Clause, related_name="audits", verbose_name=_("criteria (clauses)")
    )
    planned_start = models.DateField(_("planned first day"))
    planned_end = models.DateField(_("planned last day"))
    places = models.TextField(_("places"), blank=True)
    auditees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="audits_as_auditee",
        verbose_name=_("auditees"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    fieldwork_ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    report_due = models.DateField(_("report due"), editable=False)
    # Report parts (ISO 19011 6.5.1); the report cannot be issued while one is missing.
    participants = models.TextField(
        _("team and auditee participants"),
        blank=True,
        help_text=_("Who took part on each side, with their functions."),
    )
    conclusions = models.TextField(_("conclusions"), blank=True)
    degree_of_conformity = models.TextField(_("degree of conformity"), blank=True)
    diverging_opinions = models.TextField(
        _("unresolved diverging opinions"),
        blank=True,
        help_text=_('Write "None" when the team and the auditees agreed on everything.'),
    )
    sampling_statement = models.TextField(
        _("sampling statement"),
        blank=True,
        default=_(
            "The audit was based on a sample of the information available; some "
            "nonconformities may therefore exist that were not found."
        ),
    )
    report_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    search_text = SearchTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["-planned_start", "code"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="audits_audit_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["planned", "plan_approved", "in_progress", "reporting"]
                )
                | models.Q(report_issued_at__isnull=False),
                name="audits_audit_issued_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="internal") | ~models.Q(external_body=""),
                name="audits_audit_external_has_body",
            ),
        ]
        indexes = [models.Index(fields=["status", "report_due"])]

    def __str__(self):
        return f"{self.code} · {self.title}"

    def get_absolute_url(self):
        return reverse("audits:audit_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.report_due = self.planned_end + timedelta(days=report_due_days())
        self.search_text = fold_join(self.code, self.title, self.external_body, self.places)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "report_due", "search_text"}
        super().save(*args, **kwargs)

    # --- people ---

    @property
    def is_external(self):
        return self.kind != self.Kind.INTERNAL

    def team_members(self):
        cached = getattr(self, "_prefetched_objects_cache", {}).get("team")
        return list(cached) if cached is not None else list(self.team.select_related("user"))

    @property
    def lead_auditor(self):
        """The internal lead auditor; an external audit has none (its lead is the third party's,
        named in ``external_lead_auditor``)."""
        if self.is_external:
            return None
        for member in self.team_members():
            if member.role == AuditTeamMember.Role.LEAD:
                return member.user
        return None

    def is_team(self, user):
        return any(m.user_id == user.pk and m.is_cleared for m in self.team_members())

    def is_lead(self, user):
        return not self.is_external and any(
            m.user_id == user.pk and m.role == AuditTeamMember.Role.LEAD and m.is_cleared
            for m in self.team_members()
        )

    def is_in_charge(self, user):
        """Who runs the fieldwork and the report: the lead auditor of an internal audit; for an
        external audit (the certification body audits) the programme's manager records it."""
        return self.is_manager(user) if self.is_external else self.is_lead(user)

    @property
    def has_lead(self):
        """AUD-R2's lead auditor: a cleared internal lead, or the certification body's, named."""
        if self.is_external:
            return bool(self.external_lead_auditor.strip())
        return self.lead_auditor is not None

    def is_manager(self, user):
        if not hasattr(self, "_manager_cache"):
            self._manager_cache = {}
        if user.pk not in self._manager_cache:
            self._manager_cache[user.pk] = self.programme.is_manager(user)
        return self._manager_cache[user.pk]

    def shows_all_findings(self, user):
        """Whether ``user`` reads the full report, every finding of the audit: the team, the
        programme's managers and members of units at or above the whole scope. Anyone else who
        sees the audit reads an extract with the findings of their own units
        (``Finding.objects.for_user``)."""
        if not hasattr(self, "_all_findings_cache"):
            self._all_findings_cache = {}
        if user.pk not in self._all_findings_cache:
            scope = {u.pk for u in self.scope_units.all()}
            self._all_findings_cache[user.pk] = (
                user.is_superuser
                or any(m.user_id == user.pk for m in self.team_members())
                or self.is_manager(user)
                or bool(scope)
                and units_visible_to(user).filter(pk__in=scope).count() == len(scope)
            )
        return self._all_findings_cache[user.pk]

    @property
    def has_no_findings(self):
        """An audit that found nothing: its report says so explicitly (a result, not a gap)."""
        if not hasattr(self, "_no_findings"):
            self._no_findings = not self.findings.exists()
        return self._no_findings

    # --- predicates ---

    def can_edit_plan(self, user):
        """Only a plan not yet approved changes; an approved one is reopened first."""
        return self.status == self.Status.PLANNED and (self.is_manager(user) or self.is_lead(user))

    def can_prepare_checklist(self, user):
        return self.status in self.EDITABLE_STATES and (self.is_manager(user) or self.is_lead(user))

    def can_approve_override(self, user):
        """An override of AUD-R1 waits for approval, and ``user`` manages this unapproved plan."""
        return (
            self.status in self.EDITABLE_STATES
            and self.is_manager(user)
            and any(m.override_pending for m in self.team_members())
        )

    def can_manage_team(self, user):
        return self.status == self.Status.PLANNED and self.is_manager(user)

    def can_approve_plan(self, user):
        return self.status == self.Status.PLANNED and self.is_manager(user)

    def can_revise_plan(self, user):
        return self.status == self.Status.PLAN_APPROVED and self.is_manager(user)

    def can_start(self, user):
        return self.status == self.Status.PLAN_APPROVED and (
            self.is_lead(user) or self.is_manager(user)
        )

    def can_record(self, user):
        return self.status in self.RECORDING_STATES and (
            self.is_team(user) or (self.is_external and self.is_manager(user))
        )

    def can_finish_fieldwork(self, user):
        return self.status == self.Status.IN_PROGRESS and self.is_in_charge(user)

    def can_resume_fieldwork(self, user):
        return self.status == self.Status.REPORTING and self.is_in_charge(user)

    def can_edit_report(self, user):
        return self.status in self.RECORDING_STATES and self.is_in_charge(user)

    def can_issue_report(self, user):
        return self.status == self.Status.REPORTING and self.is_in_charge(user)

    def can_attach_external_report(self, user):
        return (
            self.is_external
            and self.status not in (self.Status.REPORT_ISSUED, self.Status.CLOSED)
            and self.is_manager(user)
        )

    def can_close(self, user):
        return self.status == self.Status.REPORT_ISSUED and self.is_manager(user)

    # --- dates ---

    @property
    def last_day(self):
        return self.planned_end

    def is_report_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.status in self.RECORDING_STATES and self.report_due < today

    def missing_report_parts(self, findings=None):
        """Names of the required report parts that are missing (AUD-R5)."""
        missing = []
        if not self.objectives.strip():
            missing.append(_("objectives"))
        if not self.scope_units.exists():
            missing.append(_("scope"))
        if not self.clauses.exists():
            missing.append(_("criteria"))
        if self.is_external:
            if not self.external_lead_auditor.strip():
                missing.append(_("lead auditor of the certification body"))
            if not self.external_report:
                missing.append(_("certification body's report"))
        elif self.lead_auditor is None:
            missing.append(_("lead auditor"))
        if not self.participants.strip():
            missing.append(_("team and auditee participants"))
        if not self.places.strip():
            missing.append(_("places"))
        if not self.conclusions.strip():
            missing.append(_("conclusions"))
        if not self.degree_of_conformity.strip():
            missing.append(_("degree of conformity"))
        if not self.diverging_opinions.strip():
            missing.append(_("unresolved diverging opinions"))
        if not self.sampling_statement.strip():
            missing.append(_("sampling statement"))
        # No findings is a result, not a missing part: the report says so explicitly.
        return missing

    def _external_payload(self):
        """An external audit's lead and report are signed too; absent from an internal audit's
        payload, so the signatures of reports issued before these fields existed still hold."""
        if not self.is_external:
            return {}
        return {
            "external_lead_auditor": self.external_lead_auditor,
            "external_report_sha256": self.external_report_sha256,
        }

    def signature_payload(self):
        """The issued report, as signed: report parts and every finding with its evidence."""
        findings = (
            self.findings.select_related("grade", "unit")
            .prefetch_related("clauses", "evidence")
            .order_by("created_at", "pk")
        )
        return {
            "audit": self.pk,
            "code": self.code,
            "kind": self.kind,
            "title": self.title,
            "objectives": self.objectives,
            "scope_units": sorted(u.pk for u in self.scope_units.all()),
            "processes": sorted(p.pk for p in self.processes.all()),
            "clauses": sorted(c.pk for c in self.clauses.all()),
            "dates": [self.planned_start.isoformat(), self.planned_end.isoformat()],
            "places": self.places,
            "team": sorted((m.user_id, m.role) for m in self.team.all()),
            **self._external_payload(),
            "auditees": sorted(u.pk for u in self.auditees.all()),
            "participants": self.participants,
            "conclusions": self.conclusions,
            "degree_of_conformity": self.degree_of_conformity,
            "diverging_opinions": self.diverging_opinions,
            "sampling_statement": self.sampling_statement,
            "findings": [
                {
                    "id": str(f.pk),
                    "grade": f.grade.code,
                    "unit": f.unit_id,
                    "statement": f.statement,
                    "clauses": sorted(c.pk for c in f.clauses.all()),
                    "evidence": sorted(e.signature_item() for e in f.evidence.all()),
                }
                for f in findings
            ],
        }


class AuditTeamMember(models.Model):
    """A person on an audit team. AUD-R1: a conflict of interest needs a recorded override."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead auditor")
        AUDITOR = "auditor", _("Auditor")
        OBSERVER = "observer", _("Technical expert / observer")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_team_memberships",
        verbose_name=pgettext_lazy("audit team", "person"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AUDITOR)
    conflict = models.TextField(_("conflict of interest"), blank=True, editable=False)
    override_reason = models.TextField(_("override reason"), blank=True)
    override_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("override approved by"),
    )
    override_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "added_at"]
        verbose_name = _("audit team member")
        verbose_name_plural = _("audit team members")
        constraints = [
            models.UniqueConstraint(fields=["audit", "user"], name="audits_team_unique_person"),
            models.UniqueConstraint(
                fields=["audit"], condition=models.Q(role="lead"), name="audits_team_one_lead"
            ),
            # A conflict is only allowed with a written reason ...
            models.CheckConstraint(
                condition=models.Q(conflict="") | ~models.Q(override_reason=""),
                name="audits_team_conflict_needs_reason",
            ),
            # ... and an approval is always someone else's, at a recorded time.
            models.CheckConstraint(
                condition=models.Q(override_approved_by__isnull=True)
                | (
                    models.Q(override_approved_at__isnull=False)
                    & ~models.Q(override_approved_by=models.F("user"))
                ),
                name="audits_team_override_approval_complete",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"

    @property
    def is_cleared(self):
        """No conflict, or a conflict whose override the quality manager approved."""
        return not self.conflict or self.override_approved_by_id is not None

    @property
    def override_pending(self):
        return bool(self.conflict) and self.override_approved_by_id is None


# --- checklists ----------------------------------------------------------------------------------


class ChecklistTemplateQuerySet(models.QuerySet):
    def for_user(self, user):
        """Templates of the units the user sees, and of the units above theirs: the
        Department's question bank serves every school's auditors."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        above = models.Exists(
            Membership.objects.active().filter(
                user=user, unit__path__startswith=models.OuterRef("unit__path")
            )
        )
        return self.filter(models.Q(unit__in=units_visible_to(user)) | above)


class ChecklistTemplate(models.Model):
    """Reusable questions that cite clauses; an audit's checklist can include them."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ChecklistTemplateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self):
        return self.title


class ChecklistQuestion(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.TextField(_("question"))
    clauses = models.ManyToManyField(Clause, related_name="+", verbose_name=_("clauses"))
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["template", "order", "pk"]
        verbose_name = _("checklist question")
        verbose_name_plural = _("checklist questions")

    def __str__(self):
        return self.text[:80]


class ChecklistItem(models.Model):
    class Result(models.TextChoices):
        NOT_CHECKED = "not_checked", _("Not checked")
        CONFORMING = "conforming", _("Conforming")
        NONCONFORMING = "nonconforming", _("Not conforming")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="checklist")
    # "clause:<id>" or "question:<id>": generation is idempotent through a unique key.
    key = models.CharField(max_length=40, editable=False)
    clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    clauses = models.ManyToManyField(Clause, related_name="+", verbose_name=_("clauses"))
    order = models.PositiveIntegerField(default=0)
    result = models.CharField(
        _("result"), max_length=20, choices=Result.choices, default=Result.NOT_CHECKED
    )
    note = models.TextField(_("note"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Raised by every recorded result: a tap based on an older version changes nothing.
    version = models.PositiveIntegerField(default=0, editable=False)

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["audit", "order", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["audit", "key"], name="audits_checklist_unique_key"),
        ]

    def __str__(self):
        return self.question[:80]


# --- findings ------------------------------------------------------------------------------------


class FindingQuerySet(models.QuerySet):
    def for_user(self, user):
        """Findings ``user`` may see, with their evidence and photos: one SQL condition.

        A finding belongs to its unit, not only to its audit (a Department-wide audit does not
        show school B's findings to school A). Visible to:
        - the audit team;
        - the audit programme's managers (directors and quality managers at the programme's
          unit or above);
        - the audit's auditees who belong to the finding's unit or to a unit below it;
        - members of the finding's unit or of a unit above it (``units_visible_to``);
        and only within an audit the user may see (the container is checked too).
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        audit = models.OuterRef("audit_id")
        auditee = models.Exists(
            Audit.auditees.through.objects.filter(audit=audit, user=user)
        ) & models.Exists(
            Membership.objects.active().filter(
                user=user, unit__path__startswith=models.OuterRef("unit__path")
            )
        )
        return self.filter(
            models.Q(audit__in=Audit.objects.for_user(user)),
            models.Exists(AuditTeamMember.objects.filter(audit=audit, user=user))
            | models.Q(audit__programme__unit__in=units_visible_to(user, roles=MANAGER_ROLES))
            | auditee
            | models.Q(unit__in=units_visible_to(user)),
        )

    def open(self):
        return self.filter(status=Finding.Status.OPEN)


class Finding(models.Model):
    """One audit finding. The id may come from the device that recorded it (offline sync)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("finding status", "Open")
        CLOSED = "closed", pgettext_lazy("finding status", "Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    checklist_item = models.ForeignKey(
        ChecklistItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
        verbose_name=_("checklist item"),
    )
    grade = models.ForeignKey(
        FindingGrade, on_delete=models.PROTECT, related_name="findings", verbose_name=_("grade")
    )
    clauses = models.ManyToManyField(
        Clause, related_name="audit_findings", verbose_name=_("clauses")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="audit_findings", verbose_name=_("unit")
    )
    statement = models.TextField(_("statement"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Raised by every change through the sync API: a device's update names the version it saw
    # (``If-Match``), so a change based on an older one is refused, never applied silently.
    version = models.PositiveIntegerField(default=1, editable=False)
    search_text = SearchTextField()

    workflow = Workflow(
        steps=(
            Step(
                "finding_close",
                (Status.OPEN,),
                Status.CLOSED,
                may="can_close",
                denied=_("Only the lead auditor or the quality manager closes findings."),
            ),
        )
    )

    objects = FindingQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(closed_at__isnull=False),
                name="audits_finding_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(statement=""), name="audits_finding_has_statement"
            ),
        ]
        indexes = [models.Index(fields=["audit", "status"])]

    def __str__(self):
        return f"{self.grade} · {self.statement[:60]}"

    def get_absolute_url(self):
        return reverse("audits:finding_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.search_text = fold_join(self.audit.code, self.statement)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def can_add_evidence(self, user):
        return self.status == self.Status.OPEN and self.audit.can_record(user)

    @property
    def photos_pending(self):
        """How many photos declared by a device (sync API) have not all arrived yet."""
        if not hasattr(self, "_photos_pending"):
            self._photos_pending = self.photo_uploads.filter(completed_at__isnull=True).count()
        return self._photos_pending

    def can_close(self, user):
        return (
            self.status == self.Status.OPEN
            and self.audit.status == Audit.Status.REPORT_ISSUED
            and (self.audit.is_lead(user) or self.audit.is_manager(user))
        )

    def age_days(self, today=None):
        return ((today or timezone.localdate()) - timezone.localdate(self.created_at)).days


def photo_path(instance, filename):
    return f"audits/photos/{instance.finding_id}/{uuid.uuid4().hex}.jpg"


def thumb_path(instance, filename):
    return f"audits/thumbs/{instance.finding_id}/{uuid.uuid4().hex}.jpg"


class FindingEvidence(models.Model):
    """A text note, a reference to a document revision, or a photo (re-encoded, EXIF stripped)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        DOCUMENT = "document", _("Document revision")
        PHOTO = "photo", _("Photo")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    revision = models.ForeignKey(
        "documents.Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_evidence",
        verbose_name=_("document revision"),
    )
    reference = models.CharField(
        _("document and revision"),
        max_length=200,
        blank=True,
        help_text=_("An external document (a law, a ministry circular): its number and date."),
    )
    photo = models.FileField(upload_to=photo_path, blank=True, editable=False)
    thumbnail = models.FileField(upload_to=thumb_path, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="note") & ~models.Q(text=""))
                | (
                    models.Q(kind="document")
                    & (models.Q(revision__isnull=False) | ~models.Q(reference=""))
                )
                | (models.Q(kind="photo") & ~models.Q(photo="") & ~models.Q(thumbnail="")),
                name="audits_evidence_complete_for_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(revision__isnull=True) | models.Q(kind="document"),
                name="audits_evidence_revision_only_for_documents",
            ),
        ]

    def __str__(self):
        if self.revision_id:
            return revision_label(self.revision)
        return self.text[:60] or self.reference or self.get_kind_display()

    def signature_item(self):
        """What the report signature binds to; the revision only when one is cited, so the
        signatures of reports issued before revisions could be cited still hold."""
        item = [self.kind, self.text, self.reference, self.sha256]
        if self.revision_id:
            item.append(f"revision:{self.revision_id}")
        return item


def revision_label(revision):
    """ "CODE rev N — title", how a cited revision is named on screen and in the report."""
    return _("%(code)s rev %(number)s — %(title)s") % {
        "code": revision.document.code,
        "number": revision.number,
        "title": revision.document.title,
    }


# --- photos arriving from a device (offline sync, ADR 0006) --------------------------------------

PHOTO_CHUNK_MAX_BYTES = 512 * 1024


class FindingPhotoUpload(models.Model):
    """A photo a device declared with a finding, arriving in chunks. Its id is the photo's UUID
    and becomes the id of the ``FindingEvidence`` once the photo is complete; the row stays, with
    ``completed_at``, as the record that the declared photo arrived."""

    id = models.UUIDField(primary_key=True, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="photo_uploads")
    # The whole file's size and base64 SHA-256, as the device declared them with its first chunk.
    size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    digest = models.CharField(max_length=44, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("photo upload")
        verbose_name_plural = _("photo uploads")
        constraints = [
            # Size and digest arrive together, with the first chunk.
            models.CheckConstraint(
                condition=(models.Q(size__isnull=True) & models.Q(digest=""))
                | (models.Q(size__gt=0) & ~models.Q(digest="")),
                name="audits_photoupload_size_with_digest",
            ),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True) | models.Q(size__isnull=False),
                name="audits_photoupload_complete_has_size",
            ),
        ]

    def __str__(self):
        return str(self.pk)


class FindingPhotoChunk(models.Model):
    """One chunk of an upload, keyed by where it starts: a chunk sent twice is stored once."""

    upload = models.ForeignKey(FindingPhotoUpload, on_delete=models.CASCADE, related_name="chunks")
    start = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["upload", "start"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "start"], name="audits_photochunk_unique"),
            models.CheckConstraint(
                condition=GreaterThan(Length("data"), 0)
                & LessThanOrEqual(Length("data"), PHOTO_CHUNK_MAX_BYTES),
                name="audits_photochunk_size",
            ),
        ]

    def __str__(self):
        return f"{self.upload_id} @ {self.start}"

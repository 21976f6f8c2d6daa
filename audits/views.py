from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audits import services
from audits.citations import PICKER_LIMIT, link_revisions, search_revisions
from audits.forms import (
    AuditFilterForm,
    AuditForm,
    ChecklistGenerateForm,
    ChecklistItemForm,
    EvidenceForm,
    ExternalReportForm,
    FindingFilterForm,
    FindingForm,
    ProgrammeForm,
    ReportForm,
    TeamMemberForm,
)
from audits.models import (
    Audit,
    AuditProgramme,
    AuditTeamMember,
    ChecklistItem,
    Finding,
    FindingEvidence,
    FindingGrade,
)
from audits.programme_stats import programme_stats
from audits.report_kinds import report_context
from ims.access import MANAGER_ROLES, get_object_for_user, member_roles, require
from ims.files import serve_file
from ims.forms import ReasonForm, SignForm
from ims.models import OrgUnit
from ims.steps import attempt, refusal_messages, returns_to_step, show_refusal
from ims.workflow import allowed_steps
from nonconformities.models import Nonconformity

PAGE_SIZE = 30

TEAM = Prefetch("team", queryset=AuditTeamMember.objects.select_related("user"))


def _audits():
    return Audit.objects.select_related("programme", "programme__unit")


def _refusal_text(error):
    return " ".join(refusal_messages(error))


def _can_manage_any(user):
    return bool(member_roles(user) & MANAGER_ROLES)


# --- lists ---------------------------------------------------------------------------------------


@login_required
def audit_list(request):
    form = AuditFilterForm(request.GET or None, user=request.user)
    audits = (
        _audits()
        .for_user(request.user)
        .prefetch_related(TEAM, "scope_units")
        .with_finding_counts(request.user)
        .order_by("-planned_start", "code")
    )
    if form.is_valid():
        audits = form.apply(audits, timezone.localdate())
    page = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audits/audit_list.html",
        {
            "page": page,
            "form": form,
            "today": timezone.localdate(),
            "can_create": _can_manage_any(request.user),
        },
    )


FINDINGS_PAGE_SIZE = 25


@login_required
def finding_list(request):
    """The findings register: the findings of the audits the user may see, filtered."""
    form = FindingFilterForm(request.GET or None, user=request.user)
    findings = (
        Finding.objects.for_user(request.user)
        .select_related("grade", "unit", "audit", "audit__programme")
        .order_by("-created_at", "pk")
    )
    if form.is_valid():
        findings = form.apply(findings, timezone.now())
    page = Paginator(findings, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return render(
        request,
        "audits/finding_list.html",
        {
            "page": page,
            "form": form,
            "programme": cleaned.get("programme"),
            "audit_unit": cleaned.get("audit_unit"),
            "today": timezone.localdate(),
        },
    )


UPCOMING_DAYS = 7  # "My audits today" lists the next week's audits apart


@login_required
def audit_today(request):
    """An auditor's day: today's audits (fieldwork today), then those starting in the next
    ``UPCOMING_DAYS`` days, then the others still open (in progress first, then reporting, then
    planned)."""
    user = request.user
    order = Case(
        When(status=Audit.Status.IN_PROGRESS, then=Value(0)),
        When(status=Audit.Status.REPORTING, then=Value(1)),
        When(status=Audit.Status.PLAN_APPROVED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    audits = (
        _audits()
        .filter(Q(team__user=user) | Q(auditees=user))
        .exclude(status__in=[Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED])
        .distinct()
        .prefetch_related(TEAM, "scope_units")
        .annotate(rank=order)
    )
    today = timezone.localdate()
    week_end = today + timedelta(days=UPCOMING_DAYS)
    # In each group, the audit nearest to today first: today's audit, then the next ones.
    audits = sorted(audits, key=lambda a: (a.rank, abs((a.planned_start - today).days), a.code))
    on_today = [a for a in audits if a.planned_start <= today <= a.planned_end]
    upcoming = sorted(
        (a for a in audits if today < a.planned_start <= week_end),
        key=lambda a: (a.planned_start, a.code),
    )
    others = [a for a in audits if a not in on_today and a not in upcoming]
    return render(
        request,
        "audits/today.html",
        {
            "audits": audits,
            "on_today": on_today,
            "upcoming": upcoming,
            "others": others,
            "today": today,
            "week_end": week_end,
        },
    )


@login_required
def programme_list(request):
    programmes = (
        AuditProgramme.objects.for_user(request.user)
        .select_related("unit", "owner")
        .annotate(
            audit_count=Count("audits", distinct=True),
            done_count=Count(
                "audits",
                filter=Q(audits__status__in=[Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED]),
                distinct=True,
            ),
        )
    )
    return render(
        request,
        "audits/programme_list.html",
        {"programmes": programmes, "can_create": _can_manage_any(request.user)},
    )


@login_required
def programme_create(request):
    require(_can_manage_any(request.user), _("Only directors and quality managers do this."))
    form = ProgrammeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        ok, programme = attempt(
            request,
            lambda: services.programme_create(actor=request.user, values=form.cleaned_data),
            success=_("Audit programme created."),
            forms=(form,),
        )
        if ok:
            return redirect(programme)
    return render(request, "audits/form.html", {"form": form, "title": _("New audit programme")})


@login_required
def programme_edit(request, pk):
    programme = get_object_for_user(AuditProgramme, request.user, pk=pk)
    require(programme.can_edit(request.user), _("Only a draft programme can be changed."))
    form = ProgrammeForm(request.POST or None, instance=programme, user=request.user)
    if request.method == "POST" and form.is_valid():
        ok, _programme = attempt(
            request,
            lambda: services.programme_update(
                programme, actor=request.user, values=form.cleaned_data
            ),
            success=_("Audit programme saved."),
            forms=(form,),
        )
        if ok:
            return redirect(programme)
    return render(request, "audits/form.html", {"form": form, "title": programme.title})


@login_required
def programme_detail(request, pk):
    programme = get_object_for_user(
        AuditProgramme.objects.select_related("unit", "owner"), request.user, pk=pk
    )
    audits = (
        Audit.objects.for_user(request.user)
        .filter(programme=programme)
        .prefetch_related(TEAM, "scope_units")
        .with_finding_counts(request.user)
        .order_by("planned_start", "code")
    )
    sign_form = SignForm()
    return render(
        request,
        "audits/programme_detail.html",
        {
            "programme": programme,
            "audits": audits,
            "stats": programme_stats(programme, user=request.user),
            "steps": allowed_steps(programme, request.user),
            "can_edit": programme.can_edit(request.user),
            "can_add_audit": programme.is_manager(request.user),
            "sign_form": sign_form,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def programme_approve(request, pk):
    programme = get_object_for_user(AuditProgramme, request.user, pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter your password to sign."))
        return redirect(programme)
    attempt(
        request,
        lambda: services.programme_approve(
            programme,
            actor=request.user,
            password=form.cleaned_data["password"],
            comment=form.cleaned_data["comment"],
            request=request,
        ),
        success=_("Audit programme approved and signed."),
    )
    return redirect(programme)


# --- audit ---------------------------------------------------------------------------------------


@login_required
def audit_create(request):
    require(_can_manage_any(request.user), _("Only directors and quality managers plan audits."))
    initial = {}
    if request.GET.get("programme", "").isdecimal():
        initial["programme"] = request.GET["programme"]
    form = AuditForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values, sets = form.plan_changes()
        audit = services.audit_create(actor=request.user, values=values, **sets)
        messages.success(request, _("Audit planned. Now assign the lead auditor and the team."))
        return redirect(audit)
    return render(request, "audits/form.html", {"form": form, "title": _("Plan an audit")})


@login_required
def audit_edit(request, pk):
    audit = get_object_for_user(_audits().prefetch_related(TEAM), request.user, pk=pk)
    require(audit.can_edit_plan(request.user), _("The plan can no longer be changed."))
    form = AuditForm(request.POST or None, instance=audit, user=request.user)
    if request.method == "POST" and form.is_valid():
        values, sets = form.plan_changes()
        ok, _audit = attempt(
            request,
            lambda: services.audit_update_plan(audit, actor=request.user, values=values, **sets),
            success=_("Audit plan saved."),
            forms=(form,),
        )
        if ok:
            return redirect(audit)
    return render(request, "audits/form.html", {"form": form, "title": audit.code, "back": audit})


# The checklist is worked on (and shown on the audit's page) during fieldwork and the report.
CHECKLIST_SHOWN = (Audit.Status.IN_PROGRESS, Audit.Status.REPORTING)


def _detail_context(request, audit):
    user = request.user
    checklist = audit.checklist.prefetch_related("clauses__criteria_set").annotate(
        finding_count=Count("findings")
    )
    show_checklist = audit.shows_all_findings(user)
    progress = None
    if show_checklist and audit.status in CHECKLIST_SHOWN:
        checklist = list(checklist)  # read once, for the items and their count
        progress = _progress(checklist)
    cited = FindingEvidence.objects.filter(revision__isnull=False).select_related(
        "revision__document"
    )
    findings = (
        audit.findings.for_user(user)
        .select_related("grade", "unit")
        .prefetch_related("clauses__criteria_set", Prefetch("evidence", cited, to_attr="cited"))
        .annotate(
            evidence_count=Count("evidence", distinct=True),
            photo_count=Count("evidence", filter=Q(evidence__kind="photo"), distinct=True),
        )
        .order_by("grade__order", "created_at")
    )
    link_revisions([e for f in findings for e in f.cited], user)
    return {
        "audit": audit,
        "checklist": checklist,
        "progress": progress,
        # The checklist is the audit's, not one unit's: its notes and counts are for those who
        # read the full report; others see the findings of their own units only.
        "show_checklist": show_checklist,
        "findings": findings,
        "team": audit.team_members(),
        "today": timezone.localdate(),
        "is_team": audit.is_team(user),
        "can_record": audit.can_record(user),
        "can_edit_plan": audit.can_edit_plan(user),
        "can_prepare_checklist": audit.can_prepare_checklist(user),
        "can_manage_team": audit.can_manage_team(user),
        # The workflow's buttons: the steps this person may take now.
        "steps": allowed_steps(audit, user),
        "can_attach_external_report": audit.can_attach_external_report(user),
        "external_report_form": ExternalReportForm(),
        "recording_unit": _recording_unit(request, audit),
        "external_report_url": _external_report_url(request, audit),
        "can_edit_report": audit.can_edit_report(user),
        "team_form": TeamMemberForm(user=user) if audit.can_manage_team(user) else None,
        "generate_form": ChecklistGenerateForm(user=user),
    }


@login_required
def audit_detail(request, pk):
    audit = get_object_for_user(
        _audits().prefetch_related(
            TEAM, "scope_units", "processes", "auditees", "clauses__criteria_set"
        ),
        request.user,
        pk=pk,
    )
    return render(request, "audits/audit_detail.html", _detail_context(request, audit))


STEPS = {
    "approve_plan": (services.audit_approve_plan, _("Audit plan approved.")),
    "revise_plan": (services.audit_revise_plan, _("The plan is open for changes again.")),
    "start": (services.audit_start, _("Audit started. The checklist is ready.")),
    "finish": (services.audit_finish_fieldwork, _("Fieldwork ended. Complete the report.")),
    "resume": (services.audit_resume_fieldwork, _("Fieldwork resumed.")),
    "close": (services.audit_close, _("Audit closed.")),
}


@login_required
@require_POST
def audit_step(request, pk, step):
    audit = get_object_for_user(Audit, request.user, pk=pk)
    if step not in STEPS:
        messages.error(request, _("Unknown step."))
        return redirect(audit)
    if (
        step == "finish"
        and not request.POST.get("confirm")
        and _unchecked(audit).exists()
        and "finish_fieldwork" in allowed_steps(audit, request.user)
    ):
        # Items left unchecked: the lead sees which before ending fieldwork.
        return redirect("audits:audit_finish", pk=audit.pk)
    service, success = STEPS[step]
    kwargs = {}
    if step in {"approve_plan", "revise_plan", "resume", "close"}:
        form = ReasonForm(request.POST, required=False)
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    attempt(request, lambda: service(audit, actor=request.user, **kwargs), success=success)
    return redirect(audit)


def _unchecked(audit):
    return audit.checklist.filter(result=ChecklistItem.Result.NOT_CHECKED)


@login_required
def audit_finish(request, pk):
    """Ending fieldwork with checklist items unchecked: how many and which (each a link to the
    item), then the step itself if the lead confirms."""
    audit = get_object_for_user(_audits().prefetch_related(TEAM), request.user, pk=pk)
    require(
        "finish_fieldwork" in allowed_steps(audit, request.user),
        _("Only the lead auditor ends the fieldwork."),
    )
    unchecked = list(_unchecked(audit).prefetch_related("clauses__criteria_set"))
    total = audit.checklist.count()
    return render(
        request,
        "audits/audit_finish.html",
        {
            "audit": audit,
            "unchecked": unchecked,
            "total": total,
            "checked": total - len(unchecked),
        },
    )


@login_required
@require_POST
@returns_to_step("team")
def team_add(request, pk):
    audit = get_object_for_user(Audit, request.user, pk=pk)
    form = TeamMemberForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = form.errors.get("user") or [_("Choose a person and a role.")]
        messages.error(request, " ".join(str(e) for e in errors))
        return redirect(audit)
    data = form.cleaned_data
    attempt(
        request,
        lambda: services.audit_assign_team(
            audit,
            actor=request.user,
            user=data["user"],
            role=data["role"],
            override_reason=data["override_reason"],
        ),
        success=_("Team updated."),
    )
    return redirect(audit)


def _member(request, pk, member_pk):
    audit = get_object_for_user(Audit, request.user, pk=pk)
    try:
        return audit.team.select_related("user").get(pk=member_pk)
    except AuditTeamMember.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
@returns_to_step("team")
def team_override_approve(request, pk, member_pk):
    member = _member(request, pk, member_pk)
    attempt(
        request,
        lambda: services.team_override_approve(member, actor=request.user),
        success=_("Override approved and recorded."),
    )
    return redirect(member.audit)


@login_required
@require_POST
@returns_to_step("team")
def team_remove(request, pk, member_pk):
    member = _member(request, pk, member_pk)
    attempt(
        request,
        lambda: services.team_remove(member, actor=request.user),
        success=_("Removed from the team."),
    )
    return redirect("audits:audit_detail", pk=pk)


@login_required
@require_POST
@returns_to_step("checklist")
def checklist_generate(request, pk):
    audit = get_object_for_user(Audit, request.user, pk=pk)
    form = ChecklistGenerateForm(request.POST, user=request.user)
    templates = form.cleaned_data["templates"] if form.is_valid() else []
    attempt(
        request,
        lambda: services.audit_generate_checklist(audit, actor=request.user, templates=templates),
        success=_("Checklist updated."),
    )
    return redirect(reverse("audits:audit_detail", args=[audit.pk]) + "#checklist")


@login_required
def checklist_item(request, pk, item_pk):
    audit = get_object_for_user(_audits().prefetch_related(TEAM), request.user, pk=pk)
    try:
        item = audit.checklist.prefetch_related("clauses__criteria_set").get(pk=item_pk)
    except ChecklistItem.DoesNotExist:
        raise Http404 from None
    form = ChecklistItemForm(request.POST or None, instance=ChecklistItem.objects.get(pk=item.pk))
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.checklist_item_record(
                    item,
                    actor=request.user,
                    result=form.cleaned_data["result"],
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data["evidence"],
                    base_version=form.cleaned_data["version"],
                )
            except services.StaleChecklistItem as stale:
                # The current value, never the stale one: the page shows what is stored now.
                if request.htmx:
                    return _checklist_item_fragment(
                        request, audit, item, error=_refusal_text(stale)
                    )
                messages.warning(request, _refusal_text(stale))
                form = ChecklistItemForm(instance=stale.item)
            except (ValidationError, PermissionDenied) as error:
                show_refusal(error, form)
            else:
                if item.result == ChecklistItem.Result.NONCONFORMING and not item.findings.exists():
                    target = reverse("audits:finding_create", args=[audit.pk]) + f"?item={item.pk}"
                    if request.htmx:
                        return HttpResponse(headers={"HX-Redirect": target})
                    messages.info(request, _("Not conforming: record the finding now."))
                    return redirect(target)
                if request.htmx:
                    return _checklist_item_fragment(request, audit, item)
                messages.success(request, _("Checklist item saved."))
                return redirect(
                    reverse("audits:audit_detail", args=[audit.pk]) + f"#item-{item.pk}"
                )
        if request.htmx and form.is_bound:
            if form.has_error("version") and not form.has_error("result"):
                return _checklist_item_fragment(
                    request, audit, item, error=_("This page is out of date: reload it.")
                )
            errors = [str(e) for e in form.non_field_errors()] or [
                _("Choose a result.") if form.has_error("result") else _refusal_text(form.errors)
            ]
            return _checklist_item_fragment(request, audit, item, error=" ".join(errors))
    else:
        require(
            audit.can_record(request.user),
            _("Only the audit team records results, during the audit."),
        )
    return render(
        request, "audits/checklist_item.html", {"audit": audit, "item": item, "form": form}
    )


def _progress(items):
    """How many of the checklist's items have a result: "N of M items checked"."""
    checked = sum(1 for i in items if i.result != ChecklistItem.Result.NOT_CHECKED)
    return {"checked": checked, "total": len(items)}


def _checklist_item_fragment(request, audit, item, error=None):
    """The item's card alone, for htmx: one tap updates it in place on a slow network, and the
    progress count with it (an out-of-band swap)."""
    item = (
        audit.checklist.prefetch_related("clauses__criteria_set")
        .annotate(finding_count=Count("findings"))
        .get(pk=item.pk)
    )
    progress = audit.checklist.aggregate(
        total=Count("pk"), checked=Count("pk", filter=~Q(result=ChecklistItem.Result.NOT_CHECKED))
    )
    response = render(
        request,
        "audits/partials/checklist_item.html",
        {
            "audit": audit,
            "item": item,
            "can_record": audit.can_record(request.user),
            "error": error,
            "progress": progress,
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- findings ------------------------------------------------------------------------------------


@login_required
def finding_create(request, pk):
    audit = get_object_for_user(
        _audits().prefetch_related(TEAM, "scope_units"), request.user, pk=pk
    )
    require(
        audit.can_record(request.user), _("Only the audit team records findings, during the audit.")
    )
    item = None
    item_pk = request.GET.get("item") or request.POST.get("item")
    if item_pk and str(item_pk).isdecimal():
        item = audit.checklist.prefetch_related("clauses").filter(pk=item_pk).first()
    initial = {}
    if item is not None:
        initial["clauses"] = [c.pk for c in item.clauses.all()]
        if item.note:
            initial["note"] = item.note
    if not request.GET.get("grade"):
        initial["grade"] = FindingGrade.objects.filter(code="minor_nc").first()
    unit = _recording_unit(request, audit)
    if unit is not None:
        initial["unit"] = unit
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        audit=audit,
        user=request.user,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, finding = attempt(
            request,
            lambda: services.finding_record(
                audit,
                actor=request.user,
                grade=data["grade"],
                clauses=data["clauses"],
                unit=data["unit"],
                statement=data["statement"],
                checklist_item=item,
                notes=[data["note"]],
                references=[data["reference"]],
                revisions=[data["revision"]],
                photos=data["photos"],
                finding_id=data["finding_id"],
            ),
            success=_("Finding recorded."),
            forms=(form,),
        )
        if ok:
            # The next finding defaults to the unit this one was recorded at.
            request.session[_recording_key(audit)] = finding.unit_id
            if item is not None:
                # Started from a checklist item: back to that item, to go on down the list.
                return redirect(_item_url(audit, item))
            return redirect(finding)
    return render(request, "audits/finding_form.html", {"audit": audit, "form": form, "item": item})


def _item_url(audit, item):
    return reverse("audits:audit_detail", args=[audit.pk]) + f"#item-{item.pk}"


def _recording_key(audit):
    return f"audits.recording_unit.{audit.pk}"


def _recording_unit(request, audit):
    """The auditee unit the auditor is recording at: the one named in the link (``?unit=``, from
    a checklist item or the audit page), else the one of their last finding in this audit, else
    the scope's only unit. Never silently the first of several units."""
    scope = list(audit.scope_units.all())
    for candidate in (request.GET.get("unit"), request.session.get(_recording_key(audit))):
        if candidate and str(candidate).isdigit():
            unit = OrgUnit.objects.filter(pk=candidate).first()
            if unit is not None and any(unit.is_within(s) for s in scope):
                return unit
    return scope[0] if len(scope) == 1 else None


def _finding(request, pk):
    return get_object_for_user(
        Finding.objects.select_related("audit", "audit__programme", "grade", "unit", "created_by"),
        request.user,
        pk=pk,
    )


@login_required
def finding_detail(request, pk):
    return _finding_page(request, _finding(request, pk), EvidenceForm(user=request.user))


def _finding_page(request, finding, evidence_form):
    evidence = link_revisions(
        list(finding.evidence.select_related("revision__document")), request.user
    )
    return render(
        request,
        "audits/finding_detail.html",
        {
            "finding": finding,
            "audit": finding.audit,
            "notes": [e for e in evidence if e.kind != FindingEvidence.Kind.PHOTO],
            "photos": [e for e in evidence if e.kind == FindingEvidence.Kind.PHOTO],
            "clauses": finding.clauses.select_related("criteria_set"),
            **_nonconformities_of(finding, request.user),
            "can_add_evidence": finding.can_add_evidence(request.user),
            "steps": allowed_steps(finding, request.user),
            "evidence_form": evidence_form,
        },
    )


def _nonconformities_of(finding, user):
    """The nonconformities raised from this finding (AUD-R4), through the NC module's lookup:
    the number and title of those ``user`` may see, and whether others exist."""
    raised = Nonconformity.objects.for_source(finding)
    visible = list(raised.for_user(user))
    return {
        "nonconformities": visible,
        "nonconformities_hidden": not visible and raised.exists(),
    }


@login_required
@require_POST
@returns_to_step("evidence")
def finding_evidence_add(request, pk):
    finding = _finding(request, pk)
    form = EvidenceForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        refusals = []
        ok, _evidence = attempt(
            request,
            lambda: services.finding_add_evidence(
                finding,
                actor=request.user,
                kind=data["kind"],
                text=data["text"],
                reference=data["reference"],
                revision=data["revision"],
                photos=data["photos"],
                evidence_id=data["evidence_id"],
            ),
            success=_("Evidence added."),
            forms=(form,),
            # Not this person's finding to add to (now): the page says so, without the form.
            refused=refusals.extend,
        )
        if refusals:
            messages.error(request, " ".join(refusals))
        if ok or refusals:
            return redirect(finding)
    # The form again with its errors (the picker's candidates, a kept photo), nothing saved.
    response = _finding_page(request, finding, form)
    response.status_code = 400
    return response


@login_required
@require_POST
def finding_close(request, pk):
    finding = _finding(request, pk)
    form = ReasonForm(request.POST, required=False)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    attempt(
        request,
        lambda: services.finding_close(finding, actor=request.user, reason=reason),
        success=_("Finding closed."),
    )
    return redirect(finding)


@login_required
def revision_picker(request):
    """Search-as-you-type for the revision picker: at most PICKER_LIMIT revisions the user may
    see and cite, as radio buttons named after the form field."""
    name = request.GET.get("name", "revision")
    if not name.isidentifier() or len(name) > 40:
        name = "revision"
    query = (request.GET.get("q") or request.GET.get(f"{name}_q") or "").strip()[:200]
    revisions = search_revisions(request.user, query, PICKER_LIMIT + 1) if query else []
    response = render(
        request,
        "audits/partials/revision_choices.html",
        {
            "name": name,
            "revisions": revisions[:PICKER_LIMIT],
            "truncated": len(revisions) > PICKER_LIMIT,
            "limit": PICKER_LIMIT,
            "query": query,
            "selected": "",
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


# A photo's bytes never change under its id (a replaced photo is a new evidence item), so the
# browser keeps it for a year without asking again. ``private``: no shared cache stores it;
# ``Vary: Cookie`` (the session): after signing out, or for the next person on a shared
# computer, the browser asks the server again, which checks access.
PHOTO_CACHE_CONTROL = f"private, max-age={365 * 24 * 3600}, immutable"


@login_required
def photo(request, pk, size="full"):
    """A finding photo, only for people who may see the finding; anyone else gets 404.

    Cached privately by the browser; ``If-None-Match`` with its ETag (the stored file's SHA-256)
    answers 304 without opening the file, after the same access check.
    """
    try:
        evidence = FindingEvidence.objects.get(
            pk=pk,
            kind=FindingEvidence.Kind.PHOTO,
            finding__in=Finding.objects.for_user(request.user),
        )
    except (FindingEvidence.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    thumb = size == "thumb"
    etag = quote_etag(f"{evidence.sha256 or evidence.pk}{'-thumb' if thumb else ''}")
    # Weak comparison (RFC 9110 13.1.2): a proxy that compresses may have made the tag weak.
    sent = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    if etag in sent or "*" in sent:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        field = evidence.thumbnail if thumb else evidence.photo
        response = serve_file(field, filename=f"{evidence.pk}.jpg", inline=True)
    response["ETag"] = etag
    response["Cache-Control"] = PHOTO_CACHE_CONTROL
    patch_vary_headers(response, ("Cookie",))
    return response


# --- external audits ----------------------------------------------------------------------------


@login_required
@require_POST
@returns_to_step("plan")
def external_report_attach(request, pk):
    audit = get_object_for_user(Audit, request.user, pk=pk)
    form = ExternalReportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the file of the certification body's report."))
        return redirect(audit)
    attempt(
        request,
        lambda: services.audit_attach_external_report(
            audit, actor=request.user, upload=form.cleaned_data["file"]
        ),
        success=_("The certification body's report is attached."),
    )
    return redirect(audit)


@login_required
def external_report(request, pk):
    """The certification body's report covers the whole scope: served to those who may read the
    whole report (team, programme managers, members at or above the whole scope), else 404."""
    audit = get_object_for_user(
        _audits().prefetch_related(TEAM, "scope_units"), request.user, pk=pk
    )
    if not audit.external_report or not audit.shows_all_findings(request.user):
        raise Http404
    return serve_file(audit.external_report, filename=audit.external_report_name or None)


# --- report --------------------------------------------------------------------------------------


def _report_context(request, audit):
    context = report_context(
        audit, request.user, lambda e: reverse("audits:photo_thumb", args=[e.pk])
    )
    context["external_report_url"] = _external_report_url(request, audit)
    return context


def _external_report_url(request, audit):
    if audit.external_report and audit.shows_all_findings(request.user):
        return reverse("audits:external_report", args=[audit.pk])
    return None


@login_required
def report_view(request, pk):
    """The print-styled report at /audits/<id>/report/."""
    audit = get_object_for_user(
        _audits().prefetch_related(
            TEAM, "scope_units", "processes", "auditees", "clauses__criteria_set"
        ),
        request.user,
        pk=pk,
    )
    return render(request, "audits/report.html", _report_context(request, audit))


def _audit_for_report(request, pk):
    return get_object_for_user(
        _audits().prefetch_related(
            TEAM, "scope_units", "processes", "auditees", "clauses__criteria_set"
        ),
        request.user,
        pk=pk,
    )


def _comment(sign_form):
    return {"comment": sign_form.data.get("comment", "")}


def _report_edit_page(request, audit, form, sign_form, status=200):
    context = _report_context(request, audit)
    context.update(
        {
            "form": form,
            "sign_form": sign_form,
            "steps": allowed_steps(audit, request.user),
        }
    )
    return render(request, "audits/report_edit.html", context, status=status)


@login_required
def report_edit(request, pk):
    audit = _audit_for_report(request, pk)
    require(audit.can_edit_report(request.user), _("Only the lead auditor writes the report."))
    form = ReportForm(request.POST or None, instance=audit)
    if request.method == "POST" and form.is_valid():
        report = {name: form.cleaned_data[name] for name in ReportForm.Meta.fields}
        ok, _audit = attempt(
            request,
            lambda: services.audit_update_report(audit, actor=request.user, report=report),
            success=_("Report saved."),
            forms=(form,),
        )
        if ok:
            return redirect("audits:report_edit", pk=audit.pk)
    return _report_edit_page(request, audit, form, SignForm())


@login_required
@require_POST
def report_issue(request, pk):
    """Sign and issue the report. The signing form carries the report parts as typed: they are
    saved with the signature, or, on a refusal, shown again as typed (nothing is lost)."""
    audit = _audit_for_report(request, pk)
    sign_form = SignForm(request.POST)
    typed = any(name in request.POST for name in ReportForm.Meta.fields)
    # Bound to the page's audit: on a refusal its preview and "still missing" list show the
    # parts as typed, which is what the refusal message is about.
    form = ReportForm(request.POST if typed else None, instance=audit)
    if not audit.can_edit_report(request.user):
        # Not this person's report: nothing typed to keep; the service refuses with the reason.
        form, typed = None, False
    report_valid = form.is_valid() if typed else True  # (puts the typed parts on ``audit``)
    if not sign_form.is_valid():
        messages.error(request, _("Enter your password to sign."))
    elif not report_valid:
        messages.error(request, _("Correct the report parts marked below, then sign again."))
    else:
        report = (
            {name: form.cleaned_data[name] for name in ReportForm.Meta.fields} if typed else None
        )
        ok, _result = attempt(
            request,
            lambda: services.audit_issue_report(
                audit,
                actor=request.user,
                password=sign_form.cleaned_data["password"],
                comment=sign_form.cleaned_data["comment"],
                report=report,
                request=request,
            ),
            success=_("Report issued and signed. Nonconformities were opened for the NC findings."),
        )
        if ok:
            return redirect(audit)
    if form is None:
        return redirect("audits:report_edit", pk=audit.pk)
    # Shown again with what was typed; the password is never sent back.
    return _report_edit_page(request, audit, form, SignForm(initial=_comment(sign_form)), 400)

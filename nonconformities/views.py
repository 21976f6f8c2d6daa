"""Register, detail and one POST view per step of the loop; every lookup goes through for_user."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from ims.access import get_object_for_user
from ims.exports import FORMATS, export_response
from ims.files import serve_file
from ims.history import changes as record_changes
from ims.models import TransitionEvent
from ims.signatures import signatures_for
from ims.steps import attempt
from ims.transitions import history_of
from ims.workflow import allowed_steps
from nonconformities import forms, services
from nonconformities.models import (
    Attachment,
    CauseEntry,
    CorrectiveAction,
    Nonconformity,
    Verification,
)
from nonconformities.selectors import closure_problems, open_actions_of, verifications_of

PAGE_SIZE = 50


def _register_queryset(user):
    return (
        Nonconformity.objects.for_user(user)
        .select_related("unit", "repeat_of")
        .with_overdue()
        .with_extensions()
        .order_by("-year", "-sequence")
    )


@login_required
def register(request):
    form = forms.FilterForm(request.GET or None, user=request.user)
    ncs = _register_queryset(request.user)
    if form.is_valid():
        ncs = form.apply(ncs)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _export(ncs, fmt)
    page = Paginator(ncs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Every unit, grouped by the unit itself: two schools may share a name. One row per unit
    # (a few hundred at province scale), in one query.
    per_unit = (
        ncs.order_by()
        .values("unit_id", "unit__code", "unit__name")
        .annotate(
            total=Count("pk", distinct=True),
            open=Count("pk", filter=~Q(status=Nonconformity.Status.CLOSED), distinct=True),
        )
        .order_by("-total", "unit__name", "unit_id")
    )
    totals = ncs.order_by().aggregate(
        total=Count("pk", distinct=True),
        open=Count("pk", filter=~Q(status=Nonconformity.Status.CLOSED), distinct=True),
    )
    overdue_total = (
        Nonconformity.objects.filter(pk__in=ncs.order_by().values("pk")).overdue().count()
    )
    today = timezone.localdate()
    for nc in page.object_list:
        nc.age = nc.age_days(today)
    my_actions = open_actions_of(request.user)[:20]
    to_verify = verifications_of(request.user)[:20]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    response = render(
        request,
        "nonconformities/register.html",
        {
            "form": form,
            "page": page,
            "per_unit": per_unit,
            "totals": totals,
            "overdue_total": overdue_total,
            "my_actions": my_actions,
            "to_verify": to_verify,
            "today": today,
            "query": query.urlencode(),
            "can_raise": forms.RaiseForm(user=request.user).fields["unit"].queryset.exists(),
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def _export(ncs, fmt):
    today = timezone.localdate()
    headers = [
        pgettext("nonconformity", "Number"),
        pgettext("nonconformity", "Title"),
        _("Unit"),
        _("Source"),
        _("Severity"),
        _("Kind"),
        _("Status"),
        _("Reported on"),
        _("Age (days)"),
        _("Overdue actions"),
        _("Repeat of"),
        _("Clauses"),
        _("Containment"),
        _("Root cause"),
        _("Corrective actions (owner, due date)"),
        _("Due-date extensions"),
        _("Effectiveness"),
        _("Verified on"),
        _("Closed on"),
    ]
    # Bounded: the rows stream in chunks of 500, each chunk with one query per prefetch.
    ncs = ncs.prefetch_related(
        "clauses__criteria_set",
        Prefetch(
            "actions",
            queryset=CorrectiveAction.objects.select_related("owner").order_by(
                "round", "due", "pk"
            ),
        ),
        Prefetch("verifications", queryset=Verification.objects.order_by("round", "created_at")),
    )

    def rows():
        for nc in ncs.iterator(chunk_size=500):
            yield [
                nc.number,
                nc.title,
                nc.unit.name,
                nc.get_source_display(),
                nc.get_severity_display(),
                nc.get_kind_display(),
                nc.get_status_display(),
                nc.reported_on,
                nc.age_days(today),
                nc.overdue_actions,
                nc.repeat_of.number if nc.repeat_of else "",
                ", ".join(c.reference for c in nc.clauses.all()),
                nc.containment,
                nc.root_cause,
                "\n".join(_action_line(a) for a in nc.actions.all()),
                nc.extensions,
                nc.get_verification_result_display(),
                _last_verified_on(nc),
                timezone.localdate(nc.closed_at) if nc.closed_at else None,
            ]

    return export_response(fmt, f"nonconformities-{today:%Y%m%d}", headers, rows())


def _action_line(action):
    """One action in an export cell: what, who, by when, its state and any extensions."""
    line = _("%(n)d. %(action)s — %(owner)s — due %(due)s (%(status)s)") % {
        "n": action.round,
        "action": " ".join(action.description.split()),
        "owner": action.owner.display_name,
        "due": action.due.strftime("%d/%m/%Y"),
        "status": action.get_status_display(),
    }
    if action.original_due:
        line += " · " + _("originally due %(date)s, extended ×%(n)d") % {
            "date": action.original_due.strftime("%d/%m/%Y"),
            "n": action.extensions,
        }
    return line


def _last_verified_on(nc):
    verifications = list(nc.verifications.all())
    return verifications[-1].verified_on if verifications else None


@login_required
def raise_view(request):
    form = forms.RaiseForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.fields["unit"].queryset.exists():
        raise Http404
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, nc = attempt(request, lambda: _raise(request.user, data), forms=(form,))
        if ok:
            messages.success(request, _("%(number)s was opened.") % {"number": nc.number})
            return redirect(nc)
    return render(request, "nonconformities/raise.html", {"form": form})


def _raise(actor, data):
    """Open the NC with its file, or neither. The form has checked everything but the file, so
    what is refused here is said at the file's field."""
    try:
        with transaction.atomic():
            nc = services.nonconformity_raise(
                actor=actor,
                unit=data["unit"],
                title=data["title"],
                description=data["description"],
                source=data["source"],
                severity=data["severity"],
                kind=data["kind"],
                clauses=data["clauses"],
                due=data["due"],
            )
            if data["attachment"]:
                services.attachment_add(nc, actor=actor, upload=data["attachment"])
    except ValidationError as error:
        raise ValidationError({"attachment": error.messages}) from None
    return nc


def _source_link(nc, user):
    """(label, url) of the record the NC was raised from, when it has a page the user may see.

    The source says who may see it through its QuerySet's ``for_user(user)`` or, failing that,
    its own ``can_view(user)``.
    """
    if not nc.source_object_id:
        return None
    obj = nc.source_object
    if obj is None or not hasattr(obj, "get_absolute_url"):
        return None
    queryset = type(obj)._default_manager.all()
    if hasattr(queryset, "for_user"):
        visible = queryset.for_user(user).filter(pk=obj.pk).exists()
    elif callable(getattr(obj, "can_view", None)):
        visible = obj.can_view(user)
    else:
        visible = False  # no way to tell: never link to what the user may not see
    return (str(obj), obj.get_absolute_url()) if visible else None


def _detail_queryset():
    return Nonconformity.objects.select_related(
        "unit", "reported_by", "contained_by", "planned_verifier", "closed_by", "repeat_of"
    )


def _step_forms(nc, user, bound=None):
    """The forms for the steps ``user`` may take now; ``bound`` replaces one with errors."""
    steps = allowed_steps(nc, user)
    result = {}
    if "assign_containment" in steps:
        result["assign"] = forms.AssignContainmentForm(
            prefix="containment",
            user=user,
            nc=nc,
            initial={"assignee": nc.containment_assignee_id, "due": nc.containment_due},
        )
    if "contain" in steps:
        result["contain"] = forms.ContainForm()
    if "analyse" in steps:
        result["analyse"] = forms.AnalyseForm()
    if "revise_analysis" in steps:
        result["revise"] = forms.ReviseAnalysisForm(prefix="revise", nc=nc)
    if "check_extent" in steps:
        result["extent"] = forms.ExtentForm(user=user, nc=nc)
    if "add" in steps:
        result["action"] = forms.ActionForm(user=user, nc=nc)
    if "plan_verification" in steps:
        result["plan"] = forms.PlanVerificationForm(
            user=user,
            nc=nc,
            initial={"verifier": nc.planned_verifier_id, "planned_on": nc.verification_due},
        )
    if "verify" in steps:
        result["verify"] = forms.VerifyForm(nc=nc)
    if "close" in steps:
        result["close"] = forms.CloseForm()
    if nc.can_attach(user):
        result["attach"] = forms.AttachmentForm()
    if bound:
        result.update(bound)
    return result


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _render_detail(request, nc, bound=None, status=200, done=None, error=None):
    """The NC page, or for htmx only its body (``partials/nc_body.html``), swapped in place.

    ``done`` names the step just taken (its confirmation shows in that step), ``error`` is a
    ``(step, message)`` refusal shown there. htmx swaps only 2xx answers, so its answer to a
    refused step is a 200 carrying the errors; without JavaScript it is a 400 page.
    """
    user = request.user
    bound = bound or {}
    actions = list(
        nc.actions.select_related("owner").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
        )
    )
    complete_forms = {}
    for action in actions:
        action.nonconformity = nc
        action.overdue = action.is_overdue()
        action.steps = steps = allowed_steps(action, user)
        if "complete" in steps:
            complete_forms[action.pk] = bound.get(f"complete-{action.pk}") or (
                forms.CompleteForm(prefix=f"a{action.pk}", user=user)
            )
        action.complete_form = complete_forms.get(action.pk)
        if "redate" in steps:
            action.redate_form = bound.get(f"redate-{action.pk}") or forms.RedateForm(
                prefix=f"d{action.pk}", initial={"due": action.due}
            )
            action.reassign_form = bound.get(f"reassign-{action.pk}") or forms.ReassignForm(
                prefix=f"r{action.pk}", user=user, nc=nc
            )
    causes = list(nc.causes.select_related("category"))
    context = {
        "nc": nc,
        "record_history": record_changes(nc.history.select_related("history_user")),
        "actions": actions,
        "rounds": sorted({a.round for a in actions}, reverse=True),
        "whys": [c for c in causes if c.method == CauseEntry.Method.WHY],
        "fishbone": [c for c in causes if c.method == CauseEntry.Method.FISHBONE],
        "verifications": nc.verifications.select_related("verifier"),
        "attachments": nc.attachments.filter(action__isnull=True).select_related("uploaded_by"),
        "related": nc.related.for_user(user).select_related("unit"),
        "repeats": nc.repeats.for_user(user),
        "events": _labelled(_events(nc, actions)),
        "signatures": signatures_for(nc),
        "source_link": _source_link(nc, user),
        "forms": _step_forms(nc, user, bound),
        "closure_problems": closure_problems(nc)
        if nc.status == Nonconformity.Status.VERIFIED
        else [],
        "age": nc.age_days(),
        "containment_overdue": nc.is_containment_overdue(),
        "done": STEPS[done][0] if done in STEPS else "",
        "done_text": STEPS[done][1] if done in STEPS else "",
        "error_step": STEPS[error[0]][0] if error else "",
        "error_text": error[1] if error else "",
    }
    if _is_htmx(request):
        response = render(request, "nonconformities/partials/nc_body.html", context)
    else:
        response = render(request, "nonconformities/detail.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _events(nc, actions):
    """The NC's steps and its actions' steps (added, completed, cancelled), in time order."""
    action_type = ContentType.objects.get_for_model(CorrectiveAction)
    action_events = TransitionEvent.objects.filter(
        content_type=action_type, object_id__in=[str(a.pk) for a in actions]
    ).select_related("actor")
    by_id = {str(a.pk): a for a in actions}
    merged = list(history_of(nc))
    for event in action_events:
        event.action_obj = by_id.get(event.object_id)
        merged.append(event)
    return sorted(merged, key=lambda e: (e.created_at, e.pk))


STEP_NAMES = Nonconformity.STEP_NAMES

# Each step: the anchor of its part of the page (where the page returns after it) and the
# confirmation shown there.
STEPS = {
    "assign": ("step-containment", gettext_lazy("Containment assigned.")),
    "contain": ("step-containment", gettext_lazy("Containment recorded.")),
    "analyse": ("step-root-cause", gettext_lazy("Root cause recorded.")),
    "revise": (
        "step-root-cause",
        gettext_lazy("Analysis revised; the old text stays in the history."),
    ),
    "extent": ("step-extent", gettext_lazy("Extent check recorded.")),
    "action": ("step-actions", gettext_lazy("Action added; its owner is notified.")),
    "complete": ("step-actions", gettext_lazy("Action marked as completed.")),
    "cancel": ("step-actions", gettext_lazy("Action cancelled.")),
    "redate": ("step-actions", gettext_lazy("Due date changed.")),
    "reassign": ("step-actions", gettext_lazy("Action handed over; the new owner is notified.")),
    "plan": ("step-verification", gettext_lazy("Effectiveness check planned.")),
    "verify": ("step-verification", gettext_lazy("Verification recorded.")),
    "close": ("step-closure", gettext_lazy("The nonconformity is closed.")),
    "attach": ("nc-attachments", gettext_lazy("File attached.")),
}


def _labelled(events):
    """Transition events with the step and states named in the user's language."""
    labels = {**dict(CorrectiveAction.Status.choices), **dict(Nonconformity.Status.choices)}
    events = list(events)
    for event in events:
        event.step_name = STEP_NAMES.get(event.action, event.action)
        event.from_label = labels.get(event.from_state, event.from_state)
        event.to_label = labels.get(event.to_state, event.to_state)
    return events


@login_required
def detail(request, pk):
    nc = get_object_for_user(_detail_queryset(), request.user, pk=pk)
    return _render_detail(request, nc, done=request.GET.get("done"))


def _run_step(request, nc, key, form, service, step=None):
    """Validate ``form``; call ``service(data)``; on a refusal show the message, change nothing.

    ``step`` (a key of ``STEPS``, default ``key``) says where the page returns: with htmx the
    NC's body is answered and swapped in place; without, a redirect to the step's anchor, where
    its confirmation shows. A refusal is shown in the step too.
    """
    step = step or key
    if form.is_valid():
        refused = []
        ok, _result = attempt(
            request, lambda: service(form.cleaned_data), forms=(form,), refused=refused.extend
        )
        if ok:
            return _step_taken(request, nc, step)
        if refused:
            return _step_refused(request, nc, step, refused)
    nc.refresh_from_db()
    return _render_detail(request, nc, bound={key: form}, status=400)


def _step_taken(request, nc, step):
    if _is_htmx(request):
        return _render_detail(request, _nc_for_step(request, nc.pk), done=step)
    return redirect(f"{nc.get_absolute_url()}?done={step}#{STEPS[step][0]}")


def _step_refused(request, nc, step, reasons):
    """A step refused outright is said in that step (its form may be gone: the NC moved on)."""
    nc.refresh_from_db()
    return _render_detail(request, nc, status=400, error=(step, " ".join(reasons)))


def _nc_for_step(request, pk):
    return get_object_for_user(_detail_queryset(), request.user, pk=pk)


@login_required
@require_POST
def assign_containment(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.AssignContainmentForm(request.POST, prefix="containment", user=request.user, nc=nc)
    return _run_step(
        request,
        nc,
        "assign",
        form,
        lambda d: services.nonconformity_assign_containment(
            nc, actor=request.user, assignee=d["assignee"], due=d["due"]
        ),
    )


@login_required
@require_POST
def revise_analysis(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.ReviseAnalysisForm(request.POST, prefix="revise", nc=nc)
    return _run_step(
        request,
        nc,
        "revise",
        form,
        lambda d: services.nonconformity_revise_analysis(
            nc,
            actor=request.user,
            reason=d["reason"],
            root_cause=d["root_cause"],
            extent_check=d.get("extent_check"),
        ),
    )


@login_required
@require_POST
def contain(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.ContainForm(request.POST)
    return _run_step(
        request,
        nc,
        "contain",
        form,
        lambda d: services.nonconformity_contain(
            nc, actor=request.user, containment=d["containment"], contained_on=d["contained_on"]
        ),
    )


@login_required
@require_POST
def analyse(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.AnalyseForm(request.POST)
    return _run_step(
        request,
        nc,
        "analyse",
        form,
        lambda d: services.nonconformity_analyse(
            nc,
            actor=request.user,
            root_cause=d["root_cause"],
            whys=form.whys(),
            fishbone=form.fishbone(),
        ),
    )


@login_required
@require_POST
def extent(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.ExtentForm(request.POST, user=request.user, nc=nc)
    return _run_step(
        request,
        nc,
        "extent",
        form,
        lambda d: services.nonconformity_check_extent(
            nc, actor=request.user, extent_check=d["extent_check"], related=d["related"]
        ),
    )


@login_required
@require_POST
def action_add(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.ActionForm(request.POST, user=request.user, nc=nc)
    return _run_step(
        request,
        nc,
        "action",
        form,
        lambda d: services.action_add(
            nc, actor=request.user, description=d["description"], owner=d["owner"], due=d["due"]
        ),
    )


def _action_for_user(request, pk, action_pk):
    nc = _nc_for_step(request, pk)
    try:
        action = nc.actions.select_related("owner").get(pk=action_pk)
    except CorrectiveAction.DoesNotExist:
        raise Http404 from None
    action.nonconformity = nc
    return nc, action


@login_required
@require_POST
def action_complete(request, pk, action_pk):
    nc, action = _action_for_user(request, pk, action_pk)
    form = forms.CompleteForm(
        request.POST, request.FILES, prefix=f"a{action.pk}", user=request.user
    )
    return _run_step(
        request,
        nc,
        f"complete-{action.pk}",
        form,
        lambda d: services.action_complete(
            action, actor=request.user, evidence=d["evidence"], upload=d["file"]
        ),
        step="complete",
    )


@login_required
@require_POST
def action_cancel(request, pk, action_pk):
    nc, action = _action_for_user(request, pk, action_pk)
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request,
            nc,
            status=400,
            error=("cancel", _("Give the reason for cancelling the action.")),
        )
    refused = []
    ok, _result = attempt(
        request,
        lambda: services.action_cancel(
            action, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        forms=(form,),
        refused=refused.extend,
    )
    if not ok:  # the form is one field in the action's row: what is refused is said in the step
        reasons = refused or [str(e) for errors in form.errors.values() for e in errors]
        return _step_refused(request, nc, "cancel", reasons)
    return _step_taken(request, nc, "cancel")


@login_required
@require_POST
def action_redate(request, pk, action_pk):
    nc, action = _action_for_user(request, pk, action_pk)
    form = forms.RedateForm(request.POST, prefix=f"d{action.pk}")
    return _run_step(
        request,
        nc,
        f"redate-{action.pk}",
        form,
        lambda d: services.action_redate(
            action, actor=request.user, due=d["due"], reason=d["reason"]
        ),
        step="redate",
    )


@login_required
@require_POST
def action_reassign(request, pk, action_pk):
    nc, action = _action_for_user(request, pk, action_pk)
    form = forms.ReassignForm(request.POST, prefix=f"r{action.pk}", user=request.user, nc=nc)
    return _run_step(
        request,
        nc,
        f"reassign-{action.pk}",
        form,
        lambda d: services.action_reassign(
            action, actor=request.user, owner=d["owner"], reason=d["reason"]
        ),
        step="reassign",
    )


@login_required
@require_POST
def plan_verification(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.PlanVerificationForm(request.POST, user=request.user, nc=nc)
    return _run_step(
        request,
        nc,
        "plan",
        form,
        lambda d: services.nonconformity_plan_verification(
            nc, actor=request.user, verifier=d["verifier"], planned_on=d["planned_on"]
        ),
    )


@login_required
@require_POST
def verify(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.VerifyForm(request.POST, nc=nc)
    return _run_step(
        request,
        nc,
        "verify",
        form,
        lambda d: services.nonconformity_verify(
            nc,
            actor=request.user,
            result=d["result"],
            notes=d["notes"],
            early_reason=d.get("early_reason", ""),
        ),
    )


@login_required
@require_POST
def close(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.CloseForm(request.POST)
    return _run_step(
        request,
        nc,
        "close",
        form,
        lambda d: services.nonconformity_close(
            nc,
            actor=request.user,
            password=d["password"],
            comment=d["comment"],
            request=request,
        ),
    )


@login_required
@require_POST
def attach(request, pk):
    nc = _nc_for_step(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    return _run_step(
        request,
        nc,
        "attach",
        form,
        lambda d: services.attachment_add(nc, actor=request.user, upload=d["file"]),
    )


@login_required
def attachment_download(request, pk, attachment_pk):
    nc = get_object_for_user(Nonconformity, request.user, pk=pk)
    try:
        attachment = nc.attachments.get(pk=attachment_pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return serve_file(attachment.file, filename=attachment.name)

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from ims import accounts, imports, reports, worklist
from ims.access import (
    MANAGER_ROLES,
    get_object_for_user,
    may_manage_account,
    member_roles,
    require,
)
from ims.files import serve_file
from ims.forms import (
    ApiTokenForm,
    ImportForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    ReasonForm,
    UnitFilterForm,
)
from ims.history import changes as record_changes
from ims.models import (
    ApiToken,
    Membership,
    Notification,
    OrgUnit,
    ReportJob,
    User,
    WorkerHeartbeat,
)
from ims.notifications import mark_read
from ims.pickers import MAX_CHOSEN, PICKER_LIMIT, PeopleScope
from ims.registry import csrf_failure_view
from ims.search import search
from ims.tokens import api_token_create, api_token_revoke
from ims.transitions import TransitionError

PAGE_SIZE = 50


class SignedInRequest(HttpRequest):
    """The request a ``login_required`` view receives: a signed-in user, htmx details."""

    user: User
    htmx: HtmxDetails


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        # Unticked: the session cookie ends with the browser (shared computers).
        keep = form.cleaned_data.get("remember")
        self.request.session.set_expiry(settings.SESSION_COOKIE_AGE if keep else 0)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """The old password counts towards the sign-in lockout (the form needs the request)."""

    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    """Rate-limited reset requests (the form needs the request for the client address)."""

    form_class = PasswordResetForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """Everyone, managers included, starts on their task list ("Việc của tôi"); the dashboard
    stays one click away in the menu for those who may open it."""
    return redirect("ims:tasks")


@login_required
def tasks(request: SignedInRequest) -> HttpResponse:
    """Everything waiting for the signed-in user, from every app's provider (``ims.worklist``):
    overdue first, then by due date; ``?kind=`` keeps one kind."""
    items = worklist.collect(request.user)
    per_kind = worklist.counts_by_kind(items)
    chosen = request.GET.get("kind", "")
    if chosen and chosen not in {key for key, _label, _n in per_kind}:
        chosen = ""
    shown = [item for item in items if item.kind == chosen] if chosen else items
    return render(
        request,
        "ims/tasks.html",
        {
            "items": shown,
            "total": len(items),
            "overdue_count": sum(1 for item in items if item.overdue),
            "per_kind": per_kind,
            "chosen": chosen,
        },
    )


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.headers.get("referer") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; an unknown code changes nothing and says so."""
    code = request.POST.get("language", "")
    supported = dict(settings.LANGUAGES)
    response = HttpResponseRedirect(_safe_next(request))
    if code not in supported:
        messages.error(request, _("That language is not available. The language was not changed."))
        return response
    translation.activate(code)
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@login_required
def notification_list(request: SignedInRequest) -> HttpResponse:
    """The inbox, in two parts: what needs the user ("action") and what is for information."""
    mine = Notification.objects.for_user(request.user)
    queryset = mine
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        queryset = queryset.unread()
    category = request.GET.get("category", "")
    if category not in Notification.Category.values:
        category = ""
    if category:
        queryset = queryset.filter(category=category)
    counts = mine.unread().aggregate(
        action=Count("pk", filter=Q(category=Notification.Category.ACTION)),
        info=Count("pk", filter=Q(category=Notification.Category.INFO)),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ims/notification_list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "category": category,
            "counts": counts,
            "categories": Notification.Category,
        },
    )


@login_required
@require_POST
def notification_read(request: SignedInRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdecimal()]
    count = mark_read(request.user, ids if ids else None)
    messages.success(request, _("%(n)s notification(s) marked as read.") % {"n": count})
    return redirect("ims:notification_list")


@login_required
def notification_open(request: SignedInRequest, pk: int) -> HttpResponse:
    notification = get_object_for_user(Notification, request.user, pk=pk)
    if notification.read_at is None:
        mark_read(request.user, [notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect("ims:notification_list")


@login_required
def unit_list(request: SignedInRequest) -> HttpResponse:
    form = UnitFilterForm(request.GET or None)
    units = (
        OrgUnit.objects.for_user(request.user)
        .select_related("kind")
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .prefetch_related("levels")
        .order_by("path")
    )
    if form.is_valid():
        units = search(units, form.cleaned_data["q"])
        if form.cleaned_data["kind"]:
            units = units.filter(kind=form.cleaned_data["kind"])
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    can_import = bool(member_roles(request.user) & MANAGER_ROLES)
    return render(
        request, "ims/unit_list.html", {"page": page, "form": form, "can_import": can_import}
    )


@login_required
def unit_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    unit = get_object_for_user(
        OrgUnit.objects.select_related("kind", "parent"), request.user, pk=pk
    )
    ancestors = OrgUnit.objects.for_user(request.user).ancestors_of(unit).exclude(pk=unit.pk)
    children = unit.children.select_related("kind").order_by("name")
    members = unit.memberships.active().select_related("user").order_by("role", "user__full_name")
    return render(
        request,
        "ims/unit_detail.html",
        {
            "unit": unit,
            "ancestors": ancestors,
            "children": children,
            "members": members,
            "history": record_changes(unit.history.select_related("history_user")),
        },
    )


@login_required
def user_list(request: SignedInRequest) -> HttpResponse:
    show_deactivated = request.GET.get("status") == "deactivated"
    people = (
        User.objects.for_user(request.user)
        .filter(is_active=not show_deactivated)
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.active().select_related("unit"))
        )
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(
            Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query)
        )
    page = Paginator(people.order_by("full_name", "username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ims/user_list.html",
        {"page": page, "q": query, "show_deactivated": show_deactivated},
    )


@login_required
@require_GET
def people_search(request: SignedInRequest) -> HttpResponse:
    """A people picker's search: the people the form's signed scope allows, at most
    ``PICKER_LIMIT`` matching the typed words, after those already ticked (kept ticked)."""
    name = request.GET.get("picker_name", "")
    # A field's name, with its form's prefix when it has one ("r12-owner").
    if not name.replace("-", "_").isidentifier() or len(name) > 40:
        return HttpResponseBadRequest(_("This search needs the form it belongs to."))
    context: dict[str, Any] = {
        "name": name,
        "input_type": "checkbox" if request.GET.get("picker_many") else "radio",
        "limit": PICKER_LIMIT,
    }
    try:
        scope = PeopleScope.from_token(request.GET.get("picker_scope", ""), request.user)
    except signing.SignatureExpired:
        return _choices_response({**context, "expired": True})
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return HttpResponseBadRequest(_("This search needs the form it belongs to."))
    query = (request.GET.get(f"{name}_q") or request.GET.get("q") or "").strip()[:100]
    ids = []
    for value in request.GET.getlist(name)[:MAX_CHOSEN]:
        if value.isdigit() and 0 < int(value) < 2**63:
            ids.append(int(value))
    chosen = (
        list(scope.with_units(scope.people().filter(pk__in=ids)).order_by("full_name", "pk"))
        if ids
        else []
    )
    matches = scope.search(query) if query else []
    context.update(
        {
            "query": query,
            "chosen": chosen,
            "matches": [p for p in matches[:PICKER_LIMIT] if p.pk not in set(ids)],
            "truncated": len(matches) > PICKER_LIMIT,
        }
    )
    return _choices_response(context)


def _choices_response(context: dict[str, Any]) -> HttpResponse:
    # A fragment: rendered without the page's context processors (menus, unread counts).
    response = HttpResponse(render_to_string("ims/partials/people_choices.html", context))
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def user_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    person = get_object_for_user(User, request.user, pk=pk)
    memberships = person.memberships.filter(
        unit__in=OrgUnit.objects.for_user(request.user)
    ).select_related("unit", "unit__kind")
    return render(
        request,
        "ims/user_detail.html",
        {
            "person": person,
            "memberships": memberships,
            "can_manage": may_manage_account(request.user, person),
            "reason_form": ReasonForm(max_length=accounts.REASON_MAX_LENGTH),
            "password_form": SetPasswordForm(person)
            if accounts.may_get_first_password(person)
            else None,
        },
    )


@login_required
@require_POST
def user_set_active(request: SignedInRequest, pk: int, active: bool) -> HttpResponse:
    person = get_object_for_user(User, request.user, pk=pk)
    require(may_manage_account(request.user, person), _("You may not change this account."))
    form = ReasonForm(request.POST, max_length=accounts.REASON_MAX_LENGTH)
    change = accounts.user_reactivate if active else accounts.user_deactivate
    try:
        if not form.is_valid():
            raise TransitionError([e for errors in form.errors.values() for e in errors])
        change(request.user, person, form.cleaned_data["reason"])
    except TransitionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The account is active again.") if active else _("The account is deactivated."),
        )
    return redirect("ims:user_detail", pk=person.pk)


@login_required
@require_POST
def user_first_password(request: SignedInRequest, pk: int) -> HttpResponse:
    """A manager gives a first password to someone imported without an e-mail."""
    person = get_object_for_user(User, request.user, pk=pk)
    require(may_manage_account(request.user, person), _("You may not change this account."))
    form = SetPasswordForm(person, request.POST)
    try:
        if not form.is_valid():
            raise TransitionError([e for errors in form.errors.values() for e in errors])
        accounts.user_set_first_password(request.user, person, form.cleaned_data["new_password1"])
    except TransitionError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Password set. Give it to %(name)s in person: they choose their own at sign-in.")
            % {"name": person.display_name},
        )
    return redirect("ims:user_detail", pk=person.pk)


@login_required
def profile(request: SignedInRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.instance.language)
        messages.success(request, _("Your settings are saved."))
        return redirect("ims:profile")
    return _profile_page(request, form=form)


def _profile_page(
    request: SignedInRequest,
    *,
    form: ProfileForm | None = None,
    token_form: ApiTokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    """*My settings*: the person's settings and their API tokens (their own only)."""
    return render(
        request,
        "ims/profile.html",
        {
            "form": form or ProfileForm(instance=request.user),
            "token_form": token_form or ApiTokenForm(),
            "tokens": ApiToken.objects.for_user(request.user).filter(revoked_at__isnull=True),
            "new_token": new_token,
        },
        status=status,
    )


@never_cache
@login_required
@require_POST
def api_token_create_view(request: SignedInRequest) -> HttpResponse:
    """A new token, shown once on the page this answers with (never stored, never redirected)."""
    token_form = ApiTokenForm(request.POST)
    if not token_form.is_valid():
        return _profile_page(request, token_form=token_form, status=400)
    try:
        _token, raw = api_token_create(actor=request.user, name=token_form.cleaned_data["name"])
    except ValidationError as error:
        for message in error.messages:
            token_form.add_error("name", message)
        return _profile_page(request, token_form=token_form, status=400)
    return _profile_page(request, new_token=raw)


@login_required
@require_POST
def api_token_revoke_view(request: SignedInRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)
    api_token_revoke(token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("ims:profile")


@login_required
def import_view(request: SignedInRequest) -> HttpResponse:
    require(
        bool(member_roles(request.user) & MANAGER_ROLES),
        _("Only directors and quality managers import."),
    )
    result = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        importer = imports.IMPORTERS[form.cleaned_data["kind"]]
        result = importer(
            upload.read(),
            user=request.user,
            dry_run=form.cleaned_data["dry_run"],
            filename=upload.name,
        )
        if result.applied:
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated.")
                % {"created": result.count("create"), "updated": result.count("update")},
            )
        elif not result.ok:
            messages.error(
                request, _("Nothing was imported. Correct the rows below and try again.")
            )
    return render(request, "ims/import.html", {"form": form, "result": result})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Database, broker and worker status as JSON: 200 when healthy, 503 when not.

    With a broker (``REDIS_URL``, tasks not run in the request), work waits for the Celery
    workers: scheduled publishing, reminders and report PDFs. So a worker heartbeat older than
    ``WORKER_HEARTBEAT_MISSED`` intervals is unhealthy too, and ``worker`` says since when.
    """
    status = {"database": "ok", "broker": "disabled", "worker": None}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 — any database failure means unhealthy
        status["database"] = "error"
        healthy = False
    uses_workers = bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER
    if settings.REDIS_URL:
        status["broker"] = _broker_status()
        healthy = healthy and status["broker"] == "ok"
    if status["database"] == "ok":
        beat = (
            WorkerHeartbeat.objects.order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        status["worker"] = beat.isoformat() if beat else None
        recent = timezone.now() - timedelta(
            seconds=settings.WORKER_HEARTBEAT_SECONDS * settings.WORKER_HEARTBEAT_MISSED
        )
        if uses_workers and (beat is None or beat < recent):
            healthy = False
            status["worker"] = (
                f"no heartbeat since {beat.isoformat()}" if beat else "no heartbeat yet"
            )
    status["status"] = "ok" if healthy else "error"
    status["time"] = timezone.now().isoformat()
    return JsonResponse(
        status, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False}
    )


def _broker_status() -> str:
    """Whether the broker at ``REDIS_URL`` (set when this is called) answers."""
    import redis

    try:
        client = redis.Redis.from_url(
            cast(str, settings.REDIS_URL), socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        return "error"
    return "ok"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    match = getattr(request, "resolver_match", None)
    app_view = csrf_failure_view(match.namespace if match is not None else None)
    if app_view is not None:
        return app_view(request)
    return render(
        request,
        "ims/error.html",
        {
            "title": _("The form expired"),
            "message": _(
                "Your session or the form expired. Go back, reload the page and try again."
            ),
        },
        status=403,
    )


# --- reports --------------------------------------------------------------------------------


@login_required
@require_POST
def report_request_view(request: SignedInRequest) -> HttpResponse:
    """Queue a PDF of an object the user may see; the job page polls until it is ready."""
    params = {k: v for k, v in request.POST.items() if k.startswith("f_")}
    job = reports.report_request(
        request.user, request.POST.get("kind", ""), request.POST.get("object_id", ""), params
    )
    if job.is_repeat:
        messages.info(request, _("This report is already being prepared: here it is."))
    return redirect("ims:report_job", pk=job.pk)


@login_required
def report_job(request: SignedInRequest, pk: int) -> HttpResponse:
    job = get_object_for_user(ReportJob, request.user, pk=pk)
    template = "ims/partials/report_job.html" if request.htmx else "ims/report_job.html"
    response = render(request, template, {"job": job, "kind": reports.report_kinds().get(job.kind)})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def report_retry_view(request: SignedInRequest, pk: int) -> HttpResponse:
    job = get_object_for_user(ReportJob, request.user, pk=pk)
    if not reports.report_retry(job):
        messages.error(request, _("Only a failed report can be retried."))
    return redirect("ims:report_job", pk=job.pk)


@login_required
def report_download(request: SignedInRequest, pk: int) -> FileResponse:
    job = get_object_for_user(ReportJob, request.user, pk=pk)
    if job.status != ReportJob.Status.DONE:
        raise Http404
    return serve_file(job.file, filename=job.filename or f"report-{job.pk}.pdf", inline=True)

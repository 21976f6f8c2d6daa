"""Pages for the people who run surveys: instruments, campaigns, distribution, results."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from ims.access import get_object_for_user, has_role, require, units_visible_to
from ims.exports import FORMATS, export_response
from ims.models import OrgUnit
from ims.steps import attempt
from ims.transitions import history_of, labelled
from ims.workflow import allowed_steps
from surveys import selectors, services
from surveys.charts import results_charts
from surveys.forms import (
    CampaignFilterForm,
    CampaignForm,
    CodesForm,
    FreeTextGrantForm,
    InstrumentForm,
    QuestionEditForm,
    QuestionForm,
    RaiseForm,
    SectionForm,
)
from surveys.models import (
    MANAGE_ROLES,
    RESULT_ROLES,
    Campaign,
    Choice,
    FreeTextGrant,
    Instrument,
    OneTimeCode,
    Question,
    SurveyLink,
    UnitTally,
)
from surveys.public_views import question_item, render_public
from surveys.questions import version_rules
from surveys.raw_export import raw_export
from surveys.results import (
    campaign_results,
    cell_key,
    comments,
    default_scope,
    releases,
    results_with_trend,
    scope_for,
)

PAGE_SIZE = 30


def _responses_subquery():
    return Coalesce(
        Subquery(
            UnitTally.objects.filter(campaign=OuterRef("pk"))
            .values("campaign")
            .annotate(n=Sum("count"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


# --- campaigns ------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    form = CampaignFilterForm(request.GET or None)
    campaigns = (
        Campaign.objects.for_user(request.user)
        .select_related("owner_unit", "version__instrument")
        .annotate(response_count=_responses_subquery())
    )
    if form.is_valid():
        campaigns = form.apply(campaigns)
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    can_create = units_visible_to(request.user, MANAGE_ROLES).exists()
    return render(
        request,
        "surveys/campaign_list.html",
        {
            "form": form,
            "page": page,
            "can_create": can_create,
            "can_read_results": units_visible_to(request.user, RESULT_ROLES).exists(),
        },
    )


@login_required
def campaign_create(request):
    require(units_visible_to(request.user, MANAGE_ROLES).exists())
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, campaign = attempt(
            request,
            lambda: services.campaign_create(
                actor=request.user,
                version=data["version"],
                title=data["title"],
                group=data["group"],
                owner_unit=data["owner_unit"],
                units=data["units"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                requires_code=data["requires_code"],
                target_responses=data["target_responses"],
            ),
            success=_("The campaign was created as a draft."),
            forms=(form,),
        )
        if ok:
            return redirect("surveys:campaign_detail", pk=campaign.pk)
    return render(request, "surveys/campaign_form.html", {"form": form})


def _campaign(request, pk):
    return get_object_for_user(
        Campaign.objects.select_related("owner_unit", "version__instrument"), request.user, pk=pk
    )


@login_required
def campaign_detail(request, pk):
    campaign = _campaign(request, pk)
    visible = units_visible_to(request.user)
    links = list(
        SurveyLink.objects.filter(campaign=campaign, unit__in=visible).select_related("unit")
    )
    release = releases([campaign])[campaign.pk]
    distributable = set(
        units_visible_to(request.user, MANAGE_ROLES)
        .filter(pk__in=[link.unit_id for link in links])
        .values_list("pk", flat=True)
    )
    # Codes issued only: how many were used would tell when a parent answered.
    code_counts = dict(
        OneTimeCode.objects.filter(campaign=campaign, unit__in=visible)
        .values("unit")
        .annotate(total=Count("pk"))
        .values_list("unit", "total")
    )
    rows = []
    for link in links:
        responses = _released_n(release, cell_key(link.unit.path, release))
        codes = code_counts.get(link.unit_id, 0)
        rows.append(
            {
                "link": link,
                "responses": responses,
                "codes": codes,
                "rate": None if responses is None else _rate(responses, codes),
                "can_distribute": link.unit_id in distributable,
                "url": request.build_absolute_uri(f"/s/{link.code}"),
            }
        )
    if campaign.status == Campaign.Status.PUBLISHED:
        # While it runs, the schools that lag behind come first.
        rows.sort(key=lambda row: (row["rate"] is None, row["rate"] or 0, row["link"].unit.path))
    # The total of the widest unit whose results the user reads, else of the rows shown.
    scope = default_scope(campaign, request.user)
    if scope is not None:
        total = _released_n(release, scope.path)
    else:
        total = sum(row["responses"] or 0 for row in rows)
    codes_form = CodesForm(units=OrgUnit.objects.filter(pk__in=distributable))
    steps = allowed_steps(campaign, request.user)
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "rows": rows,
            "total": total,
            # The rate against the expected total only for those who see every unit.
            "rate": (total * 100 / campaign.target_responses)
            if total is not None and campaign.target_responses and campaign.can_manage(request.user)
            else None,
            "targets": campaign.targets.select_related("unit"),
            "can_manage": campaign.can_manage(request.user),
            "steps": steps,
            "can_results": campaign.can_view_results(request.user),
            "codes_form": codes_form if distributable else None,
            # Before publishing a campaign that needs codes: the units that have none.
            "units_without_codes": selectors.units_without_codes(campaign)
            if "publish" in steps
            else [],
            # A step about one unit (its codes, an NC raised there) only for those who see it.
            "history": labelled(history_of(campaign, request.user), type(campaign)),
        },
    )


@login_required
@require_POST
def campaign_transition(request, pk, action):
    campaign = _campaign(request, pk)
    step = {"publish": services.campaign_publish, "close": services.campaign_close}.get(action)
    if step is None:
        raise Http404
    # Someone who may not manage the campaign is answered 403, whatever its state.
    require(campaign.can_manage(request.user))
    options = {}
    if action == "publish":
        options["without_codes_ok"] = request.POST.get("without_codes") == "on"
    attempt(
        request,
        lambda: step(campaign, actor=request.user, **options),
        success=_("The campaign is published: links and QR codes are ready.")
        if action == "publish"
        else _("The campaign is closed."),
    )
    return redirect("surveys:campaign_detail", pk=campaign.pk)


def _released_n(release, key):
    """A unit's responses as released (``surveys.results``), or None when they are hidden."""
    n = release.n(key)
    return None if n and release.is_hidden(key) else n


def _rate(responses, codes):
    """The response rate of a unit whose respondents got one-time codes (None without codes)."""
    return min(responses * 100 / codes, 100) if codes else None


@login_required
def campaign_preview(request, pk):
    """The form as a respondent sees it, every part on one page; nothing can be sent."""
    campaign = _campaign(request, pk)
    language = request.GET.get("lang") or request.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    sections = {}
    for rule in version_rules(campaign.version):
        sections.setdefault(rule.question.section, []).append(
            question_item(rule.question, [], None)
        )
    return render_public(
        request,
        "preview.html",
        {"campaign": campaign, "version": campaign.version, "sections": list(sections.items())},
        language,
    )


def _distributable_link(request, pk, link_pk):
    campaign = _campaign(request, pk)
    link = SurveyLink.objects.filter(campaign=campaign, pk=link_pk).select_related("unit").first()
    if link is None or not units_visible_to(request.user).filter(pk=link.unit_id).exists():
        raise Http404
    return campaign, link


@login_required
def link_qr(request, pk, link_pk, fmt):
    _campaign_, link = _distributable_link(request, pk, link_pk)
    qr = segno.make(request.build_absolute_uri(f"/s/{link.code}"), error="m")
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
        response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    else:
        qr.save(buffer, kind="png", scale=10, border=2)
        response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="qr-{link.unit.code}.{fmt}"'
    return response


def _qr_svg(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=1, xmldecl=False, svgns=True
    )
    return buffer.getvalue().decode()


@login_required
def link_sheet(request, pk, link_pk):
    """A printable A4 sheet of QR slips (the school's name, the link and the QR code)."""
    campaign, link = _distributable_link(request, pk, link_pk)
    url = request.build_absolute_uri(f"/s/{link.code}")
    return render(
        request,
        "surveys/qr_sheet.html",
        {
            "campaign": campaign,
            "slips": [{"unit": link.unit, "url": url, "code": link.code, "svg": _qr_svg(url)}] * 8,
        },
    )


@login_required
@require_POST
def codes_generate(request, pk):
    """Create one-time codes and show their printable sheet, this once: no page lists a unit's
    codes later (two printouts would tell which codes were used in between)."""
    campaign = _campaign(request, pk)
    units = units_visible_to(request.user, MANAGE_ROLES)
    form = CodesForm(request.POST, units=units)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("surveys:campaign_detail", pk=campaign.pk)
    unit = form.cleaned_data["unit"]
    ok, codes = attempt(
        request,
        lambda: services.codes_generate(
            campaign, actor=request.user, unit=unit, count=form.cleaned_data["count"]
        ),
    )
    if not ok:
        return redirect("surveys:campaign_detail", pk=campaign.pk)
    # The code travels in the fragment, which browsers never send to a server (or its logs).
    base = request.build_absolute_uri("/s/")
    slips = [
        {"unit": unit, "url": f"{base}#{code}", "code": code, "svg": _qr_svg(f"{base}#{code}")}
        for code in codes
    ]
    response = render(
        request, "surveys/qr_sheet.html", {"campaign": campaign, "slips": slips, "one_time": True}
    )
    response["Cache-Control"] = "no-store"
    return response


# --- results --------------------------------------------------------------------------------


def _results_scope(request, campaign, allowed=None):
    """The unit whose results are asked for: 403 for someone who may read no results of the
    campaign, 404 for a unit outside what they may read."""
    allowed = campaign.result_units(request.user) if allowed is None else allowed
    scope = scope_for(campaign, request.user, request.GET.get("unit"), allowed)
    if scope is None:
        if not allowed.exists():
            raise PermissionDenied
        raise Http404
    return scope


@login_required
def results(request, pk):
    campaign = _campaign(request, pk)
    allowed = campaign.result_units(request.user)
    scope = _results_scope(request, campaign, allowed)
    data, history = results_with_trend(campaign, scope, request.user)
    may_read_free_text = campaign.can_read_free_text(request.user)
    can_raise = has_role(request.user, scope, MANAGE_ROLES)
    raise_form = RaiseForm(initial={"unit": scope.pk})
    ancestors = list(
        OrgUnit.objects.ancestors_of(scope).filter(pk__in=allowed.values("pk")).order_by("depth")
    )
    return render(
        request,
        "surveys/results.html",
        {
            "campaign": campaign,
            "scope": scope,
            "ancestors": ancestors[:-1],
            "results": data,
            # Free text only with its own recorded permission (``FreeTextGrant``).
            # While the campaign runs, a comment that appears tells when its writer answered.
            "comments": comments(campaign, scope, 0 if data.hidden else data.n, data.k)
            if may_read_free_text and campaign.status == Campaign.Status.CLOSED
            else None,
            "free_text_allowed": may_read_free_text,
            "can_export_raw": campaign.can_export_raw(request.user),
            "trend": history,
            "charts": results_charts(data, history),
            "can_raise": can_raise and (data.is_low or data.low_areas),
            "raise_form": raise_form,
            "actions": campaign.actions.filter(unit=scope).select_related("area"),
            "formats": FORMATS,
            "report_filters": {"unit": scope.pk},
        },
    )


@login_required
def results_export(request, pk):
    campaign = _campaign(request, pk)
    scope = _results_scope(request, campaign)
    fmt = request.GET.get("fmt", "csv")
    what = request.GET.get("what", "aggregate")
    if fmt not in FORMATS or what not in ("aggregate", "raw"):
        raise Http404
    if what == "raw":
        return _raw_export(request, campaign, scope, fmt)
    data = campaign_results(campaign, scope)
    headers = [
        _("Section"), _("Code"), _("Question"), "n", _("Mean"), _("Index"), _("Top-2-box %"),
        "NPS", pgettext("answers", "Distribution"),
    ]  # fmt: skip
    rows = []
    for section, items in data.questions:
        for question, stats in items:
            if stats.hidden:
                rows.append(
                    [section.label, question.code, question.label, "", _("hidden (n < %(k)d)") % {"k": data.k} if stats.n < data.k else _("hidden"), "", "", "", ""]
                )  # fmt: skip
                continue
            distribution = "; ".join(
                f"{label}: {count}" for _v, label, count, _p in stats.distribution
            )
            rows.append(
                [section.label, question.code, question.label, stats.n,
                 _round(stats.mean, 2), _round(stats.index, 1), _round(stats.top2, 1),
                 _round(stats.nps, 1), distribution]
            )  # fmt: skip
    for row in data.areas:
        rows.append(
            [_("Area"), row.area.code, row.label, "" if row.hidden else row.n, "", "" if row.hidden else _round(row.index, 1), "", "", _("hidden") if row.hidden else ""]
        )  # fmt: skip
    for row in data.units:
        rows.append(
            [_("Unit"), row.unit.code, row.label, _n_cell(row, data.k), "", "" if row.index_hidden else _round(row.index, 1), "", "", _("hidden") if row.index_hidden else ""]
        )  # fmt: skip
    return export_response(fmt, f"ket-qua-khao-sat-{campaign.pk}", headers, rows)


def _n_cell(row, k):
    """A row's n as exported: "<k" when small, nothing when hidden to protect another row."""
    if row.n < k:
        return f"<{k}"
    return "" if row.hidden else row.n


def _round(value, digits):
    return None if value is None else round(value, digits)


def _raw_export(request, campaign, scope, fmt):
    """Raw responses, streamed as CSV, for the roles the README names, once the campaign is
    closed (while it runs, two downloads would show the rows of whoever answered in between)."""
    require(campaign.can_export_raw(request.user))
    if fmt != "csv":  # an XLSX file is built whole: raw rows stream as CSV only
        raise Http404
    if campaign.status != Campaign.Status.CLOSED:
        messages.error(request, _("Raw responses can be downloaded once the campaign is closed."))
        return redirect(reverse("surveys:results", args=[campaign.pk]) + f"?unit={scope.pk}")
    export = raw_export(campaign, scope, free_text=campaign.can_read_free_text(request.user))
    return export_response(
        "csv", f"phieu-tra-loi-{campaign.pk}", export.headers, export.rows, export.preamble
    )


@login_required
def free_text(request, pk):
    """Who may read the campaign's free-text answers: grant (with a reason) and withdraw."""
    campaign = _campaign(request, pk)
    require(campaign.can_manage(request.user))
    form = FreeTextGrantForm(request.POST or None, campaign=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        ok, _grant = attempt(
            request,
            lambda: services.free_text_grant(
                campaign, actor=request.user, person=person, reason=form.cleaned_data["reason"]
            ),
            success=_("%(person)s may now read the free-text answers of this campaign.")
            % {"person": person.display_name},
            forms=(form,),
        )
        if ok:
            return redirect("surveys:free_text", pk=campaign.pk)
    grants = FreeTextGrant.objects.filter(campaign=campaign).select_related(
        "person", "granted_by", "revoked_by"
    )
    return render(
        request,
        "surveys/free_text.html",
        {"campaign": campaign, "form": form, "grants": grants},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def free_text_revoke(request, pk, grant_pk):
    campaign = _campaign(request, pk)
    grant = FreeTextGrant.objects.filter(campaign=campaign, pk=grant_pk).first()
    if grant is None:
        raise Http404
    require(campaign.can_manage(request.user))
    attempt(
        request,
        lambda: services.free_text_revoke(grant, actor=request.user),
        success=_("The permission was withdrawn."),
    )
    return redirect("surveys:free_text", pk=campaign.pk)


@login_required
@require_POST
def result_raise(request, pk):
    campaign = _campaign(request, pk)
    form = RaiseForm(request.POST)
    if not form.is_valid():
        raise Http404
    scope = scope_for(campaign, request.user, form.cleaned_data["unit"])
    if scope is None:
        raise Http404
    require(has_role(request.user, scope, MANAGE_ROLES))
    ok, nc = attempt(
        request,
        lambda: services.result_raise(
            campaign,
            actor=request.user,
            unit=scope,
            area=form.cleaned_data["area"],
            kind=form.cleaned_data["kind"],
        ),
    )
    if not ok:
        return redirect(reverse("surveys:results", args=[campaign.pk]) + f"?unit={scope.pk}")
    messages.success(request, _("Raised: %(nc)s.") % {"nc": nc})
    return redirect(nc.get_absolute_url())


# --- instruments ----------------------------------------------------------------------------


@login_required
def instrument_list(request):
    instruments = (
        Instrument.objects.for_user(request.user)
        .select_related("owner_unit")
        .prefetch_related("versions")
    )
    page = Paginator(instruments, PAGE_SIZE).get_page(request.GET.get("page"))
    form = None
    if units_visible_to(request.user, MANAGE_ROLES).exists():
        form = InstrumentForm(user=request.user)
    return render(request, "surveys/instrument_list.html", {"page": page, "form": form})


@login_required
@require_POST
def instrument_create(request):
    form = InstrumentForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a template and a unit you manage."))
        return redirect("surveys:instrument_list")
    ok, instrument = attempt(
        request,
        lambda: services.instrument_create_from_template(
            actor=request.user,
            owner_unit=form.cleaned_data["owner_unit"],
            template=form.cleaned_data["template"],
        ),
        success=_("The instrument was created from the template."),
    )
    if not ok:
        return redirect("surveys:instrument_list")
    return redirect("surveys:instrument_detail", pk=instrument.pk)


def _instrument(request, pk):
    return get_object_for_user(Instrument.objects.select_related("owner_unit"), request.user, pk=pk)


@login_required
def instrument_detail(request, pk):
    instrument = _instrument(request, pk)
    versions = list(instrument.versions.order_by("number"))
    try:
        number = int(request.GET.get("v") or versions[-1].number)
        version = next(v for v in versions if v.number == number)
    except (ValueError, StopIteration):
        raise Http404 from None
    sections = version.sections.prefetch_related(
        Prefetch(
            "questions",
            queryset=Question.objects.select_related("area", "show_if").prefetch_related(
                Prefetch("choices", queryset=Choice.objects.order_by("value"))
            ),
        )
    )
    can_edit = version.can_edit(request.user)
    return render(
        request,
        "surveys/instrument_detail.html",
        {
            "instrument": instrument,
            "versions": versions,
            "version": version,
            "sections": sections,
            "can_edit": can_edit,
            "can_manage": instrument.can_manage(request.user),
            "section_form": SectionForm() if can_edit else None,
            "question_form": QuestionForm(version=version) if can_edit else None,
        },
    )


def _version_url(version):
    return (
        reverse("surveys:instrument_detail", args=[version.instrument_id]) + f"?v={version.number}"
    )


@login_required
@require_POST
def version_new(request, pk):
    instrument = _instrument(request, pk)
    require(instrument.can_manage(request.user))
    ok, version = attempt(request, lambda: services.version_new(instrument, actor=request.user))
    if not ok:
        return redirect("surveys:instrument_detail", pk=instrument.pk)
    messages.success(
        request, _("Version %(n)d was created; you can edit it.") % {"n": version.number}
    )
    return redirect(_version_url(version))


def _editable_version(request, pk, number):
    instrument = _instrument(request, pk)
    version = instrument.versions.filter(number=number).first()
    if version is None:
        raise Http404
    require(instrument.can_manage(request.user))
    return version


@login_required
@require_POST
def section_add(request, pk, number):
    version = _editable_version(request, pk, number)
    form = SectionForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: services.section_add(version, actor=request.user, **form.cleaned_data),
            success=_("The section was added."),
        )
    else:
        messages.error(request, _("Give the section a title."))
    return redirect(_version_url(version))


@login_required
@require_POST
def question_add(request, pk, number):
    version = _editable_version(request, pk, number)
    form = QuestionForm(request.POST, version=version)
    if form.is_valid():
        data = dict(form.cleaned_data)
        section, choices = data.pop("section"), data.pop("parsed_choices")
        data.pop("choices")
        ok, _question = attempt(
            request,
            lambda: services.question_add(section, actor=request.user, choices=choices, **data),
            success=_("The question was added."),
            forms=(form,),
        )
        if ok:
            return redirect(_version_url(version))
    instrument = version.instrument
    return render(
        request,
        "surveys/instrument_detail.html",
        {
            "instrument": instrument,
            "versions": list(instrument.versions.order_by("number")),
            "version": version,
            "sections": version.sections.prefetch_related("questions__choices"),
            "can_edit": version.can_edit(request.user),
            "can_manage": True,
            "section_form": SectionForm(),
            "question_form": form,
        },
        status=400,
    )


@login_required
def question_edit(request, pk, number, question_pk):
    version = _editable_version(request, pk, number)
    question = Question.objects.filter(version=version, pk=question_pk).first()
    if question is None:
        raise Http404
    initial = {name: getattr(question, name) for name in services.EDITABLE_QUESTION_FIELDS}
    form = QuestionEditForm(request.POST or None, initial=initial)
    status = 200
    if version.is_frozen:
        form.add_error(
            None,
            _(
                "This version has responses: its questions are frozen. Make a new version to change them."
            ),
        )
        status = 400 if request.method == "POST" else 200
    elif request.method == "POST":
        if form.is_valid():
            ok, _question = attempt(
                request,
                lambda: services.question_update(question, actor=request.user, **form.cleaned_data),
                success=_("The question was saved."),
                forms=(form,),
            )
            if ok:
                return redirect(_version_url(version))
        status = 400
    return render(
        request,
        "surveys/question_form.html",
        {"form": form, "question": question, "version": version, "frozen": version.is_frozen},
        status=status,
    )


@login_required
@require_POST
def question_delete(request, pk, number, question_pk):
    version = _editable_version(request, pk, number)
    question = Question.objects.filter(version=version, pk=question_pk).first()
    if question is None:
        raise Http404
    attempt(
        request,
        lambda: services.question_delete(question, actor=request.user),
        success=_("The question was deleted."),
    )
    return redirect(_version_url(version))


@login_required
def overview(request):
    """Satisfaction index per respondent group and per campaign over a unit the user may read."""
    from datetime import timedelta

    from django.utils import timezone

    from surveys.results import group_summary, min_group_size

    readable = units_visible_to(request.user, RESULT_ROLES).order_by("path")
    require(readable.exists())
    unit_id = request.GET.get("unit")
    try:
        scope = readable.get(pk=int(unit_id)) if unit_id else readable.first()
    except (OrgUnit.DoesNotExist, ValueError):
        raise Http404 from None
    try:
        days = min(max(int(request.GET.get("days", 365)), 1), 3650)
    except ValueError:
        days = 365
    since = timezone.localdate() - timedelta(days=days)
    campaigns = list(
        Campaign.objects.for_user(request.user)
        .exclude(status=Campaign.Status.DRAFT)
        .filter(closes_on__gte=since)
        .select_related("version__instrument")
        .order_by("-opens_on")
    )
    rows = []
    k = min_group_size()
    for campaign in campaigns:
        (row,) = group_summary([campaign], scope) or [None]
        if row is not None:
            row.label, row.campaign = campaign.display_title, campaign
            rows.append(row)
    return render(
        request,
        "surveys/overview.html",
        {
            "scope": scope,
            "units": readable.filter(depth__lte=scope.depth + 1)[:200],
            "groups": group_summary(campaigns, scope),
            "rows": rows,
            "days": days,
            "k": k,
        },
    )

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from ims.access import get_object_for_user, member_roles
from ims.exports import FORMATS, export_response
from ims.files import serve_file
from ims.forms import ReasonForm, SignForm
from ims.history import changes as record_changes
from ims.models import OrgUnit
from ims.models.org import PATH_SEGMENT_WIDTH
from ims.signatures import signatures_for
from ims.steps import attempt, refusal_messages, returns_to_step
from ims.transitions import history_of, labelled
from ims.workflow import allowed_steps

from . import compare, services, stamping
from .forms import (
    CoverageForm,
    DistributionForm,
    DocumentForm,
    PublishForm,
    RegisterFilterForm,
    ReviewNoteForm,
    RevisionForm,
)
from .models import (
    AUTHOR_ROLES,
    WORKING_STATES,
    Acknowledgement,
    Distribution,
    Document,
    Revision,
    RevisionStatus,
)
from .register import EXPORT_HEADERS, export_rows, register_queryset
from .selectors import revisions_to_acknowledge

PAGE_SIZE = 50


@login_required
def register(request):
    form = RegisterFilterForm(request.GET or None, user=request.user)
    cleaned = form.cleaned_data if form.is_valid() else {}
    if request.GET and not form.is_valid():
        messages.error(request, _("Some filters were not valid and were ignored."))
    documents = register_queryset(request.user, cleaned)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(
            fmt,
            f"so-dang-ky-tai-lieu-{timezone.localdate():%Y%m%d}",
            EXPORT_HEADERS,
            export_rows(documents),
        )
    # The page shows no owner (the exports do): no join to the 20,000 users.
    documents = documents.select_related(None).select_related("owner_unit", "effective_revision")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    roles = member_roles(request.user)
    report_filters = {
        key: request.GET[key] for key in RegisterFilterForm.FIELDS if request.GET.get(key)
    }
    return render(
        request,
        "documents/register.html",
        {
            "form": form,
            "page": page,
            "can_create": bool(roles & AUTHOR_ROLES),
            "report_filters": report_filters,
            "export_query": request.GET.urlencode(),
        },
    )


@login_required
def document_create(request):
    if not member_roles(request.user) & AUTHOR_ROLES:
        raise PermissionDenied(_("You may not create documents."))
    form = DocumentForm(request.POST or None, user=request.user)
    revision_form = RevisionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid() & revision_form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("clauses", "restricted_to")}
        ok, document = attempt(
            request,
            lambda: services.document_create(
                actor=request.user,
                data=data,
                clauses=form.cleaned_data["clauses"],
                restricted_to=form.cleaned_data["restricted_to"],
                upload=revision_form.cleaned_data["file"],
                revision_data={
                    "change_summary": revision_form.cleaned_data["change_summary"],
                    "reviewers": revision_form.cleaned_data["reviewers"],
                    "approver": revision_form.cleaned_data["approver"],
                },
            ),
            success=_("Draft saved. Submit it for review when it is ready."),
            forms=(form, revision_form),
        )
        if ok:
            return redirect("documents:document_detail", pk=document.pk)
    return render(
        request,
        "documents/document_form.html",
        {"form": form, "revision_form": revision_form, "document": None},
    )


@login_required
def document_edit(request, pk):
    document = get_object_for_user(Document, request.user, pk=pk)
    if not document.can_edit(request.user):
        raise PermissionDenied(_("Only the owner or a quality manager may edit this document."))
    form = DocumentForm(request.POST or None, instance=document, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("clauses", "restricted_to")}
        ok, _saved = attempt(
            request,
            lambda: services.document_update(
                document,
                actor=request.user,
                data=data,
                clauses=form.cleaned_data["clauses"],
                restricted_to=form.cleaned_data["restricted_to"],
            ),
            success=_("Document saved."),
            forms=(form,),
        )
        if ok:
            return redirect("documents:document_detail", pk=document.pk)
    # Re-read so a refused form does not show half-applied values.
    document.refresh_from_db()
    return render(
        request,
        "documents/document_form.html",
        {"form": form, "revision_form": None, "document": document},
    )


def _visible_revisions(user, document):
    return (
        Revision.objects.for_user(user)
        .filter(document=document)
        .select_related("author", "approver")
        .prefetch_related("reviewers")
        .order_by("-number")
    )


@login_required
def document_detail(request, pk):
    document = get_object_for_user(
        Document.objects.select_related("owner_unit", "owner", "replaced_by"), request.user, pk=pk
    )
    user = request.user
    revisions = list(_visible_revisions(user, document))
    working = [r for r in revisions if r.status in WORKING_STATES]
    effective = next((r for r in revisions if r.status == RevisionStatus.EFFECTIVE), None)
    current = working[0] if working else effective or (revisions[0] if revisions else None)
    for revision in revisions:
        revision.signatures = signatures_for(revision)
        revision.events = labelled(history_of(revision), Revision)
    coverage = None
    distributions = []
    if current is not None:
        distributions = list(
            current.distributions.select_related("unit", "user").order_by("unit__path")
        )
    if effective is not None:
        coverage = services.coverage(effective, viewer=user)
    context = {
        "document": document,
        "revisions": revisions,
        "current": current,
        "effective": effective,
        "distributions": distributions,
        "coverage": coverage,
        "clauses": document.clauses.select_related("criteria_set"),
        "document_events": labelled(history_of(document), Document),
        "history": record_changes(document.history.select_related("history_user")),
        "sign_form": SignForm(),
        "publish_form": PublishForm(),
        "reason_form": ReasonForm(),
        "review_form": ReviewNoteForm(),
        "distribution_form": DistributionForm(user=user) if current else None,
        "revision_form": (
            RevisionForm(user=user, document=document) if document.can_add_revision(user) else None
        ),
        "can": _abilities(user, document, current, effective),
        "steps": allowed_steps(current, user) if current is not None else set(),
        "document_steps": allowed_steps(document, user),
        "review_state": document.review_state(),
    }
    return render(request, "documents/document_detail.html", context)


def _abilities(user, document, current, effective):
    """What ``user`` may do here besides the workflow steps (``allowed_steps``)."""
    can = {
        "edit_document": document.can_edit(user),
        "add_revision": document.can_add_revision(user),
    }
    if current is not None:
        can["edit"] = current.can_edit(user)
    if effective is not None:
        can["acknowledge"] = effective.can_acknowledge(user)
        can["acknowledge_opened"] = can["acknowledge"] and effective.opened_by(user)
    return can


def _copy_name(revision):
    return f"{revision.document.code}-rev{revision.number}-{revision.file_name}"


def _stamped_response(revision, *, inline):
    """The stamped copy of a PDF revision (``documents.stamping``), or the stored file as it is
    for other types (and for a PDF that cannot be stamped)."""
    data = stamping.stamped_pdf(revision)
    if data is None:
        response = serve_file(revision.file, filename=_copy_name(revision), inline=False)
        response["X-Stamped"] = "no"
        return response
    response = FileResponse(
        io.BytesIO(data),
        as_attachment=not inline,
        filename=_copy_name(revision),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Stamped"] = "yes"
    # A PDF the upload check verified, shown by the browser's viewer in our own page: no
    # ``sandbox`` (browsers refuse to run their PDF viewer in a sandboxed document), nothing
    # loaded from anywhere, and framed only by this site.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
def revision_download(request, pk):
    """A copy to keep: PDFs stamped (code, revision, effective date or DRAFT; uncontrolled when
    printed), other types as stored. Downloading counts as opening the revision."""
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    services.revision_opened(revision, actor=request.user, via="download")
    return _stamped_response(revision, inline=False)


@login_required
@xframe_options_sameorigin
def revision_file(request, pk):
    """The stamped PDF shown inline (the viewer page frames it; it also opens in a tab)."""
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    services.revision_opened(revision, actor=request.user, via="view")
    return _stamped_response(revision, inline=True)


@login_required
def revision_view(request, pk):
    """Read a revision in the browser: a PDF inline, other types as a download."""
    revision = get_object_for_user(
        Revision.objects.select_related("document", "document__owner_unit"), request.user, pk=pk
    )
    services.revision_opened(revision, actor=request.user, via="view")
    return render(
        request,
        "documents/revision_view.html",
        {
            "revision": revision,
            "document": revision.document,
            "is_pdf": stamping.can_stamp(revision),
            "can_acknowledge": revision.can_acknowledge(request.user),
        },
    )


@login_required
def revision_compare(request, pk):
    """Two revisions of a document side by side: metadata, and their text as a diff where the
    files hold text (DOCX, ODT, PDF, plain text), within ``documents.compare``'s bounds."""
    document = get_object_for_user(Document, request.user, pk=pk)
    revisions = list(_visible_revisions(request.user, document))
    by_number = {r.number: r for r in revisions}
    older = revisions[1] if len(revisions) > 1 else None
    newer = revisions[0] if revisions else None
    error = None
    try:
        if request.GET.get("a"):
            older = by_number[int(request.GET["a"])]
        if request.GET.get("b"):
            newer = by_number[int(request.GET["b"])]
    except (KeyError, ValueError):
        error = _("Choose two revisions of this document that you may see.")
        older = newer = None
    rows, notes = [], []
    if older is not None and newer is not None and older.pk != newer.pk:
        left, right = compare.extract_text(older), compare.extract_text(newer)
        notes = [n for n in (left.note, right.note) if n]
        if left.lines or right.lines:
            rows = compare.collapse(compare.text_diff(left.lines, right.lines))
    elif older is not None and newer is not None and not error:
        error = _("Choose two different revisions.")
    fields = []
    if older is not None and newer is not None:
        for label, get in COMPARE_FIELDS:
            a, b = get(older), get(newer)
            fields.append((label, a, b, a != b))
    return render(
        request,
        "documents/revision_compare.html",
        {
            "document": document,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "fields": fields,
            "rows": rows,
            "notes": notes,
            "changed": any(row[0] not in ("equal", "skip") for row in rows),
            "error": error,
        },
    )


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


COMPARE_FIELDS = [
    (gettext_lazy("Status"), lambda r: r.get_status_display()),
    (gettext_lazy("Effective date"), lambda r: _date(r.effective_date)),
    (gettext_lazy("Change summary"), lambda r: r.change_summary),
    (gettext_lazy("File"), lambda r: r.file_name),
    (gettext_lazy("Size (bytes)"), lambda r: r.file_size),
    ("SHA-256", lambda r: r.sha256),
    (gettext_lazy("Author"), lambda r: r.author.display_name),
    (
        gettext_lazy("Reviewers"),
        lambda r: ", ".join(u.display_name for u in r.reviewers.all()) or "—",
    ),
    (gettext_lazy("Approver"), lambda r: r.approver.display_name if r.approver else "—"),
]


@login_required
def revision_create(request, pk):
    document = get_object_for_user(Document, request.user, pk=pk)
    if not document.can_add_revision(request.user):
        raise PermissionDenied(_("A new revision cannot be started now."))
    form = RevisionForm(
        request.POST or None, request.FILES or None, user=request.user, document=document
    )
    if request.method == "POST" and form.is_valid():
        ok, _revision = attempt(
            request,
            lambda: services.revision_create(
                document,
                actor=request.user,
                upload=form.cleaned_data["file"],
                change_summary=form.cleaned_data["change_summary"],
                reviewers=form.cleaned_data["reviewers"],
                approver=form.cleaned_data["approver"],
            ),
            success=_("New draft revision saved."),
            forms=(form,),
        )
        if ok:
            return redirect("documents:document_detail", pk=document.pk)
    return render(
        request,
        "documents/revision_form.html",
        {"form": form, "document": document, "revision": None},
    )


@login_required
def revision_edit(request, pk):
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    if not revision.can_edit(request.user):
        raise PermissionDenied(_("Only a draft can be edited, by its author or a quality manager."))
    initial = {
        "change_summary": revision.change_summary,
        "reviewers": list(revision.reviewers.all()),
        "approver": revision.approver,
    }
    form = RevisionForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        author=revision.author,
        document=revision.document,
        file_required=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        ok, _revision = attempt(
            request,
            lambda: services.revision_update(
                revision,
                actor=request.user,
                upload=form.cleaned_data["file"],
                change_summary=form.cleaned_data["change_summary"],
                reviewers=form.cleaned_data["reviewers"],
                approver=form.cleaned_data["approver"],
            ),
            success=_("Draft saved."),
            forms=(form,),
        )
        if ok:
            return redirect("documents:document_detail", pk=revision.document_id)
    return render(
        request,
        "documents/revision_form.html",
        {"form": form, "document": revision.document, "revision": revision},
    )


REASONED_ACTIONS = {
    "return": (
        services.revision_return,
        gettext_lazy("Give a reason for sending the revision back."),
        gettext_lazy("Sent back to the author as a draft."),
    ),
    "discard": (
        services.revision_discard,
        gettext_lazy("Give a reason for discarding the draft."),
        gettext_lazy("Draft discarded. It stays in the history of the document."),
    ),
}
SIGNED_ACTIONS = {
    "review": (services.revision_review, _("Review signed.")),
    "approve": (services.revision_approve, _("Revision approved and signed.")),
    "publish": (services.revision_publish, _("Revision published: it is now effective.")),
}


@login_required
@require_POST
@returns_to_step("current-revision")
def revision_action(request, pk, action):
    """Submit, sign (review, approve, publish) or send back a revision; errors change nothing."""
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    target = redirect("documents:document_detail", pk=revision.document_id)
    if action == "submit":
        attempt(
            request,
            lambda: services.revision_submit(revision, actor=request.user),
            success=_("Submitted for review. The reviewers have been notified."),
        )
    elif action in REASONED_ACTIONS:
        service, missing, done = REASONED_ACTIONS[action]
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, missing)
            return target
        attempt(
            request,
            lambda: service(revision, actor=request.user, reason=form.cleaned_data["reason"]),
            success=done,
        )
    elif action in SIGNED_ACTIONS:
        service, done = SIGNED_ACTIONS[action]
        form = (PublishForm if action == "publish" else SignForm)(request.POST)
        if not form.is_valid():
            if "effective_date" in form.errors:
                messages.error(request, " ".join(form.errors["effective_date"]))
            else:
                messages.error(request, _("Enter your password to sign."))
            return target
        extra = {}
        if action == "publish":
            extra["effective_date"] = form.cleaned_data["effective_date"]
        ok, signed = attempt(
            request,
            lambda: service(
                revision,
                actor=request.user,
                password=form.cleaned_data["password"],
                comment=form.cleaned_data["comment"],
                request=request,
                **extra,
            ),
        )
        if ok:
            if action == "publish" and signed.is_scheduled:
                done = _("Published: the revision takes effect on %(date)s.") % {
                    "date": formats.date_format(signed.effective_date, "SHORT_DATE_FORMAT")
                }
            messages.success(request, str(done))
    else:
        raise Http404
    return target


@login_required
@require_POST
def document_withdraw(request, pk):
    document = get_object_for_user(Document, request.user, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for withdrawing the document."))
    else:
        attempt(
            request,
            lambda: services.document_withdraw(
                document, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            success=_("The document was withdrawn. It stays in the history."),
        )
    return redirect("documents:document_detail", pk=document.pk)


@login_required
@require_POST
@returns_to_step("identification")
def document_confirm_review(request, pk):
    document = get_object_for_user(Document, request.user, pk=pk)
    form = ReviewNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what the review concluded."))
    else:
        attempt(
            request,
            lambda: services.document_confirm_review(
                document, actor=request.user, note=form.cleaned_data["note"]
            ),
            success=_("Periodic review recorded. The next review date moved."),
        )
    return redirect("documents:document_detail", pk=document.pk)


@login_required
@require_POST
@returns_to_step("distribution")
def distribution_add(request, pk):
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    form = DistributionForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = form.errors.get("__all__") or [_("Choose valid units or people.")]
        messages.error(request, " ".join(str(e) for e in errors))
    else:
        ok, added = attempt(
            request,
            lambda: services.distribution_add(
                revision,
                actor=request.user,
                units=form.cleaned_data["units"],
                users=form.cleaned_data["users"],
            ),
        )
        if ok:
            messages.success(
                request, _("%(n)s added to the distribution list.") % {"n": len(added)}
            )
    return redirect("documents:document_detail", pk=revision.document_id)


@login_required
@require_POST
@returns_to_step("distribution")
def distribution_remove(request, pk):
    distribution = (
        Distribution.objects.filter(pk=pk, revision__in=Revision.objects.for_user(request.user))
        .select_related("revision")
        .first()
    )
    if distribution is None:
        raise Http404
    attempt(
        request,
        lambda: services.distribution_remove(distribution, actor=request.user),
        success=_("Removed from the distribution list."),
    )
    return redirect("documents:document_detail", pk=distribution.revision.document_id)


@login_required
def to_acknowledge(request):
    revisions = revisions_to_acknowledge(request.user)
    recent = (
        Acknowledgement.objects.filter(user=request.user)
        .select_related("revision__document")
        .order_by("-acknowledged_at")[:10]
    )
    return render(
        request,
        "documents/to_acknowledge.html",
        {"revisions": revisions, "recent": recent},
    )


@login_required
@require_POST
def acknowledge(request, pk):
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    error = None
    try:
        services.revision_acknowledge(revision, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        # Shown in the row the htmx request replaces, not queued as a message for later.
        error = " ".join(refusal_messages(exc))
    if request.htmx:
        revision.opened = revision.opened_by(request.user)
        response = render(
            request,
            "documents/partials/ack_row.html",
            {"revision": revision, "acknowledged": error is None, "error": error},
        )
        patch_vary_headers(response, ("HX-Request",))
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Acknowledged: %(doc)s") % {"doc": revision})
    if request.POST.get("next") == "detail":
        return redirect("documents:document_detail", pk=revision.document_id)
    return redirect("documents:to_acknowledge")


@login_required
@require_POST
def remind_unread(request, pk):
    """ "Nhắc người chưa đọc": remind the recipients the viewer manages who have not
    acknowledged; back to the coverage page the button was on."""
    revision = get_object_for_user(Revision.objects.select_related("document"), request.user, pk=pk)
    ok, counts = attempt(request, lambda: services.remind_unread(revision, actor=request.user))
    if ok:
        sent, already = counts
        message = _("Reminder sent to %(n)s people.") % {"n": sent}
        if already:
            message += " " + _(
                "%(n)s had already been reminded today: one reminder a day at most."
            ) % {"n": already}
        messages.success(request, message)
    unit = request.POST.get("unit", "")
    if unit.isdigit():
        return redirect(f"{reverse('documents:unit_coverage')}?unit={unit}")
    return redirect("documents:document_detail", pk=revision.document_id)


@login_required
def review_list(request):
    today = timezone.localdate()
    visible = Document.objects.for_user(request.user).select_related("owner_unit", "owner")
    return render(
        request,
        "documents/review_list.html",
        {
            "due": visible.due_for_review(today).order_by("next_review_date"),
            "overdue": visible.review_overdue(today).order_by("next_review_date"),
            "today": today,
        },
    )


COVERAGE_SORTS = {
    "code": lambda r: (r["revision"].document.code, r["revision"].document_id),
    "missing": lambda r: (-(r["total"] - r["done"]), r["revision"].document.code),
}
COVERAGE_HEADERS = [
    gettext_lazy("Code"),
    gettext_lazy("Title"),
    gettext_lazy("Revision"),
    gettext_lazy("Effective date"),
    gettext_lazy("Recipients"),
    gettext_lazy("Acknowledged"),
    gettext_lazy("Not yet acknowledged"),
    gettext_lazy("Coverage (%)"),
]


@login_required
def unit_coverage(request):
    """Acknowledgement coverage per unit: for each effective document that reaches the unit's
    people, the share who acknowledged it and who is missing; a total row; the units right
    below with their coverage from the roll-up (one aggregate query), to walk down the tree;
    sorted by code or by most missing; exported as XLSX or CSV."""
    from .coverage import subtree_totals

    form = CoverageForm(request.GET or None, user=request.user)
    rows, unit, children, total = [], None, [], None
    sort = request.GET.get("sort") if request.GET.get("sort") in COVERAGE_SORTS else "code"
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        rows = services.unit_coverage(unit, viewer=request.user)
        rows.sort(key=COVERAGE_SORTS[sort])
        expected = sum(r["total"] for r in rows)
        done = sum(r["done"] for r in rows)
        total = {
            "total": expected,
            "done": done,
            "missing": expected - done,
            "percent": round(100 * done / expected) if expected else 0,
        }
        fmt = request.GET.get("format")
        if fmt in FORMATS:
            return export_response(
                fmt,
                f"do-phu-xac-nhan-{unit.code}-{timezone.localdate():%Y%m%d}",
                COVERAGE_HEADERS,
                _coverage_export_rows(rows, total),
            )
        sums = subtree_totals(unit, Revision.objects.for_user(request.user))
        visible_children = OrgUnit.objects.for_user(request.user).filter(parent=unit)
        for child in visible_children.order_by("path"):
            expected_, done_ = sums.get(
                child.path[: len(unit.path) + PATH_SEGMENT_WIDTH + 1], (0, 0)
            )
            if expected_:
                children.append(
                    {
                        "unit": child,
                        "total": expected_,
                        "done": done_,
                        "missing": expected_ - done_,
                        "percent": round(100 * done_ / expected_),
                    }
                )
        if sort == "missing":
            children.sort(key=lambda c: -c["missing"])
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "documents/unit_coverage.html",
        {
            "form": form,
            "unit": unit,
            "rows": rows,
            "total": total,
            "children": children,
            "sort": sort,
            "query": query.urlencode(),
        },
    )


def _coverage_export_rows(rows, total):
    for r in rows:
        revision = r["revision"]
        yield [
            revision.document.code,
            revision.document.title,
            revision.number,
            revision.effective_date,
            r["total"],
            r["done"],
            r["total"] - r["done"],
            r["percent"],
        ]
    yield [
        _("Total"),
        "",
        "",
        None,
        total["total"],
        total["done"],
        total["missing"],
        total["percent"],
    ]

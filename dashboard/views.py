"""The director dashboard: one page per unit and school year, its comparison export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard import charts, links
from dashboard.indicators import build
from dashboard.scope import dashboard_roots, resolve_scope
from ims.exports import export_response
from ims.schoolyear import SchoolYear, recent_years

# Comparison table columns: (key, label, attribute).
COLUMNS = [
    ("name", gettext_lazy("Unit"), None),
    ("nc_open", gettext_lazy("Open NCs"), "nc_open"),
    ("nc_major", gettext_lazy("Major open NCs"), "nc_major"),
    ("nc_overdue", gettext_lazy("NCs with overdue actions"), "nc_overdue"),
    ("doc_overdue", gettext_lazy("Reviews overdue"), "doc_overdue"),
    ("doc_due", gettext_lazy("Reviews due"), "doc_due"),
    ("audit_overdue", gettext_lazy("Audit reports overdue"), "audit_overdue"),
    ("findings_open", gettext_lazy("Open findings"), "findings_open"),
    ("ack", gettext_lazy("Acknowledged"), "ack_coverage"),
    ("satisfaction", gettext_lazy("Satisfaction index"), "satisfaction_index"),
]
SORT_KEYS = {key for key, _label, _attr in COLUMNS}


def _year(request):
    """The selected school year, and whether the request asked for one we could not read."""
    raw = request.GET.get("year")
    if not raw:
        return SchoolYear.current(), False
    year = SchoolYear.parse(raw)
    if year is None or year.start_year > SchoolYear.current().start_year:
        return SchoolYear.current(), True
    return year, False


def _sort(rows, key, descending):
    attr = {k: a for k, _l, a in COLUMNS}[key]

    def value(row):
        if attr is None:
            return row.unit.label.casefold()
        v = getattr(row, attr)
        return (v is not None, v or 0)

    ordered = sorted(rows, key=value, reverse=descending)
    return sorted(ordered, key=lambda r: r.is_scope)  # the scope's own records stay last


@login_required
def index(request):
    roots = dashboard_roots(request.user)
    if not roots:
        raise PermissionDenied(
            _("The dashboard is for directors, quality managers, unit heads and principals.")
        )
    scope, root = resolve_scope(roots, request.GET.get("unit"))
    year, bad_year = _year(request)
    sort = request.GET.get("sort", "")
    sort = sort if sort.lstrip("-") in SORT_KEYS else "-nc_open"
    descending = sort.startswith("-")
    board = build(scope, year, user=request.user, root=root, today=timezone.localdate())
    board.units = _sort(board.units, sort.lstrip("-"), descending)
    link_templates = {}
    for row in [*board.units, *board.attention]:
        row.links = _row_links_fast(link_templates, row.unit, year, row.is_scope)
    if request.GET.get("format") == "xlsx":
        return _export(board)
    context = {
        "board": board,
        "root": root,
        "roots": roots,
        "at_root": scope.pk == root.pk,
        "has_children": any(not row.is_scope for row in board.units),
        "years": sorted({*recent_years(5), year}, key=lambda y: -y.start_year),
        "bad_year": bad_year,
        "sort": sort,
        "columns": [
            {
                "key": key,
                "label": label,
                "sort": key if sort == f"-{key}" else f"-{key}",
                "active": sort.lstrip("-") == key,
                "descending": descending,
            }
            for key, label, _a in COLUMNS
        ],
        "charts": charts.dashboard_charts(board),
        "cards": cards(board, at_root=scope.pk == root.pk),
        "export_url": links.dashboard(scope, year, sort=sort, format="xlsx"),
        "report_filters": {"year": year.slug},
    }
    response = render(request, "dashboard/index.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def cards(board, at_root):
    """Every linked number of the cards, as (number, link) pairs the templates show."""
    scope, year = board.scope, board.year
    nc = board.nc
    return {
        "nc_open": (nc["open"], links.nc_open(scope)),
        "nc_major": (nc["major"], links.nc_open(scope, "major")),
        "nc_minor": (nc["minor"], links.nc_open(scope, "minor")),
        "nc_age": [
            (_("under 30 days"), nc["age_recent"], links.nc_age(scope, "lt30")),
            (_("30–90 days"), nc["age_middle"], links.nc_age(scope, "30-90")),
            (_("over 90 days"), nc["age_old"], links.nc_age(scope, "gt90")),
        ],
        "nc_overdue": (nc["overdue"], links.nc_overdue(scope)),
        "audits_planned": (board.audits["planned"], links.audits_year(year, scope)),
        "audits_done": (board.audits["done"], links.audits_done(year, scope)),
        "audits_overdue": (board.audits["overdue"], links.audits_overdue(year, scope)),
        "grades": [
            (
                g,
                links.findings(year, scope, grade=_grade_code(g)),
                links.findings(year, scope, grade=_grade_code(g), status="open"),
            )
            for g in board.grades
        ],
        "doc_due": (board.documents["due"], links.documents_review(scope, "due")),
        "doc_overdue": (board.documents["overdue"], links.documents_review(scope, "overdue")),
        "doc_effective": (board.documents["effective"], links.documents_effective(scope)),
        "doc_coverage": (board.documents["expected"], links.documents_coverage(scope)),
    }


def _grade_code(grade):
    return grade.get("code") or grade["order"][1]


def row_links(unit, year, own_records=False):
    # The scope's own row counts the records of the scope unit itself, without the units below
    # it: its links ask the registers for that unit alone.
    only = own_records
    return {
        "nc_open": links.nc_open(unit, only=only),
        "nc_major": links.nc_open(unit, "major", only=only),
        "nc_overdue": links.nc_overdue(unit, only=only),
        "doc_overdue": links.documents_review(unit, "overdue", only=only),
        "doc_due": links.documents_review(unit, "due", only=only),
        "findings": links.findings(year, unit, status="open", only=only),
        "audit_overdue": links.audits_overdue(year, unit, only=only),
        "ack": links.documents_coverage(unit),
    }


class _AnyUnit:
    """Stands for a unit in a link built once per page: its id is replaced afterwards."""

    pk = "UNIT-ID"


def _row_links_fast(templates, unit, year, own_records):
    """``row_links`` for one row, from links built once per kind of row (a few hundred rows
    would otherwise resolve a few thousand URLs). The row's unit appears in a link only as
    the ``unit`` query parameter (tests/dashboard/test_row_links.py checks it)."""
    if own_records not in templates:
        templates[own_records] = row_links(_AnyUnit, year, own_records=own_records)
    marker = f"unit={_AnyUnit.pk}"
    here = f"unit={unit.pk}"
    return {
        name: links.Link(link.url.replace(marker, here), link.exact)
        for name, link in templates[own_records].items()
    }


def _export(board):
    headers = [str(label) for _k, label, _a in COLUMNS] + [_("Satisfaction n")]
    headers.insert(1, _("Code"))
    rows = []
    for row in board.units:
        name = (
            row.unit.name
            if not row.is_scope
            else _("%(unit)s (own records)") % {"unit": row.unit.name}
        )
        rows.append(
            [
                name,
                row.unit.code,
                row.nc_open,
                row.nc_major,
                row.nc_overdue,
                row.doc_overdue,
                row.doc_due,
                row.audit_overdue,
                row.findings_open,
                row.ack_coverage,
                _("hidden") if row.satisfaction_hidden else _round(row.satisfaction_index),
                row.satisfaction_n if row.satisfaction_n >= board.k else f"<{board.k}",
            ]
        )
    filename = f"bang-dieu-khien-{slugify(board.scope.code)}-{board.year.slug}"
    return export_response("xlsx", filename, headers, rows)


def _round(value):
    return None if value is None else round(value, 1)

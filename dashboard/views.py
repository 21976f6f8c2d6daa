"""The director dashboard: one page per unit and school year, its comparison export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from dashboard import charts, export, links
from dashboard.indicators import build
from dashboard.scope import dashboard_roots, resolve_scope
from dashboard.table import COLUMNS, clean_sort, sort_rows
from ims.schoolyear import SchoolYear, recent_years


def _year(request):
    """The selected school year, and whether the request asked for one we could not read."""
    raw = request.GET.get("year")
    if not raw:
        return SchoolYear.current(), False
    year = SchoolYear.parse(raw)
    if year is None or year.start_year > SchoolYear.current().start_year:
        return SchoolYear.current(), True
    return year, False


@login_required
def index(request):
    roots = dashboard_roots(request.user)
    if not roots:
        raise PermissionDenied(
            _("The dashboard is for directors, quality managers, unit heads and principals.")
        )
    scope, root = resolve_scope(roots, request.GET.get("unit"))
    year, bad_year = _year(request)
    sort = clean_sort(request.GET.get("sort"))
    descending = sort.startswith("-")
    board = build(scope, year, user=request.user, root=root, today=timezone.localdate())
    board.units = sort_rows(board.units, sort)
    link_templates = {}
    for row in [*board.units, *board.attention]:
        row.links = _row_links_fast(link_templates, row.unit, year, row.is_scope)
    if request.GET.get("format") == "xlsx":
        return export.workbook_response(board)
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
        "report_filters": {"year": year.slug, "sort": sort},
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

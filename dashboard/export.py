"""The dashboard as an XLSX workbook: what the screen shows, in the screen's order.

Sheet 1 is the comparison table of the units below (sorted as on the screen); sheet 2 holds
every card and trend. Each sheet starts with a title row (unit, school year, date), then a
frozen header row with an autofilter; numbers stay typed cells (``ims.exports``)."""

import io

from django.http import HttpResponse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dashboard.table import COLUMNS
from ims.exports import safe_cell, xlsx_number_format

NAME_WIDTH = 42
CODE_WIDTH = 14
NUMBER_WIDTH = 16


def _index(value):
    return None if value is None else round(value, 1)


def _cell(cell, k):
    """An index cell of the satisfaction card: (index or "hidden", n or "<k")."""
    if not cell:
        return None, None
    if cell["hidden"]:  # no n when hidden to protect another cell: it would reveal that one
        return _("hidden"), f"<{k}" if cell["n"] < k else ""
    return _index(cell["index"]), cell["n"]


def title(board):
    """The title row: dashboard, unit (with the units above it), school year and date."""
    path = " › ".join([*(a.label for a in board.ancestors), board.scope.label])
    return " · ".join(
        [
            _("Dashboard"),
            path,
            _("School year %(year)s") % {"year": board.year.label},
            _("Open and overdue items as of %(day)s")
            % {"day": formats.date_format(board.today, "d/m/Y")},
        ]
    )


def unit_rows(board):
    headers = [str(label) for _k, label, _a in COLUMNS] + [_("Satisfaction n")]
    headers.insert(1, _("Code"))
    rows = []
    for row in board.units:
        name = (
            row.unit.label
            if not row.is_scope
            else _("%(unit)s (own records)") % {"unit": row.unit.label}
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
                _("hidden") if row.satisfaction_hidden else _index(row.satisfaction_index),
                f"<{board.k}"
                if row.satisfaction_n < board.k
                else ("" if row.satisfaction_hidden else row.satisfaction_n),
            ]
        )
    return headers, rows


def summary_sections(board):
    """Every card and trend of the page, in its order: [(heading, headers, rows)]."""
    nc, audits, docs, k = board.nc, board.audits, board.documents, board.k
    sections = [
        (
            _("Nonconformities"),
            [
                pgettext("dashboard figure", "Open"),
                _("Major"),
                _("Minor"),
                _("With overdue actions"),
                _("Overdue corrective actions"),
            ],
            [[nc["open"], nc["major"], nc["minor"], nc["overdue"], nc["overdue_actions"]]],
        ),
        (
            _("Open nonconformities by age"),
            [_("under 30 days"), _("30–90 days"), _("over 90 days")],
            [[nc["age_recent"], nc["age_middle"], nc["age_old"]]],
        ),
        (
            _("Audit programme %(year)s") % {"year": board.year.label},
            [
                pgettext("dashboard figure", "Planned"),
                pgettext("dashboard figure", "Done"),
                _("Reports overdue"),
                _("Schedule adherence"),
            ],
            [[audits["planned"], audits["done"], audits["overdue"], audits["adherence"]]],
        ),
        (
            _("Findings"),
            [_("Grade"), _("All"), pgettext("dashboard figure", "Open")],
            [[g["label"], g["total"], g["open"]] for g in board.grades],
        ),
        (
            _("Documents"),
            [
                _("Review overdue"),
                _("Review due within 30 days"),
                pgettext("dashboard figure", "Effective"),
                _("Acknowledgement coverage"),
                _("Acknowledged"),
                _("Expected"),
            ],
            [
                [
                    docs["overdue"],
                    docs["due"],
                    docs["effective"],
                    docs.get("coverage"),
                    docs.get("acknowledged"),
                    docs.get("expected"),
                ]
            ],
        ),
        (
            _("Satisfaction"),
            [_("Group"), _("Latest"), _("Index"), "n", _("Previous"), _("Index"), "n"]
            + [_("Change")],
            [
                [
                    g["group"],
                    g["campaign"],
                    *_cell(g["latest"], k),
                    g["previous_campaign"],
                    *_cell(g["previous"], k),
                    _index(g["change"]),
                ]
                for g in board.groups
            ],
        ),
        (
            _("Area"),
            [_("Area"), _("Latest"), "n", _("Previous"), "n", _("Change")],
            [
                [a["label"], *_cell(a["latest"], k), *_cell(a["previous"], k), _index(a["change"])]
                for a in board.areas
            ],
        ),
        (
            _("Units with the most open or overdue items"),
            [
                _("Unit"),
                _("Code"),
                _("Open NCs"),
                _("NCs with overdue actions"),
                _("Reviews overdue"),
                _("Open findings"),
            ],
            [
                [
                    row.unit.label,
                    row.unit.code,
                    row.nc_open,
                    row.nc_overdue,
                    row.doc_overdue,
                    row.findings_open,
                ]
                for row in board.attention
            ],
        ),
        (
            _("Nonconformities per school year"),
            [
                _("School year"),
                pgettext("nonconformities per year", "Opened"),
                pgettext("nonconformities per year", "Closed"),
            ],
            [[y.label, opened, closed] for y, opened, closed in board.nc_trend],
        ),
        (
            _("Satisfaction index per school year"),
            [_("Group"), *(y.label for y in board.trend_years)],
            [
                [group, *(_cell(p, k)[0] if p else None for p in points)]
                for group, points in board.satisfaction_trend
            ],
        ),
    ]
    return sections


def workbook(board):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    bold = Font(bold=True)

    def put(sheet, row, values, font=None):
        for column, value in enumerate(values, start=1):
            value = safe_cell(str(value) if isinstance(value, Promise) else value)
            cell = sheet.cell(row=row, column=column, value=value if value != "" else None)
            number_format = xlsx_number_format(value)
            if number_format:
                cell.number_format = number_format
            if font:
                cell.font = font

    units = book.active
    units.title = _("Units below")[:31]
    headers, rows = unit_rows(board)
    put(units, 1, [title(board)], bold)
    put(units, 2, headers, bold)
    for i, row in enumerate(rows, start=3):
        put(units, i, row)
    last = get_column_letter(len(headers))
    units.freeze_panes = "B3"
    units.auto_filter.ref = f"A2:{last}{max(2 + len(rows), 2)}"
    units.column_dimensions["A"].width = NAME_WIDTH
    units.column_dimensions["B"].width = CODE_WIDTH
    for column in range(3, len(headers) + 1):
        units.column_dimensions[get_column_letter(column)].width = NUMBER_WIDTH

    summary = book.create_sheet(_("Summary")[:31])
    put(summary, 1, [title(board)], bold)
    line = 3
    for heading, section_headers, section_rows in summary_sections(board):
        put(summary, line, [heading], bold)
        put(summary, line + 1, section_headers, bold)
        for offset, row in enumerate(section_rows, start=2):
            put(summary, line + offset, row)
        line += len(section_rows) + 3
    summary.freeze_panes = "A2"
    summary.column_dimensions["A"].width = NAME_WIDTH
    for column in range(2, 10):
        summary.column_dimensions[get_column_letter(column)].width = NUMBER_WIDTH + 8
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_response(board):
    response = HttpResponse(
        workbook(board),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"bang-dieu-khien-{slugify(board.scope.code)}-{board.year.slug}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

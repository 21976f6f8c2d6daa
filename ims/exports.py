"""Exports of registers to CSV and XLSX, with the same columns and filters as the page."""

import csv
import datetime
import decimal
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import formats, timezone

FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user text (CSV/formula injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


# Spreadsheet formats for typed cells: dates stay dates and numbers stay numbers (sortable,
# summable), shown the Vietnamese way; Excel draws the separators from the reader's locale.
XLSX_DATE = "dd/mm/yyyy"
XLSX_DATETIME = "dd/mm/yyyy hh:mm"
XLSX_DECIMAL = "#,##0.0#"
XLSX_INTEGER = "#,##0"


def xlsx_number_format(value: Any) -> str | None:
    """The cell format for ``value`` (already through ``safe_cell``), or None for text."""
    if isinstance(value, datetime.datetime):
        return XLSX_DATETIME
    if isinstance(value, datetime.date):
        return XLSX_DATE
    if isinstance(value, bool):
        return None
    if isinstance(value, float | decimal.Decimal):
        return XLSX_DECIMAL
    if isinstance(value, int):
        return XLSX_INTEGER
    return None


def csv_cell(value: Any) -> Any:
    """A CSV value in the user's locale: dates as dd/mm/yyyy, numbers with a decimal comma."""
    if type(value) is str:  # the common case, first: a million-row export is mostly text
        return "'" + value if value.startswith(_FORMULA_START) else value
    value = safe_cell(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime.date | float | decimal.Decimal):
        return formats.localize(value, use_l10n=True)
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


# A streamed CSV is sent in pieces of about this many characters (not one write per row).
CSV_PIECE = 64 * 1024


def csv_stream(
    headers: Sequence[object], rows: Iterable[Sequence[Any]], preamble: Iterable[object] = ()
) -> Iterator[str]:
    """The lines of a CSV file, joined into pieces of about ``CSV_PIECE`` characters: a BOM,
    each ``preamble`` line (a note in the first cell), ``headers``, then ``rows`` (an iterable,
    read as it goes: a generator is never held whole)."""
    writer = csv.writer(_Echo())
    piece = ["\ufeff"]  # BOM so Excel opens UTF-8 Vietnamese correctly
    piece.extend(writer.writerow([str(line)]) for line in preamble)
    piece.append(writer.writerow([str(h) for h in headers]))
    size = 0
    for row in rows:
        line = writer.writerow([csv_cell(v) for v in row])
        piece.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def export_response(
    fmt: str,
    filename: str,
    headers: Sequence[object],
    rows: Iterable[Sequence[Any]],
    preamble: Iterable[object] = (),
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` (an iterable of sequences) with ``headers``, as CSV or XLSX,
    after the ``preamble`` lines (notes about what the file holds). CSV streams; XLSX is built
    whole, so only bounded registers offer it."""
    if fmt == "xlsx":
        return _xlsx(filename, headers, rows, preamble)
    response = StreamingHttpResponse(
        csv_stream(headers, rows, preamble), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx(
    filename: str,
    headers: Sequence[object],
    rows: Iterable[Sequence[Any]],
    preamble: Iterable[object] = (),
) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for line in preamble:
        sheet.append([str(line)])
    sheet.append([str(h) for h in headers])

    def cell(value: Any) -> Any:
        value = safe_cell(value)
        number_format = xlsx_number_format(value)
        if number_format is None:
            return value
        typed = WriteOnlyCell(sheet, value=value)
        typed.number_format = number_format
        return typed

    for row in rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

"""Exports of registers to CSV and XLSX, with the same columns and filters as the page."""

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formulas in user text (CSV/formula injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


class _Echo:
    def write(self, value):
        return value


def export_response(fmt, filename, headers, rows):
    """A download of ``rows`` (an iterable of sequences) with ``headers``, as CSV or XLSX."""
    if fmt == "xlsx":
        return _xlsx(filename, headers, rows)
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM so Excel opens UTF-8 Vietnamese correctly
        yield writer.writerow([str(h) for h in headers])
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx(filename, headers, rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

"""One date format (dd/mm/yyyy) and one decimal comma in Vietnamese: pages, charts and exports.

Exports keep dates and numbers as typed cells (sortable and summable in a spreadsheet) with a
Vietnamese display format; CSV writes them the way the reader's locale does.
"""

import datetime
import io
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation
from openpyxl import load_workbook

from ims.charts import bar_chart, line_chart
from ims.exports import export_response

DAY = datetime.date(2026, 3, 9)
MOMENT = datetime.datetime(2026, 3, 9, 14, 5)


def render(source, **context):
    return Template("{% load l10n %}" + source).render(Context(context))


def test_dates_on_pages_read_dd_mm_yyyy_in_vietnamese():
    with translation.override("vi"):
        assert render("{{ day }}", day=DAY) == "09/03/2026"
        assert render("{{ day|date }}", day=DAY) == "09/03/2026"
        assert render('{{ day|date:"SHORT_DATE_FORMAT" }}', day=DAY) == "09/03/2026"
        assert render('{{ at|date:"SHORT_DATETIME_FORMAT" }}', at=MOMENT) == "09/03/2026 14:05"


def test_numbers_on_pages_have_a_decimal_comma_in_vietnamese():
    with translation.override("vi"):
        assert render("{{ x|floatformat:1 }}", x=69.54) == "69,5"
        assert render("{{ x }}", x=69.5) == "69,5"


def test_chart_values_have_a_decimal_comma_in_vietnamese():
    with translation.override("vi"):
        bars = str(bar_chart([("TH1", 69.54), ("TH2", 70.0)], title="t"))
        line = str(line_chart(["2025-2026"], [("Cha mẹ", [61.7])], title="t"))
    assert ">69,5<" in bars and ">70<" in bars and "69.5" not in bars
    assert ">61,7<" in line


def _workbook(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_keeps_typed_dates_and_numbers_with_vietnamese_formats():
    with translation.override("vi"):
        response = export_response(
            "xlsx", "x", ["Ngày", "Lúc", "Chỉ số", "Số"], [[DAY, MOMENT, 69.5, 12]]
        )
    day, moment, index, count = list(_workbook(response).iter_rows(min_row=2))[0]
    assert day.value.date() == DAY and day.number_format == "dd/mm/yyyy"
    assert moment.value == MOMENT and moment.number_format == "dd/mm/yyyy hh:mm"
    assert index.value == 69.5 and index.number_format == "#,##0.0#"
    assert count.value == 12 and count.number_format == "#,##0"


def test_csv_writes_dates_and_decimals_in_the_users_locale():
    with translation.override("vi"):
        response = export_response(
            "csv", "x", ["Ngày", "Chỉ số", "Tỉ lệ"], [[DAY, 69.5, Decimal("0.25")]]
        )
        body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[1] == '09/03/2026,"69,5","0,25"'


def test_times_ago_say_just_now_not_zero_minutes():
    from datetime import timedelta

    from django.utils import timezone

    from ims.templatetags.ims_tags import ago

    with translation.override("vi"):
        assert ago(timezone.now()) == "vừa xong"
        assert ago(timezone.now() - timedelta(hours=3, minutes=5)) == "3 giờ trước"


def test_a_revision_is_named_lan_ban_hanh_not_rev():
    from documents.models import Document, Revision

    revision = Revision(document=Document(code="QT-07"), number=2)
    with translation.override("vi"):
        assert str(revision) == "QT-07 lần ban hành 2"

import re
from datetime import date

from ims.charts import bar_chart, line_chart
from ims.schoolyear import SchoolYear


def test_school_year_boundaries_and_parsing():
    assert SchoolYear.of(date(2026, 8, 31)).label == "2025–2026"
    assert SchoolYear.of(date(2026, 9, 1)).label == "2026–2027"
    assert SchoolYear.parse("2025-2026") == SchoolYear(2025)
    assert SchoolYear.parse("2025–2026") == SchoolYear(2025)
    assert SchoolYear.parse("2025-2027") is None and SchoolYear.parse("x") is None
    assert date(2026, 3, 1) in SchoolYear(2025) and date(2026, 9, 1) not in SchoolYear(2025)


def test_charts_escape_labels_and_carry_title():
    svg = bar_chart([("<script>", 3), ("Đào tạo", None)], title="Chỉ số & n")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert re.search(r"<title id=\"chart-\w+-t\">Chỉ số &amp; n</title>", svg) and "—" in svg
    svg = line_chart(["2024–2025", "2025–2026"], [("Mở", [3, 5]), ("Đóng", [1, None])], title="NC")
    assert svg.count("<circle") == 3 and "polyline" in svg

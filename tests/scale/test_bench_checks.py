"""bench/run.py's own checks: what it calls lost, duplicated, in flight, late (the results'
lag) and leaked (the access log) must mean that."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_a_thanks_without_its_row_is_lost_and_a_marker_stored_twice_is_duplicated():
    before = (10, 10, {"old": 1})
    after = (15, 15, {"old": 1, "m1": 1, "m2": 1, "m3": 2, "m5": 1})
    result = bench.check_stored(before, after, thanked={"m1", "m2", "m3", "m4"})
    assert result["lost"] == 1  # m4 got "thanks" but has no row
    assert result["duplicated"] == 1  # m3 stored twice
    assert result["in_flight_at_stop"] == 1  # m5 stored, its "thanks" not seen
    assert result["counters_equal_rows"]


def test_rows_without_a_marker_count_as_duplicated_and_counters_must_follow_rows():
    result = bench.check_stored((0, 0, {}), (3, 2, {"m1": 1, "m2": 1}), thanked={"m1", "m2"})
    assert result["duplicated"] == 1 and result["lost"] == 0
    assert not result["counters_equal_rows"]


def test_results_lag_is_how_long_a_stored_row_waited_to_be_shown():
    probe = bench.FreshnessProbe("http://127.0.0.1:1", type("C", (), {"pk": 1})(), "")
    probe.samples = [(0.0, 10), (1.0, 12), (2.0, 15), (3.0, 15)]
    probe.pages = [
        (0.5, 0.6, 10),  # every row stored when asked is shown
        (2.2, 2.5, 12),  # the rows stored at 2.0 are not: 0.5 s late
        (3.1, 3.4, 15),
    ]
    result = probe.result()
    assert result["max_lag_s"] == 0.5 and result["polls"] == 3


def test_export_rows_exclude_the_notes_and_the_header():
    head = "\ufeffOnly units with at least 5\nFree text not included\nUnit,Date,Language,q1\n"
    assert bench.data_rows(1003, head.encode()) == 1000


def test_access_log_check_finds_a_survey_path(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        '- - - [07/Dec/2026:15:00:00 +0000] "POST /s/… HTTP/1.1" 302 0 "-" "wrk" 5ms\n'
        '127.0.0.1 - - [07/Dec/2026:15:00:00 +0000] "GET /dashboard/ HTTP/1.1" 200 9 "-" "wrk" 50ms\n'
    )
    assert bench.access_log_check(log)["naming_a_survey_page"] == 0
    with log.open("a") as out:
        out.write(
            '- - - [07/Dec/2026:15:00:01 +0000] "GET /s/r/AbCdEf/ HTTP/1.1" 200 9 "-" "-" 1ms\n'
        )
    assert bench.access_log_check(log) == {
        "lines": 3,
        "survey_lines": 2,
        "naming_a_survey_page": 1,
    }

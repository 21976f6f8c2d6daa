"""What each card counts: severities, ages, overdue actions, the audit programme, reviews,
acknowledgement coverage, satisfaction with suppression, and the units needing attention."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from dashboard.indicators import build
from documents import coverage
from documents.models import Acknowledgement, Distribution, Revision, RevisionStatus
from ims.schoolyear import SchoolYear
from nonconformities.models import Nonconformity
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:index")


def board_for(user, unit=None, year=None):
    from dashboard.scope import dashboard_roots, resolve_scope

    scope, root = resolve_scope(dashboard_roots(user), unit.pk if unit else None)
    return build(scope, year or SchoolYear.current(), user=user, root=root)


def test_open_ncs_by_severity_and_age_bucket(world):
    f.nc(world.school, world.iso, severity="major", age=5)
    f.nc(world.school, world.iso, age=29)
    f.nc(world.school, world.iso, age=30)
    f.nc(world.school, world.iso, age=90)
    f.nc(world.school, world.iso, severity="major", age=91)
    closed = f.nc(world.school, world.iso, age=200)
    Nonconformity.objects.filter(pk=closed.pk).update(status="verified")  # still open
    nc = board_for(world.director).nc
    assert (nc["open"], nc["major"], nc["minor"]) == (6, 2, 4)
    assert (nc["age_recent"], nc["age_middle"], nc["age_old"]) == (2, 2, 2)
    assert nc["overdue"] == 0


def test_closed_ncs_are_not_open_but_count_in_the_trend(world):
    from nonconformities.models import CorrectiveAction

    record = f.nc(world.school, world.iso, age=40)
    CorrectiveAction.objects.create(
        nonconformity=record,
        description="Đã làm",
        owner=world.teacher,
        due=timezone.localdate(),
        status="done",
        evidence="Biên bản",
        completed_at=timezone.now(),
        created_by=world.iso,
    )
    Nonconformity.objects.filter(pk=record.pk).update(
        status="closed",
        completed_actions=1,
        verification_result="effective",
        closed_by=world.principal,
        closed_at=timezone.now(),
    )
    board = board_for(world.director)
    assert board.nc["open"] == 0
    year, opened, closed = board.nc_trend[-1]
    this_year = SchoolYear.of(timezone.localdate() - timedelta(days=40))
    assert closed == 1
    assert sum(o for y, o, _c in board.nc_trend if y == this_year) == 1


def test_overdue_counts_ncs_and_their_late_actions(world):
    f.nc(world.school, world.iso, overdue_actions=2)
    f.nc(world.school2, world.iso, overdue_actions=1)
    f.nc(world.school2, world.iso)
    nc = board_for(world.director).nc
    assert nc["overdue"] == 2 and nc["overdue_actions"] == 3


def test_audit_programme_progress_and_findings_by_grade(world):
    year = SchoolYear.current()
    programme = f.programme(world.root, world.iso, year)
    today = timezone.localdate()
    f.audit(
        programme,
        world.school,
        world.iso,
        status=Audit.Status.CLOSED,
        end=today - timedelta(days=40),
    )
    late = f.audit(
        programme,
        world.school2,
        world.iso,
        status=Audit.Status.REPORTING,
        end=today - timedelta(days=30),
    )
    f.audit(programme, world.school, world.iso, end=today + timedelta(days=20))
    f.finding(late, world.school2, world.auditor, "major_nc")
    f.finding(late, world.school2, world.auditor, "minor_nc")
    f.finding(late, world.school2, world.auditor, "minor_nc")
    old = f.programme(world.root, world.iso, year.previous())
    f.audit(old, world.school, world.iso, end=old.school_year.first_day + timedelta(days=30))
    board = board_for(world.director)
    audits = board.audits
    assert (audits["planned"], audits["done"], audits["overdue"]) == (3, 1, 1)
    assert audits["adherence"] == 50  # 1 of the 2 audits past their dates is done
    grades = {g["label"]: g["total"] for g in board.grades}
    assert sorted(grades.values()) == [1, 2] and audits["findings"] == 3
    rows = {row.unit.code: row for row in board.units}
    assert rows["XA2"].audit_overdue == 1 and rows["XA1"].audit_overdue == 0
    assert rows["XA2"].findings_open == 3
    # principal sees only their school's audits; principal2 only the late one.
    assert board_for(world.principal).audits["planned"] == 2
    assert board_for(world.principal2).audits["overdue"] == 1
    assert board_for(world.director, year=year.previous()).audits["planned"] == 1


def test_a_province_wide_audits_finding_counts_at_the_school_it_is_about(world):
    programme = f.programme(world.root, world.iso, SchoolYear.current())
    province_wide = f.audit(programme, world.root, world.iso)
    f.finding(province_wide, world.school, world.auditor, "major_nc")
    school = board_for(world.director, unit=world.school)
    assert school.audits["findings"] == 1 and school.audits["findings_open"] == 1
    assert school.audits["planned"] == 0  # the audit itself is the province's, not the school's
    assert board_for(world.director, unit=world.school2).audits["findings"] == 0


def test_documents_due_and_overdue_for_review(world):
    today = timezone.localdate()
    f.document(world.school, world.principal, next_review=today - timedelta(days=1))
    f.document(world.school, world.principal, next_review=today)
    f.document(world.school, world.principal, next_review=today + timedelta(days=30))
    f.document(world.school, world.principal, next_review=today + timedelta(days=31))
    f.document(world.school2, world.principal2, next_review=today - timedelta(days=100))
    f.document(
        world.school, world.principal, next_review=today - timedelta(days=5), status="obsolete"
    )
    docs = board_for(world.director).documents
    assert (docs["overdue"], docs["due"], docs["effective"]) == (2, 2, 5)
    mine = board_for(world.principal).documents
    assert (mine["overdue"], mine["due"]) == (1, 2)


def _effective_revision(document, author):
    return Revision.objects.create(
        document=document,
        number=1,
        change_summary="Ban hành lần đầu",
        author=author,
        status=RevisionStatus.EFFECTIVE,
        file="documents/qt.pdf",
        file_name="qt.pdf",
        file_kind="pdf",
        file_size=1,
        sha256="0" * 64,
        effective_date=timezone.localdate(),
    )


def test_acknowledgement_coverage_counts_recipients_of_effective_revisions(world):
    document = f.document(world.commune, world.principal)
    revision = _effective_revision(document, world.principal)
    # The school's members (principal, teacher) and principal2 by name.
    Distribution.objects.create(revision=revision, unit=world.school, created_by=world.iso)
    Distribution.objects.create(revision=revision, user=world.principal2, created_by=world.iso)
    Acknowledgement.objects.create(revision=revision, user=world.teacher)
    coverage.rebuild()  # rows written directly, not through the services: count them
    docs = board_for(world.director).documents
    assert (docs["expected"], docs["acknowledged"], docs["coverage"]) == (3, 1, 33)
    rows = {row.unit.code: row for row in board_for(world.director).units}
    assert (rows["XA1"].ack_expected, rows["XA1"].ack_done, rows["XA1"].ack_coverage) == (2, 1, 50)
    assert (rows["XA2"].ack_expected, rows["XA2"].ack_done) == (1, 0)
    assert rows["GDTH"].ack_coverage is None
    school = board_for(world.principal).documents  # the school's own people only
    assert (school["expected"], school["acknowledged"], school["coverage"]) == (2, 1, 50)
    other = board_for(world.principal2).documents
    assert (other["expected"], other["acknowledged"], other["coverage"]) == (1, 0, 0)
    assert board_for(world.head).documents["coverage"] is None  # nothing reaches the division


def test_satisfaction_latest_against_previous_with_suppression(world):
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso)
    before = f.campaign(version, world.root, opens_on=f.in_year(year.previous(), 11))
    latest = f.campaign(version, world.root, opens_on=year.first_day + timedelta(days=10))
    f.answers(before, world.school, questions, n=6, value=3)  # index 50
    f.answers(latest, world.school, questions, n=4, value=5)  # index 100
    f.answers(latest, world.school2, questions, n=4, value=4)  # index 75
    board = board_for(world.director)
    (group,) = board.groups
    assert group["campaign_id"] == latest.pk and group["latest"]["n"] == 8
    assert round(group["latest"]["index"], 1) == 87.5 and group["previous"]["index"] == 50
    assert round(group["change"], 1) == 37.5
    assert len(board.areas) == 2 and all(a["latest"]["n"] == 8 for a in board.areas)
    # Each commune has 4 respondents (< 5): both cells hidden, n never shown as a number.
    rows = {row.unit.code: row for row in board.units}
    assert rows["XA1"].satisfaction_hidden and rows["XA1"].satisfaction_index is None
    assert rows["XA2"].satisfaction_hidden
    # A school's own dashboard: 4 respondents, hidden; the previous wave (6) is shown.
    school = board_for(world.principal)
    assert school.groups[0]["latest"]["hidden"] and school.groups[0]["latest"]["index"] is None
    assert school.groups[0]["previous"]["index"] == 50 and school.groups[0]["change"] is None
    # The trend: one point per school year, hidden below 5.
    _label, points = board.satisfaction_trend[0]
    assert points[-1]["index"] == 87.5 and points[-2]["index"] == 50


def test_hidden_groups_show_no_index_on_the_page(world, client_for):
    version, questions = f.instrument(world.root, world.iso)
    campaign = f.campaign(version, world.root, opens_on=timezone.localdate() - timedelta(days=20))
    f.answers(campaign, world.school, questions, n=3, value=1)
    page = client_for(world.director).get(URL).content.decode()
    card = page.split('data-testid="card-satisfaction"')[1].split("</section>")[0]
    assert "n &lt; 5" in card
    assert "<strong>" not in card  # the index (0 for all-1 answers) is never printed


def test_units_with_most_open_or_overdue_items(world):
    for _ in range(3):
        f.nc(world.school2, world.iso, overdue_actions=1)
    f.nc(world.school, world.iso)
    f.nc(world.commune, world.iso)  # recorded above a unit that has items: not listed
    attention = board_for(world.director).attention
    assert [row.unit for row in attention] == [world.school2, world.school]
    assert attention[0].nc_open == 3 and attention[0].nc_overdue == 3


def test_charts_are_svg_with_title_description_and_a_data_table(world, client_for):
    f.nc(world.school, world.iso)
    page = client_for(world.director).get(URL).content.decode()
    assert "<svg" in page and "<title" in page and "<desc" in page
    labels = re.findall(r'<svg [^>]*aria-labelledby="([^"]+)"', page)
    assert labels and len(labels) == len(set(labels))
    assert 'data-testid="compare-table"' in page and "<caption" in page

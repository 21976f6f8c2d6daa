"""A finding belongs to its unit, not only to its audit.

A Department-wide audit covers two schools under one shared parent: each school's members see
their own school's findings, evidence and photos only, on every page (audit page, findings
register, audit list, report page, report PDF, photo URLs), with counts that match the rows.
The team, the programme's managers and members at or above the whole scope read everything.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from audits import services
from audits.models import Audit, Finding
from audits.report_kinds import AuditReport
from ims.models import Role
from ims.reports import render_report
from nonconformities.models import Nonconformity
from tests.audits.factories import clauses, fill_report, grade, jpeg_bytes, make_audit
from tests.audits.test_pages import _count_queries
from tests.factories import MembershipFactory, UnitFactory, UserFactory, kind

# One marker per finding's unit, easy to find in HTML and in a PDF's extracted text.
MARKERS = {
    "school": "MARKSCHOOLA",
    "school2": "MARKSCHOOLB",
    "commune": "MARKCOMMUNE",
    "division": "MARKDIVISION",
}
EVERYTHING = set(MARKERS)

# Who sees which findings of the Department-wide audit (``principal`` is its auditee).
EXPECTED = {
    "leadauditor": EVERYTHING,  # the team
    "auditor": EVERYTHING,
    "iso": EVERYTHING,  # the programme's managers
    "director": EVERYTHING,
    "root_staff": EVERYTHING,  # a member at the whole scope
    "commune_head": {"school", "commune"},  # a unit above school A
    "principal": {"school", "commune"},  # school A, auditee: the commune's finding too
    "teacher": {"school"},  # school A, not an auditee
    "principal2": {"school2"},  # school B
    "head": {"division"},  # the division's own finding
}


def _record(audit, world, unit_name, *, code="minor_nc", photo=False):
    return services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade(code),
        clauses=clauses("7.5.3"),
        unit=getattr(world, unit_name),
        statement=f"Phát hiện {MARKERS[unit_name]} về hồ sơ lớp học.",
        notes=[f"Ghi chú {MARKERS[unit_name]}"],
        photos=[SimpleUploadedFile("a.jpg", jpeg_bytes())] if photo else [],
    )


@pytest.fixture
def dept(world):
    """A Department-wide audit in progress with a finding at each of school A, school B, the
    commune above school A and the division; photos at both schools."""
    world.root_staff = UserFactory(username="root_staff")
    MembershipFactory(user=world.root_staff, unit=world.root, role=Role.STAFF)
    world.commune_head = UserFactory(username="commune_head")
    MembershipFactory(user=world.commune_head, unit=world.commune, role=Role.UNIT_HEAD)
    other_department = UnitFactory(code="SO2", name="Sở GD&ĐT khác", kind=kind("department"))
    world.outsider = UserFactory(username="outsider")
    MembershipFactory(user=world.outsider, unit=other_department, role=Role.DIRECTOR)
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.root])
    findings = {
        name: _record(audit, world, name, photo=name in ("school", "school2")) for name in MARKERS
    }
    return audit, findings


def _visible(text):
    return {name for name, marker in MARKERS.items() if marker in text}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_finding_for_user_follows_the_findings_unit(world, dept, who):
    audit, _findings = dept
    statements = Finding.objects.for_user(getattr(world, who)).values_list("statement", flat=True)
    assert _visible(" ".join(statements)) == EXPECTED[who]


def test_outsider_sees_no_finding(world, dept):
    assert not Finding.objects.for_user(world.outsider).exists()


def test_auditee_sees_the_findings_of_units_above_their_own_only_as_auditee(world, dept):
    """The auditee rule on its own: principal loses the commune's finding when no longer an
    auditee; teacher (same school) never had it."""
    audit, findings = dept
    commune = Finding.objects.filter(pk=findings["commune"].pk)
    assert commune.for_user(world.principal).exists()
    audit.auditees.set([world.teacher])
    assert commune.for_user(world.teacher).exists()
    assert not commune.for_user(world.principal).exists()


def _header_count(page, testid):
    return int(re.search(rf'data-testid="{testid}"[^>]*>[^<(]*\((\d+)\)', page).group(1))


@pytest.mark.parametrize("who", ["leadauditor", "iso", "principal", "teacher", "principal2"])
def test_audit_page_shows_only_visible_findings_with_matching_count(world, dept, client_for, who):
    audit, _findings = dept
    response = client_for(getattr(world, who)).get(reverse("audits:audit_detail", args=[audit.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert _visible(page) == EXPECTED[who]
    shown = page.count('data-testid="finding"')
    assert shown == len(EXPECTED[who]) == _header_count(page, "findings-heading")


def test_audit_page_and_findings_are_404_for_an_outsider(world, dept, client_for):
    audit, findings = dept
    client = client_for(world.outsider)
    assert client.get(reverse("audits:audit_detail", args=[audit.pk])).status_code == 404
    assert client.get(reverse("audits:report", args=[audit.pk])).status_code == 404
    assert client.get(findings["school"].get_absolute_url()).status_code == 404


def test_checklist_notes_are_for_full_report_readers_only(world, dept, client_for):
    audit, _findings = dept
    services.audit_generate_checklist(audit, actor=world.auditor)
    item = audit.checklist.first()
    services.checklist_item_record(
        item, actor=world.auditor, result="nonconforming", note="Ghi chú MARKCHECKLIST"
    )
    url = reverse("audits:audit_detail", args=[audit.pk])
    assert "MARKCHECKLIST" in client_for(world.auditor).get(url).content.decode()
    assert "MARKCHECKLIST" in client_for(world.root_staff).get(url).content.decode()
    assert "MARKCHECKLIST" not in client_for(world.principal2).get(url).content.decode()


@pytest.mark.parametrize(
    "who", ["leadauditor", "iso", "principal", "teacher", "principal2", "outsider"]
)
def test_findings_register_lists_only_visible_findings_with_matching_count(
    world, dept, client_for, who
):
    expected = EXPECTED.get(who, set())
    response = client_for(getattr(world, who)).get(reverse("audits:finding_list"))
    page = response.content.decode()
    assert _visible(page) == expected
    rows = page.count('data-testid="finding-row"')
    count = int(re.search(r'data-testid="finding-count">\s*(\d+)', page).group(1))
    assert rows == count == len(expected)


@pytest.mark.parametrize("who", ["iso", "principal", "principal2", "head"])
def test_audit_list_counts_only_visible_findings(world, dept, client_for, who):
    audit, _findings = dept
    response = client_for(getattr(world, who)).get(reverse("audits:audit_list"))
    [row] = [a for a in response.context["page"].object_list if a.pk == audit.pk]
    assert row.finding_count == len(EXPECTED[who])


def test_programme_page_counts_by_grade_match_the_register(world, client_for):
    """An auditor of a commune's programme sees its page; a Department-wide audit of that
    programme counts, by grade, only the findings about the commune's schools."""
    from tests.audits.factories import ProgrammeFactory

    auditor = UserFactory(username="commune_auditor")
    MembershipFactory(user=auditor, unit=world.commune, role=Role.AUDITOR)
    programme = ProgrammeFactory(unit=world.commune, owner=world.iso, start_year=2026)
    audit = make_audit(
        world, status=Audit.Status.IN_PROGRESS, scope=[world.root], programme=programme
    )
    for name in ("school", "school2", "commune"):
        _record(audit, world, name)
    client = client_for(auditor)
    page = client.get(reverse("audits:programme_detail", args=[programme.pk]))
    [(minor, n)] = [(g, n) for g, n in page.context["stats"]["by_grade"] if n]
    register = client.get(
        reverse("audits:finding_list") + f"?programme={programme.pk}&grade={minor.code}"
    )
    assert n == register.context["page"].paginator.count == 2  # school A and the commune
    assert page.context["stats"]["open_total"] == 2
    [row] = page.context["audits"]
    assert row.finding_count == 2


@pytest.mark.parametrize(
    ("who", "extract"),
    [
        ("leadauditor", False),
        ("iso", False),
        ("root_staff", False),
        ("commune_head", True),
        ("principal", True),
        ("principal2", True),
    ],
)
def test_report_page_is_an_extract_for_school_members(world, dept, client_for, who, extract):
    audit, _findings = dept
    fill_report(audit)
    audit.conclusions = "Kết luận MARKCONCLUSION"
    audit.save()
    page = client_for(getattr(world, who)).get(reverse("audits:report", args=[audit.pk]))
    page = page.content.decode()
    assert _visible(page) == EXPECTED[who]
    assert page.count('class="finding"') == _header_count(page, "report-findings")
    assert ('data-testid="report-extract"' in page) is extract
    assert ("MARKCONCLUSION" in page) is not extract


def test_report_of_a_one_school_audit_is_full_for_its_members(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.school])
    _record(audit, world, "school")
    page = client_for(world.teacher).get(reverse("audits:report", args=[audit.pk]))
    page = page.content.decode()
    assert _visible(page) == {"school"}
    assert 'data-testid="report-extract"' not in page


def _pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("who", ["principal", "principal2", "iso"])
def test_report_pdf_holds_only_the_allowed_findings_and_photos(world, dept, who):
    audit, findings = dept
    user = getattr(world, who)
    kind = AuditReport()
    obj = kind.get_object(user, audit.pk)
    photos = {
        name: set(f.evidence.filter(kind="photo").values_list("thumbnail", flat=True))
        for name, f in findings.items()
    }
    allowed = set().union(*(photos[name] for name in EXPECTED[who]))
    assert set(kind.media_names(obj, {})) == allowed
    text = _pdf_text(render_report(kind, obj, {}, user=user, language="en"))
    assert _visible(text) == EXPECTED[who]


def test_photo_and_finding_pages_are_404_for_findings_of_another_unit(world, dept, client_for):
    _audit, findings = dept
    photo_a = findings["school"].evidence.get(kind="photo")
    photo_b = findings["school2"].evidence.get(kind="photo")
    own, other = client_for(world.principal2), client_for(world.principal)
    for name in ("audits:photo", "audits:photo_thumb"):
        assert own.get(reverse(name, args=[photo_b.pk])).status_code == 200
        assert own.get(reverse(name, args=[photo_a.pk])).status_code == 404
        assert other.get(reverse(name, args=[photo_b.pk])).status_code == 404
    assert own.get(findings["school2"].get_absolute_url()).status_code == 200
    assert own.get(findings["school"].get_absolute_url()).status_code == 404
    response = own.post(
        reverse("audits:finding_evidence_add", args=[findings["school"].pk]),
        {"kind": "note", "text": "x"},
    )
    assert response.status_code == 404
    assert findings["school"].evidence.count() == 2  # its note and its photo


def test_audit_page_and_register_query_counts_stay_flat(world, client_for):
    small = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.root])
    large = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.root])
    for audit, n in ((small, 1), (large, 12)):
        for _ in range(n):
            _record(audit, world, "school", photo=True)
            _record(audit, world, "school2")
    client = client_for(world.principal)
    for url in (reverse("audits:audit_detail", args=[small.pk]), reverse("audits:finding_list")):
        _count_queries(client, url)  # warm caches
    few = _count_queries(client, reverse("audits:audit_detail", args=[small.pk]))
    many = _count_queries(client, reverse("audits:audit_detail", args=[large.pk]))
    assert few == many <= 22
    register = _count_queries(client, reverse("audits:finding_list"))
    _record(large, world, "school")
    assert _count_queries(client, reverse("audits:finding_list")) == register <= 10


def test_finding_page_names_a_nonconformity_only_to_those_who_may_see_it(world, client_for):
    """The commune's major NC: its auditee (principal, school A) sees the finding but not the
    nonconformity opened at the commune."""
    audit = make_audit(world, status=Audit.Status.REPORTING, scope=[world.root])
    finding = _record(audit, world, "commune", code="major_nc")
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    nc = Nonconformity.objects.for_source(finding).get()
    assert not Nonconformity.objects.for_user(world.principal).filter(pk=nc.pk).exists()
    page = client_for(world.principal).get(finding.get_absolute_url()).content.decode()
    assert MARKERS["commune"] in page
    assert nc.number not in page and nc.get_absolute_url() not in page
    page = client_for(world.iso).get(finding.get_absolute_url()).content.decode()
    assert nc.number in page and nc.get_absolute_url() in page


def test_team_and_programme_managers_see_every_finding_from_any_unit(world):
    """A team member and a programme manager see every finding, even from a unit that does not
    cover the schools (an expert of a division; the quality division running the programme)."""
    from audits.models import AuditTeamMember
    from tests.audits.factories import ProgrammeFactory

    expert = UserFactory(username="expert")
    MembershipFactory(user=expert, unit=world.division, role=Role.STAFF)
    manager = UserFactory(username="quality_manager")
    MembershipFactory(user=manager, unit=world.quality, role=Role.QUALITY_MANAGER)
    programme = ProgrammeFactory(unit=world.quality, owner=manager, start_year=2026)
    audit = make_audit(
        world, status=Audit.Status.IN_PROGRESS, scope=[world.root], programme=programme
    )
    AuditTeamMember.objects.create(audit=audit, user=expert, role="observer", added_by=world.iso)
    for name in ("school", "school2"):
        _record(audit, world, name)
    findings = Finding.objects.filter(audit=audit)
    assert findings.for_user(expert).count() == 2
    assert findings.for_user(manager).count() == 2
    assert not findings.for_user(world.head).exists()

"""Auditees and team members are found by typing among the people the manager sees; a forged
id from elsewhere is a form error, and the pages never list everyone."""

import pytest
from django.urls import reverse

from audits.forms import AuditForm, TeamMemberForm
from audits.models import Audit, AuditProgramme, AuditTeamMember
from ims.models import Role
from tests.audits.factories import ProgrammeFactory, clauses, make_audit
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune_qm(world):
    """A quality manager of commune XA1 (school TH1 below it), with a programme there."""
    person = UserFactory(username="qm.xa1", full_name="Quản lý Xã Một")
    MembershipFactory(user=person, unit=world.commune, role=Role.QUALITY_MANAGER)
    ProgrammeFactory(unit=world.commune, owner=person, start_year=2025)
    return person


@pytest.fixture
def school_auditor(world):
    person = UserFactory(username="aud.th1", full_name="Kiểm Toán Trường Một")
    MembershipFactory(user=person, unit=world.school, role=Role.AUDITOR)
    return person


def _audit_data(world, programme, **overrides):
    return {
        "programme": programme.pk,
        "code": "DG-XA1-01",
        "kind": Audit.Kind.INTERNAL,
        "title": "Đánh giá nội bộ",
        "objectives": "Xác định mức độ phù hợp.",
        "scope_units": [world.school.pk],
        "clauses": [c.pk for c in clauses("7.1.3")],
        "planned_start": "2025-11-10",
        "planned_end": "2025-11-11",
        "places": "Trường",
        "auditees": [world.principal.pk],
        **overrides,
    }


def test_audit_form_saves_auditees_in_scope(world, commune_qm):
    programme = AuditProgramme.objects.get(unit=world.commune)
    form = AuditForm(_audit_data(world, programme), user=commune_qm)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["auditees"] == [world.principal]


def test_audit_form_refuses_an_auditee_from_another_commune(world, commune_qm):
    programme = AuditProgramme.objects.get(unit=world.commune)
    form = AuditForm(_audit_data(world, programme, auditees=[world.principal2.pk]), user=commune_qm)
    assert not form.is_valid()
    assert form.has_error("auditees", "not_assignable")


def test_team_form_offers_auditors_the_manager_sees_only(world, commune_qm, school_auditor):
    assert TeamMemberForm(
        {"user": school_auditor.pk, "role": "auditor"}, user=commune_qm
    ).is_valid()
    # not an auditor
    form = TeamMemberForm({"user": world.teacher.pk, "role": "auditor"}, user=commune_qm)
    assert form.has_error("user", "not_assignable")
    # an auditor the commune's manager does not see (at the Department)
    form = TeamMemberForm({"user": world.auditor.pk, "role": "auditor"}, user=commune_qm)
    assert form.has_error("user", "not_assignable")


def test_team_add_refuses_a_forged_id(world, client_for):
    audit = make_audit(world, team=False)
    outsider = UserFactory(username="ghost", full_name="Ghost", is_active=False)
    MembershipFactory(user=outsider, unit=world.school, role=Role.AUDITOR)
    url = reverse("audits:team_add", args=[audit.pk])
    client_for(world.iso).post(url, {"user": outsider.pk, "role": "auditor"})
    assert not AuditTeamMember.objects.filter(audit=audit).exists()
    client_for(world.iso).post(url, {"user": world.auditor.pk, "role": "auditor"})
    assert AuditTeamMember.objects.filter(audit=audit, user=world.auditor).exists()


def test_audit_pages_list_nobody_until_a_name_is_typed(world, client_for):
    audit = make_audit(world, team=False)
    for i in range(50):
        person = UserFactory(username=f"crowd{i}", full_name=f"Cán bộ Đông Người {i:02d}")
        MembershipFactory(user=person, unit=world.school, role=Role.AUDITOR)
    client = client_for(world.iso)
    for url in (
        reverse("audits:audit_detail", args=[audit.pk]),
        reverse("audits:audit_edit", args=[audit.pk]),
        reverse("audits:audit_create"),
    ):
        html = client.get(url).content.decode()
        assert "_q" in html and 'data-testid="person-picker"' in html
        assert "Đông Người" not in html

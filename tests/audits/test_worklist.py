"""The audits module's items on the task list: audits people lead or are on, programmes to
approve."""

import pytest

from audits import services
from audits.models import Audit
from ims import worklist
from tests.audits.factories import ProgrammeFactory, make_audit

pytestmark = pytest.mark.django_db


def items(user, kind):
    return [item for item in worklist.collect(user) if item.kind == kind]


def test_the_lead_and_the_team_see_an_unfinished_audit(world):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    [lead] = items(world.leadauditor, "audits.lead")
    assert lead.title == str(audit) and lead.url == audit.get_absolute_url()
    assert lead.due == audit.planned_start
    [member] = items(world.auditor, "audits.team")
    assert member.needs_you
    assert items(world.principal2, "audits.lead") + items(world.principal2, "audits.team") == []
    assert items(world.principal, "audits.team") == []  # an auditee, not the team


def test_once_fieldwork_ends_the_report_is_the_leads_and_the_team_is_informed(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    [lead] = items(world.leadauditor, "audits.lead")
    assert lead.due == audit.report_due and lead.needs_you
    [member] = items(world.auditor, "audits.team")
    assert not member.needs_you and not member.overdue


def test_a_finished_audit_leaves_the_list(world):
    make_audit(world, status=Audit.Status.REPORT_ISSUED)
    assert items(world.leadauditor, "audits.lead") == []
    assert items(world.auditor, "audits.team") == []


def test_the_director_sees_a_draft_programme_until_she_approves_it(world):
    programme = ProgrammeFactory(unit=world.root, owner=world.iso, start_year=2026)
    [item] = items(world.director, "audits.programme_approve")
    assert item.url == programme.get_absolute_url()
    assert items(world.iso, "audits.programme_approve") == []  # its manager never approves it
    assert items(world.principal, "audits.programme_approve") == []
    services.programme_approve(programme, actor=world.director, password="demo")
    assert items(world.director, "audits.programme_approve") == []


def test_a_director_never_approves_a_programme_she_manages(world):
    ProgrammeFactory(unit=world.root, owner=world.director, start_year=2027)
    assert items(world.director, "audits.programme_approve") == []


def test_a_school_programme_waits_for_the_director_not_for_another_school(world):
    ProgrammeFactory(unit=world.school, owner=world.principal, start_year=2026)
    assert len(items(world.director, "audits.programme_approve")) == 1
    assert items(world.principal2, "audits.programme_approve") == []

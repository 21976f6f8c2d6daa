"""Workflow histories say what happened: each row names its step ("Ban hành"), and states are
written in words, never as raw codes ("open → contained") nor as a bare "— →"."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ims.reports import report_kind
from nonconformities.services import nonconformity_contain
from tests.documents.factories import effective_document
from tests.nonconformities.factories import raise_nc

pytestmark = pytest.mark.django_db


def test_document_workflow_history_names_each_step_in_vietnamese(world, client_for):
    document = effective_document(world, unit=world.school, owner=world.principal)
    page = client_for(world.principal).get(reverse("documents:document_detail", args=[document.pk]))
    text = page.content.decode()
    for step in ("Tạo bản dự thảo", "Trình soát xét", "Phê duyệt và ký", "Ban hành, có hiệu lực"):
        assert f"<strong>{step}</strong>" in text
    assert "— →" not in text


def test_nonconformity_pdf_names_steps_and_states_not_codes(world):
    nc = raise_nc(world.principal, world.school)
    nonconformity_contain(nc, actor=world.principal, containment="Bổ sung biên bản ngay")
    kind = report_kind("nonconformity")
    with translation.override("vi"):
        html = render_to_string(kind.template, kind.get_context(nc, {}))
    assert "Ghi nhận khắc phục tức thời" in html or "Containment recorded" not in html
    assert "open →" not in html and "→ contained" not in html and "— →" not in html
    labels = dict(type(nc).Status.choices)
    with translation.override("vi"):
        opened, contained = str(labels["open"]), str(labels["contained"])
    assert f"({opened} → {contained})" in html


def test_audit_history_names_team_changes_not_the_state_they_left_alone(world, client_for):
    """A team change keeps the audit planned: its row says what happened, not "Planned"."""
    from audits import services as audits
    from audits.models import Audit, AuditTeamMember
    from tests.audits.factories import make_audit

    audit = make_audit(world, status=Audit.Status.PLANNED, team=False)
    audits.audit_assign_team(
        audit, actor=world.iso, user=world.auditor, role=AuditTeamMember.Role.AUDITOR
    )
    page = client_for(world.iso).get(audit.get_absolute_url()).content.decode()
    assert "<strong>Đã thêm vào đoàn đánh giá</strong>" in page

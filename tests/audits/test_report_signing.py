"""Signing the audit report keeps what was typed: the signing form carries the report parts, the
service saves them, checks them and signs, all or nothing; a refusal shows them again as typed."""

import pytest
from django.urls import reverse

from audits import services
from audits.models import Audit
from ims.models import Signature
from nonconformities.models import Nonconformity
from tests.audits.factories import make_audit, make_finding

pytestmark = pytest.mark.django_db

TYPED = {
    "participants": "Hoàng Văn Dũng (trưởng đoàn), Cầm Thị Lan; Lường Thị Mai (Hiệu trưởng)",
    "conclusions": "Hệ thống được duy trì; cần khắc phục một điểm nhỏ.",
    "degree_of_conformity": "Phù hợp phần lớn yêu cầu.",
    "diverging_opinions": "Không có.",
    "sampling_statement": "Chọn mẫu 3 lớp trên 12.",
}


@pytest.fixture
def audit(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    make_finding(audit, world, code="minor_nc")
    audit.parts_before = _saved_parts(audit)
    assert audit.parts_before["conclusions"] == ""
    return audit


def _before(audit):
    return audit.parts_before


def _saved_parts(audit):
    audit = Audit.objects.get(pk=audit.pk)
    return {name: getattr(audit, name) for name in TYPED}


def test_service_saves_the_typed_parts_then_signs(world, audit):
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo", report=TYPED)
    assert _saved_parts(audit) == TYPED
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORT_ISSUED
    assert Signature.objects.for_object(audit).get().is_valid
    assert Nonconformity.objects.count() == 1


def test_service_refusing_the_password_saves_none_of_the_typed_parts(world, audit):
    with pytest.raises(Exception, match="(?i)password|mật khẩu"):
        services.audit_issue_report(audit, actor=world.leadauditor, password="sai", report=TYPED)
    assert _saved_parts(audit) == _before(audit)
    assert not Signature.objects.exists()


def test_service_refusing_an_incomplete_report_saves_none_of_the_typed_parts(world, audit):
    with pytest.raises(Exception, match="(?i)conclusions|kết luận"):
        services.audit_issue_report(
            audit, actor=world.leadauditor, password="demo", report={**TYPED, "conclusions": ""}
        )
    assert _saved_parts(audit) == _before(audit)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING


def test_lead_signs_without_saving_first_and_the_typed_text_is_kept(world, audit, client_for):
    response = client_for(world.leadauditor).post(
        reverse("audits:report_issue", args=[audit.pk]), {**TYPED, "password": "demo"}
    )
    assert response.status_code == 302
    assert _saved_parts(audit) == TYPED
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORT_ISSUED


def test_a_refused_signature_shows_the_typed_text_again_and_saves_nothing(
    world, audit, client_for, django_assert_max_num_queries
):
    client = client_for(world.leadauditor)
    url = reverse("audits:report_issue", args=[audit.pk])
    with django_assert_max_num_queries(40):
        response = client.post(url, {**TYPED, "password": "sai-mat-khau", "comment": "Ký"})
    assert response.status_code == 400
    page = response.content.decode()
    for value in TYPED.values():
        assert value in page or value.replace("(", "&#x28;") in page
    assert "sai-mat-khau" not in page  # the password is never sent back
    assert _saved_parts(audit) == _before(audit)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING


def test_an_incomplete_report_is_refused_with_the_typed_text_kept(world, audit, client_for):
    response = client_for(world.leadauditor).post(
        reverse("audits:report_issue", args=[audit.pk]),
        {**TYPED, "diverging_opinions": "", "password": "demo"},
    )
    assert response.status_code == 400
    assert TYPED["conclusions"] in response.content.decode()
    assert _saved_parts(audit) == _before(audit)


def test_signing_without_the_parts_in_the_post_keeps_the_saved_ones(world, audit, client_for):
    Audit.objects.filter(pk=audit.pk).update(**TYPED)
    response = client_for(world.leadauditor).post(
        reverse("audits:report_issue", args=[audit.pk]), {"password": "demo"}
    )
    assert response.status_code == 302
    assert _saved_parts(audit) == TYPED


def test_a_member_and_an_outsider_cannot_save_parts_through_the_signing_form(
    world, audit, client_for
):
    url = reverse("audits:report_issue", args=[audit.pk])
    assert client_for(world.principal2).post(url, {**TYPED, "password": "demo"}).status_code == 404
    assert client_for(world.teacher).post(url, {**TYPED, "password": "demo"}).status_code == 302
    assert client_for(world.auditor).post(url, {**TYPED, "password": "demo"}).status_code == 302
    assert _saved_parts(audit) == _before(audit)
    assert not Signature.objects.exists()

"""Every model of the audits app keeps its history; services put the user's reason on it."""

from django.apps import apps

from audits import services
from audits.models import (
    Audit,
    ChecklistQuestion,
    ChecklistTemplate,
    FindingEvidence,
    FindingGrade,
)
from tests.audits.factories import fill_report, make_audit, make_finding

# Models without history, each with the reason.
NO_HISTORY = {
    # The bytes of a photo on its way from a device: deleted once the photo is stored as
    # evidence (which has history); its upload row keeps the history of the arrival.
    "FindingPhotoChunk",
}


def test_every_audits_model_has_history():
    models = [
        m
        for m in apps.get_app_config("audits").get_models()
        if not m.__name__.startswith("Historical")
        and not m._meta.auto_created
        and m.__name__ not in NO_HISTORY
    ]
    missing = [
        m.__name__ for m in models if not hasattr(m._meta, "simple_history_manager_attribute")
    ]
    assert missing == []


def test_evidence_grade_and_question_changes_are_kept(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    evidence = finding.evidence.get()
    assert evidence.history.count() == 1
    assert FindingEvidence.history.filter(id=evidence.pk, history_type="+").exists()
    minor = FindingGrade.objects.get(code="minor_nc")
    minor.name = "Điểm không phù hợp nhỏ (sửa)"
    minor.save()
    assert minor.history.first().name == "Điểm không phù hợp nhỏ (sửa)"
    template = ChecklistTemplate.objects.create(unit=world.root, title="Bộ câu hỏi")
    question = ChecklistQuestion.objects.create(template=template, text="Có kế hoạch không?")
    question.delete()
    assert ChecklistQuestion.history.filter(history_type="-").count() == 1


def test_the_users_reason_is_on_the_history_row(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    finding = make_finding(audit, world, code="observation")
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo", comment="Đủ")
    services.finding_close(finding, actor=world.leadauditor, reason="Đã xem xét xong")
    services.audit_close(audit, actor=world.iso, reason="Kết thúc năm học")
    assert finding.history.first().history_change_reason == "Đã xem xét xong"
    reasons = list(audit.history.values_list("history_change_reason", flat=True)[:2])
    assert reasons == ["Kết thúc năm học", "Đủ"]

"""Pages: list filters and search, query counts, the phone flow, the report, the programme."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.models import Audit, AuditProgramme, ChecklistItem, Finding
from ims.models import Signature
from nonconformities.models import Nonconformity
from tests.audits.factories import (
    clauses,
    fill_report,
    grade,
    jpeg_bytes,
    make_audit,
    make_finding,
)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_audit_detail_query_count_is_flat_for_5_and_100_findings(world, client_for):
    client = client_for(world.auditor)
    small = make_audit(world, status=Audit.Status.IN_PROGRESS)
    large = make_audit(world, status=Audit.Status.IN_PROGRESS)
    for audit, n in ((small, 5), (large, 100)):
        services.audit_generate_checklist(audit, actor=world.auditor)
        for _ in range(n):
            make_finding(audit, world)
    _count_queries(client, reverse("audits:audit_detail", args=[small.pk]))  # warm caches
    few = _count_queries(client, reverse("audits:audit_detail", args=[small.pk]))
    many = _count_queries(client, reverse("audits:audit_detail", args=[large.pk]))
    assert few == many


def test_audit_list_query_count_is_pinned(world, client_for, django_assert_max_num_queries):
    for _ in range(12):
        make_audit(world)
    client = client_for(world.iso)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audits:audit_list"))
    assert response.content.decode().count("DG-0") >= 12


def test_programme_list_query_count_is_pinned(world, client_for, django_assert_max_num_queries):
    make_audit(world)
    client = client_for(world.iso)
    with django_assert_max_num_queries(8):
        client.get(reverse("audits:programme_list"))


def test_search_ignores_case_and_diacritics_and_filters_apply(world, client_for):
    make_audit(world, title="Đánh giá quá trình Tuyển sinh đầu cấp")
    make_audit(world, title="Đánh giá Văn phòng", status=Audit.Status.REPORTING)
    client = client_for(world.iso)
    page = client.get(reverse("audits:audit_list"), {"q": "TUYEN sinh dau cap"}).content.decode()
    assert "Tuyển sinh đầu cấp" in page and "Văn phòng" not in page
    page = client.get(reverse("audits:audit_list"), {"status": "reporting"}).content.decode()
    assert "Văn phòng" in page and "Tuyển sinh" not in page
    page = client.get(reverse("audits:audit_list"), {"overdue": "on"}).content.decode()
    assert "Văn phòng" in page  # planned end 11/11/2025 + 10 days is long past
    response = client.get(reverse("audits:audit_list"), {"status": "nonsense", "year": "x"})
    assert response.status_code == 200


def test_today_lists_in_progress_audits_first(world, client_for):
    make_audit(world, title="Sắp tới", status=Audit.Status.PLAN_APPROVED)
    make_audit(world, title="Đang đánh giá", status=Audit.Status.IN_PROGRESS)
    make_audit(world, title="Đã ban hành", status=Audit.Status.REPORT_ISSUED)
    page = client_for(world.auditor).get(reverse("audits:audit_today")).content.decode()
    assert page.index("Đang đánh giá") < page.index("Sắp tới")
    assert "Đã ban hành" not in page


def test_phone_flow_mark_not_conforming_then_record_finding_with_photo(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.audit_generate_checklist(audit, actor=world.auditor)
    item = audit.checklist.get(clause__number="7.1.3")
    client = client_for(world.auditor)
    response = client.post(
        reverse("audits:checklist_item", args=[audit.pk, item.pk]),
        {"result": "nonconforming", "note": "", "evidence": "", "version": 0},
    )
    form_url = reverse("audits:finding_create", args=[audit.pk]) + f"?item={item.pk}"
    assert response["Location"] == form_url
    form = client.get(form_url)
    assert 'capture="environment"' in form.content.decode()
    assert form.context["form"].initial["clauses"] == [clauses("7.1.3")[0].pk]
    response = client.post(
        form_url,
        {
            "finding_id": "7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "item": item.pk,
            "grade": grade("minor_nc").pk,
            "statement": "Phòng học lớp 2B thiếu ánh sáng.",
            "clauses": [clauses("7.1.3")[0].pk],
            "unit": world.school.pk,
            "photos": [SimpleUploadedFile("anh.jpg", jpeg_bytes())],
        },
    )
    finding = Finding.objects.get()
    # back to the item it came from, to go on down the checklist
    assert response["Location"] == audit.get_absolute_url() + f"#item-{item.pk}"
    assert finding.checklist_item == item and finding.evidence.get().kind == "photo"
    assert ChecklistItem.objects.get(pk=item.pk).result == "nonconforming"
    page = client.get(finding.get_absolute_url()).content.decode()
    assert (
        "Phòng học lớp 2B" in page
        and reverse("audits:photo_thumb", args=[finding.evidence.get().pk]) in page
    )


def test_finding_form_without_evidence_explains_aud_r3(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    response = client_for(world.auditor).post(
        reverse("audits:finding_create", args=[audit.pk]),
        {
            "finding_id": "7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "grade": grade("minor_nc").pk,
            "statement": "Thiếu minh chứng",
            "clauses": [clauses("7.1.3")[0].pk],
            "unit": world.school.pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Cần ít nhất một minh chứng" in page
    assert "AUD-R3" not in page  # the reason, without the rule's code
    assert not Finding.objects.exists()


def test_lead_issues_the_report_with_password_through_the_page(world, client_for):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    finding = make_finding(audit, world, code="major_nc")
    client = client_for(world.leadauditor)
    edit = reverse("audits:report_edit", args=[audit.pk])
    page = client.get(edit).content.decode()
    assert 'data-testid="report-missing"' in page
    response = client.post(reverse("audits:report_issue", args=[audit.pk]), {"password": "demo"})
    # refused: the report page again, in place (a signing form's typed text is never lost)
    assert response.status_code == 400
    assert 'data-testid="report-missing"' in response.content.decode()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING
    client.post(
        edit,
        {
            "participants": "Hoàng Văn Dũng, Cầm Thị Lan; Lường Thị Mai",
            "conclusions": "Hệ thống phù hợp",
            "degree_of_conformity": "Cao",
            "diverging_opinions": "Không có",
            "sampling_statement": "Đánh giá dựa trên lấy mẫu.",
        },
    )
    response = client.post(reverse("audits:report_issue", args=[audit.pk]), {"password": "sai"})
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING
    response = client.post(reverse("audits:report_issue", args=[audit.pk]), {"password": "demo"})
    assert response["Location"] == audit.get_absolute_url()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORT_ISSUED
    nc = Nonconformity.objects.for_source(finding).get()
    page = client.get(finding.get_absolute_url()).content.decode()
    assert nc.get_absolute_url() in page and nc.number in page
    nc_page = client.get(nc.get_absolute_url()).content.decode()
    assert finding.get_absolute_url() in nc_page  # linked both ways


def test_print_view_has_every_required_part(world, client_for):
    audit = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    make_finding(audit, world)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    page = client_for(world.principal).get(reverse("audits:report", args=[audit.pk]))
    text = page.content.decode()
    for part in [
        audit.objectives,
        world.school.name,
        "7.1.3",
        "10/11/2025",
        "Phòng họp trường",
        audit.participants[:20],
        audit.conclusions,
        audit.degree_of_conformity,
        audit.diverging_opinions,
        "Sổ đầu bài lớp 3A",
        world.leadauditor.display_name,
    ]:
        assert part in text, part
    assert 'data-testid="report-missing"' not in text


def test_checklist_from_templates_is_added_once(world, client_for):
    from audits.models import ChecklistQuestion, ChecklistTemplate

    template = ChecklistTemplate.objects.create(unit=world.root, title="Bộ câu hỏi trường tiểu học")
    question = ChecklistQuestion.objects.create(template=template, text="Có kế hoạch giáo dục?")
    question.clauses.set(clauses("8.5.1"))
    audit = make_audit(world)
    client = client_for(world.iso)
    for _ in range(2):
        client.post(
            reverse("audits:checklist_generate", args=[audit.pk]), {"templates": [template.pk]}
        )
    assert audit.checklist.count() == 4
    assert audit.checklist.filter(question="Có kế hoạch giáo dục?").count() == 1


def test_team_form_refuses_a_conflict_with_a_message(world, client_for):
    audit = make_audit(world, scope=[world.division], team=False)
    client = client_for(world.iso)
    response = client.post(
        reverse("audits:team_add", args=[audit.pk]),
        {"user": world.auditor.pk, "role": "auditor"},
        follow=True,
    )
    page = response.content.decode()
    assert "không được đánh giá phạm vi này" in page and "AUD-R1" not in page
    assert not audit.team.exists()
    client.post(
        reverse("audits:team_add", args=[audit.pk]),
        {"user": world.auditor.pk, "role": "auditor", "override_reason": "Thiếu chuyên gia"},
    )
    member = audit.team.get()
    assert member.override_pending
    client.post(reverse("audits:team_override_approve", args=[audit.pk, member.pk]))
    member.refresh_from_db()
    assert member.override_approved_by == world.iso


def test_plan_an_audit_through_the_form(world, client_for):
    programme = AuditProgramme.objects.create(
        unit=world.root, start_year=2026, title="Chương trình 2026–2027", owner=world.iso
    )
    client = client_for(world.iso)
    data = {
        "programme": programme.pk,
        "code": "DG-2627-01",
        "kind": "internal",
        "title": "Đánh giá nội bộ trường Tô Hiệu",
        "objectives": "Đánh giá sự phù hợp",
        "scope_units": [world.school.pk],
        "clauses": [c.pk for c in clauses("7.1.3", "8.5.1")],
        "planned_start": "2026-12-10",
        "planned_end": "2026-12-09",
        "places": "Trường",
        "auditees": [world.principal.pk],
    }
    response = client.post(reverse("audits:audit_create"), data)
    assert response.status_code == 200 and not Audit.objects.exists()
    data["planned_end"] = "2026-12-11"
    data["kind"] = "certification"
    response = client.post(reverse("audits:audit_create"), data)
    assert response.status_code == 200 and not Audit.objects.exists()
    data["kind"] = "internal"
    response = client.post(reverse("audits:audit_create"), data)
    audit = Audit.objects.get()
    assert response["Location"] == audit.get_absolute_url()
    assert audit.report_due == date(2026, 12, 21)


def test_programme_is_approved_by_a_director_with_signature_and_shows_stats(world, client_for):
    done = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    make_finding(done, world, code="major_nc")
    services.audit_issue_report(done, actor=world.leadauditor, password="demo")
    make_audit(world, status=Audit.Status.PLANNED)
    programme = done.programme
    url = reverse("audits:programme_approve", args=[programme.pk])
    client_for(world.iso).post(url, {"password": "demo"})  # the owner cannot approve
    assert AuditProgramme.objects.get(pk=programme.pk).status == "draft"
    client_for(world.director).post(url, {"password": "demo"})
    programme.refresh_from_db()
    assert programme.status == "approved"
    assert Signature.objects.for_object(programme).get().signer == world.director
    page = client_for(world.iso).get(programme.get_absolute_url())
    stats = page.context["stats"]
    assert stats["planned"] == 2 and stats["done"] == 1 and stats["adherence"] == 50
    assert {g.code: n for g, n in stats["by_grade"]}["major_nc"] == 1
    assert stats["open_total"] == 1 and stats["open_by_age"][0][2] == 1


@pytest.mark.parametrize("step", ["approve_plan", "start", "finish", "close", "bogus"])
def test_steps_by_the_wrong_person_change_nothing_and_never_500(world, client_for, step):
    audit = make_audit(world)
    response = client_for(world.teacher).post(reverse("audits:audit_step", args=[audit.pk, step]))
    assert response.status_code == 302
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.PLANNED


def test_checklist_tap_updates_the_item_in_place_with_htmx(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.audit_generate_checklist(audit, actor=world.auditor)
    item = audit.checklist.get(clause__number="8.5.1")
    client = client_for(world.auditor)
    url = reverse("audits:checklist_item", args=[audit.pk, item.pk])
    response = client.post(
        url,
        {"result": "conforming", "note": "", "evidence": "", "version": 0},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert f'id="item-{item.pk}"' in response.content.decode()
    assert 'data-result="conforming"' in response.content.decode()
    response = client.post(
        url,
        {"result": "nonconforming", "note": "", "evidence": "", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"].endswith(f"?item={item.pk}")
    response = client.post(url, {"result": "bogus"}, headers={"HX-Request": "true"})
    assert ChecklistItem.objects.get(pk=item.pk).result == "nonconforming"
    assert response.status_code == 200 and "Hãy chọn kết quả." in response.content.decode()
    outsider = client_for(world.teacher).post(
        url,
        {"result": "conforming", "note": "", "evidence": "", "version": 2},
        headers={"HX-Request": "true"},
    )
    assert "Chỉ đoàn đánh giá" in outsider.content.decode()
    assert ChecklistItem.objects.get(pk=item.pk).result == "nonconforming"


def test_today_puts_todays_audit_before_an_older_one_still_running(world, client_for):
    from django.utils import timezone

    today = timezone.localdate()
    make_audit(world, title="Cuộc cũ còn dở", status=Audit.Status.IN_PROGRESS)
    make_audit(
        world,
        title="Cuộc hôm nay",
        status=Audit.Status.IN_PROGRESS,
        planned_start=today,
        planned_end=today,
    )
    page = client_for(world.auditor).get(reverse("audits:audit_today")).content.decode()
    assert page.index("Cuộc hôm nay") < page.index("Cuộc cũ còn dở")


def test_only_a_draft_programme_is_edited_by_its_manager(world, client_for):
    programme = AuditProgramme.objects.create(
        unit=world.root, start_year=2026, title="Chương trình 2026–2027", owner=world.iso
    )
    url = reverse("audits:programme_edit", args=[programme.pk])
    assert client_for(world.auditor).get(url).status_code == 403
    assert client_for(world.principal2).get(url).status_code == 404
    client = client_for(world.iso)
    data = {"unit": world.root.pk, "start_year": 2026, "title": "Chương trình (sửa)"}
    assert client.post(url, data).status_code == 302
    assert AuditProgramme.objects.get(pk=programme.pk).title == "Chương trình (sửa)"
    services.programme_approve(programme, actor=world.director, password="demo")
    assert client.get(url).status_code == 403

"""One journey per role that starts on "Việc của tôi" (/tasks/, where signing in lands) and
completes a piece of that person's work from there, in the Vietnamese interface.

teacher acknowledges a document (on a 360 px phone); iso approves and publishes a revision;
head records an NC's containment; principal signs the closure of a verified NC; director
approves the audit programme.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits.models import AuditProgramme
from documents import services as documents
from documents.models import Acknowledgement, RevisionStatus
from nonconformities import services as ncs
from nonconformities.models import CauseCategory, Nonconformity
from tests.audits.factories import ProgrammeFactory
from tests.browser.helpers import login
from tests.conftest import build_world
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start(page, base, username):
    """Sign in: everyone lands on their task list."""
    login(page, base, username)
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def task(page, kind, name):
    return page.locator(f'[data-testid=task-list] li[data-kind="{kind}"]').filter(has_text=name)


def home(page):
    page.locator("a.brand").click()
    expect(page).to_have_url(re.compile(r"/tasks/$"))


def test_teacher_acknowledges_a_document_from_her_task_list_on_a_phone(
    live_server, page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    document = effective_document(
        world, unit=world.school, title="Quy trình tuyển sinh lớp 1", distribute_to=[world.school]
    )
    page.set_viewport_size({"width": 360, "height": 740})
    start(page, live_server.url, "teacher")
    item = task(page, "documents.acknowledge", "Quy trình tuyển sinh lớp 1")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(world.school.name)
    # The list fits the phone: nothing runs off the right edge.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    item.get_by_role("link").click()
    row = page.get_by_test_id("ack-row").filter(has_text="Quy trình tuyển sinh lớp 1")
    # Acknowledging needs the document opened first (read in the browser, then back).
    row.get_by_test_id("read").click()
    expect(page.get_by_test_id("pdf-preview")).to_be_visible()
    page.go_back()
    page.reload()
    row = page.get_by_test_id("ack-row").filter(has_text="Quy trình tuyển sinh lớp 1")
    row.get_by_test_id("acknowledge").click()
    expect(row.locator(".badge.ok")).to_be_visible()
    assert Acknowledgement.objects.filter(
        user=world.teacher, revision=document.effective_revision
    ).exists()
    home(page)
    expect(page.get_by_test_id("no-tasks")).to_be_visible()


def _sign(page):
    page.get_by_test_id("sign-form").locator("input[name=password]").fill("demo")
    page.get_by_test_id("sign").click()
    expect(page.locator(".messages .success")).to_be_visible()


def test_iso_approves_and_publishes_a_revision_from_her_task_list(
    live_server, page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    document = make_document(
        world,
        unit=world.division,
        owner=world.head,
        title="Hướng dẫn kiểm tra chuyên môn",
        reviewers=[world.principal],
        approver=world.iso,
    )
    revision = draft_of(document)
    documents.revision_submit(revision, actor=world.head)
    documents.revision_review(revision, actor=world.principal, password="demo")

    start(page, live_server.url, "iso")
    task(page, "documents.approve", str(revision)).get_by_role("link").click()
    _sign(page)  # approve
    home(page)
    expect(task(page, "documents.approve", str(revision))).to_have_count(0)
    task(page, "documents.publish", str(revision)).get_by_role("link").click()
    _sign(page)  # publish
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.EFFECTIVE
    home(page)
    expect(task(page, "documents.publish", str(revision))).to_have_count(0)


def test_head_records_containment_of_her_units_nc_from_her_task_list(live_server, page):
    world = build_world()
    nc = ncs.nonconformity_raise(
        actor=world.auditor,
        unit=world.division,
        title="Sổ theo dõi công văn đến ghi thiếu",
        description="Sổ theo dõi công văn đến tháng 10 thiếu 4 văn bản.",
        source=Nonconformity.Source.INTERNAL_AUDIT,
    )
    start(page, live_server.url, "head")
    task(page, "nonconformities.contain", nc.number).get_by_role("link").click()
    page.fill("textarea[name=containment]", "Đã bổ sung 4 văn bản vào sổ theo dõi.")
    page.get_by_test_id("nc-contain").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã ngăn chặn")
    home(page)
    expect(task(page, "nonconformities.contain", nc.number)).to_have_count(0)
    expect(task(page, "nonconformities.analyse", nc.number)).to_have_count(1)


def _verified_nc(world):
    nc = ncs.nonconformity_raise(
        actor=world.iso,
        unit=world.school,
        title="Biên bản họp tổ chuyên môn thiếu chữ ký",
        description="Ba biên bản họp tổ tháng 9 chưa có chữ ký của tổ trưởng.",
        source=Nonconformity.Source.COMPLAINT,
    )
    ncs.nonconformity_contain(nc, actor=world.principal, containment="Đã bổ sung chữ ký.")
    ncs.nonconformity_analyse(
        nc,
        actor=world.principal,
        root_cause="Chưa quy định người ký biên bản.",
        fishbone=[(CauseCategory.objects.get(code="methods"), "Quy trình thiếu bước ký")],
    )
    ncs.nonconformity_check_extent(nc, actor=world.principal, extent_check="Các tổ khác đủ.")
    action = ncs.action_add(
        nc,
        actor=world.principal,
        description="Bổ sung bước ký vào quy trình họp tổ.",
        owner=world.teacher,
        due=timezone.localdate() + timedelta(days=7),
    )
    ncs.action_complete(action, actor=world.teacher, evidence="Quy trình họp tổ lần 2.")
    nc.refresh_from_db()
    return ncs.nonconformity_verify(
        nc,
        actor=world.director,
        result="effective",
        notes="Biên bản tháng 11 đủ chữ ký.",
        early_reason="Kiểm tra cùng đợt đánh giá.",
    )


def test_principal_signs_the_closure_of_a_verified_nc_from_her_task_list(live_server, page):
    world = build_world()
    nc = _verified_nc(world)
    start(page, live_server.url, "principal")
    task(page, "nonconformities.close", nc.number).get_by_role("link").click()
    page.fill("#step-closure input[name=password]", "demo")
    page.get_by_test_id("nc-close").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã đóng")
    home(page)
    expect(task(page, "nonconformities.close", nc.number)).to_have_count(0)


def test_director_approves_the_audit_programme_from_her_task_list(live_server, page):
    world = build_world()
    programme = ProgrammeFactory(
        unit=world.root, owner=world.iso, start_year=2026, title="Chương trình đánh giá 2026–2027"
    )
    start(page, live_server.url, "director")
    task(page, "audits.programme_approve", programme.title).get_by_role("link").click()
    form = page.locator(f"form[action$='/programmes/{programme.pk}/approve/']")
    form.locator("input[name=password]").fill("demo")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("programme-status")).to_have_class(re.compile(r"\bok\b"))
    programme.refresh_from_db()
    assert programme.status == AuditProgramme.Status.APPROVED
    home(page)
    expect(page.get_by_test_id("no-tasks")).to_be_visible()

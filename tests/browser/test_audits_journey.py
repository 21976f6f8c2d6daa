"""On a phone (360×740): the auditor opens today's audit, marks a checklist item not conforming,
records a minor NC with a photo; the lead auditor cannot issue the incomplete report, completes
it, and issues it with the password re-entered."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits import services
from audits.models import Audit, Finding
from nonconformities.models import Nonconformity
from tests.audits.factories import jpeg_bytes, make_audit
from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    yield page
    context.close()


def test_auditor_records_minor_nc_with_photo_and_lead_issues_report(
    live_server, phone, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    today = timezone.localdate()
    audit = make_audit(
        world,
        status=Audit.Status.IN_PROGRESS,
        title="Đánh giá nội bộ Trường Tiểu học Tô Hiệu",
        planned_start=today,
        planned_end=today,
    )
    services.audit_generate_checklist(audit, actor=world.auditor)
    page = phone

    login(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/audits/today/")
    expect(page.get_by_role("heading", name="Cuộc đánh giá của tôi hôm nay")).to_be_visible()
    page.get_by_test_id("today-audit").get_by_role("link", name="Mở", exact=True).click()

    item = page.get_by_test_id("checklist-item").filter(has_text="7.1.3")
    item_pk = audit.checklist.get(clause__number="7.1.3").pk
    expect(item.get_by_test_id("mark-nonconforming")).to_have_attribute("aria-pressed", "false")
    item.get_by_test_id("mark-nonconforming").click()  # tap 1
    expect(page.get_by_role("heading", name="Ghi phát hiện")).to_be_visible()
    expect(page.get_by_label("Điểm không phù hợp nhỏ")).to_be_checked()
    # several photos from the gallery, or one from the camera
    photo_input = page.locator("input[type=file][name=photos][multiple]")
    expect(photo_input).not_to_have_attribute("capture", re.compile(".*"))
    expect(page.get_by_test_id("camera-input")).to_have_attribute("capture", "environment")
    page.get_by_label("Nội dung phát hiện").fill(
        "Phòng học lớp 2B thiếu ánh sáng, hai bóng đèn hỏng."
    )
    photo_input.set_input_files(  # tap 2: the gallery
        files=[{"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600))}]
    )
    page.get_by_test_id("finding-save").click()  # tap 3
    # back on the checklist, at the item: its answer filled, the others outlined
    expect(page).to_have_url(re.compile(rf"#item-{item_pk}$"))
    item = page.get_by_test_id("checklist-item").filter(has_text="7.1.3")
    expect(item.get_by_test_id("mark-nonconforming")).to_have_attribute("aria-pressed", "true")
    expect(item.get_by_test_id("mark-conforming")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("checklist-progress")).to_have_attribute("data-checked", "1")
    page.get_by_test_id("finding").get_by_role("link").first.click()
    expect(page.get_by_test_id("finding-statement")).to_contain_text("thiếu ánh sáng")
    expect(page.get_by_test_id("finding-photos").locator("img")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finding = Finding.objects.get()
    assert finding.grade.code == "minor_nc" and finding.checklist_item.result == "nonconforming"

    page.context.clear_cookies()
    login(page, live_server.url, "leadauditor")
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    page.get_by_test_id("audit-finish").click()
    # two items were left unchecked: the lead sees them and ends fieldwork anyway
    expect(page.get_by_test_id("unchecked-count")).to_have_attribute("data-unchecked", "2")
    expect(page.get_by_test_id("unchecked-items").get_by_role("link")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("audit-finish-confirm").click()
    expect(page.get_by_test_id("audit-status")).to_have_text("Đang lập báo cáo")
    page.get_by_test_id("report-edit").click()
    expect(page.get_by_test_id("report-missing").first).to_contain_text("kết luận")

    page.get_by_label("Mật khẩu của bạn (để ký)").fill("demo")
    page.get_by_test_id("report-issue").click()
    expect(page.get_by_text(re.compile("Chưa thể ban hành báo cáo"))).to_be_visible()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING

    page.get_by_label("Thành phần đoàn đánh giá và bên được đánh giá").fill(
        "Hoàng Văn Dũng (trưởng đoàn), Cầm Thị Lan; Lường Thị Mai (Hiệu trưởng)"
    )
    page.get_by_label("Kết luận").fill("Hệ thống được duy trì; cần khắc phục một điểm nhỏ.")
    page.get_by_label("Mức độ phù hợp").fill("Phù hợp phần lớn yêu cầu.")
    page.get_by_label("Ý kiến khác biệt chưa thống nhất").fill("Không có.")
    page.get_by_test_id("report-save").click()
    expect(page.get_by_text("Đã lưu báo cáo.")).to_be_visible()

    page.get_by_label("Mật khẩu của bạn (để ký)").fill("sai-mat-khau")
    page.get_by_test_id("report-issue").click()
    expect(page.get_by_text("Mật khẩu không đúng", exact=False)).to_be_visible()

    page.get_by_label("Mật khẩu của bạn (để ký)").fill("demo")
    page.get_by_test_id("report-issue").click()
    expect(page.get_by_test_id("audit-status")).to_have_text("Đã ban hành báo cáo")
    expect(page.get_by_text("Hợp lệ").first).to_be_visible()
    nc = Nonconformity.objects.for_source(finding).get()
    assert nc.severity == "minor"
    page.goto(f"{live_server.url}{finding.get_absolute_url()}")
    expect(page.get_by_test_id("finding-nc")).to_contain_text(nc.number)


def test_auditor_cites_a_document_revision_with_the_picker_and_finds_it_in_the_register(
    live_server, phone, settings, tmp_path
):
    from tests.documents.factories import effective_document

    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    document = effective_document(world, code="QT-07", title="Quy trình kiểm soát hồ sơ")
    revision = document.revisions.get()
    effective_document(world, code="QT-08", title="Quy trình tuyển sinh")
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    page = phone

    login(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/audits/{audit.pk}/findings/new/")
    page.get_by_label("Nội dung phát hiện").fill("Hồ sơ lớp 3A không theo biểu mẫu QT-07.")
    page.locator("input[name=clauses]").first.check()
    page.get_by_label("Lần ban hành tài liệu").fill("kiem soat ho so")  # no diacritics
    choice = page.get_by_test_id("revision-choice")
    expect(choice).to_have_count(1)  # the search answers as one types; QT-08 is not listed
    choice.check()
    page.get_by_test_id("finding-save").click()
    cited = page.get_by_test_id("cited-revision")
    expect(cited).to_contain_text("QT-07")
    expect(cited).to_contain_text("Quy trình kiểm soát hồ sơ")
    assert Finding.objects.get().evidence.get().revision == revision
    cited.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/documents/{document.pk}/$"))

    page.goto(f"{live_server.url}/audits/findings/?q=lop 3a")
    expect(page.get_by_test_id("finding-row")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

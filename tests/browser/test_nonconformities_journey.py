"""The NC loop in the browser: head contains, analyses (5 whys), adds an action for teacher;
teacher completes it with evidence; iso verifies it effective and closes it with a signature."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nonconformities.models import Nonconformity
from nonconformities.services import nonconformity_raise
from tests.browser.helpers import login, pick_person
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.context.clear_cookies()


def test_nc_loop_from_containment_to_signed_closure(live_server, page):
    world = build_world()
    nc = nonconformity_raise(
        actor=world.auditor,
        unit=world.division,
        title="Kế hoạch kiểm tra chuyên môn tiểu học chưa được phê duyệt",
        description="Kế hoạch kiểm tra chuyên môn học kỳ I chưa có chữ ký phê duyệt.",
        source=Nonconformity.Source.INTERNAL_AUDIT,
        severity=Nonconformity.Severity.MINOR,
    )
    url = f"{live_server.url}/nonconformities/{nc.pk}/"

    # head: containment, 5 whys, extent, one action for teacher.
    login(page, live_server.url, "head")
    page.goto(f"{live_server.url}/nonconformities/")
    page.get_by_role("link", name=nc.number).click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Mới mở")
    page.fill("textarea[name=containment]", "Trình lãnh đạo Sở ký phê duyệt kế hoạch ngay.")
    page.get_by_test_id("nc-contain").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã ngăn chặn")
    page.fill("textarea[name=why1]", "Kế hoạch chưa được trình ký")
    page.fill("textarea[name=why2]", "Chuyên viên không biết hạn trình ký")
    page.fill("textarea[name=why3]", "Quy trình không nêu hạn trình ký")
    page.fill("textarea[name=root_cause]", "Quy trình lập kế hoạch kiểm tra thiếu hạn trình ký.")
    page.get_by_test_id("nc-analyse").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã phân tích nguyên nhân gốc")
    page.fill("textarea[name=extent_check]", "Đã rà soát kế hoạch của các phòng khác: đầy đủ.")
    page.get_by_test_id("nc-extent").click()
    # wait for the step to land: its swap would otherwise clear the action form typed next
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã xem xét phạm vi")
    # A bad due date: a clear message, nothing saved.
    page.fill("textarea[name=description]", "Bổ sung hạn trình ký vào quy trình QT-12.")
    pick_person(page, "owner", "teacher", "teacher")
    yesterday = timezone.localdate() - timedelta(days=1)
    page.fill("input[name=due]", yesterday.isoformat())
    page.get_by_test_id("nc-action-add").click()
    expect(
        page.get_by_text("Hạn hoàn thành không được sớm hơn hôm nay.", exact=True)
    ).to_be_visible()
    page.fill("input[name=due]", (timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_test_id("nc-action-add").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đang thực hiện hành động khắc phục")
    expect(page.get_by_test_id("nc-actions")).to_contain_text("QT-12")
    sign_out(page)

    # teacher: completes the action with evidence.
    login(page, live_server.url, "teacher")
    page.goto(url)
    page.locator("textarea[name$=evidence]").fill("QT-12 lần ban hành 2 đã bổ sung hạn trình ký.")
    page.get_by_test_id("nc-action-complete").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Chờ kiểm tra hiệu lực")
    expect(page.get_by_test_id("nc-verify")).to_have_count(0)  # an owner cannot verify
    sign_out(page)

    # iso: verifies effective, then closes with the password re-entered.
    login(page, live_server.url, "iso")
    page.goto(url)
    page.locator("input[name=result][value=effective]").check()
    page.fill("textarea[name=notes]", "Kế hoạch học kỳ II được phê duyệt đúng hạn.")
    page.get_by_test_id("nc-verify").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã xác nhận có hiệu lực")
    page.fill("input[name=password]", "sai")
    page.get_by_test_id("nc-close").click()
    # refused in place: the step shows the error (wait for it before typing again)
    expect(page.locator("#step-closure .errorlist")).to_be_visible()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã xác nhận có hiệu lực")
    page.fill("input[name=password]", "demo")
    page.get_by_test_id("nc-close").click()
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã đóng")
    expect(page.locator("#step-closure")).to_contain_text("Hợp lệ")
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED and nc.closed_by == world.iso

    # The register filters in place (htmx) and keeps the filter in the address.
    page.goto(f"{live_server.url}/nonconformities/")
    page.select_option("select[name=status]", "in_action")
    expect(page.get_by_text("Không có sự không phù hợp nào phù hợp điều kiện lọc.")).to_be_visible()
    page.select_option("select[name=status]", "closed")
    expect(page.get_by_test_id("nc-register")).to_contain_text(nc.number)
    expect(page).to_have_url(re.compile(r"status=closed"))

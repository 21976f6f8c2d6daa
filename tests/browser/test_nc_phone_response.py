"""Responding to an NC on a 360 px phone: every step updates in place (htmx), confirms in the
step, keeps the step in view, and people are chosen by search. The principal hands the
containment to the teacher; the teacher contains it; the principal analyses, checks the extent,
adds an action whose owner is found by typing, then moves its due date with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nonconformities.models import CorrectiveAction, Nonconformity
from nonconformities.services import nonconformity_raise
from tests.browser.helpers import login, pick_person
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


def mark_page(page):
    """A flag that a full page load would wipe out."""
    page.evaluate("window.__sameDocument = true")


def still_same_page(page):
    return page.evaluate("window.__sameDocument === true")


def done_in(page, step):
    notice = page.locator(f"#{step} [data-testid=nc-step-done]")
    expect(notice).to_be_visible()
    expect(notice).to_be_in_viewport()


def test_phone_response_updates_each_step_in_place(live_server, phone):
    page = phone
    world = build_world()
    nc = nonconformity_raise(
        actor=world.iso,
        unit=world.school,
        title="Sổ đầu bài lớp 3A chưa được ký xác nhận",
        description="Sổ đầu bài lớp 3A tuần 5–8 chưa có chữ ký của hiệu trưởng.",
        source=Nonconformity.Source.INTERNAL_AUDIT,
    )
    url = f"{live_server.url}/nonconformities/{nc.pk}/"
    in_3_days = (timezone.localdate() + timedelta(days=3)).isoformat()

    # principal: hands the containment to the teacher, found by typing part of a name.
    login(page, live_server.url, "principal")
    page.goto(url)
    mark_page(page)
    page.locator("#step-containment summary").click()
    pick_person(page, "containment-assignee", "teach", "teacher")
    page.fill("input[name=containment-due]", in_3_days)
    page.get_by_test_id("nc-assign-containment").click()
    done_in(page, "step-containment")
    expect(page.get_by_test_id("nc-containment-assignee")).to_be_visible()
    assert still_same_page(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.context.clear_cookies()

    # teacher: contains it in place.
    login(page, live_server.url, "teacher")
    page.goto(url)
    mark_page(page)
    page.fill("textarea[name=containment]", "Đã trình hiệu trưởng ký bổ sung tuần 5–8.")
    page.get_by_test_id("nc-contain").click()
    done_in(page, "step-containment")
    expect(page.get_by_test_id("nc-status")).to_have_text("Đã ngăn chặn")
    assert still_same_page(page)
    page.context.clear_cookies()

    # principal: root cause (multi-line whys), extent, an action for the teacher, a new date.
    login(page, live_server.url, "principal")
    page.goto(url)
    mark_page(page)
    page.fill("textarea[name=why1]", "Sổ không được trình ký\nvào thứ Sáu hằng tuần")
    page.fill("textarea[name=root_cause]", "Lịch trình ký sổ đầu bài không được giao cho ai.")
    page.get_by_test_id("nc-analyse").click()
    done_in(page, "step-root-cause")
    page.fill("textarea[name=extent_check]", "Đã kiểm tra sổ đầu bài các lớp khác: đầy đủ.")
    page.get_by_test_id("nc-extent").click()
    done_in(page, "step-extent")
    page.fill("textarea[name=description]", "Giao tổ trưởng trình ký sổ đầu bài mỗi thứ Sáu.")
    pick_person(page, "owner", "teach", "teacher")
    page.fill("input[name=due]", (timezone.localdate() + timedelta(days=7)).isoformat())
    page.get_by_test_id("nc-action-add").click()
    done_in(page, "step-actions")
    expect(page.get_by_test_id("nc-status")).to_have_text("Đang thực hiện hành động khắc phục")
    action = CorrectiveAction.objects.get(nonconformity=nc)
    page.locator(f"[name=d{action.pk}-due]").locator("xpath=ancestor::details").locator(
        "summary"
    ).click()
    page.fill(
        f"input[name=d{action.pk}-due]", (timezone.localdate() + timedelta(days=21)).isoformat()
    )
    page.fill(f"input[name=d{action.pk}-reason]", "Chờ họp tổ chuyên môn")
    page.get_by_test_id("nc-action-redate").click()
    done_in(page, "step-actions")
    expect(page.get_by_test_id("nc-extended")).to_be_visible()
    assert still_same_page(page)
    assert page.evaluate("window.scrollY") > 0  # the step stays in view, not the page top
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    action.refresh_from_db()
    nc.refresh_from_db()
    assert nc.contained_by == world.teacher and action.extensions == 1
    assert "\n" in nc.causes.get(position=1).text


def test_without_javascript_a_step_lands_on_its_anchor(live_server, browser):
    world = build_world()
    nc = nonconformity_raise(
        actor=world.iso,
        unit=world.school,
        title="Thiếu biên bản họp tổ",
        description="Không có biên bản họp tổ tháng 9.",
        source=Nonconformity.Source.INTERNAL_AUDIT,
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="vi-VN"
    )
    page = context.new_page()
    login(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/nonconformities/{nc.pk}/")
    page.fill("textarea[name=containment]", "Đã lập biên bản bổ sung.")
    page.get_by_test_id("nc-contain").click()
    expect(page).to_have_url(
        f"{live_server.url}/nonconformities/{nc.pk}/?done=contain#step-containment"
    )
    expect(page.locator("#step-containment [data-testid=nc-step-done]")).to_be_in_viewport()
    context.close()

"""A director signs in (Vietnamese), switches to English, reads notifications, signs out."""

import re

import pytest
from playwright.sync_api import expect

from ims.notifications import notify
from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_director_signs_in_in_vietnamese_switches_to_english_and_signs_out(live_server, page):
    world = build_world()
    notify(world.director, title="Kế hoạch đánh giá nội bộ năm học 2025–2026", url="/")

    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    login(page, live_server.url, "director", "sai-mat-khau")
    expect(page.get_by_text("Tên đăng nhập hoặc mật khẩu không đúng.")).to_be_visible()

    login(page, live_server.url, "director")
    expect(page).to_have_url(re.compile(r"/tasks/$"))  # everyone starts on their task list
    expect(page.get_by_text(re.compile("Xin chào"))).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_text("1")

    page.get_by_text(world.director.display_name).first.click()
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()

    page.locator("a.bell").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_text("Kế hoạch đánh giá nội bộ năm học 2025–2026")).to_be_visible()

    page.get_by_text(world.director.display_name).first.click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto(f"{live_server.url}/notifications/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

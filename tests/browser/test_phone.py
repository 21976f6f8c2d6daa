"""On a 360 px phone, on a weak or dropped network: the user menu stays on screen, a submit shows
it is working, typed text survives a failed submit, and a checklist tap that fails says so."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def _on_screen(locator):
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    return box


@pytest.mark.parametrize(
    "full_name",
    ["Nguyễn Thị Phương Thảo Hoàng Bảo Ngọc (Phòng Quản lý chất lượng)", "Lò Văn Hùng", "An"],
    ids=["long-name", "medium-name", "short-name"],
)
def test_user_menu_opens_on_screen_on_a_phone(live_server, phone, full_name):
    world = build_world()
    world.iso.full_name = full_name
    world.iso.save(update_fields=["full_name"])
    page = phone
    login(page, live_server.url, "iso")

    page.locator("details.usermenu > summary").click()
    for target in [
        page.get_by_test_id("my-settings"),
        page.get_by_test_id("lang-vi"),
        page.get_by_test_id("lang-en"),
        page.get_by_role("button", name="Đăng xuất"),
    ]:
        expect(target).to_be_visible()
        _on_screen(target)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_test_id("my-settings").click()
    expect(page).to_have_url(f"{live_server.url}/me/")

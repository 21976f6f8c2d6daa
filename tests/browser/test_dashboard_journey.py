"""The director lands on the dashboard, drills down province → commune → school, and opens
the overdue-actions list from a card; the page fits a 360 px phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import build_world
from tests.dashboard import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_director_drills_down_to_a_school_and_opens_its_overdue_actions(live_server, page):
    world = build_world()
    late = f.nc(world.school, world.iso, severity="major", overdue_actions=2)
    f.nc(world.school, world.iso)
    f.nc(world.school2, world.iso, overdue_actions=1)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "director")
    page.fill("input[name=password]", "demo")
    page.click("[data-testid=login-submit]")
    expect(page).to_have_url(re.compile(r"/tasks/$"))  # everyone lands on their task list
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("scope-name")).to_have_text(world.root.name)
    expect(page.get_by_test_id("nc-overdue")).to_have_text("2")

    page.get_by_test_id(f"drill-{world.commune.code}").click()
    expect(page.get_by_test_id("scope-name")).to_have_text(world.commune.name)
    expect(
        page.get_by_test_id("breadcrumb").get_by_role("link", name=world.root.name)
    ).to_be_visible()
    expect(page.get_by_test_id("nc-open")).to_have_text("2")

    page.get_by_test_id(f"drill-{world.school.code}").click()
    expect(page.get_by_test_id("scope-name")).to_have_text(world.school.name)
    breadcrumb = page.get_by_test_id("breadcrumb")
    expect(breadcrumb.get_by_role("link", name=world.commune.name)).to_be_visible()
    expect(page.get_by_test_id("nc-overdue")).to_have_text("1")

    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    page.get_by_test_id("nc-overdue").click()
    expect(page).to_have_url(re.compile(r"/nonconformities/\?.*overdue=on"))
    rows = page.get_by_test_id("nc-register").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.get_by_text(late.number)).to_be_visible()

    page.go_back()
    page.go_back()
    expect(page.get_by_test_id("scope-name")).to_have_text(world.commune.name)
    breadcrumb = page.get_by_test_id("breadcrumb")
    breadcrumb.get_by_role("link", name=world.root.name).click()
    expect(page.get_by_test_id("scope-name")).to_have_text(world.root.name)


def test_a_register_opened_from_a_number_shows_its_filters_and_keeps_them(live_server, page):
    world = build_world()
    old = f.nc(world.school, world.iso, age=120)
    f.nc(world.school, world.iso, age=10)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "director")
    page.fill("input[name=password]", "demo")
    page.click("[data-testid=login-submit]")
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_test_id("nc-age-3").click()  # open NCs over 90 days
    expect(page).to_have_url(re.compile(r"age=gt90"))
    expect(page.locator("#id_age")).to_have_value("gt90")
    expect(page.locator("#id_open")).to_be_checked()
    expect(page.get_by_test_id("nc-register").locator("tbody tr")).to_have_count(1)
    page.locator("form.filters button[type=submit]").click()  # "Lọc" again
    expect(page).to_have_url(re.compile(r"age=gt90"))
    expect(page.locator("#id_age")).to_have_value("gt90")
    expect(page.get_by_test_id("nc-register").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_text(old.number)).to_be_visible()

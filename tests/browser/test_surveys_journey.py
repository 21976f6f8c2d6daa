"""A parent answers /s/DEMO2026 on a 360 px phone, in Vietnamese, via Lao and back; a one-time
code cannot be used twice."""

import pytest
from playwright.sync_api import expect

from surveys.models import OneTimeCode, Response, SurveyLink
from surveys.services import codes_generate
from tests.conftest import build_world
from tests.surveys.factories import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _quick_answers(settings):
    settings.SURVEY_MIN_SECONDS = 0


def answer_likert(page, value):
    for fieldset in page.locator("fieldset.question").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count() == 5:
            radios.nth(value - 1).check()
        elif radios.count():
            radios.first.check()


def test_parent_answers_demo_link_on_a_phone_and_code_reuse_is_refused(live_server, phone):
    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    SurveyLink.objects.filter(campaign=campaign).update(code="DEMO2026")
    page = phone

    page.goto(f"{live_server.url}/s/DEMO2026")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_text("Phần 1 / 3")).to_be_visible()
    expect(page.get_by_text("Việc tuyển sinh, nhập học")).to_be_visible()
    assert "DEMO2026" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_test_id("survey-lang-lo").click()
    expect(page.locator("html")).to_have_attribute("lang", "lo")
    expect(page.get_by_text("ພາກ 1 / 3")).to_be_visible()
    expect(page.get_by_text("ການລົງທະບຽນເຂົ້າຮຽນ")).to_be_visible()
    page.get_by_test_id("survey-lang-vi").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # A missing answer is marked, and what was chosen stays chosen.
    page.locator("fieldset.question").nth(1).locator("input[type=radio]").nth(4).check()
    page.get_by_test_id("survey-next").click()
    expect(page.get_by_text("Xin kiểm tra các câu được đánh dấu bên dưới.")).to_be_visible()
    expect(
        page.locator("fieldset.question").nth(1).locator("input[type=radio]").nth(4)
    ).to_be_checked()

    answer_likert(page, 4)
    page.get_by_test_id("survey-next").click()
    expect(page.get_by_text("Phần 2 / 3")).to_be_visible()
    answer_likert(page, 5)
    page.get_by_test_id("survey-next").click()
    expect(page.get_by_text("Phần 3 / 3")).to_be_visible()
    page.locator("input[type=text]").first.fill("Thầy cô rất tận tình")
    page.get_by_test_id("survey-next").click()
    expect(page.get_by_role("heading", name="Xin cảm ơn!")).to_be_visible()
    assert Response.objects.filter(campaign=campaign).count() == 1

    # A one-time code works once; the second time the parent is told it was used.
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
    code = OneTimeCode.objects.get().code
    for attempt in range(2):
        page.goto(f"{live_server.url}/s/")
        page.fill("input[name=code]", code.lower())
        page.get_by_role("button", name="Bắt đầu").click()
        if attempt == 0:
            answer_likert(page, 3)
            page.get_by_test_id("survey-next").click()
            answer_likert(page, 3)
            page.get_by_test_id("survey-next").click()
            page.get_by_test_id("survey-next").click()
            expect(page.get_by_role("heading", name="Xin cảm ơn!")).to_be_visible()
    expect(page.get_by_role("heading", name="Mã này đã được sử dụng")).to_be_visible()
    assert Response.objects.filter(campaign=campaign).count() == 2

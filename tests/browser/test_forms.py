"""Forms that do not fight, in a real browser at 360 px: the multi-choice list filters and shows
chips (and is a plain list without JavaScript), a failed form focuses its error summary whose
links lead to the fields, a file chosen before an error is kept, and the external-origin fields
show only for an external document. No CSP violation on the way."""

import re

import pytest
from playwright.sync_api import expect

from documents.models import Revision
from documents.sample_pdf import sample_pdf
from ims.models import Clause
from ims.search import fold
from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_multichoice_error_summary_and_kept_file(live_server, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    base = live_server.url
    page.set_viewport_size(PHONE)
    page.add_init_script(WATCH)
    login(page, base, "iso")

    # --- the multi-choice list: filter (without accents) and chips ---------------------------
    page.goto(f"{base}/nonconformities/new/")
    box = page.get_by_test_id("multichoice")
    filter_box = box.locator(".multichoice-filter")
    expect(filter_box).to_be_visible()
    clause = (
        Clause.objects.filter(criteria_set__is_active=True, number__contains=".")
        .exclude(title__exact="")
        .first()
    )
    word = max(fold(clause.title).split(), key=len)
    filter_box.fill(word)
    option = box.locator(f"input[value='{clause.pk}']")
    expect(option).to_be_visible()
    visible = box.locator("label.choice:visible")
    assert 0 < visible.count() < box.locator("label.choice").count()
    option.check()
    chip = box.locator(".multichoice-chips .chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text(clause.number)
    chip.locator("button").click()
    expect(option).not_to_be_checked()
    expect(chip).to_have_count(0)
    option.check()
    filter_box.press("Enter")  # filtering never submits the form
    expect(page).to_have_url(re.compile(r"/nonconformities/new/$"))
    assert _fits(page)

    # --- a failed form: the summary is focused, its links lead to the fields ------------------
    page.get_by_test_id("nc-raise-submit").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator(f"input[name=clauses][value='{clause.pk}']")).to_be_checked()  # kept
    summary.locator("a[href='#id_title']").click()
    expect(page.locator("#id_title")).to_be_focused()
    assert _fits(page)

    # --- a document: external fields only for external documents; the file is kept ----------
    pdf = tmp_path / "qt-kept.pdf"
    pdf.write_bytes(sample_pdf("QT-50 Giữ tệp"))
    page.goto(f"{base}/documents/new/")
    page.select_option("select[name=doc_type]", "procedure")
    expect(page.locator("input[name=issuer]")).to_be_hidden()
    page.select_option("select[name=doc_type]", "external")
    expect(page.locator("input[name=issuer]")).to_be_visible()
    page.select_option("select[name=doc_type]", "procedure")
    page.fill("input[name=code]", "QT-50")
    page.fill("input[name=title]", "Quy trình giữ tệp")
    page.select_option("select[name=owner_unit]", str(world.quality.pk))
    page.set_input_files("input[name=file]", str(pdf))
    page.get_by_test_id("save-document").click()  # no change summary, no reviewers: refused
    expect(page.get_by_test_id("error-summary")).to_be_focused()
    kept = page.get_by_test_id("kept-file")
    expect(kept).to_be_checked()
    expect(page.locator(".kept-file")).to_contain_text("qt-kept.pdf")
    page.fill("textarea[name=change_summary]", "Ban hành lần đầu.")
    picker = page.locator("[name=reviewers_q]")
    picker.fill("head")
    page.locator(f"input[name=reviewers][value='{world.head.pk}']").check()
    page.locator("[name=approver_q]").fill("director")
    page.locator(f"input[name=approver][value='{world.director.pk}']").check()
    page.get_by_test_id("save-document").click()
    expect(page.locator("h1")).to_contain_text("QT-50")
    assert Revision.objects.get(document__code="QT-50").file_name == "qt-kept.pdf"

    assert page.evaluate("window.__csp") == []


def test_without_javascript_the_multichoice_is_a_plain_list(live_server, browser):
    build_world()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    login(page, live_server.url, "iso")
    page.goto(f"{live_server.url}/nonconformities/new/")
    box = page.get_by_test_id("multichoice")
    expect(box.locator(".multichoice-filter")).to_be_hidden()
    expect(box.locator("label.choice").first).to_be_visible()
    assert box.locator(".multichoice-group").count() >= 2  # grouped by criteria set
    assert _fits(page)
    context.close()

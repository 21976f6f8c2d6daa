"""On a 360 px phone, on a weak or dropped network: the user menu stays on screen, a submit shows
it is working, typed text survives a failed submit, and a checklist tap that fails says so."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits import services
from audits.models import Audit, ChecklistItem
from nonconformities.models import Nonconformity
from tests.audits.factories import make_audit, make_finding
from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""

REPORT = {
    "Thành phần đoàn đánh giá và bên được đánh giá": "Hoàng Văn Dũng (trưởng đoàn); Lường Thị Mai",
    "Kết luận": "Hệ thống được duy trì; cần khắc phục một điểm nhỏ.",
    "Mức độ phù hợp": "Phù hợp phần lớn yêu cầu.",
    "Ý kiến khác biệt chưa thống nhất": "Không có.",
}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    yield page
    assert page.evaluate("window.__csp || []") == []  # no inline script or handler anywhere
    context.close()


def slow_network(page, latency=400):
    """A 3G-like link (the field walk-through's: 400 ms latency, 50 kB/s down)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": 50 * 1024,
            "uploadThroughput": 25 * 1024,
        },
    )
    return cdp


def reporting_audit(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    make_finding(audit, world, code="minor_nc")
    return audit


def fill_report(page):
    for label, value in REPORT.items():
        page.get_by_label(label).fill(value)


def expect_report(page, values=REPORT):
    for label, value in values.items():
        expect(page.get_by_label(label)).to_have_value(value)


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


def test_signing_the_report_without_saving_first_keeps_and_saves_the_typed_text(live_server, phone):
    world = build_world()
    audit = reporting_audit(world)
    page = phone
    login(page, live_server.url, "leadauditor")
    page.goto(f"{live_server.url}/audits/{audit.pk}/report/edit/")
    fill_report(page)

    page.get_by_label("Mật khẩu của bạn (để ký)").fill("sai-mat-khau")
    page.get_by_test_id("report-issue").click()  # no "Save report" first
    expect(page.get_by_text("Mật khẩu không đúng", exact=False)).to_be_visible()
    expect_report(page)  # refused, and nothing typed is lost
    expect(page.get_by_label("Mật khẩu của bạn (để ký)")).to_have_value("")
    assert Audit.objects.get(pk=audit.pk).conclusions == ""  # all or nothing

    page.get_by_label("Mật khẩu của bạn (để ký)").fill("demo")
    page.get_by_test_id("report-issue").click()
    expect(page.get_by_test_id("audit-status")).to_have_text("Đã ban hành báo cáo")
    audit.refresh_from_db()
    assert audit.conclusions == REPORT["Kết luận"] and audit.diverging_opinions == "Không có."
    assert Nonconformity.objects.count() == 1


def test_a_submit_on_a_slow_network_shows_it_is_working_and_cannot_be_sent_twice(
    live_server, phone
):
    world = build_world()
    audit = reporting_audit(world)
    page = phone
    login(page, live_server.url, "leadauditor")
    page.goto(f"{live_server.url}/audits/{audit.pk}/report/edit/")
    fill_report(page)
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    slow_network(page, latency=1500)

    # Watch this page while the answer is on its way (it is gone once the answer comes), and
    # tap again as an impatient thumb would, as soon as the button shows it is busy.
    page.evaluate(
        """() => {
            const save = document.querySelector("[data-testid=report-save]");
            const issue = document.querySelector("[data-testid=report-issue]");
            new MutationObserver(() => {
                if (!save.disabled || save.getAttribute("aria-busy") !== "true") return;
                if (sessionStorage.getItem("seen-busy")) return;
                sessionStorage.setItem("seen-busy", JSON.stringify([save.disabled, issue.disabled]));
                save.click();
                save.form.requestSubmit();
            }).observe(save, { attributes: true });
        }"""
    )
    page.get_by_test_id("report-save").click()
    expect(page.get_by_text("Đã lưu báo cáo.")).to_be_visible(timeout=20000)
    assert page.evaluate("sessionStorage.getItem('seen-busy')") == "[true,true]"
    assert len(posts) == 1
    expect(page.get_by_test_id("report-save")).to_be_enabled()
    expect(page.get_by_test_id("report-save")).not_to_have_attribute("aria-busy", "true")


def test_a_dropped_network_at_submit_keeps_the_typed_report_as_a_draft(live_server, phone):
    world = build_world()
    audit = reporting_audit(world)
    page = phone
    url = f"{live_server.url}/audits/{audit.pk}/report/edit/"
    login(page, live_server.url, "leadauditor")
    page.goto(url)
    fill_report(page)
    page.get_by_label("Mật khẩu của bạn (để ký)").fill("demo")
    page.wait_for_timeout(500)  # the draft is written as one types (debounced)
    stored = page.evaluate("JSON.stringify(localStorage)")
    assert "Không có." in stored and "demo" not in stored.replace("ims-draft", "")

    page.context.set_offline(True)
    page.get_by_test_id("report-save").click()  # the network drops at submit
    page.wait_for_url(re.compile("chrome-error"))
    page.context.set_offline(False)
    page.goto(url)  # on return, the typed text is back and the page says so
    notice = page.get_by_test_id("draft-restored")
    expect(notice).to_be_visible()
    expect_report(page)
    expect(page.get_by_label("Mật khẩu của bạn (để ký)")).to_have_value("")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_test_id("draft-discard").click()  # discard: the saved (empty) report again
    expect(notice).to_have_count(0)
    expect(page.get_by_label("Kết luận")).to_have_value("")
    page.reload()
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)

    fill_report(page)
    page.get_by_test_id("report-save").click()  # a submit that succeeds clears the draft
    expect(page.get_by_text("Đã lưu báo cáo.")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)
    assert "ims-draft" not in page.evaluate("Object.keys(localStorage).join()")
    assert Audit.objects.get(pk=audit.pk).conclusions == REPORT["Kết luận"]


def test_a_refused_nc_step_keeps_its_draft_for_the_next_visit(live_server, phone):
    from tests.nonconformities.factories import raise_nc

    world = build_world()
    nc = raise_nc(world.iso, world.school)
    page = phone
    url = f"{live_server.url}{nc.get_absolute_url()}"
    login(page, live_server.url, "principal")
    page.goto(url)
    containment = page.locator("#step-containment textarea").first
    containment.fill("Thu hồi sổ điểm lớp 3A, kiểm tra lại toàn bộ điểm kiểm tra giữa kỳ.")
    page.wait_for_timeout(500)
    page.context.set_offline(True)
    page.get_by_test_id("nc-contain").click()
    # The step is sent in place (htmx): the failed request says so, and the text stays typed.
    expect(page.get_by_test_id("request-error").first).to_be_visible()
    page.context.set_offline(False)
    page.goto(url)
    expect(page.get_by_test_id("draft-restored")).to_be_visible()
    expect(page.locator("#step-containment textarea").first).to_have_value(
        re.compile("Thu hồi sổ điểm lớp 3A")
    )


def test_a_checklist_tap_that_fails_offline_says_so_and_keeps_the_item_honest(live_server, phone):
    world = build_world()
    today = timezone.localdate()
    audit = make_audit(
        world, status=Audit.Status.IN_PROGRESS, planned_start=today, planned_end=today
    )
    services.audit_generate_checklist(audit, actor=world.auditor)
    item_row = ChecklistItem.objects.filter(audit=audit).order_by("order").first()
    page = phone
    login(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    item = page.locator(f"#item-{item_row.pk}")
    expect(item).to_have_attribute("data-result", "not_checked")

    page.context.set_offline(True)
    item.get_by_role("button", name=re.compile("Phù hợp")).first.click()
    error = item.get_by_test_id("request-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(item).to_have_attribute("data-result", "not_checked")  # nothing pretends it saved
    expect(item.get_by_text("Chưa kiểm tra")).to_be_visible()
    expect(item.get_by_role("button", name=re.compile("Phù hợp")).first).to_be_enabled()
    assert ChecklistItem.objects.get(pk=item_row.pk).result == "not_checked"

    page.context.set_offline(False)
    slow_network(page, latency=1500)
    button = item.get_by_role("button", name=re.compile("Phù hợp")).first
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")  # an htmx tap shows it is working
    expect(page.locator(f"#item-{item_row.pk}")).to_have_attribute(
        "data-result", "conforming", timeout=20000
    )
    expect(page.locator(f"#item-{item_row.pk}").get_by_test_id("request-error")).to_have_count(0)
    assert ChecklistItem.objects.get(pk=item_row.pk).result == "conforming"


def test_an_external_audit_in_the_list_reads_across_a_phone(live_server, phone):
    """The kind's badge of an external audit sits under its title, not beside it: beside it, the
    title's column shrank to one letter a line. An overdue report's badge wraps under the state."""
    world = build_world()
    make_audit(
        world,
        kind=Audit.Kind.CERTIFICATION,
        external_body="QUACERT",
        title="Đánh giá chứng nhận lại ISO 9001:2015 và ISO 21001:2018 của Sở GD&ĐT",
    )
    late = make_audit(world, status=Audit.Status.IN_PROGRESS)
    Audit.objects.filter(pk=late.pk).update(report_due=timezone.localdate() - timedelta(days=3))
    login(phone, live_server.url, "iso")
    phone.goto(f"{live_server.url}/audits/")
    _on_screen(phone.locator("td .badge.bad"))  # the report overdue: under the state, whole
    title = phone.get_by_role("link", name=re.compile("Đánh giá chứng nhận lại"))
    box = _on_screen(title)
    assert box["width"] > PHONE["width"] / 3, box  # a line of words, not a column of letters
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

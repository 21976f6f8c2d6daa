"""Staff uploads a draft; a reviewer signs; the approver approves and publishes (password
re-entered each time); a teacher finds it in "to acknowledge" and acknowledges it."""

import re

import pytest
from playwright.sync_api import expect

from documents.models import Acknowledgement, Revision
from documents.sample_pdf import sample_pdf
from ims.models import Role
from tests.browser.helpers import login, pick_person
from tests.conftest import build_world
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch(page, base_url, username):
    page.context.clear_cookies()
    login(page, base_url, username)


def _sign(page, password="demo"):
    page.get_by_test_id("sign-form").locator("input[name=password]").fill(password)
    page.get_by_test_id("sign").click()


def test_draft_to_effective_to_acknowledged(live_server, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    staff = UserFactory(username="chuyenvien", full_name="Bạc Thị Nhung")
    MembershipFactory(user=staff, unit=world.quality, role=Role.STAFF)
    world.head.full_name = "Lò Văn Hùng"
    world.head.save()
    pdf = tmp_path / "qt-09.pdf"
    pdf.write_bytes(sample_pdf("QT-09 Quy trình tiếp nhận văn bản đến"))
    base = live_server.url

    login(page, base, "chuyenvien")
    page.goto(f"{base}/documents/")
    page.get_by_test_id("new-document").click()
    page.fill("input[name=code]", "QT-09")
    page.fill("input[name=title]", "Quy trình tiếp nhận và xử lý văn bản đến")
    page.select_option("select[name=doc_type]", "procedure")
    page.select_option("select[name=owner_unit]", str(world.quality.pk))
    # People are found by typing, without diacritics; nobody else's school is offered.
    pick_person(page, "owner", "bac thi nhung", "Bạc Thị Nhung")
    page.set_input_files("input[name=file]", str(pdf))
    page.fill("textarea[name=change_summary]", "Ban hành lần đầu.")
    pick_person(page, "reviewers", "lo van hung", "Lò Văn Hùng")
    # Only people with an approving role are offered as approver: not the internal auditor.
    approver = page.get_by_test_id("person-picker").filter(has=page.locator("[name=approver_q]"))
    approver.locator("[name=approver_q]").fill("director")
    expect(approver.locator("label", has_text="director")).to_be_visible()
    approver.locator("[name=approver_q]").fill("auditor")
    expect(approver.locator("label", has_text="director")).to_have_count(0)  # answered
    expect(approver.locator("label", has_text="auditor")).to_have_count(0)
    pick_person(page, "approver", "director", "director")
    page.get_by_test_id("save-document").click()
    expect(page.locator("h1")).to_contain_text("QT-09")
    page.locator("summary", has_text=re.compile("phân phối|distribution", re.I)).click()
    page.locator(f"input[name=units][value='{world.school.pk}']").check()
    page.get_by_test_id("distribute").click()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("current-revision")).to_contain_text(
        re.compile("soát xét|review", re.I)
    )

    _switch(page, base, "head")
    page.goto(f"{base}/documents/?q=van+ban+den")
    page.get_by_role("link", name="Quy trình tiếp nhận và xử lý văn bản đến").click()
    _sign(page, "sai-mat-khau")
    expect(page.locator(".messages .error")).to_be_visible()
    _sign(page)
    expect(page.locator(".messages .success")).to_be_visible()

    _switch(page, base, "director")
    revision = Revision.objects.get(document__code="QT-09")
    page.goto(f"{base}/documents/{revision.document_id}/")
    _sign(page)  # approve
    expect(page.locator(".messages .success")).to_be_visible()
    _sign(page)  # publish
    expect(page.locator(".badge[data-status=effective]").first).to_be_visible()
    revision.refresh_from_db()
    assert revision.status == "effective"

    _switch(page, base, "teacher")
    page.goto(f"{base}/documents/to-acknowledge/")
    row = page.get_by_test_id("ack-row").filter(has_text="QT-09")
    # Acknowledging needs the document opened first: the button says why it is disabled.
    expect(row.get_by_test_id("acknowledge-disabled")).to_be_disabled()
    row.get_by_test_id("read").click()
    expect(page.get_by_test_id("pdf-preview")).to_be_visible()
    page.goto(f"{base}/documents/to-acknowledge/")
    row = page.get_by_test_id("ack-row").filter(has_text="QT-09")
    row.get_by_test_id("acknowledge").click()
    expect(row.locator(".badge.ok")).to_be_visible()
    assert Acknowledgement.objects.filter(user=world.teacher, revision=revision).exists()
    page.reload()
    expect(page.get_by_test_id("nothing-to-acknowledge")).to_be_visible()

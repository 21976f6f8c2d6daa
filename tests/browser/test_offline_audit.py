"""On a phone (360×740), the offline audit workspace (issue 22, ADR 0006): prepare an audit
online, work with no network at all (the service worker's own requests blocked too), reload,
record findings with photos, come back online and find everything on the server exactly once.
Then: a photo upload cut in the middle resumes where it stopped; a conflict shows both versions.
"""

import io
import json
import os
import random
import re
from pathlib import Path

# Playwright's offline mode does not stop a service worker's own fetches; with this, routes
# see (and can abort) them too. It must be set before the Playwright driver starts.
os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from audits import services
from audits.models import Audit, Finding, FindingEvidence
from tests.audits.factories import jpeg_bytes, make_audit
from tests.browser.helpers import login
from tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("WS_SHOTS")  # a folder: save a screenshot of each screen there


@pytest.fixture
def phone_context(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    yield context
    context.close()


@pytest.fixture
def audit_today(settings, tmp_path):
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
    return world, audit


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"ws-{name}.png"), full_page=True)


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def prepare(page, base_url, audit):
    """Online: the audit page's "Prepare for offline", then into the workspace."""
    login(page, base_url, "auditor")
    page.goto(f"{base_url}{audit.get_absolute_url()}")
    page.get_by_test_id("prepare-offline").get_by_role("button").click()
    expect(page.locator("[data-prepare-status][data-state=done]")).to_be_visible(timeout=20_000)
    shot(page, "prepare")
    page.get_by_test_id("open-workspace").click()
    expect(page.get_by_test_id("checklist-item")).to_have_count(audit.checklist.count())


def noisy_jpeg(size=(2400, 1800), seed=1):
    """A photo that stays large after the device downscales it (several upload chunks)."""
    rng = random.Random(seed)
    image = Image.effect_noise(size, 60).convert("RGB")
    image.putpixel((0, 0), (rng.randrange(256), 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def record_finding(page, item_text, grade, statement, photos):
    page.get_by_test_id("checklist-item").filter(has_text=item_text).get_by_test_id(
        "item-record-finding"
    ).click()
    expect(page.get_by_test_id("finding-item")).to_contain_text(item_text)
    page.locator("label.ws-choice", has_text=grade).locator("input").check()
    page.locator("#ws-statement").fill(statement)
    page.get_by_test_id("photo-gallery").set_input_files(files=photos)
    expect(page.get_by_test_id("photo-preview")).to_have_count(len(photos))
    page.get_by_test_id("finding-save").click()
    expect(page.get_by_test_id("checklist-progress")).to_be_visible()


def test_auditor_records_offline_reloads_and_syncs_each_finding_and_photo_once(
    live_server, phone_context, audit_today
):
    world, audit = audit_today
    page = phone_context.new_page()
    prepare(page, live_server.url, audit)
    shot(page, "audit")

    go_offline(phone_context)
    page.reload()
    expect(page.get_by_test_id("checklist-item")).to_have_count(3)
    expect(page.get_by_test_id("network-state")).to_have_text(re.compile(r"\S"))

    item = page.get_by_test_id("checklist-item").filter(has_text="7.5.3")
    item.get_by_test_id("result-conforming").click()
    expect(item.get_by_test_id("result-conforming")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("checklist-progress")).to_contain_text("1")

    findings = [
        ("7.1.3", "Điểm không phù hợp nhỏ", "Phòng học lớp 2B thiếu ánh sáng."),
        ("7.5.3", "Điểm lưu ý", "Sổ đầu bài lớp 3A chưa ký đủ."),
        ("8.5.1", "Cơ hội cải tiến", "Nên niêm yết lịch trực nhật ở cửa lớp."),
    ]
    for n, (clause, grade, statement) in enumerate(findings):
        photos = [
            {
                "name": f"anh-{n}-{k}.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes((2000, 1500), color=(40 * n, 90 * k, 120)),
            }
            for k in range(2)
        ]
        if n == 0:
            # A validation error keeps the form and its photos: nothing is lost or queued.
            page.get_by_test_id("checklist-item").filter(has_text=clause).get_by_test_id(
                "item-record-finding"
            ).click()
            page.get_by_test_id("photo-gallery").set_input_files(files=photos)
            expect(page.get_by_test_id("photo-preview")).to_have_count(2)
            page.get_by_test_id("finding-save").click()
            expect(page.get_by_test_id("form-errors")).to_be_visible()
            expect(page.get_by_test_id("photo-preview")).to_have_count(2)
            shot(page, "finding-errors")
            page.locator("label.ws-choice", has_text=grade).locator("input").check()
            page.locator("#ws-statement").fill(statement)
            shot(page, "finding-form")
            page.get_by_test_id("finding-save").click()
            expect(page.get_by_test_id("checklist-progress")).to_be_visible()
        else:
            record_finding(page, clause, grade, statement, photos)
    expect(page.get_by_test_id("device-finding")).to_have_count(3)
    # 3 findings, 6 photos and one checklist answer wait on the device.
    expect(page.get_by_test_id("outbox-count")).to_have_text("10")
    shot(page, "audit-offline")
    page.get_by_test_id("outbox-link").click()
    expect(page.get_by_test_id("outbox-record")).to_have_count(10)
    shot(page, "outbox-offline")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert Finding.objects.count() == 0
    page.close()

    go_online(phone_context)
    page = phone_context.new_page()
    page.goto(f"{live_server.url}/audits/workspace/#/outbox")
    expect(page.get_by_test_id("outbox-count")).to_have_text("0", timeout=60_000)
    shot(page, "outbox-sent")

    assert Finding.objects.filter(audit=audit).count() == 3
    for clause, grade, statement in findings:
        finding = Finding.objects.get(statement=statement)
        assert finding.grade.label == grade
        assert list(finding.clauses.values_list("number", flat=True)) == [clause]
        assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 2
    assert FindingEvidence.objects.filter(kind=FindingEvidence.Kind.PHOTO).count() == 6
    item = audit.checklist.get(clauses__number="7.5.3")
    assert item.result == "conforming"

    # Syncing again (a reload, "Sync now") sends nothing twice.
    page.reload()
    page.get_by_test_id("sync-now").click()
    page.wait_for_timeout(1000)
    assert Finding.objects.count() == 3
    assert FindingEvidence.objects.filter(kind=FindingEvidence.Kind.PHOTO).count() == 6

    page.locator(".ws-brand").click()  # the workspace's home: the audits on this device
    expect(page.get_by_test_id("prepared-audit")).to_have_count(1)
    shot(page, "home")


def test_a_photo_upload_cut_in_the_middle_resumes_where_it_stopped(
    live_server, phone_context, audit_today
):
    world, audit = audit_today
    page = phone_context.new_page()
    prepare(page, live_server.url, audit)
    go_offline(phone_context)
    page.reload()
    photo = {"name": "lop-2b.jpg", "mimeType": "image/jpeg", "buffer": noisy_jpeg()}
    record_finding(page, "7.1.3", "Điểm lưu ý", "Bảng tin lớp 2B bị rách.", [photo])
    page.close()

    # Online again, but the connection drops after the photo's first chunk.
    go_online(phone_context)
    ranges = []

    def first_chunk_only(route):
        request = route.request
        if request.method != "PUT":
            return route.continue_()
        ranges.append(request.headers["content-range"])
        if len(ranges) == 1:
            return route.continue_()
        return route.abort("connectionreset")

    phone_context.route(re.compile(r".*/api/v1/findings/[^/]+/photos/[^/]+$"), first_chunk_only)
    page = phone_context.new_page()
    page.goto(f"{live_server.url}/audits/workspace/#/outbox")
    expect(page.get_by_test_id("outbox-record").filter(has_text="Bảng tin")).to_have_attribute(
        "data-kind", "finding"
    )
    expect(page.locator("[data-kind=finding] [data-testid=record-state]")).to_have_attribute(
        "data-state", "sent", timeout=20_000
    )
    page.wait_for_function("() => true")
    expect(page.locator("[data-kind=photo] [data-testid=record-state]")).to_have_attribute(
        "data-state", "queued", timeout=20_000
    )
    assert len(ranges) >= 2, ranges
    first = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", ranges[0])
    start, end, total = (int(x) for x in first.groups())
    assert start == 0 and end + 1 < total  # more than one chunk
    finding = Finding.objects.get()
    assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 0
    shot(page, "outbox-cut")

    # The network is back: the device asks what arrived and sends only the rest.
    phone_context.unroute(re.compile(r".*/api/v1/findings/[^/]+/photos/[^/]+$"))
    resumed = []
    page.on(
        "request",
        lambda r: (
            resumed.append(r.headers.get("content-range"))
            if r.method == "PUT" and "/photos/" in r.url
            else None
        ),
    )
    page.get_by_test_id("sync-now").click()
    expect(page.get_by_test_id("outbox-count")).to_have_text("0", timeout=30_000)
    assert resumed and all(not r.startswith("bytes 0-") for r in resumed), resumed
    assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 1


def test_a_conflict_shows_both_versions_and_keeps_mine_as_a_new_finding(
    live_server, phone_context, audit_today
):
    world, audit = audit_today
    page = phone_context.new_page()
    prepare(page, live_server.url, audit)
    go_offline(phone_context)
    page.reload()
    record_finding(
        page,
        "7.1.3",
        "Điểm lưu ý",
        "Tủ hồ sơ phòng hiệu trưởng không khoá.",
        [{"name": "tu.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600))}],
    )
    record = page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("ims-workspace");
            open.onsuccess = () => {
                const rq = open.result.transaction("outbox").objectStore("outbox").getAll();
                rq.onsuccess = () => resolve(rq.result.find((r) => r.kind === "finding"));
            };
        })"""
    )
    # Meanwhile the same finding id reached the server with another statement (e.g. an
    # earlier export imported on another computer, then edited).
    lead = Client()
    lead.force_login(world.auditor)
    body = {
        **record["body"],
        "statement": "Tủ hồ sơ đã khoá, chìa do văn thư giữ.",
        "notes": ["Văn thư xác nhận."],
        "photos": [],
    }
    response = lead.put(
        f"/api/v1/findings/{record['id']}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content

    go_online(phone_context)
    page.get_by_test_id("outbox-link").click()
    page.get_by_test_id("sync-now").click()
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("conflict-mine")).to_contain_text("không khoá")
    expect(page.get_by_test_id("conflict-server")).to_contain_text("chìa do văn thư giữ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "conflict")

    page.get_by_test_id("keep-mine").click()
    expect(page.get_by_test_id("outbox-count")).to_have_text("0", timeout=30_000)
    statements = sorted(Finding.objects.values_list("statement", flat=True))
    assert statements == [
        "Tủ hồ sơ phòng hiệu trưởng không khoá.",
        "Tủ hồ sơ đã khoá, chìa do văn thư giữ.",
    ]
    mine = Finding.objects.get(statement__contains="không khoá")
    assert str(mine.pk) != record["id"]
    assert mine.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 1


def test_a_new_release_waits_for_the_auditor_and_keeps_audits_and_unsent_work(
    live_server, phone_context, audit_today, monkeypatch
):
    from audits import workspace

    world, audit = audit_today
    page = phone_context.new_page()
    prepare(page, live_server.url, audit)
    # The API is unreachable: the finding stays on the device, unsent.
    phone_context.route(re.compile(r".*/api/v1/.*"), lambda route: route.abort())
    record_finding(
        page,
        "7.1.3",
        "Điểm lưu ý",
        "Nhà vệ sinh học sinh thiếu xà phòng.",
        [{"name": "wc.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600))}],
    )
    expect(page.get_by_test_id("outbox-count")).to_have_text("2")
    old_caches = page.evaluate("caches.keys()")

    # A new release: the browser finds a new worker on the next visit; it waits.
    monkeypatch.setattr(workspace, "shell_version", lambda: "new-release")
    page.reload()
    expect(page.get_by_test_id("update-ready")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("checklist-item")).to_have_count(3)
    expect(page.get_by_test_id("device-finding")).to_have_count(1)
    assert page.evaluate("caches.keys()") != ["ims-workspace-shell-new-release"]
    shot(page, "update-ready")

    page.get_by_test_id("update-ready").get_by_role("button").click()
    page.wait_for_function(
        "async () => (await caches.keys()).includes('ims-workspace-shell-new-release')"
    )
    expect(page.get_by_test_id("update-ready")).to_be_hidden()
    expect(page.get_by_test_id("device-finding")).to_have_count(1)
    expect(page.get_by_test_id("outbox-count")).to_have_text("2")
    assert page.evaluate("caches.keys()") == ["ims-workspace-shell-new-release"], old_caches


def test_unsent_work_exported_to_a_file_is_imported_elsewhere_and_creates_nothing_twice(
    live_server, browser, phone_context, audit_today
):
    world, audit = audit_today
    page = phone_context.new_page()
    prepare(page, live_server.url, audit)
    go_offline(phone_context)
    page.reload()
    record_finding(
        page,
        "8.5.1",
        "Điểm lưu ý",
        "Sổ theo dõi bán trú thiếu chữ ký phụ huynh.",
        [
            {"name": f"so-{k}.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((900, 700))}
            for k in range(2)
        ],
    )
    page.get_by_test_id("outbox-link").click()
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["format"] == "ims-audit-outbox"
    assert sorted(r["kind"] for r in data["records"]) == ["finding", "photo", "photo"]
    assert len(data["photos"]) == 2
    exported = download.value.path()

    # Back online but signed out: the work stays on the device and the page asks to sign in.
    phone_context.clear_cookies()  # first: coming online starts a sync at once
    go_online(phone_context)
    page.reload()
    expect(page.get_by_test_id("sign-in-again")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("outbox-count")).to_have_text("3")
    shot(page, "sign-in-again")
    assert Finding.objects.count() == 0

    # Two other computers import the same file: one finding and two photos on the server.
    for n in range(2):
        other = browser.new_context(locale="vi-VN")
        desk = other.new_page()
        login(desk, live_server.url, "auditor")
        desk.goto(f"{live_server.url}/audits/workspace/#/outbox")
        desk.get_by_test_id("import-file").set_input_files(exported)
        expect(desk.get_by_test_id("import-status")).to_contain_text("3")
        expect(desk.get_by_test_id("outbox-count")).to_have_text("0", timeout=30_000)
        if n == 0:
            shot(desk, "import")
        other.close()
        finding = Finding.objects.get()
        assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 2

    # A file that is not an export adds nothing.
    other = browser.new_context(locale="vi-VN")
    desk = other.new_page()
    login(desk, live_server.url, "auditor")
    desk.goto(f"{live_server.url}/audits/workspace/#/outbox")
    desk.get_by_test_id("import-file").set_input_files(
        files=[{"name": "x.json", "mimeType": "application/json", "buffer": b'{"a": 1}'}]
    )
    expect(desk.get_by_test_id("import-status")).to_be_visible()
    expect(desk.get_by_test_id("outbox-count")).to_have_text("0")
    other.close()


def test_opening_the_workspace_online_prepares_my_audits_of_the_next_7_days(
    live_server, phone_context, audit_today
):
    world, audit = audit_today
    next_week = timezone.localdate() + timezone.timedelta(days=6)
    later = make_audit(
        world,
        status=Audit.Status.PLAN_APPROVED,
        title="Đánh giá nội bộ Trường Tiểu học Chiềng Sinh",
        planned_start=next_week,
        planned_end=next_week,
        scope=[world.school2],
    )
    too_late = make_audit(
        world,
        status=Audit.Status.PLAN_APPROVED,
        title="Đánh giá tháng sau",
        planned_start=next_week + timezone.timedelta(days=20),
        planned_end=next_week + timezone.timedelta(days=20),
    )
    page = phone_context.new_page()
    login(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/audits/workspace/")
    expect(page.get_by_test_id("prepared-audit")).to_have_count(2, timeout=20_000)
    # Another visit, offline: both are on the device; the one a month away is not.
    page.goto(f"{live_server.url}/audits/workspace/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.get_by_test_id("prepared-audit")).to_have_count(2)
    go_offline(phone_context)
    page.reload()
    expect(page.get_by_test_id("prepared-audit")).to_have_count(2)
    expect(page.get_by_test_id("prepared-audit").filter(has_text=later.code)).to_be_visible()
    expect(page.get_by_test_id("prepared-audit").filter(has_text=too_late.code)).to_have_count(0)
    page.get_by_test_id("prepared-audit").filter(has_text=audit.code).get_by_role(
        "link", name=audit.code
    ).click()
    expect(page.get_by_test_id("checklist-item")).to_have_count(3)

    # Someone else signs in on this browser: the auditor's audits are not shown to them.
    go_online(phone_context)
    phone_context.clear_cookies()
    login(page, live_server.url, "principal")
    page.goto(f"{live_server.url}/audits/workspace/")
    expect(page.get_by_test_id("prepare-status")).not_to_be_empty()
    expect(page.get_by_test_id("prepared-audit")).to_have_count(0)

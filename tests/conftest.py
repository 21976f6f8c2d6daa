"""Shared fixtures: a small province (``world``) with the demo roles, and browser settings."""

import os
import shutil
from types import SimpleNamespace

import pytest

from ims.models import Role
from tests.factories import MembershipFactory, UnitFactory, UserFactory, kind

# Playwright runs an event loop in the test thread; pytest-django's database setup must still
# be allowed to run synchronously there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _no_network_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    """Tasks run in the test process, even with REDIS_URL set, except in real-worker tests."""
    from celery._state import _set_task_join_will_block

    from ims.celery import app

    # Celery marks eager runs with a process-wide flag ("joining a result would block"), set and
    # restored around each run; two threads running eager tasks at once (the concurrency tests)
    # can leave it set, and a later test's result.get() then fails. This process is not a
    # worker: clear it before every test.
    _set_task_join_will_block(False)
    if request.node.get_closest_marker("worker"):
        yield
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Reference rows come from data migrations; a transactional test flushes them. Put them back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not (marker or transactional or "db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from ims.models import UnitKind
    from ims.registry import reference_loaders

    if not UnitKind.objects.exists():
        for loader in reference_loaders():
            loader(apps)


def build_world():
    """Department → division, commune → two schools; each demo role in its place.

    principal and teacher belong to ``school``; principal2 to ``school2``, in another commune.
    """
    root = UnitFactory(code="SO", name="Sở Giáo dục và Đào tạo", kind=kind("department"))
    division = UnitFactory(
        code="GDTH", name="Phòng Giáo dục Tiểu học", kind=kind("division"), parent=root
    )
    quality = UnitFactory(
        code="QLCL", name="Phòng Quản lý chất lượng", kind=kind("division"), parent=root
    )
    commune = UnitFactory(code="XA1", name="Phường Tô Hiệu", kind=kind("commune"), parent=root)
    commune2 = UnitFactory(code="XA2", name="Phường Chiềng Sinh", kind=kind("commune"), parent=root)
    school = UnitFactory(code="TH1", name="Trường Tiểu học Tô Hiệu", parent=commune)
    school2 = UnitFactory(code="TH2", name="Trường Tiểu học Chiềng Sinh", parent=commune2)
    people = {}
    for username, unit, role in [
        ("director", root, Role.DIRECTOR),
        ("iso", root, Role.QUALITY_MANAGER),
        ("auditor", root, Role.AUDITOR),
        ("leadauditor", root, Role.LEAD_AUDITOR),
        ("head", division, Role.UNIT_HEAD),
        ("principal", school, Role.PRINCIPAL),
        ("teacher", school, Role.STAFF),
        ("principal2", school2, Role.PRINCIPAL),
    ]:
        people[username] = UserFactory(username=username)
        MembershipFactory(user=people[username], unit=unit, role=role)
    MembershipFactory(user=people["iso"], unit=quality, role=Role.STAFF)
    MembershipFactory(user=people["auditor"], unit=division, role=Role.STAFF)
    return SimpleNamespace(
        root=root,
        division=division,
        quality=quality,
        commune=commune,
        commune2=commune2,
        school=school,
        school2=school2,
        **people,
    )


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` returns a test client signed in as ``user``."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


# --- browser tests ---------------------------------------------------------------------------


def _browser_available():
    return os.path.exists(CHROMIUM) or shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    if _browser_available():
        return
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"Browser tests need Chromium at {CHROMIUM}, and CI must run them: install "
            "Debian's chromium (see .ci/run)."
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}

"""A worker process killed in the middle of a PDF task: the task runs again, one file results."""

import os
import signal
import subprocess
import time

import pytest

from ims.models import ReportJob
from ims.reports import report_request
from tests.conftest import build_world
from tests.workers import celery_worker, new_queue

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def pool_children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


@pytest.fixture
def slow_kind():
    from ims import reports
    from tests.ims.slow_report_app import SlowUnitReport

    reports.register_report(SlowUnitReport())
    yield
    reports._kinds.pop("slow", None)


def test_killed_pool_process_reruns_the_report_and_leaves_one_file(settings, tmp_path, slow_kind):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_QUEUE = queue = new_queue()
    world = build_world()
    with celery_worker(queue, app="tests.ims.slow_report_app", pool="prefork") as worker:
        job = report_request(world.director, "slow", world.school.pk)  # no transaction: sent now
        # Killed after the first attempt stored its file, before it marked the job done.
        assert wait_for(lambda: (tmp_path / "reports" / f"job-{job.pk}.pdf").exists())
        [child] = pool_children(worker.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: ReportJob.objects.get(pk=job.pk).status == "done")
    job.refresh_from_db()
    assert job.attempts == 2
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [f"job-{job.pk}.pdf"]

"""A real Celery worker, started here against Redis, runs a task that writes to the database."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from ims.models import WorkerHeartbeat
from ims.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


def database_url_for_tests():
    """The URL of the test database this process uses, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "DATABASE_POOL": "false"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "ims",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_real_worker_runs_task_that_writes_to_database(worker_queue, settings):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    marker = f"pytest-{worker_queue}"
    result = record_heartbeat.apply_async(args=[marker], queue=worker_queue)
    heartbeat_id = result.get(timeout=90)
    assert WorkerHeartbeat.objects.filter(pk=heartbeat_id, hostname=marker).exists()

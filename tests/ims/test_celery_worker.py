"""A real Celery worker, started here against Redis, runs a task that writes to the database."""

import os

import pytest

from ims.models import WorkerHeartbeat
from ims.tasks import record_heartbeat
from tests.workers import celery_worker, new_queue

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


def test_real_worker_runs_task_that_writes_to_database(settings):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    queue = new_queue()
    with celery_worker(queue):
        result = record_heartbeat.apply_async(args=[f"pytest-{queue}"], queue=queue)
        heartbeat_id = result.get(timeout=90)
    assert WorkerHeartbeat.objects.filter(pk=heartbeat_id, hostname=f"pytest-{queue}").exists()

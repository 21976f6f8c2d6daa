import json
from datetime import timedelta

import pytest
from django.db.utils import OperationalError
from django.utils import timezone

from ims import views
from ims.models import WorkerHeartbeat


def test_healthy_returns_200_json(db, client, settings):
    settings.REDIS_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["database"] == "ok" and data["broker"] == "disabled" and data["status"] == "ok"


def test_dead_broker_returns_503(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["broker"] == "error"


def test_database_down_returns_503(db, client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise OperationalError("down")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "error"


@pytest.fixture
def broker(settings, monkeypatch):
    """A broker that answers, tasks sent to it (not run in the request), as in production."""
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(views, "_broker_status", lambda: "ok")


def beat_at(seconds_ago):
    beat = WorkerHeartbeat.objects.create(hostname="default@worker")
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return WorkerHeartbeat.objects.get(pk=beat.pk).created_at


def test_recent_worker_heartbeat_is_healthy(db, client, broker, settings):
    beat = beat_at(settings.WORKER_HEARTBEAT_SECONDS)
    response = client.get("/healthz")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["worker"] == beat.isoformat() and data["status"] == "ok"


def test_stale_worker_heartbeat_returns_503_with_the_reason(db, client, broker, settings):
    # Three intervals missed: beat or the default worker has stopped, so reminders, scheduled
    # publishing and report PDFs wait.
    beat = beat_at(settings.WORKER_HEARTBEAT_SECONDS * settings.WORKER_HEARTBEAT_MISSED + 5)
    response = client.get("/healthz")
    assert response.status_code == 503
    data = json.loads(response.content)
    assert data["worker"] == f"no heartbeat since {beat.isoformat()}"
    assert data["database"] == "ok" and data["broker"] == "ok" and data["status"] == "error"


def test_no_worker_heartbeat_ever_returns_503(db, client, broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["worker"] == "no heartbeat yet"


def test_tasks_run_in_the_request_need_no_worker(db, client, broker, settings):
    # Redis as the cache only, tasks run eagerly: nothing waits for a worker.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["worker"] is None

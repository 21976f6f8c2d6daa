import json

from django.db.utils import OperationalError


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

"""Two devices sending the same finding at the same moment store it once (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from audits import services
from audits.models import Audit, Finding
from tests.audits.factories import clauses, grade, make_audit
from tests.conftest import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
    ),
]


def test_same_finding_sent_twice_at_once_is_stored_once():
    world = build_world()
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send():
        try:
            barrier.wait()
            finding = services.finding_record(
                audit,
                actor=world.auditor,
                grade=grade("minor_nc"),
                clauses=clauses("7.1.3"),
                unit=world.school,
                statement="Gửi hai lần khi mạng chập chờn",
                notes=["Quan sát"],
                finding_id="1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b",
            )
            results.append(finding.pk)
        except Exception as error:  # noqa: BLE001 — collected for the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and Finding.objects.count() == 1
    assert Finding.objects.get().evidence.count() == 1

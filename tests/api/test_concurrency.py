"""Two identical PUTs at the same moment create one finding (PostgreSQL, real threads)."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from audits.models import Audit, Finding, FindingEvidence, FindingPhotoUpload
from ims.models import TransitionEvent
from ims.tokens import api_token_create
from tests.api.conftest import Api, finding_body
from tests.audits.factories import make_audit
from tests.conftest import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent inserts need PostgreSQL"
    ),
]


def test_two_identical_puts_at_once_create_one_finding(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    _token, raw = api_token_create(actor=world.auditor, name="t")
    pk = str(uuid.uuid4())
    body = finding_body(audit, world, photos=[str(uuid.uuid4())])
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def send():
        try:
            api = Api(Client(), {"Authorization": f"Bearer {raw}"})
            barrier.wait()
            statuses.append(api.put(f"/findings/{pk}", body).status_code)
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
    assert sorted(statuses) == [200, 201]
    assert Finding.objects.filter(pk=pk).count() == 1
    assert FindingEvidence.objects.filter(finding_id=pk).count() == 1
    assert FindingPhotoUpload.objects.filter(finding_id=pk).count() == 1
    assert TransitionEvent.objects.filter(object_id=pk).count() == 1
    assert Finding.history.filter(id=pk).count() == 1

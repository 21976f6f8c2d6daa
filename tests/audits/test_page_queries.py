"""The audit page and the report page stay flat in queries as findings grow (including the
no-findings statement, the recording unit and an external audit's lead and report)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.models import Audit
from tests.audits.factories import make_audit, make_finding, pdf_upload


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["audits:audit_detail", "audits:report"])
@pytest.mark.parametrize("kind", ["internal", "certification"])
def test_audit_and_report_pages_stay_flat_as_findings_grow(world, client_for, name, kind):
    external = {}
    if kind != "internal":
        external = {"external_body": "QUACERT", "external_lead_auditor": "Trần Quốc Bảo"}
    audit = make_audit(
        world,
        status=Audit.Status.IN_PROGRESS,
        scope=[world.school, world.school2],
        kind=kind,
        **external,
    )
    if kind != "internal":
        services.audit_attach_external_report(audit, actor=world.iso, upload=pdf_upload())
    client = client_for(world.iso)
    url = reverse(name, args=[audit.pk])
    client.get(url)  # warm caches (session, language)
    empty = _count(client, url)
    make_finding(audit, world)
    one = _count(client, url)
    for n in range(5):
        make_finding(audit, world, statement=f"Phát hiện {n}")
    assert _count(client, url) == one
    assert empty <= one <= 24

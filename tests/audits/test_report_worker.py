"""A real Celery worker renders the audit report asked for through the web page."""

import os
import time

import pytest
from django.urls import reverse

from ims.models import ReportJob
from tests.audits.test_report_pdf import _issued, pdf_text
from tests.conftest import build_world
from tests.workers import celery_worker, new_queue

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


def test_audit_report_requested_on_the_page_is_rendered_by_a_real_worker(
    settings, tmp_path, client_for
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_QUEUE = queue = new_queue()
    world = build_world()
    audit, _finding = _issued(world)
    client = client_for(world.leadauditor)
    with celery_worker(queue):
        response = client.post(
            reverse("ims:report_request"), {"kind": "audit", "object_id": audit.pk}
        )
        job = ReportJob.objects.get()
        assert response["Location"] == reverse("ims:report_job", args=[job.pk])
        deadline = time.monotonic() + 120
        page = ""
        while time.monotonic() < deadline:
            page = client.get(reverse("ims:report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
            if 'data-status="done"' in page.content.decode():
                break
            time.sleep(0.5)
        assert 'data-status="done"' in page.content.decode(), ReportJob.objects.get().error
    download = client.get(reverse("ims:report_download", args=[job.pk]))
    text = pdf_text(b"".join(download.streaming_content), tmp_path)
    assert "Báo cáo đánh giá" in text and "Sổ đầu bài lớp 3A" in text

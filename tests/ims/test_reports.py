"""PDF report jobs: rendered by a task, idempotent, access-checked, no network while rendering."""

import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from ims.models import ReportJob
from ims.pdf import BASE_URL, RefusedURL, fetcher_class, report_media_url, resolve
from ims.reports import report_request, report_run


def pdf_text(data, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        f"{BASE_URL}_report_media/secret/other.jpg",
        f"{BASE_URL}static/../../etc/passwd",
        f"{BASE_URL}admin/",
    ],
)
def test_fetcher_refuses_everything_but_static_and_declared_media(url):
    with pytest.raises((RefusedURL, ValueError)):
        fetcher_class()(media_names=["photos/ok.jpg"]).fetch(url)


def test_fetcher_serves_static_files():
    body, content_type = resolve(f"{BASE_URL}static/css/ims.css", ())
    assert b"--brand" in body and content_type == "text/css"


def test_fetcher_serves_only_declared_media(tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("photos/ok.jpg", ContentFile(b"\xff\xd8\xffdata"))
    body, _ = resolve(BASE_URL.rstrip("/") + report_media_url(name), {name})
    assert body.startswith(b"\xff\xd8\xff")
    with pytest.raises(RefusedURL):
        resolve(BASE_URL.rstrip("/") + report_media_url(name), set())


def test_report_job_renders_vietnamese_pdf(
    world, tmp_path, settings, client_for, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.principal)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ims:report_request"), {"kind": "unit", "object_id": world.school.pk}
        )
    job = ReportJob.objects.get()
    assert response["Location"] == reverse("ims:report_job", args=[job.pk])
    assert job.status == ReportJob.Status.DONE  # tasks run eagerly in tests
    download = client.get(reverse("ims:report_download", args=[job.pk]))
    data = b"".join(download.streaming_content)
    text = pdf_text(data, tmp_path)
    assert "Trường Tiểu học Tô Hiệu" in text
    assert "Trang 1 / 1" in text
    assert world.principal.display_name in text


def test_running_a_job_twice_keeps_one_file(
    world, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=False):
        job = report_request(world.director, "unit", world.school.pk)
    report_run(job.pk, task_id="task-1")
    # The same message redelivered after its worker died, while the job still says running.
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING)
    report_run(job.pk, task_id="task-1")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [f"job-{job.pk}.pdf"]
    assert ReportJob.objects.get(pk=job.pk).attempts == 2


def test_a_duplicate_message_leaves_a_running_or_done_job_alone(
    world, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=False):
        job = report_request(world.director, "unit", world.school.pk)
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.RUNNING, task_id="task-1", started_at=timezone.now()
    )
    assert report_run(job.pk, task_id="task-2").attempts == 0
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.QUEUED)
    report_run(job.pk, task_id="task-1")
    assert report_run(job.pk, task_id="task-2").attempts == 1
    assert not (tmp_path / "reports" / f"job-{job.pk}_").exists()


def test_a_job_that_keeps_losing_its_worker_fails_with_a_message(world, monkeypatch):
    from datetime import timedelta

    from ims import reports

    monkeypatch.setattr(reports, "enqueue", lambda pk: True)
    job = report_request(world.director, "unit", world.school.pk)
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.RUNNING,
        attempts=reports.MAX_ATTEMPTS,
        started_at=timezone.now() - timedelta(hours=1),
    )
    assert reports.requeue_stale() == 0
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and job.error


def test_outsider_cannot_request_or_see_a_job(world, client_for, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    response = client_for(world.principal2).post(
        reverse("ims:report_request"), {"kind": "unit", "object_id": world.school.pk}
    )
    assert response.status_code == 404
    assert not ReportJob.objects.exists()
    client_for(world.principal).post(
        reverse("ims:report_request"), {"kind": "unit", "object_id": world.school.pk}
    )
    job = ReportJob.objects.get()
    assert (
        client_for(world.principal2).get(reverse("ims:report_job", args=[job.pk])).status_code
        == 404
    )
    assert (
        client_for(world.principal2).get(reverse("ims:report_download", args=[job.pk])).status_code
        == 404
    )
    assert (
        client_for(world.teacher).get(reverse("ims:report_download", args=[job.pk])).status_code
        == 404
    )


def test_unknown_kind_is_404(world, client_for):
    assert (
        client_for(world.director)
        .post(reverse("ims:report_request"), {"kind": "nope", "object_id": 1})
        .status_code
        == 404
    )


def test_redis_down_keeps_job_queued_with_clear_page(
    world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    from ims.celery import app

    settings.MEDIA_ROOT = tmp_path
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:1/0"  # a dead port
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(world.director).post(
                reverse("ims:report_request"),
                {"kind": "unit", "object_id": world.school.pk},
                follow=True,
            )
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    assert response.status_code == 200
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED
    assert 'data-status="queued"' in response.content.decode()


def test_failed_job_can_be_retried(
    world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.director)
    client.post(reverse("ims:report_request"), {"kind": "unit", "object_id": world.school.pk})
    job = ReportJob.objects.get()
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED, file="", error="x")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ims:report_retry", args=[job.pk]))
    assert ReportJob.objects.get(pk=job.pk).status == ReportJob.Status.DONE


def test_job_page_polls_with_htmx_until_done(
    world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.director)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("ims:report_request"), {"kind": "unit", "object_id": world.school.pk})
    job = ReportJob.objects.get()
    partial = client.get(reverse("ims:report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and "<html" not in body
    assert "HX-Request" in partial["Vary"]
    report_run(job.pk)
    body = client.get(
        reverse("ims:report_job", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in body and reverse("ims:report_download", args=[job.pk]) in body


def test_report_command_writes_pdf(world, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "unit.pdf"
    call_command("report", "unit", str(world.school.pk), "-o", str(out))
    assert "Trường Tiểu học Tô Hiệu" in pdf_text(out.read_bytes(), tmp_path)


def test_page_header_keeps_punctuation_of_the_organisation_name(world, tmp_path, settings):
    from ims.reports import render_report, report_kind

    settings.ORGANISATION_NAME = 'Sở GD-ĐT "Sơn La"'
    data = render_report(report_kind("unit"), world.school, {}, user=world.director)
    assert 'Sở GD-ĐT "Sơn La"' in pdf_text(data, tmp_path)


def test_requeue_leaves_a_job_that_is_running_now_alone(world, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from ims import tasks

    sent = []
    monkeypatch.setattr(tasks.reports, "enqueue", lambda pk: sent.append(pk) or True)
    long_ago = timezone.now() - timedelta(hours=1)
    running_now = report_request(world.director, "unit", world.school.pk)
    stuck = report_request(world.director, "unit", world.school2.pk)
    ReportJob.objects.filter(pk__in=[running_now.pk, stuck.pk]).update(
        status=ReportJob.Status.RUNNING, created_at=long_ago
    )
    ReportJob.objects.filter(pk=running_now.pk).update(started_at=timezone.now())
    ReportJob.objects.filter(pk=stuck.pk).update(started_at=long_ago)
    assert tasks.requeue_stale_reports() == 1
    assert sent == [stuck.pk]

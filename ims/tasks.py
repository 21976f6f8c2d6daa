"""Thin Celery tasks: load by id, call a service. Retries are declared on each task."""

import socket
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from ims import reminders, reports
from ims.models import WorkerHeartbeat

RETRY = {
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**RETRY)
def record_heartbeat(marker: str = "") -> int:
    """Write a heartbeat row: proves a worker can reach the database. Returns its id."""
    return WorkerHeartbeat.objects.create(hostname=(marker or socket.gethostname())[:255]).pk


@shared_task(**RETRY)
def prune_heartbeats() -> int:
    cutoff = timezone.now() - timedelta(days=1)
    return WorkerHeartbeat.objects.filter(created_at__lt=cutoff).delete()[0]


@shared_task(bind=True, **{**RETRY, "max_retries": 2}, soft_time_limit=240, time_limit=300)
def render_report_task(self: Any, job_id: int) -> str | None:
    """Render one report job (``reports`` queue). Safe to run twice: one file results."""
    final = self.request.retries >= self.max_retries
    job = reports.report_run(job_id, task_id=self.request.id or "", final=final)
    return job.status if job else None


@shared_task(**RETRY)
def requeue_stale_reports(minutes: int = 5) -> int:
    """Re-send jobs left queued (broker was down) or running on a worker that died."""
    return reports.requeue_stale(timedelta(minutes=minutes))


@shared_task(**RETRY)
def send_reminders_task() -> Any:
    return reminders.send_reminders()


@shared_task(**RETRY)
def send_digests_task() -> Any:
    return reminders.send_digests()

"""Report kinds, report jobs and their rendering.

A module registers a ``ReportKind`` from its ``AppConfig.ready()``; the core renders it to PDF in
a Celery task on the ``reports`` queue (``ReportJob`` tracks it; the page polls the job), or
synchronously with ``manage.py report <kind> <id> -o FILE.pdf``.
"""

import functools
import logging
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ims.models import ReportJob, User
from ims.pdf import render_pdf

logger = logging.getLogger(__name__)

_kinds: dict[str, "ReportKind"] = {}


class ReportKind(ABC):
    code = ""
    label: str | Promise = ""
    template = ""

    @abstractmethod
    def queryset(self, user: User | None) -> QuerySet[Any]:
        """Objects ``user`` may report on (every object when ``user`` is None: operators)."""

    def get_object(self, user: User | None, object_id: object) -> Any:
        """The object ``user`` asked a report of, remembering ``user`` (``report_user``): a
        report shows what its requester may see."""
        queryset = self.queryset(user)
        try:
            obj = queryset.get(pk=object_id)
        except (queryset.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        obj.report_user = user
        return obj

    @staticmethod
    def report_user(obj: Any) -> User | None:
        """Who asked for the report of ``obj``: None (everything) for an operator, or for an
        object not loaded through ``get_object``."""
        return getattr(obj, "report_user", None)

    def get_context(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return {"object": obj}

    def filename(self, obj: Any, params: dict[str, Any]) -> str:
        return f"{self.code}-{obj.pk}.pdf"

    def media_names(self, obj: Any, params: dict[str, Any]) -> list[str]:
        """Stored files the PDF may embed (e.g. photo thumbnails)."""
        return []


def register_report[K: ReportKind](kind: K) -> K:
    _kinds[kind.code] = kind
    return kind


def report_kind(code: str) -> ReportKind:
    try:
        return _kinds[code]
    except KeyError:
        raise Http404 from None


def report_kinds() -> dict[str, ReportKind]:
    return dict(_kinds)


def render_report(
    kind: ReportKind,
    obj: Any,
    params: dict[str, Any],
    *,
    user: User | None = None,
    language: str | None = None,
) -> bytes:
    """PDF bytes of one report, rendered in ``language`` for ``user`` (shown as its author)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            **kind.get_context(obj, params),
            "report_title": str(kind.label),
            "generated_at": timezone.localtime(),
            "generated_by": user.display_name if user else _("System"),
            "ORGANISATION_NAME": settings.ORGANISATION_NAME,
            "LANGUAGE_CODE": translation.get_language(),
        }
        html = render_to_string(kind.template, context)
    return render_pdf(html, media_names=kind.media_names(obj, params))


# --- jobs --------------------------------------------------------------------------------------


def report_request(
    user: User, code: str, object_id: object, params: dict[str, Any] | None = None
) -> ReportJob:
    """Queue a report after checking ``user`` may see the object. Returns the job.

    One job per person, kind and object runs at a time (a database constraint): a repeat request
    while one is queued or running returns that job, marked ``is_repeat``.
    """
    kind = report_kind(code)
    obj = kind.get_object(user, object_id)
    unfinished = ReportJob.objects.unfinished().filter(
        requested_by=user, kind=code, object_id=str(obj.pk)
    )
    for _attempt in range(2):
        running = unfinished.first()
        if running is not None:
            running.is_repeat = True
            return running
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(
                    kind=code,
                    object_id=str(obj.pk),
                    params=params or {},
                    requested_by=user,
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                )
        except IntegrityError:
            continue  # a concurrent request made it first: show that one
        transaction.on_commit(functools.partial(enqueue, job.pk))
        job.is_repeat = False
        return job
    raise RuntimeError("report job neither found nor created")  # pragma: no cover


def report_retry(job: ReportJob) -> bool:
    """Queue a failed job again, unless the same report is already queued or running."""
    try:
        with transaction.atomic():
            updated = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.FAILED).update(
                status=ReportJob.Status.QUEUED, error=""
            )
    except IntegrityError:
        return False
    if updated:
        transaction.on_commit(lambda: enqueue(job.pk))
    return updated == 1


# Longer than the render task's hard time limit: a job running longer has lost its worker.
RUNNING_STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3


def enqueue(job_id: int) -> bool:
    """Send the job to a worker. With the broker down the job stays queued, to be re-sent."""
    from ims.celery import app
    from ims.tasks import render_report_task

    try:
        with app.connection_for_write() as connection:
            render_report_task.apply_async(
                args=[job_id], queue=settings.REPORTS_QUEUE, retry=False, connection=connection
            )
    except Exception as error:  # noqa: BLE001 — broker failures take many shapes
        logger.warning("Report job %s stays queued: broker unavailable (%s)", job_id, error)
        return False
    ReportJob.objects.filter(pk=job_id).update(sent_at=timezone.now())
    return True


def _claim(job_id: int, task_id: str) -> ReportJob | None:
    """Mark the job running for this task, or return None when it must not run now."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        stale = job.started_at is None or job.started_at < timezone.now() - RUNNING_STALE_AFTER
        runnable = job.status == ReportJob.Status.QUEUED or (
            job.status == ReportJob.Status.RUNNING
            and ((task_id and job.task_id == task_id) or stale)
        )
        if not runnable:
            return None
        job.status, job.started_at, job.attempts, job.task_id = (
            ReportJob.Status.RUNNING,
            timezone.now(),
            job.attempts + 1,
            task_id or "",
        )
        job.save(update_fields=["status", "started_at", "attempts", "task_id"])
        return job


def report_run(job_id: int, *, task_id: str = "", final: bool = True) -> ReportJob | None:
    """Render one job. Idempotent: a finished job, or one another task is running, is left
    alone; a killed worker's redelivered task takes its job over and replaces the file.

    On an error the job fails when ``final``; otherwise it goes back to the queue and the error
    is raised for the task's retry.
    """
    job = _claim(job_id, task_id)
    if job is None:
        return ReportJob.objects.filter(pk=job_id).first()
    kind = report_kind(job.kind)
    try:
        obj = kind.get_object(job.requested_by, job.object_id)
        pdf = render_report(kind, obj, job.params, user=job.requested_by, language=job.language)
    except Http404:
        _fail(job, _("The record no longer exists, or you no longer have access to it."))
        return job
    except Exception as error:
        logger.exception("Report job %s failed", job.pk)
        message = _("The report could not be produced: %(error)s") % {"error": error}
        if final:
            _fail(job, message)
        else:
            ReportJob.objects.filter(pk=job.pk).update(
                status=ReportJob.Status.QUEUED, error=message
            )
        raise
    name = f"reports/job-{job.pk}.pdf"
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(pdf))
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.DONE,
        file=stored,
        filename=kind.filename(obj, job.params),
        finished_at=timezone.now(),
        error="",
    )
    job.refresh_from_db()
    return job


def requeue_stale(queued_after: timedelta = timedelta(minutes=5)) -> int:
    """Re-send jobs the broker never got or whose worker died; fail those that keep dying."""
    now = timezone.now()
    stale_running = Q(status=ReportJob.Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER)
    ReportJob.objects.filter(stale_running, attempts__gte=MAX_ATTEMPTS).update(
        status=ReportJob.Status.FAILED,
        error=_("The report could not be produced after several attempts. Try again."),
        finished_at=now,
    )
    unsent = Q(status=ReportJob.Status.QUEUED) & (
        Q(sent_at__lt=now - queued_after)
        | Q(sent_at__isnull=True, created_at__lt=now - queued_after)
    )
    pks = ReportJob.objects.filter(unsent | stale_running).values_list("pk", flat=True)
    return sum(1 for pk in list(pks) if enqueue(pk))


def _fail(job: ReportJob, message: str) -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )

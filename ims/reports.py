"""Report kinds, report jobs and their rendering.

A module registers a ``ReportKind`` from its ``AppConfig.ready()``; the core renders it to PDF in
a Celery task on the ``reports`` queue (``ReportJob`` tracks it; the page polls the job), or
synchronously with ``manage.py report <kind> <id> -o FILE.pdf``.
"""

import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ims.models import ReportJob
from ims.pdf import render_pdf

logger = logging.getLogger(__name__)

_kinds = {}


class ReportKind(ABC):
    code = ""
    label = ""
    template = ""

    @abstractmethod
    def queryset(self, user):
        """Objects ``user`` may report on (every object when ``user`` is None: operators)."""

    def get_object(self, user, object_id):
        queryset = self.queryset(user)
        try:
            return queryset.get(pk=object_id)
        except (queryset.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def get_context(self, obj, params):
        return {"object": obj}

    def filename(self, obj, params):
        return f"{self.code}-{obj.pk}.pdf"

    def media_names(self, obj, params):
        """Stored files the PDF may embed (e.g. photo thumbnails)."""
        return []


def register_report(kind):
    _kinds[kind.code] = kind
    return kind


def report_kind(code):
    try:
        return _kinds[code]
    except KeyError:
        raise Http404 from None


def report_kinds():
    return dict(_kinds)


def render_report(kind, obj, params, *, user=None, language=None):
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


def report_request(user, code, object_id, params=None):
    """Queue a report after checking ``user`` may see the object. Returns the job."""
    kind = report_kind(code)
    obj = kind.get_object(user, object_id)
    job = ReportJob.objects.create(
        kind=code,
        object_id=str(obj.pk),
        params=params or {},
        requested_by=user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def report_retry(job):
    updated = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.FAILED).update(
        status=ReportJob.Status.QUEUED, error=""
    )
    if updated:
        transaction.on_commit(lambda: enqueue(job.pk))
    return updated == 1


def enqueue(job_id):
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
    return True


def report_run(job_id):
    """Render one job; idempotent: a job already done is left alone, and its file is replaced,
    never duplicated, when a killed worker's task runs again."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == ReportJob.Status.DONE:
            return job
        job.status, job.started_at, job.attempts = (
            ReportJob.Status.RUNNING,
            timezone.now(),
            job.attempts + 1,
        )
        job.save(update_fields=["status", "started_at", "attempts"])
    kind = report_kind(job.kind)
    try:
        obj = kind.get_object(job.requested_by, job.object_id)
        pdf = render_report(kind, obj, job.params, user=job.requested_by, language=job.language)
    except Http404:
        _fail(job, _("The record no longer exists, or you no longer have access to it."))
        return job
    except Exception as error:
        logger.exception("Report job %s failed", job.pk)
        _fail(job, _("The report could not be produced: %(error)s") % {"error": error})
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


def _fail(job, message):
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.FAILED, error=message, finished_at=timezone.now()
    )

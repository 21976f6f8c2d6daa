from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ims.access import AnyUser


class ReportJobQuerySet(models.QuerySet):
    def for_user(self, user: "AnyUser") -> Self:
        """A job is its requester's: the PDF was rendered with that person's access."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(requested_by=user)

    def unfinished(self) -> Self:
        return self.filter(status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING])


class ReportJob(models.Model):
    """One PDF rendering, done by a Celery worker on the ``reports`` queue; pages poll it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("report"), max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_jobs"
    )
    language = models.CharField(max_length=8, default="vi")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    file = models.FileField(upload_to="reports/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task running the job: a redelivered message (same id) may take it over, a
    # duplicate message (another id) may not while the job runs.
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportJobQuerySet.as_manager()
    # Set by ``ims.reports.report_request``: True when the request found a job already queued.
    is_repeat: bool

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        indexes = [models.Index(fields=["requested_by", "kind", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="ims_reportjob_done_has_file",
            ),
            # One queued or running job per person, kind and object: a repeat request shows it.
            models.UniqueConstraint(
                fields=["requested_by", "kind", "object_id"],
                condition=models.Q(status__in=["queued", "running"]),
                name="ims_reportjob_one_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

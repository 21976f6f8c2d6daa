"""Trustworthy records: workflow transition events and electronic signatures."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ims.immutable import AppendOnlyModel, AppendOnlyQuerySet


class ObjectRefQuerySet(AppendOnlyQuerySet):
    def for_object(self, obj: models.Model) -> "ObjectRefQuerySet":
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )


class TransitionEvent(AppendOnlyModel):
    """One workflow step: who moved which record from which state to which, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    content_object = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=60)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # The unit a step is about when it concerns one unit of a record that spans several (one
    # school's codes in a province-wide campaign): only those who see that unit see the step.
    unit = models.ForeignKey(
        "ims.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = ObjectRefQuerySet.as_manager()
    # Set by ``ims.transitions.labelled`` for the transitions table.
    step_name: str | Promise
    from_label: str | Promise
    to_label: str | Promise

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("transition event")
        verbose_name_plural = _("transition events")
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


def content_hash(payload: object) -> str:
    """SHA-256 of a canonical JSON form of ``payload`` (keys sorted, no whitespace)."""
    data = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class Signature(AppendOnlyModel):
    """An electronic signature bound to a hash of the exact content the signer saw.

    The signed model implements ``signature_payload()``; when the record changes afterwards the
    hash no longer matches and the signature shows as invalid wherever it is displayed.
    """

    class Meaning(models.TextChoices):
        AUTHORED = "authored", _("Authored")
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")
        VERIFIED = "verified", _("Verified")
        ISSUED = "issued", _("Issued")
        CLOSED = "closed", _("Closed")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    content_object = GenericForeignKey("content_type", "object_id")
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    signer_name = models.CharField(_("signer"), max_length=150)
    meaning = models.CharField(_("meaning"), max_length=20, choices=Meaning.choices)
    comment = models.TextField(_("comment"), blank=True)
    content_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    objects = ObjectRefQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        verbose_name = _("electronic signature")
        verbose_name_plural = _("electronic signatures")
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_sha256__regex=r"^[0-9a-f]{64}$"),
                name="ims_signature_sha256_hex",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.signer_name} · {self.get_meaning_display()} · {self.signed_at:%Y-%m-%d %H:%M}"
        )

    def is_valid_for(self, obj: Any) -> bool:
        return content_hash(obj.signature_payload()) == self.content_sha256

    @property
    def is_valid(self) -> bool:
        obj = self.content_object
        return obj is not None and self.is_valid_for(obj)


class WorkerHeartbeat(models.Model):
    """Written by a Celery worker every minute; /healthz reads the newest."""

    hostname = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hostname} {self.created_at:%Y-%m-%d %H:%M:%S}"

"""Personal API tokens: a person's key for clients other than the browser (``/api/v1/``).

Only the SHA-256 digest of a token is stored, with its first 8 characters so its owner can tell
tokens apart; the token itself is shown once, when it is created.
"""

import hashlib
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

PREFIX_LENGTH = 8


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> Self:
        """Not revoked, and its owner's account is active."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def for_user(self, user: Any) -> Self:
        """A person sees their own tokens only (a manager does not see anyone else's)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("owner"),
        editable=False,
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=PREFIX_LENGTH, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()
    # The digest stays out of the history (and so out of every diff shown); use is not a change.
    history = HistoricalRecords(excluded_fields=["digest", "last_used_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="ims_apitoken_has_name"),
            models.CheckConstraint(
                condition=Exact(Length("digest"), 64), name="ims_apitoken_digest_is_sha256"
            ),
            models.CheckConstraint(
                condition=Exact(Length("prefix"), PREFIX_LENGTH),
                name="ims_apitoken_prefix_length",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_at__gte=models.F("created_at")),
                name="ims_apitoken_revoked_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

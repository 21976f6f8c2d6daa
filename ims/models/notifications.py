from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ims.access import AnyUser


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)

    def for_user(self, user: "AnyUser") -> Self:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Notification(models.Model):
    """A message in one user's inbox; modules write them through ``ims.notifications.notify``."""

    class Category(models.TextChoices):
        # The bell separates what asks the recipient to act from what only informs them.
        ACTION = "action", _("Needs you")
        INFO = "info", _("For information")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=60, blank=True)
    category = models.CharField(
        _("category"), max_length=6, choices=Category.choices, default=Category.INFO
    )
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # One key per item, recipient, kind and day makes a reminder exactly-once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="ims_notif_unread_idx",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title

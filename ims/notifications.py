"""Writing to a user's inbox, and the email channel through Django's email backend."""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ims.models import Notification, User

if TYPE_CHECKING:
    from ims.access import AnyUser

logger = logging.getLogger(__name__)


# Notification kinds that ask the recipient to act ("needs you"); every other kind informs.
# Apps register theirs from ``AppConfig.ready()`` (``register_action_kinds``).
_action_kinds: set[str] = set()


def register_action_kinds(*kinds: str) -> None:
    _action_kinds.update(kinds)


def category_for(kind: str) -> str:
    if kind in _action_kinds:
        return Notification.Category.ACTION
    return Notification.Category.INFO


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def notify(
    user: User,
    *,
    title: object,
    body: object = "",
    url: str = "",
    kind: str = "",
    dedupe_key: str | None = None,
) -> Notification | None:
    """Put a notification in ``user``'s inbox; email it now when the user asked for that.

    ``title`` and ``body`` may be lazy strings: they are rendered in the recipient's language.
    With a ``dedupe_key`` the same notification is written at most once, even when two workers
    try at the same moment (a unique constraint decides). Returns the notification, or None
    when it already existed.
    """
    with translation.override(language_of(user)):
        fields = {
            "user": user,
            "title": str(title)[:255],
            "body": str(body),
            "url": url,
            "kind": kind,
            "category": category_for(kind),
            "dedupe_key": dedupe_key,
        }
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if user.email and user.email_delivery == User.EmailDelivery.IMMEDIATE:
        transaction.on_commit(lambda: send_notification_email(notification.pk))
    return notification


def send_notification_email(notification_id: int) -> bool:
    """Email one notification, once: the ``emailed_at`` stamp is claimed before sending."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    user = notification.user
    with translation.override(language_of(user)):
        context = {"notification": notification, "user": user, "site_url": settings.SITE_URL}
        text = render_to_string("ims/email/notification.txt", context)
        html = render_to_string("ims/email/notification.html", context)
        message = EmailMultiAlternatives(notification.title, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception:  # noqa: BLE001 — SMTP failures take many shapes
            # Release the claim: the next reminder pass sends it (flush_pending_emails).
            Notification.objects.filter(pk=notification_id).update(emailed_at=None)
            logger.warning(
                "Email for notification %s not sent; will retry", notification_id, exc_info=True
            )
            return False
    return True


def unread_summary(user: "AnyUser", paths: Iterable[str] = ()) -> dict[str, int]:
    """Unread counts for the bell, ``{"total": n, "action": n}``, in one query.

    ``paths`` are the addresses of the page being opened: the user's unread notifications about
    that page are marked read (opening the item counts as reading about it), with one UPDATE
    and only when there are some.
    """
    unread = Notification.objects.for_user(user).unread()
    action = Q(category=Notification.Category.ACTION)
    counts = {"total": Count("pk"), "action": Count("pk", filter=action)}
    if paths:
        here = Q(url__in=list(paths))
        counts["here"] = Count("pk", filter=here)
        counts["here_action"] = Count("pk", filter=here & action)
    summary = unread.aggregate(**counts)
    if summary.get("here"):
        unread.filter(url__in=list(paths)).update(read_at=timezone.now())
        summary["total"] -= summary["here"]
        summary["action"] -= summary["here_action"]
    return {"total": summary["total"], "action": summary["action"]}


def mark_read(user: "AnyUser", ids: Iterable[int] | None = None) -> int:
    queryset = Notification.objects.for_user(user).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())

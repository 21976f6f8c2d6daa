"""The daily reminder pass: apps declare their reminders; the core sends each exactly once.

An app registers a provider (``register_reminders`` from its ``AppConfig.ready()``): a function
``provider(today)`` that yields ``Reminder`` rows, each saying who, about what and why. It only
declares; it never looks at what was sent before. The pass writes each reminder to the
recipient's inbox under a deduplication key that a unique constraint enforces, so running the
pass twice, or on two workers at once, sends it once.

- A daily reminder (``once=False``) is keyed by kind, item, recipient and day: sent once a day
  for as long as the provider offers it.
- A ``once`` reminder is keyed by kind, item and recipient, without the day. A reminder due on a
  given day (an audit starts in 7 days, an action is a week overdue) is one: its provider offers
  it on every pass from that day on while it applies, with the stage (the date, the week) in its
  item key, so the first pass on or after the day sends it and no later pass does. A missed pass
  (the worker down for a day) then loses nothing.

Emails follow each user's choice: immediately, or in one daily digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy

from ims.models import Notification, User
from ims.notifications import language_of, notify, send_notification_email


@dataclass(frozen=True)
class Reminder:
    """One reminder a provider declares: to whom, of which kind, about which item (with the
    stage that makes it once-only in the key), its text and link."""

    user: User
    kind: str
    item_key: str
    title: str | Promise
    body: str | Promise = ""
    url: str = ""
    once: bool = False  # sent once ever (per kind, item and recipient), not once a day

    def key_for(self, today: date) -> str:
        key = f"{self.kind}:{self.item_key}:{self.user.pk}"
        if not self.once:
            key = f"{key}:{today.isoformat()}"
        if len(key) <= 200:
            return key
        # Never truncate: two long keys sharing a prefix would swallow each other's reminders.
        return f"{key[:120]}#{hashlib.sha256(key.encode()).hexdigest()}"


Provider = Callable[[date], Iterable[Reminder]]
_providers: dict[str, Provider] = {}


def lazy_format(template: str | Promise, **values: Any) -> str:
    """A lazy string: ``template % values``, translated when rendered in the recipient's language."""
    return lazy(lambda: str(template) % values, str)()


def register_reminders(name: str, provider: Provider) -> None:
    _providers[name] = provider


def providers() -> dict[str, Provider]:
    return dict(_providers)


def send_reminders(today: date | None = None) -> int:
    """Run every provider for ``today``; returns how many notifications were newly written."""
    today = today or timezone.localdate()
    written = 0
    for provider in _providers.values():
        for reminder in provider(today):
            if not reminder.user.is_active:
                continue
            if notify(
                reminder.user,
                title=reminder.title,
                body=reminder.body,
                url=reminder.url,
                kind=reminder.kind,
                dedupe_key=reminder.key_for(today),
            ):
                written += 1
    flush_pending_emails()
    return written


def flush_pending_emails(window: timedelta = timedelta(days=2)) -> int:
    """Email notifications of immediate-delivery users that were not emailed (e.g. SMTP down)."""
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=timezone.now() - window,
            user__email_delivery=User.EmailDelivery.IMMEDIATE,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    return sum(1 for pk in list(pending) if send_notification_email(pk))


def send_digests() -> int:
    """One email per digest user with every notification not yet emailed."""
    sent = 0
    users = (
        User.objects.filter(
            email_delivery=User.EmailDelivery.DIGEST,
            is_active=True,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    for user in users:
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(user=user, emailed_at__isnull=True)
                .order_by("created_at")
            )
            if not items:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                emailed_at=timezone.now()
            )
            _send_digest(user, items)
        sent += 1
    return sent


def _send_digest(user: User, items: list[Notification]) -> None:
    with translation.override(language_of(user)):
        context = {"user": user, "items": items, "site_url": settings.SITE_URL}
        subject = render_to_string("ims/email/digest_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject, render_to_string("ims/email/digest.txt", context), to=[user.email]
        )
        message.attach_alternative(render_to_string("ims/email/digest.html", context), "text/html")
        message.send()

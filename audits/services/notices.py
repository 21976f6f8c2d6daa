"""Notifications the audit steps send once their transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ims.notifications import notify

if TYPE_CHECKING:
    from ims.models import User


def notify_people(users: Iterable[User | None], title: Any, url: str, kind: str) -> None:
    """Notify each active person once, however often they appear in ``users``."""
    seen = set()
    for user in users:
        if user and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            notify(user, title=title, url=url, kind=kind)

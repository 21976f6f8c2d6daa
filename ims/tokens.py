"""Personal API tokens: created and revoked by their owner on *My settings*, checked on every
API request that carries ``Authorization: Bearer <token>``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ims.models.tokens import PREFIX_LENGTH, ApiToken, token_digest
from ims.workflow import refuse

if TYPE_CHECKING:
    from ims.models import User

NAME_MAX_LENGTH = 100
# How stale ``last_used_at`` may get before a request writes it again: one write a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``actor``; returns it with the raw token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token (what uses it).")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": _("At most %(n)s characters.") % {"n": NAME_MAX_LENGTH}})
    if not actor.is_active:
        refuse(_("This account is deactivated."))
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name, prefix=raw[:PREFIX_LENGTH], digest=token_digest(raw))
    token._history_user = actor  # type: ignore[attr-defined]
    token.save()
    return token, raw


def api_token_revoke(token: ApiToken, *, actor: User) -> ApiToken:
    """Only the owner revokes a token; to anyone else it does not exist."""
    with transaction.atomic():
        try:
            token = ApiToken.objects.select_for_update().get(pk=token.pk, user=actor)
        except ApiToken.DoesNotExist:
            raise Http404 from None
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token._history_user = actor  # type: ignore[attr-defined]
        token.save(update_fields=["revoked_at"])
    return token


def api_token_user(raw: str) -> User | None:
    """The active owner of the active token ``raw``, or ``None``. Marks the token used."""
    if not raw:
        return None
    token = (
        ApiToken.objects.active().select_related("user").filter(digest=token_digest(raw)).first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain update: no history row, and concurrent requests write it at most once a minute.
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION),
            pk=token.pk,
        ).update(last_used_at=now)
    return token.user

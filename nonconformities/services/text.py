"""The texts a step cannot do without (a containment, a root cause, a reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def required_text(value: str | None, message: StrOrPromise) -> str:
    """``value`` stripped; a ``ValidationError`` saying ``message`` when nothing is left."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value

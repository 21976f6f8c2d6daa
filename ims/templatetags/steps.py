from collections.abc import Iterable
from typing import Any

from django import template
from django.contrib.messages.storage.base import Message
from django.template import Context

from ims.steps import step_of

register = template.Library()


@register.filter
def without_steps(messages: Iterable[Message] | None) -> list[Message]:
    """The messages that belong to no step of the page (shown at its top)."""
    return [m for m in messages or () if not step_of(m)]


@register.inclusion_tag("ims/partials/step_messages.html", takes_context=True)
def step_messages(context: Context, step: str) -> dict[str, Any]:
    """The messages of one step, shown inside it."""
    return {"step_list": [m for m in context.get("messages") or () if step_of(m) == step]}

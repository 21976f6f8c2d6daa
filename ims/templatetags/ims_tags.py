from datetime import datetime
from typing import Any

from django import template
from django.db.models import Model
from django.template import Context
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from ims.signatures import signatures_for
from ims.transitions import history_of, labelled

register = template.Library()


@register.inclusion_tag("ims/partials/signatures.html")
def signature_table(obj: Model) -> dict[str, Any]:
    """Every signature of ``obj`` with whether it still matches the record as it is now."""
    return {"signatures": signatures_for(obj)}


_AGO_UNITS = (  # (minutes in the unit, how it is said)
    (525600, lambda n: ngettext("%(n)d year", "%(n)d years", n)),
    (43200, lambda n: ngettext("%(n)d month", "%(n)d months", n)),
    (1440, lambda n: ngettext("%(n)d day", "%(n)d days", n)),
    (60, lambda n: ngettext("%(n)d hour", "%(n)d hours", n)),
    (1, lambda n: ngettext("%(n)d minute", "%(n)d minutes", n)),
)


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago ``moment`` was, as people say it: "vừa xong" within a minute (never
    "0 phút"), else "3 giờ trước" (the largest unit only)."""
    if not moment:
        return ""
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    if minutes < 1:
        return gettext("just now")
    for size, say in _AGO_UNITS:
        if minutes >= size:
            n = minutes // size
            return gettext("%(time)s ago") % {"time": say(n) % {"n": n}}
    return gettext("just now")


@register.inclusion_tag("ims/partials/transitions.html")
def transition_table(obj: Model) -> dict[str, Any]:
    """The workflow steps of ``obj``; states shown with the labels of its model's ``Status``."""
    return {"events": labelled(history_of(obj), type(obj))}


@register.simple_tag(takes_context=True)
def query_string(context: Context, **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def css_string(value: object) -> SafeString:
    """``value`` escaped for the inside of a double-quoted CSS string (page headers in PDFs)."""
    escaped = []
    for char in str(value):
        if char in '"\\' or ord(char) < 0x20 or char in "<>":
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    # Safe: the characters that could end the string or the <style> element are escaped above.
    return mark_safe("".join(escaped))  # noqa: S308

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def index(value):
    """A satisfaction index (0–100) with one decimal, in the active language's format."""
    if value is None:
        return "—"
    return number_format(round(value, 1), 1)


@register.filter
def signed(value):
    """A change of index with its sign (+2.5, −1.0)."""
    if value is None:
        return "—"
    text = number_format(abs(round(value, 1)), 1)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def pct(value):
    """An index or percentage with one decimal, or "—" when there is none."""
    return "—" if value is None else floatformat(value, 1)

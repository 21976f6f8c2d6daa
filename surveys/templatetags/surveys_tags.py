from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

register = template.Library()


@register.filter
def pct(value):
    """An index or percentage with one decimal, or "—" when there is none."""
    return "—" if value is None else floatformat(value, 1)


@register.simple_tag
def n_cell(n, hidden, k):
    """A figure's n as shown: "< k" when small, "hidden" when it is hidden to protect another
    figure (its n would reveal that one), else n."""
    if n < k:
        return f"< {k}" if n else "0"
    return gettext("hidden") if hidden else n

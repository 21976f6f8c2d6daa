from django import template

from ims.signatures import signatures_for
from ims.transitions import history_of

register = template.Library()


@register.inclusion_tag("ims/partials/signatures.html")
def signature_table(obj):
    """Every signature of ``obj`` with whether it still matches the record as it is now."""
    return {"signatures": signatures_for(obj)}


@register.inclusion_tag("ims/partials/transitions.html")
def transition_table(obj):
    return {"events": history_of(obj)}


@register.simple_tag(takes_context=True)
def query_string(context, **changes):
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"

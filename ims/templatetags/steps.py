from django import template

from ims.steps import step_of

register = template.Library()


@register.filter
def without_steps(messages):
    """The messages that belong to no step of the page (shown at its top)."""
    return [m for m in messages or () if not step_of(m)]


@register.inclusion_tag("ims/partials/step_messages.html", takes_context=True)
def step_messages(context, step):
    """The messages of one step, shown inside it."""
    return {"step_list": [m for m in context.get("messages") or () if step_of(m) == step]}

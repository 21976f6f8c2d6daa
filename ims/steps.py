"""How a view takes a service step: ``attempt`` runs it and shows a refusal in the user's
language; a step of a long page returns to that step, with its message there.

A long page (a document, an audit) holds several small forms: distribute, add to the team,
sign. After one of them, the browser is sent back to the page; without more it lands at the
top of a 3,000 px page, and the message saying what happened is up there too. A view decorated
with ``returns_to_step("team")`` sends the browser to ``#team`` instead, and tags the messages
it added with ``step-team``: the page shows them inside that step (``{% step_messages "team" %}``,
``ims.templatetags.steps``), and the list at the top of every page leaves them out.
"""

from collections.abc import Callable, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _

from ims.transitions import TransitionError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STEP_TAG = "step-"

View = Callable[..., HttpResponseBase]
StepError = ValidationError | PermissionDenied


def returns_to_step(anchor: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            storage = messages.get_messages(request)
            queued = getattr(storage, "_queued_messages", None)
            before = len(queued) if queued is not None else 0
            response = view(request, *args, **kwargs)
            if response.status_code not in (301, 302, 303):
                return response
            location = response["Location"]
            if "#" not in location:
                response["Location"] = f"{location}#{anchor}"
            if response["Location"].endswith(f"#{anchor}") and queued is not None:
                for message in queued[before:]:
                    message.extra_tags = f"{message.extra_tags or ''} {STEP_TAG}{anchor}".strip()
            return response

        return wrapped

    return decorator


def step_of(message: object) -> str:
    """The step a message belongs to, or ''."""
    for tag in (getattr(message, "extra_tags", "") or "").split():
        if tag.startswith(STEP_TAG):
            return tag[len(STEP_TAG) :]
    return ""


def refusal_messages(error: StepError) -> list[str]:
    """The reasons a service gave for refusing a step, as sentences in the user's language."""
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error) or str(_("You are not allowed to do this."))]


def show_refusal(error: StepError, *forms: BaseForm) -> None:
    """Put a refusal on the field of ``forms`` it names (the first form otherwise)."""
    form = forms[0]
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            owner = next((f for f in forms if name in f.fields), None)
            (owner or form).add_error(name if owner else None, errors)
    else:
        form.add_error(None, refusal_messages(error))


def attempt[T](
    request: HttpRequest,
    call: Callable[[], T],
    *,
    success: "StrOrPromise | None" = None,
    forms: Sequence[BaseForm] = (),
    refused: Callable[[list[str]], object] | None = None,
) -> tuple[bool, T | None]:
    """Run a service step for a view: ``(True, its result)``, with ``success`` as a message; or,
    when the step is refused, ``(False, None)`` with the reason shown (on ``forms`` when given,
    else as a message) and nothing changed. Never a 500 for a refusal.

    ``refused(reasons)``, when given, receives a step refused outright (a ``TransitionError``:
    not from this state, or not by this person) instead of ``forms``: a page whose form for the
    step is gone once the record moved on says it in the step itself."""
    try:
        result = call()
    except (ValidationError, PermissionDenied) as error:
        if refused is not None and isinstance(error, TransitionError):
            refused(refusal_messages(error))
        elif forms:
            show_refusal(error, *forms)
        else:
            messages.error(request, " ".join(refusal_messages(error)))
        return False, None
    if success:
        messages.success(request, success)
    return True, result

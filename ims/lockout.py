"""The sign-in lockout, kept by django-axes (settings ``AXES_*``; README "Sign-in lockout").

Failures count per pair of username and client address (``ims.proxies.client_address``): a name
paused at one address still signs in from another, and other names at that address are not
affected. The login pages go through ``authenticate()``, where the axes backend refuses a paused
pair before any password is checked; the password change form and signing check a re-entered
password through :func:`password_matches`, which does the same, so every place that takes a
password counts towards one lockout.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from ims.models import User


def lockout_minutes() -> int:
    """How long a paused pair waits after its last failure, in whole minutes."""
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def is_locked_out(request: HttpRequest | None) -> bool:
    """Whether django-axes refused, or has just paused, the attempt made in ``request``."""
    return bool(getattr(request, "axes_locked_out", False))


def password_matches(
    user: "User", password: str | None, request: HttpRequest | None = None
) -> bool:
    """True when ``password`` is ``user``'s and their (username, address) pair is not paused.

    Through ``authenticate()``: a paused pair is refused before the password is looked at, a
    wrong password counts as a failed sign-in, and a right one clears the pair's count, as at the
    login page. The caller answers the same in both failing cases. Outside a request (the
    shell, tests) the address is unknown: the pair is the username with no address.
    """
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_credentials

    if request is None:
        request = HttpRequest()
    username = user.get_username()
    found = authenticate(request, username=username, password=password or "")
    if found is None or found.pk != user.pk:
        return False
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.get_implementation().reset_user_attempts(
            request, get_credentials(username)
        )
    return True


def lockout_response(
    request: HttpRequest, original_response: object = None, credentials: object = None
) -> HttpResponseBase:
    """What ``AxesMiddleware`` answers for a paused attempt: the page the view rendered, whose
    form already says so (the login form names the pause; signing and the password change answer
    exactly as for a wrong password, so they reveal nothing more)."""
    if isinstance(original_response, HttpResponseBase):
        return original_response
    return HttpResponse(_("Too many failed sign-ins. Try again later."), status=429)

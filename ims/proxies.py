"""The one client address of the project, from the ``TRUSTED_PROXIES`` setting.

The sign-in lockout (django-axes), the survey and password-reset rate limits and the lockout's
log lines all take the address from :func:`client_address`, so they agree on who is asking.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str | None) -> str | None:
    """``address`` normalised when it is an IP address, else None."""
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address of the person who sent ``request``, or None when it cannot be known.

    With ``TRUSTED_PROXIES = 0`` it is the connection's address (``REMOTE_ADDR``). Behind ``n``
    trusted proxies, each appends the address it received the request from to
    ``X-Forwarded-For``, so the client's address is the ``n``-th entry from the right; entries
    further left were written by the client and are never believed. With no usable header (the
    request did not come through the proxies) the connection's address is used.
    """
    remote = _valid(request.META.get("REMOTE_ADDR"))
    hops = settings.TRUSTED_PROXIES
    if not hops:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if not forwarded:
        return remote
    return _valid(forwarded[max(len(forwarded) - hops, 0)]) or remote

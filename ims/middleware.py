import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

SUPPORTED = {code for code, _name in settings.LANGUAGES}

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def language_for(request: HttpRequest) -> str:
    """The signed-in user's language, else the cookie's, else Vietnamese.

    The browser's Accept-Language is ignored on purpose: the interface is Vietnamese unless a
    person chooses otherwise.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # The user is not known yet here (authentication runs later): the cookie decides until
        # process_view, which runs once the user is known.
        self._activate(request)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))
        translation.deactivate()
        return response

    def _activate(self, request: HttpRequest) -> None:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        self._activate(request)


class PlainNotFoundMiddleware:
    """With DEBUG on (the demo), a 404 is the site's own page: Django's debug 404 page, which
    lists every URL pattern, is never shown. Without DEBUG it does nothing (Django already
    renders ``404.html``)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is larger than ``REQUEST_MAX_BYTES`` (413) before anything
    reads it. ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count uploaded files, which Django
    streams to disk while it parses the body; this runs before any of that.

    A body without a Content-Length (chunked) is not read by Django at all.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            return request_too_large(request)
        return self.get_response(request)


def request_too_large(request: HttpRequest) -> HttpResponse:
    title = _("Too much data sent at once")
    message = _(
        "A form can send at most %(limit)s at once (files included), and one file can be at most "
        "%(upload)s. Send fewer or smaller files."
    ) % {
        "limit": filesizeformat(settings.REQUEST_MAX_BYTES),
        "upload": filesizeformat(settings.UPLOAD_MAX_BYTES),
    }
    body = (
        f'<!doctype html><html lang="{translation.get_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
        f'<p data-testid="too-large">{escape(message)}</p>'
        f'<p><a href="/">{escape(_("Home"))}</a></p></body></html>'
    )
    response = HttpResponse(body, status=413)
    response["Connection"] = "close"  # the body was not read
    return response


LAST_SEEN_KEY = "ims_last_seen"
# How stale the stored time of last activity may get before a request writes it again: one
# session write a minute at most, not one per request.
LAST_SEEN_RESOLUTION = 60


def mark_active(sender: object, request: HttpRequest | None, user: object, **kwargs: Any) -> None:
    """On sign-in (``user_logged_in``): the session starts active now."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Signs a person out after ``SESSION_IDLE_SECONDS`` without a request (shared school
    computers): the next request is anonymous, with a message saying why."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_SECONDS // 60},
                )
            elif last is None or now - last >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends ``PERMISSIONS_POLICY`` as the Permissions-Policy header of every response."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ForcePasswordChangeMiddleware:
    """Someone signed in with a password their manager gave must choose their own before
    anything else: every page but the password change (and sign-out, language) redirects there.
    """

    ALLOWED = ("password_change", "password_change_done", "logout", "set_language")

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.allowed_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.must_change_password:
            if self.allowed_paths is None:
                self.allowed_paths = {reverse(name) for name in self.ALLOWED}
            if request.path_info not in self.allowed_paths:
                messages.info(request, _("Choose your own password before you continue."))
                return redirect("password_change")
        return self.get_response(request)

"""The system's API, ``/api/v1/`` (django-ninja): authentication, the error format, the docs.

The core imports no domain app: each app registers its router from ``AppConfig.ready()``
(``ims.registry.register_api_router``), and ``api_urls()`` mounts them when the URLs are built.

Authentication: ``Authorization: Bearer <token>`` (personal tokens, ``ims.tokens``), or the
Django session with the CSRF header on every write (the audit workspace). Errors, always
``{"detail", "code"}`` in the caller's language, with ``errors`` (422) or ``current`` (409).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from ims.registry import api_routers
from ims.tokens import api_token_user
from ims.workflow import Refusal

LANGUAGES = {code for code, _name in settings.LANGUAGES}


class ErrorOut(Schema):
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None
    current: dict[str, Any] | None = None


# The error answers every operation may give; an operation adds its own (409, 413).
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ApiError(Exception):
    """An answer other than success, raised by an operation: ``status``, a stable ``code``, the
    ``detail`` for people, and for a conflict the server's ``current`` record."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: Any,
        *,
        errors: dict[str, list[str]] | None = None,
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.status, self.code, self.detail = status, code, str(detail)
        self.errors, self.current = errors, current


def _use_language(user: Any) -> None:
    language = getattr(user, "language", "")
    if language in LANGUAGES:
        translation.activate(language)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a token that is unknown, revoked or whose owner is
    inactive is refused (401), never passed on to the session."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        # Parsed here rather than by ninja, which logs an unexpected header (a credential).
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _refuse_token()
        return self.authenticate(request, token.strip()) or _refuse_token()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user
        _use_language(user)
        return user


def _refuse_token() -> Any:
    raise ApiError(401, "invalid_token", _("This API token is not valid, or it was revoked."))


class SessionCsrfAuth(APIKeyCookie):
    """The browser's session; every write carries the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        request.csrf_processing_done = False  # type: ignore[attr-defined]
        middleware = CsrfViewMiddleware(lambda r: HttpResponse())
        middleware.process_request(request)
        if middleware.process_view(request, _no_view, (), {}) is not None:
            raise ApiError(
                403,
                "csrf_failed",
                _("The page's security token is missing or old. Reload the page and try again."),
            )
        return user


def _no_view(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse()


api = NinjaAPI(
    title="IMS API",
    version="1",
    description=(
        "The integrated management system's API. Authenticate with a personal token "
        "(`Authorization: Bearer …`, created on *My settings*) or, in the browser, with the "
        "session and the `X-CSRFToken` header. See docs/api-sync.md."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # Swagger UI from ninja's own static files; no validator badge (it would call another host).
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    auth=[TokenAuth(), SessionCsrfAuth()],
)


def _answer(
    request: HttpRequest,
    status: int,
    code: str,
    detail: Any,
    *,
    errors: dict[str, list[str]] | None = None,
    current: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"detail": str(detail), "code": code}
    if errors is not None:
        body["errors"] = errors
    if current is not None:
        body["current"] = current
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _answer(
        request, exc.status, exc.code, exc.detail, errors=exc.errors, current=exc.current
    )


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _answer(request, 401, "not_authenticated", _("Sign in, or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _answer(request, 404, "not_found", _("Not found, or you may not see it."))


@api.exception_handler(Refusal)
def _refused(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return _answer(request, 403, "refused", " ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _answer(request, 403, "forbidden", str(exc) or _("You are not allowed to do this."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(m) for m in ValidationError(e).messages]
            for field, e in exc.error_dict.items()
        }
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    detail = " ".join(message for messages in errors.values() for message in messages)
    return _answer(request, 422, "invalid", detail, errors=errors)


@api.exception_handler(SchemaValidationError)
def _schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        errors.setdefault(".".join(location) or "__all__", []).append(str(error.get("msg", "")))
    return _answer(request, 422, "invalid", _("The data sent is not valid."), errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _answer(request, exc.status_code, f"http_{exc.status_code}", str(exc))


_mounted = False


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, with every router the apps registered mounted once."""
    global _mounted
    if not _mounted:
        for prefix, router in api_routers():
            api.add_router(prefix, router)
        _mounted = True
    return api.urls

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.defaults import page_not_found

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request):
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
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The user is not known yet here (authentication runs later): the cookie decides until
        # process_view, which runs once the user is known.
        self._activate(request)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))
        translation.deactivate()
        return response

    def _activate(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_view(self, request, view_func, view_args, view_kwargs):
        self._activate(request)


class PlainNotFoundMiddleware:
    """With DEBUG on (the demo), a 404 is the site's own page: Django's debug 404 page, which
    lists every URL pattern, is never shown. Without DEBUG it does nothing (Django already
    renders ``404.html``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None

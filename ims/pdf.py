"""PDF rendering with WeasyPrint, with no network: only static files and the report's own media.

Templates refer to static files with ``{% static %}`` (``/static/...``) and to stored media with
``report_media_url(name)``; both resolve against a base URL that exists nowhere, and the fetcher
answers them from the staticfiles finders and the default storage. Every other URL — ``http://``,
``https://``, ``file://``, media the report did not declare — is refused.
"""

import logging
import ssl
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

BASE_URL = "https://report.invalid/"
MEDIA_PREFIX = "/_report_media/"


class RefusedURL(ValueError):
    pass


def report_media_url(name: str) -> str:
    return f"{MEDIA_PREFIX}{name}"


def fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        def __init__(self, media_names: Iterable[str] = (), **kwargs: Any) -> None:
            # A bare SSL context: nothing goes to the network, and a default one would load
            # the system's certificates for every PDF.
            kwargs.setdefault("ssl_context", ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
            super().__init__(allowed_protocols={"https", "data"}, allow_redirects=False, **kwargs)
            self.media_names = set(media_names)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            body, content_type = resolve(url, self.media_names)
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return SafeURLFetcher


def resolve(url: str, media_names: Collection[str]) -> tuple[bytes, str]:
    """The bytes and content type behind an allowed URL; ``RefusedURL`` for anything else."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or parts.query:
        raise RefusedURL(f"Refused URL in report: {url}")
    path = unquote(parts.path)
    if ".." in path.split("/"):
        raise RefusedURL(f"Refused URL in report: {url}")
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        if not found:
            raise RefusedURL(f"Static file not found: {path}")
        with open(found, "rb") as handle:
            return handle.read(), _content_type(path)
    if path.startswith(MEDIA_PREFIX):
        name = path[len(MEDIA_PREFIX) :]
        if name in media_names and default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                return handle.read(), _content_type(name)
    raise RefusedURL(f"Refused URL in report: {url}")


def _content_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def render_pdf(html: str, media_names: Iterable[str] = ()) -> bytes:
    """Render ``html`` to PDF bytes; resources only through the safe fetcher."""
    from weasyprint import HTML

    fetcher = fetcher_class()(media_names=media_names)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()

"""The offline audit workspace: its shell page, its web app manifest and its service worker.

The workspace is one page (``/audits/workspace/``) that works from the device: the service worker
caches the shell (this page, its CSS and JS, the fonts and the JavaScript catalogue), and the page
keeps the prepared audits and the unsent work in IndexedDB (docs/adr/0006-offline-audit-sync.md).
None of these views reads domain data: the data comes from the sync API (``/api/v1/``), which
checks access on every request.
"""

import hashlib
import json
from functools import lru_cache

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# The shell's static files, cached by the service worker. Changing one changes the worker's
# version, so the browser installs the new worker (which then waits for the auditor).
SHELL_STATIC = (
    "vendor/fonts/fonts.css",
    "vendor/fonts/noto-sans-latin-400-normal.woff2",
    "vendor/fonts/noto-sans-latin-700-normal.woff2",
    "vendor/fonts/noto-sans-latin-ext-400-normal.woff2",
    "vendor/fonts/noto-sans-latin-ext-700-normal.woff2",
    "vendor/fonts/noto-sans-vietnamese-400-normal.woff2",
    "vendor/fonts/noto-sans-vietnamese-700-normal.woff2",
    "css/ims.css",
    "audits/workspace/workspace.css",
    "audits/workspace/app.js",
    "audits/workspace/db.js",
    "audits/workspace/sync.js",
    "audits/workspace/photos.js",
    "audits/workspace/bundles.js",
    "audits/workspace/icon-192.png",
    "audits/workspace/icon-512.png",
)
SHELL_TEMPLATES = ("audits/workspace/shell.html", "audits/workspace/sw.js")


def _file_digest(path: str | None) -> bytes:
    if not path:
        return b"-"
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def _shell_version() -> str:
    """A short digest of everything the worker caches: a new release means a new worker."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        found = finders.find(name)
        digest.update(_file_digest(found if isinstance(found, str) else None))
    for name in SHELL_TEMPLATES:
        origin = get_template(name).origin.name  # type: ignore[attr-defined]
        digest.update(_file_digest(origin))
    return digest.hexdigest()[:16]


# Static files do not change while a release runs; in development they do.
_cached_version = lru_cache(maxsize=1)(_shell_version)


def shell_version() -> str:
    return _shell_version() if settings.DEBUG else _cached_version()


def shell_urls() -> list[str]:
    """What the worker stores on install: the page, the catalogue and the static files, under
    both their plain and their hashed names (ES module imports use the plain names)."""
    urls = [reverse("audits:workspace"), reverse("javascript-catalog")]
    for name in SHELL_STATIC:
        for url in (static(name), settings.STATIC_URL + name):
            if url not in urls:
                urls.append(url)
    return urls


@login_required
@require_GET
@csp_update({"img-src": ["blob:"]})  # previews of photos waiting on the device
def workspace(request: HttpRequest) -> HttpResponse:
    """The shell. It carries no audit data: the page reads it from IndexedDB or the API."""
    response = HttpResponse(render_to_string("audits/workspace/shell.html", request=request))
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: public, it names the app and nothing else."""
    start = reverse("audits:workspace")
    data = {
        "name": _("Audit workspace"),
        "short_name": _("Audits"),
        "description": _("Record audits on site, with or without a network."),
        "lang": request.LANGUAGE_CODE,
        "id": start,
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": "#0b5cad",
        "icons": [
            {
                "src": static(f"audits/workspace/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker script, served under the workspace so that its scope is the workspace only.

    Public: it holds the list of shell files and no data; a redirect to the login page would
    make the browser drop the registration.
    """
    body = render_to_string(
        "audits/workspace/sw.js",
        {
            "version": shell_version(),
            "shell_url": reverse("audits:workspace"),
            "urls_json": json.dumps(shell_urls()),
            "static_prefix": settings.STATIC_URL,
            "catalog_url": reverse("javascript-catalog"),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on each visit; no intermediary may keep an old one.
    response["Cache-Control"] = "no-cache"
    return response

"""gunicorn's logger for this project (``gunicorn.conf.py``): nothing it writes names a survey
page, its answering token, a link code or a respondent's address.

The answering pages live under ``/s/`` (``/s/<link code>``, ``/s/r/<token>/``). gunicorn's access
log would write each request's path and query string, its Referer (the previous answering page
of the same session) and, with a custom format, any header or environ value. This logger writes
every ``/s/…`` path as ``/s/…`` wherever it appears, drops the query string, the client's address
and forwarded addresses of requests to ``/s/``, and never writes cookies. Its error log (``Error
handling request /s/…``) is redacted the same way, as is the application's own log
(``RedactSurveyPaths`` in ``LOGGING``).

The proxy in front of gunicorn keeps its own access log: README "Anonymity" says how to keep
``/s/`` out of it.
"""

import logging
import re
from typing import Any

from gunicorn import glogging

SURVEY_PATH = re.compile(r"/s/[^\s\"']*")
REDACTED = "/s/…"
# Atoms naming the client: blanked for requests to /s/.
ADDRESS_ATOMS = {
    "h",
    "{x-forwarded-for}i",
    "{x-real-ip}i",
    "{forwarded}i",
    "{remote_addr}e",
    "{http_x_forwarded_for}e",
    "{http_x_real_ip}e",
    "{http_forwarded}e",
}
# Atoms never written for any request: session and answering-state cookies, credentials.
SECRET_ATOMS = {"{cookie}i", "{http_cookie}e", "{authorization}i", "{http_authorization}e"}


def redact(text: str) -> str:
    """``text`` with every ``/s/…`` path (and what follows it up to a space or quote) hidden."""
    return SURVEY_PATH.sub(REDACTED, text)


def is_survey_request(environ: dict[str, Any]) -> bool:
    return any(SURVEY_PATH.search(environ.get(key, "")) for key in ("PATH_INFO", "RAW_URI"))


class RedactSurveyPaths(logging.Filter):
    """A logging filter that writes ``/s/…`` for every survey path in a record's message: on
    gunicorn's error log, and on the application's handler (``LOGGING`` in settings), where
    Django's ``django.request`` logger would name the page of a 400 or 404 (``Not Found:
    /s/r/<token>/``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/s/" in message:
            record.msg, record.args = redact(message), ()
        return True


class RedactingLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(isinstance(f, RedactSurveyPaths) for f in self.error_log.filters):
            self.error_log.addFilter(RedactSurveyPaths())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        survey = is_survey_request(environ)
        for key, value in atoms.items():
            if key in SECRET_ATOMS or (survey and key in ADDRESS_ATOMS):
                atoms[key] = "-"
            elif isinstance(value, str) and "/s/" in value:
                atoms[key] = redact(value)
        if survey:
            atoms["q"] = ""
            atoms["{query_string}e"] = ""
        return atoms

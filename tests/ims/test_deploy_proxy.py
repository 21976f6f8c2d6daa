"""The documented proxy (docs/deploy/nginx.conf) buffers request bodies up to the app's own
limit, so a slow phone never holds a gunicorn thread and nothing the app accepts is refused
by the proxy first."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def directive(name):
    """The value of the one ``name`` directive (comments ignored)."""
    code = "\n".join(line.split("#", 1)[0] for line in NGINX.splitlines())
    values = re.findall(rf"^\s*{name}\s+([^;]+);", code, flags=re.MULTILINE)
    assert len(values) == 1, (name, values)
    return values[0].strip()


def seconds(value):
    return int(value.removesuffix("s"))


def test_request_and_response_bodies_are_buffered():
    assert directive("proxy_request_buffering") == "on"
    assert directive("proxy_buffering") == "on"


def test_body_limit_matches_the_apps_limit_and_a_photo_chunk_stays_in_memory():
    size = directive("client_max_body_size").lower()
    number, unit = re.fullmatch(r"(\d+)([km]?)", size).groups()
    assert int(number) * UNITS[unit] == settings.REQUEST_MAX_BYTES
    buffer = re.fullmatch(r"(\d+)([km]?)", directive("client_body_buffer_size").lower()).groups()
    assert int(buffer[0]) * UNITS[buffer[1]] >= 512 * 1024


def test_timeouts_tolerate_a_stalling_network():
    assert seconds(directive("client_body_timeout")) >= 60
    assert seconds(directive("proxy_read_timeout")) >= 60
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for" in NGINX
    assert "access_log /var/log/nginx/ims.access.log ims if=$ims_log" in NGINX

"""Static files: production settings collect them with WhiteNoise's compressed manifest storage
(hashed names, gzip and Brotli copies), which WhiteNoise then serves compressed and cached for
good; the test settings keep the plain storage (no collectstatic before a test)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the project's settings decide the storage from DEBUG and from
# whether pytest is loaded, so the production choice can only be seen without pytest.
PRODUCTION_RUN = """
import json, sys
import django
from django.conf import settings
django.setup()
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

settings.STATIC_ROOT = sys.argv[1]
call_command("collectstatic", "--noinput", "-v0")
url = static("css/ims.css")
client = Client()
compressed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
plain = client.get(url)
print(json.dumps({
    "debug": settings.DEBUG,
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "url": url,
    "status": compressed.status_code,
    "encoding": compressed.get("Content-Encoding"),
    "cache": compressed.get("Cache-Control"),
    "vary": compressed.get("Vary"),
    "compressed_size": int(compressed["Content-Length"]),
    "plain_size": int(plain["Content-Length"]),
}))
"""


def test_test_settings_keep_the_plain_storage():
    assert settings.STORAGES["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def test_production_collects_compressed_hashed_files_and_serves_them_compressed(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "IMS_TESTING", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ims.settings",
        DEBUG="false",
        SECRET_KEY="static-compression-test-" + "k" * 40,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_RUN, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # The hashed name, and its compressed copies beside it.
    assert seen["url"].startswith("/static/css/ims.") and seen["url"] != "/static/css/ims.css"
    collected = tmp_path / seen["url"].removeprefix("/static/")
    assert collected.with_name(collected.name + ".gz").exists()
    assert collected.with_name(collected.name + ".br").exists()
    assert (tmp_path / "staticfiles.json").exists()
    # Served compressed to a browser that accepts it, cached for good (the name changes with it).
    assert seen["status"] == 200
    assert seen["encoding"] in {"br", "gzip"}
    assert seen["compressed_size"] < seen["plain_size"] / 2
    assert "immutable" in seen["cache"]
    assert "Accept-Encoding" in seen["vary"]

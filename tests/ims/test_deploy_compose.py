"""docker-compose.yml: gunicorn only on loopback, a healthcheck that passes with DEBUG off, and
one worker per queue (reminders never wait behind PDFs)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.ims.test_settings_env import documented_production_environment
from tests.workers import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_gunicorn_is_published_on_loopback_only():
    ports = COMPOSE["services"]["web"]["ports"]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)


def queues(command):
    words = command.split()
    return set(words[words.index("-Q") + 1].split(","))


def test_reminders_and_pdfs_have_separate_workers():
    workers = {
        name: queues(service["command"])
        for name, service in COMPOSE["services"].items()
        if "worker" in str(service.get("command", "")).split()
    }
    assert sorted(workers.values(), key=sorted) == [{"default"}, {"reports"}], workers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_web_healthcheck_passes_with_debug_off():
    assert COMPOSE["services"]["web"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "scripts/healthcheck.py",
    ]
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "DEBUG", "REDIS_URL"}
    }
    production = documented_production_environment()
    production.pop("REDIS_URL")  # the compose network's Redis is not here
    env.update(production, DATABASE_URL=database_url_for_tests(), DATABASE_POOL="false")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "ims.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        check = [sys.executable, "scripts/healthcheck.py"]
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(
                check, cwd=ROOT, env={**env, "PORT": str(port)}, capture_output=True, text=True
            )
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert result.returncode == 0, result.stderr
        # The same request without the Host header is what the old healthcheck sent: refused.
        plain = subprocess.run(
            check,
            cwd=ROOT,
            env={**env, "PORT": str(port), "ALLOWED_HOSTS": "127.0.0.2"},
            capture_output=True,
            text=True,
        )
        assert plain.returncode == 1
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_redis_keeps_nothing_on_disk():
    # The rate-limit counts (keyed hashes per campaign and hour), cache and task messages are
    # not written to a file that would outlive them (README "What the operator must do").
    redis = COMPOSE["services"]["redis"]
    words = redis["command"].split()
    assert words[words.index("--appendonly") + 1] == "no"
    assert words[words.index("--save") + 1] == '""'
    assert "volumes" not in redis

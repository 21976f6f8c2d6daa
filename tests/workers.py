"""Start a real Celery worker for a test, on a queue of its own, against the test database."""

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url_for_tests():
    """The URL of the test database this process uses, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def new_queue():
    return f"test-{uuid.uuid4().hex[:12]}"


@contextmanager
def celery_worker(queue, *, app="ims", pool="solo", env=None):
    """A worker process consuming ``queue``; yields the ``Popen``, stops it on exit.

    Its output goes to a log that is printed (pytest shows it) when the test fails.
    """
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "DATABASE_POOL": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(env or {}),
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    celery = Path(sys.executable).with_name("celery")
    command = [str(celery), "-A", app, "worker", "-P", pool, "-c", "1", "-Q", queue]
    command += ["-l", "warning", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    command += ["-n", f"{queue}@%h"]
    with tempfile.TemporaryFile("w+") as log:
        # A session of its own: the test can kill the pool's child, and we stop the whole group.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        except BaseException:
            log.seek(0)
            print(f"--- worker log ---\n{log.read()[-5000:]}")
            raise
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

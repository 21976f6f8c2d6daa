"""The shipped gunicorn configuration tolerates weak networks: threaded workers whose timeout
never kills a request that is slow to arrive (a photo uploaded at a few kB/s)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.ims.test_access_log import shipped_config

ROOT = Path(__file__).resolve().parents[2]


def upload_app(environ, start_response):
    """Reads the whole body, answers its length and the worker's process id."""
    body = environ["wsgi.input"].read()
    reply = f"{len(body)} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(reply)))])
    return [reply]


def test_shipped_config_runs_threaded_workers_with_a_timeout_and_keepalive():
    cfg = shipped_config()
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads >= 2
    assert cfg.timeout >= 30
    assert cfg.keepalive > 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, pieces, pause=0.0):
    """POST ``pieces`` one after the other, ``pause`` seconds apart; the response's body."""
    length = sum(len(p) for p in pieces)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
            "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n".encode()
        )
        for piece in pieces:
            time.sleep(pause)
            sock.sendall(piece)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _sep, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply[:200]
    return body.decode()


def test_an_upload_slower_than_the_timeout_is_not_killed():
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "2",
            "tests.ims.test_gunicorn_config:upload_app",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                first = post(port, [b"x"])
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        pid = first.split()[1]
        # 10 pieces of 1 kB, 0.5 s apart: 5 s on the wire, more than twice the timeout.
        slow = post(port, [b"y" * 1000] * 10, pause=0.5)
        assert slow == f"10000 {pid}"
        # The same worker process still serves: it was never restarted.
        assert post(port, [b"z"]).split()[1] == pid
    finally:
        server.terminate()
        server.wait(timeout=30)

"""gunicorn's configuration for production (``Dockerfile``, ``docker-compose.yml``) and the
benchmark (``bench/run.py``). gunicorn reads ``./gunicorn.conf.py`` by default; the Dockerfile
names it. Command-line options override it (``--bind``, ``--workers``).

The access log never names a survey page, code or respondent (``ims.access_log``).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes: gunicorn's WEB_CONCURRENCY when set, else 3 (a 2-core machine).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Threaded workers: the worker's main thread keeps telling the arbiter it is alive while a
# request runs, so a long streamed download (a province's raw survey export) is not killed at
# `timeout`, which then only catches a worker that hangs as a whole.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"
logger_class = "ims.access_log.RedactingLogger"
# The combined format plus the time taken (ms); /s/ paths and addresses are redacted.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

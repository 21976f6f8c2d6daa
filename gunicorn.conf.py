"""gunicorn's configuration for production (``Dockerfile``, ``docker-compose.yml``) and the
benchmark (``bench/run.py``). gunicorn reads ``./gunicorn.conf.py`` by default; the Dockerfile
names it. Command-line options override it (``--bind``, ``--workers``).

Auditors upload photos over weak mobile networks (README "Deploying behind a proxy"):
- ``gthread`` workers: the worker's main thread keeps telling the arbiter it is alive while its
  threads serve requests, so ``timeout`` only catches a worker process that hangs as a whole,
  never a request that is slow to arrive (an upload at 20 kB/s) or slow to leave (a province's
  raw survey export). ``tests/ims/test_gunicorn_config.py`` uploads for longer than the timeout.
- In production a proxy (nginx, ``docs/deploy/nginx.conf``) buffers the whole request body
  before it opens a connection here, so a slow client holds no thread at all; without it, each
  slow upload would hold one of the ``workers`` x ``threads`` threads until it ends.

The access log never names a survey page, code or respondent (``ims.access_log``).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes: gunicorn's WEB_CONCURRENCY when set, else 3 (a 2-core machine).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Seconds a worker process may stay silent before the arbiter restarts it. With gthread this is
# not a limit on a request's duration (see above).
timeout = 60
graceful_timeout = 30
# Seconds an idle kept-alive connection stays open. gthread parks idle connections in its poller,
# not in a thread, so they cost no worker; the proxy keeps its own (longer) keep-alive with phones.
keepalive = 5
accesslog = "-"
logger_class = "ims.access_log.RedactingLogger"
# The combined format plus the time taken (ms); /s/ paths and addresses are redacted.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

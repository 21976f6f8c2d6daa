# ruff: noqa: S603, S607, S608 - runs fixed local commands (psql, apt-get, wrk, gunicorn); SQL
# built from model metadata only
"""Benchmark at province scale: the pages and the survey answering served by gunicorn with the
shipped configuration (``gunicorn.conf.py``) on 127.0.0.1, loaded by wrk.

Usage (from the project root, PostgreSQL and Redis running):

    .venv/bin/python bench/run.py --seed 1        # fresh ims_scale database, seed_scale, measure
    .venv/bin/python bench/run.py                 # measure the data already in ims_scale
    .venv/bin/python bench/run.py --seed 0.1 --database-url postgres://postgres@127.0.0.1/ims_scale_small
    .venv/bin/python bench/run.py --only survey_submit,survey_sessions --duration 5

It measures, warm, in one run:

- pages, one client, sequential (p50/p95): the director's dashboard over the whole province,
  the documents register with a search, the NC register filtered, a survey campaign's results;
- ``survey_submit``: completed submissions per second. Each request is the last page's POST of
  its own answering session (the state cookie ``/s/<code>`` would have set, the CSRF cookie and
  token), from ``--clients`` connections, to the seeded province-wide parents' campaign;
- ``survey_sessions``: ``--respondents`` (200) connections, each a respondent running whole
  answering sessions one after another through HTTP (``bench/wrk/session.lua``): open a
  school's link, each page shown and sent, the last page; completed sessions per second and
  p50/p95 per step, on a campaign of the parents' template (several pages);
- for both: every "thanks" is checked against the rows stored (each session's text answer
  carries its own marker: none lost, none stored twice) and the counters; and the
  Department-level results page is polled during the load: the longest that a stored
  response waited before the figure shown counted it;
- ``raw_export``: the streamed CSV raw export of a campaign holding 1,000,000 responses (copied
  in bulk from the seeded ones into a bench campaign that later runs reuse), end to end, and
  the memory of the gunicorn worker that serves it;
- ``audit_pdf``: the 100-finding audit report PDF, rendered the way the worker renders it;
- baselines in the same run: a bare Django view (no database) and the dashboard's own SQL run
  directly; queries per page (Django test client); gunicorn workers' memory after the run;
  the access log of the whole run, checked for survey paths (none may be written); and
  ``/healthz``, which must answer 503 (no worker runs) with the reason.

No Celery worker or beat runs: nothing in what is measured depends on one. It prints a table
and writes JSON (``--json``, default ``bench/results.json``). The load generator is Debian's
``wrk`` (installed with apt-get when missing).
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ims_scale"
CSRF = "b3nchb3nchb3nchb3nchb3nchb3nchb3"[:32]  # a fixed CSRF secret (cookie = form field)
MARKER = "BENCHMARKER"  # replaced by each session's marker in the submissions' body
RUN = secrets.token_hex(3)  # in every marker: "bench-<run><phase>-<thread>-<n>", unique to a run
SESSIONS_TITLE = "Bench: whole answering sessions"
EXPORT_TITLE = "Bench: raw export, 1,000,000 responses"
EXPORT_RESPONSES = 1_000_000
WARM_UP_SECONDS = 5
# Whole sessions are measured at least this long: with 200 respondents a session's pages queue
# for seconds, and the window must hold many sessions from start to end.
SESSIONS_SECONDS = 30

TARGETS = {
    "queries": 20,
    "dashboard_p95_ms": 150,
    "search_p95_ms": 100,
    "submit_per_s": 300,
    "respondents": 200,
    "results_lag_s": 5,
    "pdf_s": 3.0,
    "rss_mb": 200,
}
PAGES = ["dashboard", "documents_search", "nc_filtered", "survey_results"]
MEASURES = [*PAGES, "survey_submit", "survey_sessions", "raw_export", "audit_pdf"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def bench_env(database_url):
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "scale.bench_settings",
            "DEBUG": "false",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-" + "k" * 50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            # JIT compilation off: PostgreSQL's JIT compiled the access-control subqueries
            # of the register queries for 5 s per request (see RESULTS.md); a statement
            # timeout so a pathological page fails in 2 minutes instead of holding a worker (the
            # raw export of a million responses sorts them in one statement: not 30 s).
            "PGOPTIONS": "-c jit=off -c statement_timeout=120000",
            # As in production: Redis is the cache every process shares (and the broker, which
            # no measured page needs: no worker runs).
            "REDIS_URL": env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    return env


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("== installing wrk (Debian package)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def recreate_database(database_url, env, factor):
    base, name = database_url.rsplit("/", 1)
    log(f"== fresh database {name}, migrate, seed_scale --factor {factor}")
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True)
    manage(env, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    manage(env, "seed_scale", "--factor", str(factor))
    seconds = time.perf_counter() - started
    checkpoint(database_url)
    return seconds


def checkpoint(database_url):
    """Write a bulk load's dirty pages out now: otherwise the server flushes them in the
    background for the next few minutes (a checkpoint is spread over 4.5 of its 5) while pages
    are timed."""
    subprocess.run(["psql", database_url, "-qc", "CHECKPOINT"], check=True)


# --- in-process preparation (Django set up with the benchmark settings) ------------------------


def prepare(submissions):
    from django.test import Client

    from ims.models import OrgUnit, User
    from scale.generator import ROOT_CODE
    from surveys.models import Campaign

    director = User.objects.get(username="scale.director")
    client = Client()
    client.force_login(director)
    root = OrgUnit.objects.get(code=ROOT_CODE)
    campaign = (
        Campaign.objects.filter(owner_unit=root, status="published", group="parents")
        .exclude(title__startswith="Bench: ")
        .order_by("pk")
        .first()
    )
    from audits.models import Audit

    return {
        "cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}",
        "client": client,
        "root": root,
        "campaign": campaign,
        "submissions": prepared_submissions(campaign, submissions),
        "sessions_campaign": sessions_campaign(root),
        "audit": Audit.objects.filter(code__startswith="DG-").order_by("pk").first(),
        "pages": {
            "dashboard": "/dashboard/",
            "documents_search": "/documents/?" + urlencode({"q": "quy trinh danh gia"}),
            "nc_filtered": "/nonconformities/?"
            + urlencode({"status": "in_action", "severity": "minor", "overdue": "on"}),
            "survey_results": f"/surveys/{campaign.pk}/results/",
        },
    }


def prepared_submissions(campaign, count):
    """``count`` answering sessions of ``campaign`` at their last page, as ``/s/<code>`` would
    have opened them ten minutes ago: lines of "<state cookie> <page path> <marker>", and the
    page's POST body (every answer, the CSRF token, and ``MARKER`` in the text answer)."""
    from surveys import answering_state
    from surveys.models import Question, SurveyLink

    units = list(
        SurveyLink.objects.filter(campaign=campaign).order_by("pk").values_list("unit", flat=True)
    )
    answers = {"csrfmiddlewaretoken": CSRF}
    for question in Question.objects.filter(version=campaign.version).order_by("order"):
        if question.kind == "likert":
            answers[f"q{question.pk}"] = str(4 + question.order % 2)
        elif question.kind == "nps":
            answers[f"q{question.pk}"] = "9"
        else:
            answers[f"q{question.pk}"] = MARKER
    lines = []
    t0 = time.time() - 600
    for n in range(count):
        token = secrets.token_urlsafe(18)
        state = {
            "c": campaign.pk,
            "ct": campaign.created_at.timestamp(),
            "u": units[n * 7919 % len(units)],  # respondents of every school
            "otc": None,
            "t0": t0,
            "lang": "vi",
            "answers": {},
        }
        cookie = f"{answering_state.cookie_name(token)}={answering_state.encode(token, state)}"
        lines.append(f"{cookie} /s/r/{token}/ bench-{RUN}s-0-{n}")
    return {"lines": lines, "body": urlencode(answers)}


def sessions_campaign(root):
    """The campaign the whole sessions answer: the parents' template (several pages), open at
    every school. Made once through the services, then reused."""
    from ims.models import User
    from surveys.models import Campaign
    from surveys.services import campaign_create, campaign_publish, instrument_create_from_template

    campaign = Campaign.objects.filter(owner_unit=root, title=SESSIONS_TITLE).first()
    if campaign is not None:
        return campaign
    iso = User.objects.get(username="scale.iso")
    instrument = instrument_create_from_template(actor=iso, owner_unit=root, template="parents")
    from django.utils import timezone

    today = timezone.localdate()
    campaign = campaign_create(
        actor=iso,
        version=instrument.versions.get(),
        title=SESSIONS_TITLE,
        group="parents",
        owner_unit=root,
        units=[root],
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=365),
    )
    return campaign_publish(actor=iso, campaign=campaign)


def export_campaign(source):
    """A closed campaign of ``source``'s version holding ``EXPORT_RESPONSES`` responses, copied
    in bulk (with their counters) from the responses of that version; made once, then reused.
    Returns (campaign, seconds spent filling it)."""
    from django.db import connection, transaction

    from surveys.models import Campaign, CampaignUnit, Response

    campaign = Campaign.objects.filter(owner_unit=source.owner_unit, title=EXPORT_TITLE).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            version=source.version,
            title=EXPORT_TITLE,
            group=source.group,
            owner_unit=source.owner_unit,
            opens_on=source.opens_on,
            closes_on=source.closes_on,
            status=Campaign.Status.CLOSED,
            created_by=source.created_by,
        )
        CampaignUnit.objects.create(campaign=campaign, unit=source.owner_unit)
    missing = EXPORT_RESPONSES - Response.objects.filter(campaign=campaign).count()
    if missing <= 0:
        return campaign, 0.0
    log(f"   copying {missing} responses into the export campaign")
    started = time.perf_counter()
    table = Response._meta.db_table
    columns = [
        f.column for f in Response._meta.concrete_fields if f.column not in ("id", "campaign_id")
    ]
    available = Response.objects.filter(version=source.version).exclude(campaign=campaign).count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL statement_timeout = 0")  # the server's 2 minutes are for pages
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the counters' GROUP BY in memory
        cursor.execute(
            f"INSERT INTO {table} (id, campaign_id, {', '.join(columns)}) "
            f"SELECT gen_random_uuid(), %s, {', '.join('r.' + c for c in columns)} "
            f"FROM {table} r, generate_series(1, %s) "
            "WHERE r.version_id = %s AND r.campaign_id <> %s LIMIT %s",
            [campaign.pk, math.ceil(missing / available), source.version_id, campaign.pk, missing],
        )
        rebuild_counters(cursor, campaign)
    return campaign, time.perf_counter() - started


def rebuild_counters(cursor, campaign):
    """The campaign's counters from its responses, in SQL (``tally_rebuild`` goes through
    Python, one response at a time), on one shard where the counters are sharded."""
    from surveys.models import QuestionTally, Response, UnitTally, ValueTally

    def insert(model, keys, select, source):
        sharded = any(f.name == "shard" for f in model._meta.fields)
        columns = ", ".join([*keys, "count"] + (["shard"] if sharded else []))
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE campaign_id = %s", [campaign.pk])
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) "
            f"SELECT {select}{', 0' if sharded else ''} {source}",
            [campaign.pk],
        )

    answers = (
        f"FROM {Response._meta.db_table} r, jsonb_array_elements(r.answers) a "
        "WHERE r.campaign_id = %s"
    )
    insert(
        ValueTally,
        ["campaign_id", "unit_id", "question_id", "value"],
        "r.campaign_id, r.unit_id, (a->>0)::bigint, (a->>1)::int, count(*)",
        f"{answers} AND a->>1 IS NOT NULL GROUP BY 1, 2, 3, 4",
    )
    insert(
        QuestionTally,
        ["campaign_id", "unit_id", "question_id"],
        "r.campaign_id, r.unit_id, (a->>0)::bigint, count(DISTINCT r.id)",
        f"{answers} GROUP BY 1, 2, 3",
    )
    insert(
        UnitTally,
        ["campaign_id", "unit_id"],
        "campaign_id, unit_id, count(*)",
        f"FROM {Response._meta.db_table} WHERE campaign_id = %s GROUP BY 1, 2",
    )


def count_queries(client, pages):
    from django.db import connection
    from django.db.utils import OperationalError
    from django.test.utils import CaptureQueriesContext

    counts, captured, failed = {}, {}, {}
    for name, url in pages.items():
        try:
            client.get(url)  # warm caches the way a second visit would find them
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
        except OperationalError as exc:  # the statement timeout
            failed[name] = str(exc).splitlines()[0]
            log(f"   {name}: failed ({failed[name]})")
            continue
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        counts[name] = len(ctx.captured_queries)
        captured[name] = [q["sql"] for q in ctx.captured_queries]
        log(f"   {name}: {counts[name]} queries, {elapsed * 1000:.0f} ms in-process")
    return counts, captured, failed


def sql_baseline(queries, runs=60):
    """Run the dashboard's own SQL directly (same connection, no ORM): p50/p95 of the set."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor itself
        for n in range(runs + 5):
            started = time.perf_counter()
            for sql in queries:
                raw.execute(sql)
                raw.fetchall()
            if n >= 5:
                timings.append((time.perf_counter() - started) * 1000)
    return summarise_ms(timings)


def summarise_ms(timings):
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "per_s": round(1000 / statistics.mean(ordered), 1),
        "runs": len(ordered),
    }


def pdf_timing(audit, runs=3):
    from audits.report_kinds import AuditReport
    from ims.reports import render_report

    kind = AuditReport()
    obj = kind.get_object(None, audit.pk)
    findings = obj.findings.count()
    render_report(kind, obj, {}, language="vi")  # warm: imports, fonts
    timings = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render_report(kind, obj, {}, language="vi")
        timings.append(time.perf_counter() - started)
        size = len(pdf)
    return {
        "findings": findings,
        "median_s": round(statistics.median(timings), 2),
        "best_s": round(min(timings), 2),
        "runs_s": [round(t, 2) for t in timings],
        "kib": size // 1024,
    }


# --- the server and the load generator ---------------------------------------------------------


def start_gunicorn(env, port, workers, threads, access_log):
    """gunicorn with the shipped ``gunicorn.conf.py`` (its worker class, timeout and access
    log, written to ``access_log``), bound to the loopback port."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    if threads:
        command += ["--threads", str(threads)]
    process = subprocess.Popen(
        [*command, "ims.wsgi:application"], cwd=ROOT, env=env, stdout=access_log
    )
    import urllib.request

    for _ in range(100):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/bare/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer on /_bench/bare/")


def worker_pids(master):
    return [
        int(p) for p in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    ]


def rss_mb(pid, field="VmRSS"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def worker_rss_mb(master):
    """VmRSS (MB) of each child process of ``master``, by pid."""
    return {pid: rss_mb(pid) for pid in worker_pids(master)}


def wrk(url, *, duration, connections=1, threads=1, cookie="", method="GET", body=None,
        sessions=None, markers=None, script="report.lua", extra_env=None):  # fmt: skip
    env = dict(os.environ, WRK_COOKIE=cookie, WRK_METHOD=method, WRK_THREADS=str(threads))
    env.update(extra_env or {})
    if body is not None:
        env["WRK_BODY"] = body
    if sessions:
        env["WRK_SESSIONS"] = str(sessions)
    if markers:
        env["WRK_MARKERS"] = str(markers)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "wrk" / script),
        url,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            data["per_s"] = round(data["requests"] / data["seconds"], 1)
            return data
    raise SystemExit(f"no result from wrk:\n{output}")


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "wrk": wrk_version.split("[")[0].strip(),
    }


LOAD_BEFORE = os.getloadavg()


# --- what the load stored: lost, duplicated, counted, and how fresh the results were ----------


def stored(campaign):
    """(rows, rows in the counters, {marker: rows holding it}) of ``campaign``, read in one
    snapshot once the rows stop changing: requests wrk left in flight are still being served
    for a moment after it stops."""
    from django.db import connection, transaction
    from django.db.models import Sum

    from surveys.models import Response, UnitTally

    rows = Response.objects.filter(campaign=campaign)
    last, steady = rows.count(), 0
    while steady < 4:
        time.sleep(0.5)
        now = rows.count()
        steady = steady + 1 if now == last else 0
        last = now
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute(
            "SELECT substring(answers::text from 'bench-[a-z0-9]+-[0-9]+-[0-9]+') AS m, "
            "count(*) "
            f"FROM {Response._meta.db_table} WHERE campaign_id = %s "
            "AND answers::text LIKE '%%bench-%%' GROUP BY 1",
            [campaign.pk],
        )
        markers = dict(cursor.fetchall())
        return (
            rows.count(),
            UnitTally.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] or 0,
            markers,
        )


def check_stored(before, after, thanked):
    """Each "thanks" the clients saw against the rows stored by the load (``before`` and
    ``after`` from ``stored``): lost (a "thanks" without its row), duplicated (a marker stored
    twice, or rows without a marker), in flight (stored, its "thanks" not seen as wrk
    stopped), and whether the counters moved by the rows stored."""
    rows = after[0] - before[0]
    new = {m: n - before[2].get(m, 0) for m, n in after[2].items() if n > before[2].get(m, 0)}
    return {
        "thanks": len(thanked),
        "stored": rows,
        "counted": after[1] - before[1],
        "lost": len(thanked - set(new)),
        "duplicated": sum(n - 1 for n in new.values()) + (rows - sum(new.values())),
        "in_flight_at_stop": len(set(new) - thanked),
        "counters_equal_rows": after[1] - before[1] == rows and after[0] == after[1],
    }


class FreshnessProbe:
    """While a load runs: the campaign's stored rows, sampled every 0.2 s, and its
    Department-level results page (the live figures), asked every second through HTTP.

    A page's lag is how long the oldest stored row that its figure did not count had been
    stored when the page was served: 0 when it counted every row stored before it was asked.
    """

    SHOWN = re.compile(r'data-testid="results-n">n = ([\d.,\s\u202f]+)<')

    def __init__(self, base, campaign, cookie):
        self.url = f"{base}/surveys/{campaign.pk}/results/"
        self.campaign, self.cookie = campaign, cookie
        self.samples, self.pages, self.errors = [], [], []
        self.stop = threading.Event()

    def __enter__(self):
        self.threads = [threading.Thread(target=t) for t in (self._sample, self._poll)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _sample(self):
        from django.db import connection

        from surveys.models import Response

        rows = Response.objects.filter(campaign=self.campaign)
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.samples.append((started, rows.count()))
                self.stop.wait(0.2)
        finally:
            connection.close()

    def _poll(self):
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        while not self.stop.wait(1.0):
            asked = time.monotonic()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                conn.request("GET", parts.path, headers={"Cookie": self.cookie})
                response = conn.getresponse()
                html = response.read().decode()
                conn.close()
            except OSError as error:
                self.errors.append(str(error))
                continue
            served = time.monotonic()
            match = self.SHOWN.search(html)
            if response.status != 200 or not match:
                self.errors.append(f"{response.status}, no figure")
                continue
            self.pages.append((asked, served, int(re.sub(r"\D", "", match.group(1)))))

    def result(self):
        lags = []
        for _asked, served, shown in self.pages:
            waiting = [t for t, n in self.samples if n > shown and t <= served]
            lags.append(served - min(waiting) if waiting else 0.0)
        return {
            "polls": len(self.pages),
            "max_lag_s": round(max(lags), 2) if lags else None,
            "median_lag_s": round(statistics.median(lags), 2) if lags else None,
            "page_p95_ms": summarise_ms([(s - a) * 1000 for a, s, _n in self.pages])["p95_ms"]
            if self.pages
            else None,
            "errors": self.errors[:5],
        }


def markers_from(*paths):
    found = set()
    for path in paths:
        if Path(path).exists():
            found.update(line for line in Path(path).read_text().splitlines() if line)
    return found


def measure_submissions(base, args, fx):
    """Completed submissions per second: the last page's POST of prepared sessions, from
    ``--clients`` connections (one per wrk thread, so each "thanks" is known by its marker),
    after a warm-up; then every "thanks" against the rows and counters."""
    from django.db import connection

    campaign = fx["campaign"]
    before = stored(campaign)
    connection.close()
    lines = fx["submissions"]["lines"]
    split = WARM_UP_SECONDS * SUBMISSIONS_PER_SECOND
    tmp = Path(tempfile.mkdtemp(prefix="ims-bench-submit-"))
    files = {}
    for name, chunk in (("warm-up", lines[:split]), ("measured", lines[split:])):
        files[name] = tmp / f"{name}.txt"
        files[name].write_text("\n".join(chunk) + "\n")
    load = {
        "connections": args.clients,
        "threads": args.clients,
        "cookie": f"csrftoken={CSRF}",
        "method": "POST",
        "body": fx["submissions"]["body"],
    }
    try:
        wrk(base + "/s/", duration=WARM_UP_SECONDS, sessions=files["warm-up"],
            markers=tmp / "warm-up.markers", **load)  # fmt: skip
        with FreshnessProbe(base, campaign, fx["cookie"]) as probe:
            result = wrk(base + "/s/", duration=args.duration, sessions=files["measured"],
                         markers=tmp / "measured.markers", **load)  # fmt: skip
        thanked = markers_from(tmp / "warm-up.markers", tmp / "measured.markers")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.update(check_stored(before, stored(campaign), thanked))
    result["freshness"] = probe.result()
    return result


def measure_sessions(base, args, fx):
    """``--respondents`` connections, each running whole answering sessions (session.lua)
    after a warm-up; then every "thanks" against the rows and counters."""
    from django.db import connection

    from surveys.models import SurveyLink

    campaign = fx["sessions_campaign"]
    tmp = Path(tempfile.mkdtemp(prefix="ims-bench-sessions-"))
    links = tmp / "links.txt"
    links.write_text(
        "".join(
            f"/s/{code}/\n"
            for code in SurveyLink.objects.filter(campaign=campaign).values_list("code", flat=True)
        )
    )
    before = stored(campaign)
    connection.close()
    load = {
        "connections": args.respondents,
        "threads": args.respondents,
        "script": "session.lua",
        "cookie": "",
        "extra_env": {"WRK_LINKS": str(links), "WRK_THINK_MS": str(args.think_ms)},
    }
    warm_tag, measured_tag = {"WRK_TAG": f"{RUN}w"}, {"WRK_TAG": f"{RUN}m"}
    try:
        warm = wrk(base + "/s/", duration=WARM_UP_SECONDS, markers=tmp / "warm-up.markers",
                   **load | {"extra_env": load["extra_env"] | warm_tag})  # fmt: skip
        with FreshnessProbe(base, campaign, fx["cookie"]) as probe:
            result = wrk(base + "/s/", duration=max(args.duration, SESSIONS_SECONDS),
                         markers=tmp / "measured.markers",
                         **load | {"extra_env": load["extra_env"] | measured_tag})  # fmt: skip
        thanked = markers_from(tmp / "warm-up.markers", tmp / "measured.markers")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["sessions_per_s"] = round(result["sessions_completed"] / result["seconds"], 1)
    result["warm_up"] = {k: warm[k] for k in ("sessions_completed", "sessions_failed")}
    result.update(check_stored(before, stored(campaign), thanked))
    result["freshness"] = probe.result()
    return result


def measure_export(base, fx, server):
    """The raw export of a 1,000,000-response campaign, streamed to a client that reads it
    as fast as it comes: time to the first byte and to the end, size, rows, and the gunicorn
    workers' resident memory before and at its peak while it streamed."""
    from django.db import connection

    campaign, seeded_s = export_campaign(fx["campaign"])
    if seeded_s:
        connection.close()
        checkpoint(os.environ["DATABASE_URL"])
    pids = worker_pids(server)
    before = {pid: rss_mb(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            for pid in pids:
                peak[pid] = max(peak[pid], rss_mb(pid) or 0)

    sampler = threading.Thread(target=sample)
    sampler.start()
    path = f"/surveys/{campaign.pk}/results/export/?" + urlencode({"what": "raw", "fmt": "csv"})
    host, port = base.removeprefix("http://").split(":")
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        conn.request("GET", path, headers={"Cookie": fx["cookie"]})
        response = conn.getresponse()
        first = None
        size = lines = 0
        head = b""
        while chunk := response.read1(1 << 20):
            first = first or time.perf_counter()
            size += len(chunk)
            lines += chunk.count(b"\n")
            head = head or chunk[: 1 << 16]
        conn.close()
    finally:
        total = time.perf_counter() - started
        done.set()
        sampler.join()
    return {
        "status": response.status,
        "streamed": response.getheader("Transfer-Encoding") == "chunked"
        or response.getheader("Content-Length") is None,
        "responses_in_campaign": EXPORT_RESPONSES,
        "rows": data_rows(lines, head),
        "mb": round(size / 1e6, 1),
        "first_byte_s": round((first or time.perf_counter()) - started, 2),
        "total_s": round(total, 1),
        "rows_per_s": round(data_rows(lines, head) / total),
        "worker_rss_before_mb": before,
        "worker_rss_peak_mb": peak,
        "seeded_s": round(seeded_s, 1),
    }


def healthz(base):
    """``/healthz`` as the monitoring sees it during the run: no worker runs, so with Redis as
    the broker it must answer 503 and say why, while the survey results above stayed fresh."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return {"status": response.status, "worker": body.get("worker"), "broker": body.get("broker")}


def data_rows(lines, head):
    """The rows of responses in a CSV of ``lines`` lines that begins with ``head``: those after
    the notes (one cell each) and the header (the first line with several cells)."""
    first = head.decode(errors="replace").splitlines()
    header = next((i for i, line in enumerate(first) if line.count(",") >= 3), 0)
    return max(0, lines - header - 1)


def access_log_check(path):
    """The run's access log: lines, lines for survey pages, and any that names one."""
    text = Path(path).read_text(errors="replace")
    lines = text.splitlines()
    survey = [line for line in lines if "/s/" in line]
    leaking = [line for line in survey if re.search(r"/s/[^…\s\"]", line)]
    return {"lines": len(lines), "survey_lines": len(survey), "naming_a_survey_page": len(leaking)}


SUBMISSIONS_PER_SECOND = 1500  # more answering sessions than the server can take in a second


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--seed", type=float, help="recreate the database and seed this factor")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, help="threads per worker (gunicorn.conf.py's)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument(
        "--clients", type=int, default=16, help="connections for submissions (2 per thread)"
    )
    parser.add_argument(
        "--respondents", type=int, default=200, help="concurrent whole answering sessions"
    )
    parser.add_argument(
        "--think-ms", type=int, default=0, help="a respondent's pause before each request"
    )
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument(
        "--only",
        type=lambda value: set(value.split(",")),
        help=f"measure a subset (comma-separated, among {','.join(MEASURES)}); the baselines "
        "always run",
    )
    args = parser.parse_args()
    if args.only and not args.only <= set(MEASURES):
        parser.error(f"--only: unknown {sorted(args.only - set(MEASURES))}")

    def selected(name):
        return not args.only or name in args.only

    ensure_wrk()
    env = bench_env(args.database_url)
    seed_seconds = None
    if args.seed:
        seed_seconds = recreate_database(args.database_url, env, args.seed)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()

    submissions = (WARM_UP_SECONDS + args.duration) * SUBMISSIONS_PER_SECOND
    log("== preparing answering sessions, the sessions' campaign and the director's sign-in")
    fx = prepare(submissions if selected("survey_submit") else 0)
    fx["pages"] = {name: url for name, url in fx["pages"].items() if selected(name)}
    log("== queries per page (in-process, second visit)")
    query_counts, captured, failed = count_queries(fx["client"], fx["pages"])
    from django.db import connection

    connection.close()

    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    log(f"== gunicorn on 127.0.0.1:{args.port}")
    access_path = Path(tempfile.mkstemp(prefix="ims-bench-access-", suffix=".log")[1])
    results = {}
    with access_path.open("w") as access_log:
        server = start_gunicorn(env, args.port, args.workers, args.threads, access_log)
        base = f"http://127.0.0.1:{args.port}"
        try:
            pages = {name: url for name, url in fx["pages"].items() if name not in failed}
            for url in [*pages.values(), "/_bench/bare/"]:  # warm every worker
                wrk(base + url, duration=3, connections=2, cookie=fx["cookie"])
            log("== baselines")
            results["bare"] = wrk(base + "/_bench/bare/", duration=args.duration)
            for name, url in pages.items():
                log(f"== {name}")
                results[name] = wrk(base + url, duration=args.duration, cookie=fx["cookie"])
            if selected("survey_submit"):
                log("== survey submissions (last pages)")
                results["survey_submit"] = attempt(measure_submissions, base, args, fx)
            if selected("survey_sessions"):
                log(f"== whole answering sessions, {args.respondents} respondents")
                results["survey_sessions"] = attempt(measure_sessions, base, args, fx)
            results["healthz"] = attempt(healthz, base)
            rss = worker_rss_mb(server)
            if selected("raw_export"):
                log("== raw export of 1,000,000 responses")
                results["raw_export"] = attempt(measure_export, base, fx, server)
        finally:
            server.terminate()
            server.wait(timeout=30)
    results["access_log"] = access_log_check(access_path)
    access_path.unlink()
    if "dashboard" in captured:
        log("== dashboard SQL run directly")
        results["dashboard_sql"] = sql_baseline(captured["dashboard"])
    if selected("audit_pdf"):
        log("== audit report PDF")
        results["audit_pdf"] = attempt(pdf_timing, fx["audit"])

    report = build_report(args, results, query_counts, rss, seed_seconds, failed)
    print_table(report)
    Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"== written {args.json}")
    return 0 if all(report["checks"].values()) else 1


PAGE_LABELS = {
    "dashboard": "Director dashboard (whole province)",
    "documents_search": "Documents register, search",
    "nc_filtered": "NC register, filtered",
    "survey_results": "Survey campaign results (whole province)",
}


def attempt(measure, *args):
    """``measure(*args)``, or what made it fail: one failed measure does not lose the others."""
    try:
        return measure(*args)
    except Exception as error:  # noqa: BLE001 - reported in the table, the JSON and the checks
        import traceback

        traceback.print_exc()
        return {"failed": f"{type(error).__name__}: {error}"}


def build_report(args, r, query_counts, rss, seed_seconds, failed):
    from ims.models import OrgUnit, User
    from nonconformities.models import CorrectiveAction, Nonconformity
    from surveys.models import Response

    broken = {name: one["failed"] for name, one in r.items() if "failed" in one}
    r = {name: one for name, one in r.items() if name not in broken}
    bare_p50 = r["bare"]["p50_ms"]
    pages = []
    for name, label in PAGE_LABELS.items():
        if name in failed:
            pages.append({"name": name, "label": label, "failed": failed[name]})
        elif name in r:
            pages.append(
                {
                    "name": name,
                    "label": label,
                    "queries": query_counts[name],
                    "p50_ms": r[name]["p50_ms"],
                    "p95_ms": r[name]["p95_ms"],
                    "per_s": r[name]["per_s"],
                    "x_bare_p50": round(r[name]["p50_ms"] / bare_p50, 1),
                    "non_200": sum(n for s, n in r[name]["statuses"].items() if s != "200"),
                }
            )
    if "dashboard_sql" in r and "dashboard" in r:
        pages[0]["x_sql_p50"] = round(r["dashboard"]["p50_ms"] / r["dashboard_sql"]["p50_ms"], 1)

    def p95(name):
        return r[name]["p95_ms"] if name in r else float("inf")

    only = args.only or set(MEASURES)
    checks = {
        "queries_per_page_max_20": not failed
        and max(query_counts.values(), default=0) <= TARGETS["queries"],
        "worker_rss_200mb": max(rss.values()) <= TARGETS["rss_mb"],
        "access_log_names_no_survey_page": r["access_log"]["naming_a_survey_page"] == 0,
        "healthz_503_without_worker": r.get("healthz", {}).get("status") == 503,
    }
    checks.update({f"{name}_ran": False for name in broken})
    if "dashboard" in only:
        checks["dashboard_p95_150ms"] = p95("dashboard") <= TARGETS["dashboard_p95_ms"]
    if "documents_search" in only:
        checks["search_p95_100ms"] = p95("documents_search") <= TARGETS["search_p95_ms"]
    for name in ("survey_submit", "survey_sessions"):
        if name not in r:
            continue
        one = r[name]
        checks[f"{name}_none_lost"] = one["lost"] == 0 and one["thanks"] > 0
        checks[f"{name}_none_duplicated"] = one["duplicated"] == 0
        checks[f"{name}_counters_equal_rows"] = one["counters_equal_rows"]
        lag = one["freshness"]["max_lag_s"]
        checks[f"{name}_results_fresh_5s"] = lag is not None and lag <= TARGETS["results_lag_s"]
    if "survey_submit" in r:
        checks["submit_300_per_s"] = r["survey_submit"]["per_s"] >= TARGETS["submit_per_s"]
    if "survey_sessions" in r:
        sessions = r["survey_sessions"]
        checks["sessions_200_respondents"] = (
            args.respondents >= TARGETS["respondents"]
            and sessions["sessions_failed"] == 0
            and sessions["errors"] == 0
            and sessions["sessions_completed"] > 0
        )
    if "raw_export" in r:
        export = r["raw_export"]
        checks["raw_export_streams_every_row"] = (
            export["status"] == 200 and export["streamed"] and export["rows"] > 0
        )
    if "audit_pdf" in r:
        checks["audit_pdf_3s"] = r["audit_pdf"]["median_s"] <= TARGETS["pdf_s"]
    return {
        "machine": machine(),
        "data": {
            "units": OrgUnit.objects.count(),
            "users": User.objects.count(),
            "nonconformities": Nonconformity.objects.count(),
            "actions": CorrectiveAction.objects.count(),
            "responses": Response.objects.count(),
        },
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else None,
        "settings": {
            "only": sorted(args.only) if args.only else None,
            "workers": args.workers,
            "threads": args.threads or "gunicorn.conf.py",
            "duration_s": args.duration,
            "submit_clients": args.clients,
            "respondents": args.respondents,
            "think_ms": args.think_ms,
        },
        "pages": pages,
        "worker_rss_mb": rss,
        "query_counts": query_counts,
        "failed_pages": failed,
        "failed_measures": broken,
        "load_average_before": LOAD_BEFORE,
        "load_average_after": os.getloadavg(),
        "targets": TARGETS,
        "checks": checks,
        "raw": r,
    }


def print_table(report):
    r = report["raw"]
    header = f"{'measure':<44} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}"
    print(header)
    print("-" * len(header))
    for row in report["pages"]:
        if row.get("failed"):
            print(f"{row['label']:<44} FAILED: {row['failed']}")
            continue
        print(
            f"{row['label']:<44} {row['queries']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['per_s']:>8}"
        )
    print(f"{'Baseline: bare view, no database':<44} {'':>7} {r['bare']['p50_ms']:>8} "
          f"{r['bare']['p95_ms']:>8} {r['bare']['per_s']:>8}")  # fmt: skip

    def stored_line(one):
        fresh = one["freshness"]
        return (
            f"   thanks {one['thanks']}, rows {one['stored']}, counted {one['counted']}; "
            f"lost {one['lost']}, duplicated {one['duplicated']}, in flight at the stop "
            f"{one['in_flight_at_stop']}; results lag max {fresh['max_lag_s']} s over "
            f"{fresh['polls']} polls (page p95 {fresh['page_p95_ms']} ms)"
        )

    if "survey_submit" in r:
        one = r["survey_submit"]
        print(f"Survey submissions (last page POST, {report['settings']['submit_clients']} "
              f"clients): {one['per_s']}/s, p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms, "
              f"statuses {one['statuses']}")  # fmt: skip
        print(stored_line(one))
    if "survey_sessions" in r:
        one = r["survey_sessions"]
        print(f"Whole answering sessions ({report['settings']['respondents']} respondents): "
              f"{one['sessions_per_s']} completed/s ({one['sessions_completed']} completed, "
              f"{one['sessions_failed']} failed), {one['per_s']} requests/s")  # fmt: skip
        for step, figures in sorted(one["steps"].items()):
            print(f"   {step:<10} n {figures['n']:>6}  p50 {figures['p50_ms']:>8} ms  "
                  f"p95 {figures['p95_ms']:>8} ms")  # fmt: skip
        print(stored_line(one))
    if "raw_export" in r:
        one = r["raw_export"]
        print(f"Raw export, {one['rows']} rows ({one['mb']} MB CSV): first byte "
              f"{one['first_byte_s']} s, all {one['total_s']} s ({one['rows_per_s']} rows/s); "
              f"worker RSS {one['worker_rss_before_mb']} -> peak {one['worker_rss_peak_mb']} MB")  # fmt: skip
    pdf = r.get("audit_pdf")
    if pdf:
        print(f"Audit report PDF, {pdf['findings']} findings: median {pdf['median_s']} s "
              f"(runs {pdf['runs_s']}, {pdf['kib']} KiB)")  # fmt: skip
    for name, error in report["failed_measures"].items():
        print(f"{name}: FAILED: {error}")
    print(f"gunicorn worker RSS after the run (MB): {report['worker_rss_mb']}")
    print(f"access log: {r['access_log']}")
    print(f"/healthz with no worker running: {r.get('healthz')}")
    print(
        "checks: "
        + ", ".join(f"{k} {'OK' if v else 'MISSED'}" for k, v in report["checks"].items())
    )


if __name__ == "__main__":
    sys.exit(main())

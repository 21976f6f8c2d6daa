# ruff: noqa: S603, S607 - runs fixed local commands (psql, apt-get, wrk, gunicorn)
"""Benchmark at province scale: pages served by gunicorn (2 workers) on 127.0.0.1, loaded by wrk.

Usage (from the project root, PostgreSQL running):

    .venv/bin/python bench/run.py --seed 1        # fresh ims_scale database, seed_scale, measure
    .venv/bin/python bench/run.py                 # measure the data already in ims_scale
    .venv/bin/python bench/run.py --seed 0.1 --database-url postgres://postgres@127.0.0.1/ims_scale_small
    .venv/bin/python bench/run.py --only survey_results,survey_submit   # a subset (baselines always)

It measures, warm, in one run:

- the director's dashboard over the whole province, the documents register with a search, the
  NC register filtered, a survey campaign's results (one client, sequential: p50/p95 latency);
- survey submission at ``/s/<code>``: each request is the last page's POST of its own answering
  session, which stores the response (several clients: throughput), in ``--rounds`` rounds
  (3), each between two measurements of the one-INSERT view, the median round reported; every
  "thanks" redirect is checked against the rows stored, and the number lost is reported (it
  must be zero);
- the 100-finding audit report PDF, rendered the way the worker renders it;
- baselines in the same run: a bare Django view with no database, a bare view doing one INSERT,
  and the dashboard's own SQL run directly on the database;
- queries per page (Django test client), and the resident memory of each gunicorn worker after
  the run.

It prints a table and writes JSON (``--json``, default ``bench/results.json``). The load
generator is Debian's ``wrk`` (installed with apt-get when missing).
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ims_scale"
CSRF = "b3nchb3nchb3nchb3nchb3nchb3nchb3"[:32]  # a fixed CSRF secret (cookie = form field)

TARGETS = {
    "queries": 20,
    "dashboard_p95_ms": 150,
    "search_p95_ms": 100,
    "submit_per_s": 300,
    "submit_vs_insert": 0.5,
    "pdf_s": 3.0,
    "rss_mb": 200,
}


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
            # timeout so a pathological page fails in 30 s instead of holding a worker.
            "PGOPTIONS": "-c jit=off -c statement_timeout=30000",
            # As in production: Redis is the cache every process shares and the broker of the
            # Celery worker that counts survey responses (tasks not run in the request).
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
    # Write the load's dirty pages out now: otherwise the server flushes them in the background
    # for the next few minutes (a checkpoint is spread over 4.5 of its 5), while pages are timed.
    subprocess.run(["psql", database_url, "-qc", "CHECKPOINT"], check=True)
    return seconds


# --- in-process preparation (Django set up with the benchmark settings) ------------------------


def prepare(sessions_file, submissions):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    from ims.models import OrgUnit, User
    from scale.generator import ROOT_CODE
    from surveys.models import Campaign, Question, SurveyLink

    try:  # the answering state lives in a signed cookie (surveys.answering_state)
        from surveys import answering_state
    except ImportError:  # older code: in the Django session
        answering_state = None
    SESSION_KEY = "surveys_answering"

    director = User.objects.get(username="scale.director")
    client = Client()
    client.force_login(director)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"
    root = OrgUnit.objects.get(code=ROOT_CODE)
    campaign = (
        Campaign.objects.filter(owner_unit=root, status="published", group="parents")
        .order_by("pk")
        .first()
    )
    links = list(SurveyLink.objects.filter(campaign=campaign).order_by("pk"))
    link = links[0]
    questions = list(Question.objects.filter(version=campaign.version).order_by("order"))
    answers = {}
    for question in questions:
        if question.kind == "likert":
            answers[f"q{question.pk}"] = str(4 + question.order % 2)
        elif question.kind == "nps":
            answers[f"q{question.pk}"] = "9"
        else:
            answers[f"q{question.pk}"] = "Thầy cô rất tận tâm."
    body = urlencode(answers)  # what the page's form sends: it has no CSRF field (exempt)
    # One answering session per submission, as /s/<code> would have opened it a minute ago.
    store = SessionStore()
    expire = timezone.now() + timedelta(hours=6)
    rows, lines = [], []
    t0 = time.time() - 600
    for n in range(submissions):
        token = secrets.token_urlsafe(18)
        unit_id = links[n * 7919 % len(links)].unit_id  # respondents of every school
        state = {"c": campaign.pk, "u": unit_id, "otc": None, "t0": t0, "lang": "vi", "answers": {}}
        state["ct"] = campaign.created_at.timestamp()
        if answering_state is not None:
            # The cookie /s/<code> would have set (a "name=value" pair in the sessions file).
            name, value = answering_state.cookie_name(token), answering_state.encode(token, state)
            lines.append(f"{name}={value} /s/r/{token}/")
            continue
        data = {SESSION_KEY: {token: state}}
        key = secrets.token_hex(16)
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        lines.append(f"{key} /s/r/{token}/")
    Session.objects.bulk_create(rows, batch_size=2000)  # none with cookie states
    Path(sessions_file).write_text("\n".join(lines) + "\n")
    from audits.models import Audit

    audit = Audit.objects.filter(code__startswith="DG-").order_by("pk").first()
    return {
        "cookie": cookie,
        "client": client,
        "campaign": campaign,
        "link": link,
        "submit_body": body,
        "audit": audit,
        "pages": {
            "dashboard": "/dashboard/",
            "documents_search": "/documents/?" + urlencode({"q": "quy trinh danh gia"}),
            "nc_filtered": "/nonconformities/?"
            + urlencode({"status": "in_action", "severity": "minor", "overdue": "on"}),
            "survey_results": f"/surveys/{campaign.pk}/results/",
        },
    }


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


def start_gunicorn(env, port, workers, threads=1):
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "ims.wsgi:application",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
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


def worker_rss_mb(master):
    """VmRSS (MB) of each child process of ``master``, by pid."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    result = {}
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                result[int(pid)] = round(int(line.split()[1]) / 1024, 1)
    return result


def wrk(url, *, duration, connections=1, threads=1, cookie="", method="GET", body=None,
        sessions=None):  # fmt: skip
    env = dict(os.environ, WRK_COOKIE=cookie, WRK_METHOD=method, WRK_THREADS=str(threads))
    if body is not None:
        env["WRK_BODY"] = body
    if sessions:
        env["WRK_SESSIONS"] = str(sessions)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "wrk" / "report.lua"),
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
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
    }


LOAD_BEFORE = os.getloadavg()


def start_celery(env, schedule_dir):
    """One Celery worker process with the beat scheduler inside it (so the fold of survey
    responses runs every ``SURVEY_FOLD_SECONDS``), on the same machine as the server: its CPU
    is part of what the submissions cost."""
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "ims",
            "worker",
            "--beat",
            "--schedule",
            str(Path(schedule_dir) / "beat-schedule"),
            "--queues",
            "default",
            "--concurrency",
            "1",
            "--loglevel",
            os.environ.get("BENCH_CELERY_LOGLEVEL", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
    )


PAGES = ["dashboard", "documents_search", "nc_filtered", "survey_results"]
MEASURES = [*PAGES, "survey_submit", "survey_start", "audit_pdf"]


def counted(campaign):
    """(responses stored, responses in the counters, responses staged) of the campaign."""
    from django.db.models import Sum

    from surveys.models import Response, StagedResponse, UnitTally

    return (
        Response.objects.filter(campaign=campaign).count(),
        UnitTally.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] or 0,
        StagedResponse.objects.filter(campaign=campaign).count(),
    )


SESSIONS_PER_SECOND = 1200  # more answering sessions than the server can take in a second


def submission_seconds(args):
    """(warm-up, measured) seconds of the submission load: one fold interval of warm-up, and
    at least two intervals measured (``SURVEY_FOLD_SECONDS``, read from the settings)."""
    from django.conf import settings

    interval = settings.SURVEY_FOLD_SECONDS
    return interval, max(args.duration, 2 * interval)


def measure_submissions(base, args, fx, sessions_file, insert_load, insert_before):
    """``--rounds`` rounds of submissions (``submission_round``), each followed by the one-INSERT
    view. A round's ratio compares it with the mean of the one-INSERT view just before and
    just after it: the machine's speed drifts, and a single window can land on a slow spell of
    either. Returns the median round (with the totals of every round for the stored, counted
    and lost responses, and every round's figures under "rounds"), and the one-INSERT
    measurements around it.
    """
    lines = Path(sessions_file).read_text().splitlines()
    per_round = len(lines) // args.rounds
    rounds, inserts = [], [insert_before]
    for n in range(args.rounds):
        log(f"   round {n + 1} of {args.rounds}")
        rounds.append(submission_round(base, args, fx, lines[n * per_round : (n + 1) * per_round]))
        inserts.append(wrk(base + "/_bench/insert/", **insert_load))
    for one, before, after in zip(rounds, inserts, inserts[1:], strict=False):
        one["insert_per_s"] = round((before["per_s"] + after["per_s"]) / 2, 1)
        one["ratio"] = round(one["per_s"] / one["insert_per_s"], 3)
    median = sorted(range(len(rounds)), key=lambda i: rounds[i]["ratio"])[len(rounds) // 2]
    result = dict(rounds[median])
    for total in ("thanks", "stored", "counted", "lost", "in_flight_at_stop", "staged_after_drain"):
        result[total] = sum(one[total] for one in rounds)
    result["median_round"] = median + 1
    result["rounds"] = [
        {key: one[key] for key in ("per_s", "p50_ms", "p95_ms", "insert_per_s", "ratio", "lost")}
        | {"warm_up_per_s": one["warm_up"]["per_s"]}
        for one in rounds
    ]
    return result, inserts[median], inserts[median + 1], inserts


def submission_round(base, args, fx, lines):
    """The submissions' throughput in a steady state, then (the load stopped) the wait until
    the worker has folded every staged response, and the check that each "thanks" is a stored,
    counted row.

    A warm-up of one fold interval comes first, not counted, so the worker's folds run through
    the measured window (at least two intervals) as they do under sustained load: the measured
    requests pay for folding the warm-up's responses about as much as the fold of their own
    last seconds falls after the window.
    """
    from django.db import connection

    from surveys.models import StagedResponse

    before, counted_before, staged_before = counted(fx["campaign"])
    if staged_before:
        raise SystemExit("responses are staged before the run: is a Celery worker running?")
    connection.close()
    warm_seconds, measured_seconds = submission_seconds(args)
    split = warm_seconds * SESSIONS_PER_SECOND
    files = {}
    for name, chunk in (("warm-up", lines[:split]), ("measured", lines[split:])):
        files[name] = Path(tempfile.mkstemp(prefix=f"ims-bench-{name}-", suffix=".txt")[1])
        files[name].write_text("\n".join(chunk) + "\n")
    load = {
        "connections": args.clients,
        "cookie": f"csrftoken={CSRF}",
        "method": "POST",
        "body": fx["submit_body"],
    }
    try:
        warm = wrk(base + "/s/", duration=warm_seconds, sessions=files["warm-up"], **load)
        result = wrk(base + "/s/", duration=measured_seconds, sessions=files["measured"], **load)
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
    result["thanks"] += warm["thanks"]  # every response is checked, the warm-up's too
    result["warm_up"] = warm
    result["staged_at_stop"] = StagedResponse.objects.count()
    started = time.perf_counter()
    while StagedResponse.objects.exists() and time.perf_counter() - started < 300:
        time.sleep(0.2)
    result["fold_drain_s"] = round(time.perf_counter() - started, 2)
    after, counted_after, result["staged_after_drain"] = counted(fx["campaign"])
    stored = after - before
    result["stored"] = stored
    result["counted"] = counted_after - counted_before
    # A "thanks" the client saw must be a stored row; a response completed after wrk
    # stopped counting is stored without a "thanks" (in flight), never lost.
    result["lost"] = max(0, result["thanks"] - stored)
    result["in_flight_at_stop"] = max(0, stored - result["thanks"])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--seed", type=float, help="recreate the database and seed this factor")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=4, help="connections for throughput")
    parser.add_argument(
        "--rounds", type=int, default=3, help="survey submission rounds (the median is reported)"
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

    sessions_file = Path(tempfile.mkstemp(prefix="ims-bench-sessions-", suffix=".txt")[1])
    submissions = args.rounds * sum(submission_seconds(args)) * SESSIONS_PER_SECOND
    log(f"== preparing {submissions} answering sessions and the director's sign-in")
    from surveys.services import fold_staged

    leftover = fold_staged()  # responses staged by an earlier run must not be folded mid-run
    if leftover:
        log(f"== counted {leftover} responses left staged by an earlier run")
    fx = prepare(sessions_file, submissions if selected("survey_submit") else 0)
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
    server = start_gunicorn(env, args.port, args.workers, args.threads)
    schedule_dir = tempfile.mkdtemp(prefix="ims-bench-beat-")
    celery = start_celery(env, schedule_dir)
    base = f"http://127.0.0.1:{args.port}"
    results = {}
    try:
        pages = {name: url for name, url in fx["pages"].items() if name not in failed}
        for url in [*pages.values(), "/_bench/bare/"]:  # warm every worker
            wrk(base + url, duration=3, connections=2, cookie=fx["cookie"])
        log("== baselines")
        results["bare"] = wrk(base + "/_bench/bare/", duration=args.duration)
        results["bare_throughput"] = wrk(
            base + "/_bench/bare/", duration=args.duration, connections=args.clients
        )
        insert_load = {
            "duration": args.duration,
            "connections": args.clients,
            "cookie": f"csrftoken={CSRF}",
            "method": "POST",
            "body": urlencode({"csrfmiddlewaretoken": CSRF}),
        }
        results["insert"] = wrk(base + "/_bench/insert/", **insert_load)
        for name, url in pages.items():
            log(f"== {name}")
            results[name] = wrk(base + url, duration=args.duration, cookie=fx["cookie"])
        if selected("survey_submit"):
            log("== survey submissions")
            submit, before, after, inserts = measure_submissions(
                base, args, fx, sessions_file, insert_load, results["insert"]
            )
            results["survey_submit"] = submit
            # The one-INSERT view just before and just after the median round: on a shared
            # machine the speed drifts, and the ratio compares the submissions with their mean.
            results["insert"], results["insert_after"] = before, after
            results["insert_rounds"] = inserts
        if selected("survey_start"):
            results["survey_start"] = wrk(base + f"/s/{fx['link'].code}/", duration=args.duration)
        rss = worker_rss_mb(server)
        results["celery_rss_mb"] = worker_rss_mb(celery)  # its pool process
    finally:
        for process in (server, celery):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(schedule_dir, ignore_errors=True)
    if "dashboard" in captured:
        log("== dashboard SQL run directly")
        results["dashboard_sql"] = sql_baseline(captured["dashboard"])
    if selected("audit_pdf"):
        log("== audit report PDF")
        results["audit_pdf"] = pdf_timing(fx["audit"])
    sessions_file.unlink(missing_ok=True)

    report = build_report(args, results, query_counts, rss, seed_seconds, failed)
    print_table(report)
    Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"== written {args.json}")
    return 0 if all(report["checks"].values()) else 1


def build_report(args, r, query_counts, rss, seed_seconds, failed):
    from ims.models import OrgUnit, User
    from nonconformities.models import CorrectiveAction, Nonconformity
    from surveys.models import Response

    def ratio(a, b):
        return round(a / b, 2) if b else None

    bare_p50 = r["bare"]["p50_ms"]
    rows = []
    for name, label in [
        ("dashboard", "Director dashboard (whole province)"),
        ("documents_search", "Documents register, search"),
        ("nc_filtered", "NC register, filtered"),
        ("survey_results", "Survey campaign results"),
    ]:
        if name in failed:
            rows.append({"name": name, "label": label, "failed": failed[name]})
            continue
        if name not in r:  # not measured (--only)
            continue
        rows.append(
            {
                "name": name,
                "label": label,
                "queries": query_counts[name],
                "p50_ms": r[name]["p50_ms"],
                "p95_ms": r[name]["p95_ms"],
                "per_s": r[name]["per_s"],
                "baseline": "bare view",
                "ratio_p50": ratio(r[name]["p50_ms"], bare_p50),
                "non_200": sum(n for s, n in r[name]["statuses"].items() if s != "200"),
            }
        )
    if "dashboard_sql" in r:
        rows[0]["vs_sql_p50"] = ratio(r["dashboard"]["p50_ms"], r["dashboard_sql"]["p50_ms"])
    insert = r["insert"]
    if "insert_after" in r:  # measured before and after the submissions: their mean
        insert = {
            **insert,
            "per_s": round((insert["per_s"] + r["insert_after"]["per_s"]) / 2, 1),
            "per_s_before_after": [insert["per_s"], r["insert_after"]["per_s"]],
        }
    submit = r.get("survey_submit")
    if submit:
        rows.append(
            {
                "name": "survey_submit",
                "label": f"Survey submission POST /s/… ({args.clients} clients)",
                "p50_ms": submit["p50_ms"],
                "p95_ms": submit["p95_ms"],
                "per_s": submit["per_s"],
                "baseline": "one-INSERT view",
                "ratio_throughput": ratio(submit["per_s"], insert["per_s"]),
                "stored": submit["stored"],
                "lost": submit["lost"],
                "counted": submit["counted"],
                "staged_at_stop": submit["staged_at_stop"],
                "fold_drain_s": submit["fold_drain_s"],
                "non_302": sum(n for s, n in submit["statuses"].items() if s != "302"),
            }
        )
    if "survey_start" in r:
        rows.append(
            {
                "name": "survey_start",
                "label": "Survey start GET /s/<code>",
                "p50_ms": r["survey_start"]["p50_ms"],
                "p95_ms": r["survey_start"]["p95_ms"],
                "per_s": r["survey_start"]["per_s"],
                "baseline": "bare view",
                "ratio_p50": ratio(r["survey_start"]["p50_ms"], bare_p50),
            }
        )
    for name, label, data in [
        ("bare", "Baseline: bare view, no database", r["bare"]),
        ("bare_throughput", f"Baseline: bare view ({args.clients} clients)", r["bare_throughput"]),
        ("insert", f"Baseline: one-INSERT view ({args.clients} clients, mean)", insert),
        ("dashboard_sql", "Baseline: dashboard SQL run directly", r.get("dashboard_sql")),
    ]:
        if data is None:
            continue
        rows.append(
            {
                "name": name,
                "label": label,
                "p50_ms": data["p50_ms"],
                "p95_ms": data["p95_ms"],
                "per_s": data["per_s"],
            }
        )
    pdf = r.get("audit_pdf")

    def p95(name):
        return r[name]["p95_ms"] if name in r else float("inf")

    only = args.only or set(MEASURES)
    checks = {
        "queries_per_page_max_20": not failed
        and max(query_counts.values(), default=0) <= TARGETS["queries"],
        "worker_rss_200mb": max(rss.values()) <= TARGETS["rss_mb"],
    }
    if "dashboard" in only:
        checks["dashboard_p95_150ms"] = p95("dashboard") <= TARGETS["dashboard_p95_ms"]
    if "documents_search" in only:
        checks["search_p95_100ms"] = p95("documents_search") <= TARGETS["search_p95_ms"]
    if submit:
        checks["submit_300_per_s"] = submit["per_s"] >= TARGETS["submit_per_s"]
        checks["submit_half_of_insert"] = (
            submit["per_s"] >= TARGETS["submit_vs_insert"] * insert["per_s"]
        )
        checks["responses_lost_zero"] = submit["lost"] == 0 and submit["thanks"] > 0
        checks["responses_all_counted"] = (
            submit["counted"] == submit["stored"] and submit["staged_after_drain"] == 0
        )
    if pdf:
        checks["audit_pdf_3s"] = pdf["median_s"] <= TARGETS["pdf_s"]
    return {
        "machine": machine(),
        "data": {
            "units": OrgUnit.objects.count(),
            "users": User.objects.count(),
            "nonconformities": Nonconformity.objects.count(),
            "actions": CorrectiveAction.objects.count(),
            "responses": Response.objects.count(),
            "answers": _answers(),
        },
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else None,
        "settings": {
            "only": sorted(args.only) if args.only else None,
            "workers": args.workers,
            "threads": args.threads,
            "duration_s": args.duration,
            "throughput_clients": args.clients,
            "latency_clients": 1,
        },
        "rows": rows,
        "audit_pdf": pdf,
        "worker_rss_mb": rss,
        "celery_rss_mb": r.get("celery_rss_mb"),
        "query_counts": query_counts,
        "failed_pages": failed,
        "load_average_before": LOAD_BEFORE,
        "load_average_after": os.getloadavg(),
        "targets": TARGETS,
        "checks": checks,
        "raw": r,
    }


def _answers():
    """Answers stored (each response holds its own as a JSON array)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(jsonb_array_length(answers))::bigint FROM surveys_response")
        return cursor.fetchone()[0]


def print_table(report):
    header = f"{'measure':<46} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}  ratio"
    print(header)
    print("-" * len(header))
    for row in report["rows"]:
        if row.get("failed"):
            print(f"{row['label']:<46} FAILED: {row['failed']}")
            continue
        ratio = ""
        if row.get("ratio_p50") is not None:
            ratio = f"{row['ratio_p50']}× bare (p50)"
        if row.get("vs_sql_p50") is not None:
            ratio += f", {row['vs_sql_p50']}× its SQL"
        if row.get("ratio_throughput") is not None:
            ratio = (
                f"{row['ratio_throughput']} of INSERT view; lost {row['lost']}; "
                f"{row['staged_at_stop']} staged at the stop, all counted "
                f"{row['fold_drain_s']} s later: {row['counted'] == row['stored']}"
            )
        queries = row.get("queries", "")
        print(
            f"{row['label']:<46} {queries!s:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['per_s']:>8}  {ratio}"
        )
    rounds = report["raw"].get("survey_submit", {}).get("rounds", [])
    if len(rounds) > 1:
        print(
            "Survey submission rounds (median reported): "
            + "; ".join(
                f"{one['per_s']}/s, {one['ratio']} of {one['insert_per_s']}/s" for one in rounds
            )
        )
    pdf = report["audit_pdf"]
    if pdf:
        print(f"Audit report PDF, {pdf['findings']} findings: median {pdf['median_s']} s "
              f"(runs {pdf['runs_s']}, {pdf['kib']} KiB)")  # fmt: skip
    print(f"gunicorn worker RSS after the run (MB): {report['worker_rss_mb']}")
    print(
        "checks: "
        + ", ".join(f"{k} {'OK' if v else 'MISSED'}" for k, v in report["checks"].items())
    )


if __name__ == "__main__":
    sys.exit(main())

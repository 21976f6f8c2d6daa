# ruff: noqa: S603, S607 - runs fixed local commands (psql, gunicorn)
"""Stress: a simulated auditor's device, offline then online 100 times, syncing through the API
(``/api/v1/``, docs/api-sync.md) to gunicorn on PostgreSQL while its connection is cut.

Usage (from the project root, PostgreSQL and Redis running):

    .venv/bin/python bench/offline_sync.py                  # fresh ims_offline_sync, 100 cycles
    .venv/bin/python bench/offline_sync.py --cycles 10 --seed 7

Each cycle, offline, the device records 2 to 4 findings (grade, clauses, unit, statement, a
note, 1 or 2 real JPEGs), answers 1 to 3 checklist items and sometimes adds a note to a finding
of an earlier cycle, all in its outbox: one JSON file per run and one file per photo
(``--outbox``), written before anything is sent, as the workspace writes IndexedDB. Online, it
sends the outbox in order, one request at a time, with the auditor's personal token; photos go
in chunks (``--chunk`` bytes) after a ``GET`` of what has arrived. Every request may be cut:

- ``mid_request``: the socket is closed after a random part of the request (headers or body; in
  a photo's chunk, that is mid-chunk): the server never has the whole request;
- ``after_send``: the whole request is sent, the socket closed before the answer is read: the
  server did the work and the device does not know it;
- ``mid_response``: the first bytes of the answer are read, then the socket is closed.

An item leaves the outbox only on the server's 200/201 (a photo: when the server says it is
complete), and a pass that hits a cut starts again from the first unsent item. Once every cycle
is synced, the outbox's history is compared with the database: every finding with exactly its
notes and photos (each photo with the device's pixel size), every checklist answer as last
given. It prints ``lost=<n> duplicated=<n>`` and exits 1 unless both are 0 and nothing waits
for attention.
"""

import argparse
import base64
import hashlib
import http.client
import io
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ims_offline_sync"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
CUTS = ("mid_request", "after_send", "mid_response")
RESULTS = ("conforming", "nonconforming", "not_applicable")
STATEMENTS = (
    "Sổ đầu bài lớp {n} chưa được ký xác nhận hằng tuần",
    "Biên bản sinh hoạt tổ chuyên môn tháng này chưa lưu hồ sơ",
    "Kế hoạch bài dạy môn Toán chưa được tổ trưởng duyệt",
    "Phòng thí nghiệm chưa có sổ theo dõi thiết bị",
)
NOTES = ("Quan sát tại lớp {n}", "Phỏng vấn giáo viên chủ nhiệm", "Xem hồ sơ tại phòng hiệu bộ")


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- HTTP with cuts ---------------------------------------------------------------------------


class Cut(Exception):
    """The device closed the connection on purpose: it does not know what the server did."""


class Exchange:
    """One HTTP/1.1 request on its own connection, which may be cut at a chosen point."""

    def __init__(self, base, token, stats):
        host, _sep, port = base.removeprefix("http://").rstrip("/").partition(":")
        self.host, self.port = host, int(port or 80)
        self.token, self.stats = token, stats

    def __call__(self, method, path, *, body=b"", headers=None, cut=None, rng=None):
        head = [
            f"{method} /api/v1{path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Authorization: Bearer {self.token}",
            "Connection: close",
            f"Content-Length: {len(body)}",
        ]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        self.stats["requests"] += 1
        with socket.create_connection((self.host, self.port), timeout=60) as sock:
            if cut == "mid_request":
                sock.sendall(request[: rng.randrange(1, len(request))])
            else:
                sock.sendall(request)
            if cut == "mid_response":
                sock.recv(rng.randrange(1, 40))
            if cut is not None:
                self.stats["cuts"][cut] += 1
                raise Cut(cut)
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            data = response.read()
        self.stats["statuses"][str(response.status)] += 1
        return response.status, json.loads(data) if data else None


# --- the device's outbox ------------------------------------------------------------------------


class Outbox:
    """The device's storage: ``outbox.json`` (records, queue, history) and ``photos/<id>.jpg``.
    Written whole (a new file renamed over the old) after every change, as IndexedDB commits."""

    def __init__(self, folder):
        self.folder = Path(folder)
        (self.folder / "photos").mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "outbox.json"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else None

    def save(self):
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, ensure_ascii=False))
        temporary.replace(self.path)

    def photo(self, photo_id):
        return (self.folder / "photos" / f"{photo_id}.jpg").read_bytes()

    def keep_photo(self, photo_id, content):
        (self.folder / "photos" / f"{photo_id}.jpg").write_bytes(content)

    def queue(self, cycle, item):
        item = {**item, "seq": self.data["next_seq"], "cycle": cycle, "attempts": 0}
        self.data["next_seq"] += 1
        self.data["queue"].append(item)
        self.data["history"].append({k: item[k] for k in ("seq", "kind", "id", "cycle")})

    def done(self, item, state="sent"):
        self.data["queue"] = [i for i in self.data["queue"] if i["seq"] != item["seq"]]
        for entry in self.data["history"]:
            if entry["seq"] == item["seq"]:
                entry["state"], entry["attempts"] = state, item["attempts"]
        self.save()


def jpeg(rng, index):
    """A real small JPEG (about 15 to 40 kB): shapes and noise, so no two are alike."""
    from PIL import Image, ImageDraw

    width, height = rng.choice([(480, 360), (360, 480), (400, 300)])
    image = Image.effect_noise((width, height), rng.randrange(20, 60)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)), colour)
    draw.text((10, 10), f"anh {index}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=rng.randrange(60, 85))
    return buffer.getvalue()


class Device:
    """The auditor's phone: prepares an audit, records offline, syncs online with cuts."""

    def __init__(self, outbox, exchange, rng, *, chunk, cut_rate, backoff):
        self.outbox, self.exchange, self.rng = outbox, exchange, rng
        self.chunk, self.cut_rate, self.backoff = chunk, cut_rate, backoff

    @property
    def data(self):
        return self.outbox.data

    def call(self, method, path, **kwargs):
        cut = self.rng.choice(CUTS) if self.rng.random() < self.cut_rate else None
        return self.exchange(method, path, cut=cut, rng=self.rng, **kwargs)

    # -- online, before going to the school: prepare the audit (no cuts: it is retried whole) --

    def prepare(self, run):
        """The auditor's first audit in progress today, as "My audits" lists it."""
        status, mine = self.exchange("GET", "/audits/mine?days=7")
        live = [a["id"] for a in mine or [] if a["status"] == "in_progress"]
        if status != 200 or not live:
            raise SystemExit(f"the auditor has no audit in progress today: {status} {mine}")
        audit_id = live[0]
        status, bundle = self.exchange("GET", f"/audits/{audit_id}/workspace")
        if status != 200 or not bundle["permissions"]["can_record"]:
            raise SystemExit(f"cannot record on audit {audit_id}: {status} {bundle}")
        self.outbox.data = {
            "run": run,
            "audit": audit_id,
            "grades": [g["code"] for g in bundle["grades"]],
            "clauses": [c["id"] for c in bundle["clauses"]],
            "units": [u["id"] for u in bundle["units"]],
            "findings": {},
            "checklist": {
                str(i["id"]): {k: i[k] for k in ("result", "note", "evidence", "version")}
                for i in bundle["checklist"]
            },
            "answered": [],
            "queue": [],
            "history": [],
            "next_seq": 1,
        }
        self.outbox.save()

    # -- offline: record ---------------------------------------------------------------------

    def record_cycle(self, cycle):
        rng, data = self.rng, self.data
        for n in range(rng.randint(2, 4)):
            finding_id, photos = str(uuid.uuid4()), []
            for p in range(rng.randint(1, 2)):
                photo_id = str(uuid.uuid4())
                content = jpeg(rng, f"{cycle}.{n}.{p}")
                self.outbox.keep_photo(photo_id, content)
                photos.append(photo_id)
            tag = f"[{data['run']} c{cycle} f{n}]"
            body = {
                "audit": data["audit"],
                "checklist_item": None,
                "grade": rng.choice(data["grades"]),
                "clauses": sorted(rng.sample(data["clauses"], min(2, len(data["clauses"])))),
                "unit": rng.choice(data["units"]),
                "statement": f"{rng.choice(STATEMENTS).format(n=f'{n + 1}A')} {tag}",
                "notes": [rng.choice(NOTES).format(n=f"{n + 1}A")],
                "references": [],
                "revisions": [],
                "photos": photos,
            }
            data["findings"][finding_id] = {"body": body, "version": None, "cycle": cycle}
            self.outbox.queue(cycle, {"kind": "finding", "id": finding_id, "body": body})
            for photo_id in photos:
                self.outbox.queue(cycle, {"kind": "photo", "id": photo_id, "finding": finding_id})
        items = list(data["checklist"])
        for item_id in rng.sample(items, min(len(items), rng.randint(1, 3))):
            answer = {
                "result": rng.choice(RESULTS),
                "note": f"Đã kiểm tra hồ sơ [{data['run']} c{cycle}]",
                "evidence": rng.choice(["", "Sổ theo dõi", "Biên bản họp"]),
            }
            data["checklist"][item_id].update(answer)
            data["answered"].append(item_id)
            self.outbox.queue(cycle, {"kind": "checklist", "id": item_id, "body": answer})
        earlier = [f for f, rec in data["findings"].items() if rec["cycle"] < cycle]
        if earlier and rng.random() < 0.5:
            finding_id = rng.choice(earlier)
            record = data["findings"][finding_id]
            record["body"] = {
                **record["body"],
                "notes": [*record["body"]["notes"], f"Bổ sung [{data['run']} c{cycle}]"],
            }
            self.outbox.queue(cycle, {"kind": "finding", "id": finding_id, "body": record["body"]})
        self.outbox.save()

    # -- online: sync ------------------------------------------------------------------------

    def sync(self, stats, max_attempts=200):
        """Send the outbox in order until it is empty; a cut or a server error starts the pass
        again from the first unsent item, after a pause."""
        passes = 0
        while True:
            pending = [i for i in self.data["queue"] if not i.get("attention")]
            if not pending:
                return passes
            passes += 1
            for item in pending:
                item["attempts"] += 1
                if item["attempts"] > max_attempts:
                    item["attention"] = f"gave up after {max_attempts} attempts"
                    self.outbox.save()
                    continue
                try:
                    outcome = getattr(self, f"_send_{item['kind']}")(item, stats)
                except (Cut, OSError, http.client.HTTPException, ValueError) as error:
                    stats["retries"][type(error).__name__] += 1
                    time.sleep(self.backoff)
                    break
                if outcome == "retry":
                    time.sleep(self.backoff)
                    break
                if outcome != "sent":
                    item["attention"] = outcome
                    self.outbox.save()
                    continue
                self.outbox.done(item)

    def _send_finding(self, item, stats):
        record = self.data["findings"][item["id"]]
        headers = {"Content-Type": "application/json"}
        if record["version"] is not None:
            headers["If-Match"] = f'"{record["version"]}"'
        body = json.dumps(item["body"]).encode()
        status, answer = self.call("PUT", f"/findings/{item['id']}", body=body, headers=headers)
        if status in (200, 201):
            record["version"] = answer["version"]
            return "sent"
        if status == 409:
            # Someone changed it on the server: the auditor keeps theirs on that version.
            stats["conflicts"] += 1
            record["version"] = answer["current"]["version"]
            return "retry"
        return "retry" if status >= 500 else f"finding {status}: {answer}"

    def _send_checklist(self, item, stats):
        known = self.data["checklist"][item["id"]]
        headers = {"Content-Type": "application/json", "If-Match": f'"{known["version"]}"'}
        body = json.dumps(item["body"]).encode()
        status, answer = self.call(
            "PUT", f"/checklist-items/{item['id']}", body=body, headers=headers
        )
        if status == 200:
            known["version"] = answer["version"]
            return "sent"
        if status == 409:
            stats["conflicts"] += 1
            known["version"] = answer["current"]["version"]
            return "retry"
        return "retry" if status >= 500 else f"checklist {status}: {answer}"

    def _send_photo(self, item, stats):
        path = f"/findings/{item['finding']}/photos/{item['id']}"
        content = self.outbox.photo(item["id"])
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        status, progress = self.call("GET", path)
        if status != 200:
            return "retry" if status >= 500 else f"photo progress {status}: {progress}"
        if progress["complete"]:
            return "sent"
        received = progress["received"]
        for start in range(0, len(content), self.chunk):
            end = min(start + self.chunk, len(content))
            if any(a <= start and end <= b for a, b in received):
                continue
            status, progress = self.call(
                "PUT",
                path,
                body=content[start:end],
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes {start}-{end - 1}/{len(content)}",
                    "Repr-Digest": f"sha-256=:{digest}:",
                },
            )
            stats["chunks"] += 1
            if status in (200, 201) and progress["complete"]:
                return "sent"
            if status == 422 and progress.get("code") == "checksum_mismatch":
                stats["checksum_restarts"] += 1
                return "retry"
            if status != 202:
                return "retry" if status >= 500 else f"photo chunk {status}: {progress}"
            received = progress["received"]
        return "retry"  # every chunk sent, none completed it: ask again what arrived


def new_stats():
    return {
        "requests": 0,
        "chunks": 0,
        "conflicts": 0,
        "checksum_restarts": 0,
        "cuts": Counter(),
        "statuses": Counter(),
        "retries": Counter(),
    }


def run_cycles(base, token, *, cycles, outbox_dir, seed, chunk, cut_rate, backoff=0.0):
    """Prepare the audit on a fresh device, then ``cycles`` offline→online cycles; returns the
    outbox's data and the statistics."""
    rng = random.Random(seed)
    stats = new_stats()
    outbox = Outbox(outbox_dir)
    device = Device(
        outbox, Exchange(base, token, stats), rng, chunk=chunk, cut_rate=cut_rate, backoff=backoff
    )
    device.prepare(f"sync-{seed}-{secrets.token_hex(3)}")
    passes = []
    for cycle in range(1, cycles + 1):
        device.record_cycle(cycle)
        # The page is closed and opened again: the device knows only what its outbox holds.
        device.outbox = Outbox(outbox_dir)
        passes.append(device.sync(stats))
    stats["passes"] = sum(passes)
    return device.outbox.data, stats


# --- the comparison with the database ---------------------------------------------------------


def compare(data, photo_sizes):
    """Lost and duplicated, per finding, note, photo and checklist answer, between what the
    device recorded (``data``, the outbox) and what the database holds."""
    from audits.models import ChecklistItem, Finding, FindingEvidence

    tag = f"[{data['run']} "
    stored = {
        str(f.pk): f
        for f in Finding.objects.filter(audit_id=data["audit"], statement__contains=tag)
        .prefetch_related("evidence", "photo_uploads")
        .order_by("created_at")
    }
    lost, duplicated, problems = 0, 0, []
    copies = Counter(f.statement for f in stored.values())
    for statement, n in copies.items():
        if n > 1:
            duplicated += n - 1
            problems.append(f"{n} findings say {statement!r}")
    for finding_id in set(stored) - set(data["findings"]):
        duplicated += 1
        problems.append(f"finding {finding_id} is not one the device recorded")
    for finding_id, record in data["findings"].items():
        finding = stored.get(finding_id)
        if finding is None:
            lost += 1
            problems.append(f"finding {finding_id} is missing")
            continue
        evidence = list(finding.evidence.all())
        notes = Counter(e.text for e in evidence if e.kind == FindingEvidence.Kind.NOTE)
        wanted = Counter(record["body"]["notes"])
        lost += sum((wanted - notes).values())
        duplicated += sum((notes - wanted).values())
        if notes != wanted:
            problems.append(f"finding {finding_id}: notes {dict(notes)} != {dict(wanted)}")
        photos = {str(e.pk): e for e in evidence if e.kind == FindingEvidence.Kind.PHOTO}
        declared = set(record["body"]["photos"])
        for photo_id in declared - set(photos):
            lost += 1
            problems.append(f"photo {photo_id} of finding {finding_id} is missing")
        for photo_id in set(photos) - declared:
            duplicated += 1
            problems.append(f"photo {photo_id} on finding {finding_id} was never declared")
        for photo_id in declared & set(photos):
            if (photos[photo_id].width, photos[photo_id].height) != tuple(photo_sizes[photo_id]):
                lost += 1
                problems.append(f"photo {photo_id} is not the device's picture")
        if finding.statement != record["body"]["statement"]:
            lost += 1
            problems.append(f"finding {finding_id}: statement differs")
    answered = set(data["answered"])
    items = ChecklistItem.objects.in_bulk([int(i) for i in answered])
    for item_id in answered:
        item, wanted = items.get(int(item_id)), data["checklist"][item_id]
        if item is None or (item.result, item.note, item.evidence) != (
            wanted["result"],
            wanted["note"],
            wanted["evidence"],
        ):
            lost += 1
            problems.append(f"checklist item {item_id}: last answer not stored")
    attention = [i for i in data["queue"] if i.get("attention")]
    return {
        "lost": lost,
        "duplicated": duplicated,
        "attention": len(attention),
        "unsent": len(data["queue"]),
        "problems": problems[:20] + [f"needs attention: {i['attention']}" for i in attention[:5]],
        "findings": len(data["findings"]),
        "photos": sum(len(r["body"]["photos"]) for r in data["findings"].values()),
        "checklist_answers": sum(1 for h in data["history"] if h["kind"] == "checklist"),
        "finding_updates": sum(1 for h in data["history"] if h["kind"] == "finding")
        - len(data["findings"]),
    }


def photo_sizes(outbox_dir):
    from PIL import Image

    sizes = {}
    for path in (Path(outbox_dir) / "photos").glob("*.jpg"):
        with Image.open(path) as image:
            sizes[path.stem] = image.size
    return sizes


# --- the server -------------------------------------------------------------------------------


def server_env(database_url, redis_url, media_root):
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            "SECRET_KEY": env.get("SECRET_KEY", "offline-sync-" + "k" * 50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "MEDIA_ROOT": str(media_root),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def start_gunicorn(env, port, workers, log_file):
    """gunicorn with the shipped ``gunicorn.conf.py`` on the loopback port."""
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "ims.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=log_file,
    )
    for _ in range(150):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not listen")


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "commit": commit,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def server_errors(log_path):
    """Answers with a 5xx status in gunicorn's access log."""
    errors = Counter()
    for line in Path(log_path).read_text(errors="replace").splitlines():
        parts = line.split('" ')
        if len(parts) > 1 and parts[1][:3].isdigit() and parts[1][0] == "5":
            errors[parts[1][:3]] += 1
    return dict(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("SYNC_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("SYNC_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--keep-database", action="store_true", help="do not recreate it")
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=8 * 1024, help="bytes per photo chunk")
    parser.add_argument("--cut-rate", type=float, default=0.3, help="share of requests cut")
    parser.add_argument("--outbox", help="the device's folder (default: a new temporary one)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ims-offline-sync-"))
    outbox_dir = Path(args.outbox) if args.outbox else work / "device"
    env = server_env(args.database_url, args.redis_url, work / "media")
    if not args.keep_database:
        base, name = args.database_url.rsplit("/", 1)
        log(f"== fresh database {name}: migrate, seed_demo")
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo", "--force")  # a throw-away database
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ims.settings"
    import django

    django.setup()
    from django.db import connection

    from audits.models import Audit
    from ims.models import User
    from ims.tokens import api_token_create

    auditor = User.objects.get(username="auditor")
    _token, raw = api_token_create(actor=auditor, name="offline sync stress")
    connection.close()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = work / "gunicorn.log"
    log(f"== gunicorn on 127.0.0.1:{port} ({args.workers} workers)")
    before = machine()
    started = time.perf_counter()
    with log_path.open("w") as log_file:
        server = start_gunicorn(env, port, args.workers, log_file)
        try:
            data, stats = run_cycles(
                f"http://127.0.0.1:{port}",
                raw,
                cycles=args.cycles,
                outbox_dir=outbox_dir,
                seed=args.seed,
                chunk=args.chunk,
                cut_rate=args.cut_rate,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    seconds = time.perf_counter() - started
    result = compare(data, photo_sizes(outbox_dir))
    report = {
        "cycles": args.cycles,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "audit": Audit.objects.get(pk=data["audit"]).code,
        **result,
        "requests": stats["requests"],
        "photo_chunks_sent": stats["chunks"],
        "cuts": dict(stats["cuts"]),
        "statuses": dict(stats["statuses"]),
        "retries": dict(stats["retries"]),
        "passes": stats["passes"],
        "conflicts": stats["conflicts"],
        "checksum_restarts": stats["checksum_restarts"],
        "server_5xx": server_errors(log_path),
        "machine": before,
        "outbox": str(outbox_dir / "outbox.json"),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"lost={result['lost']} duplicated={result['duplicated']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    ok = result["lost"] == 0 and result["duplicated"] == 0 and result["unsent"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

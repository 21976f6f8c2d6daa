"""Benchmark: render the ``audit`` PDF report of an audit with 100 findings.

Usage (from the project root):

    .venv/bin/python bench/audit_report.py            # a throw-away SQLite database and media dir
    .venv/bin/python bench/audit_report.py --current  # the database in DATABASE_URL / settings

Builds an issued audit with 100 findings (each with a note, a document reference and a photo, so
the PDF carries 100 thumbnails and a signature manifest), renders the report the way the worker
does (``ims.reports.render_report``), and prints the seconds. Target: at most 3 s on 2 cores.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", action="store_true", help="use the configured database")
    parser.add_argument("--findings", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5, help="renders to time (best is reported)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="audit-bench-")
    if not args.current:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = os.environ.get("MEDIA_ROOT") if args.current else f"{workdir}/media"
    if not os.environ["MEDIA_ROOT"]:
        os.environ.pop("MEDIA_ROOT")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")
    os.environ.setdefault("DEBUG", "true")  # a local measurement: no secret key needed

    import django

    django.setup()
    from django.core.management import call_command

    if not args.current:
        call_command("migrate", verbosity=0)

    audit = build_audit(args.findings)

    from audits.report_kinds import AuditReport
    from ims.reports import render_report

    kind = AuditReport()
    obj = kind.get_object(None, audit.pk)
    import weasyprint  # noqa: F401 — import cost (~0.8 s) is paid once per worker, not per report

    timings, cpu = [], []
    size = 0
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = render_report(kind, obj, {}, language="vi")
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        size = len(pdf)
    print(
        f"audit report: {args.findings} findings, {len(kind.media_names(obj, {}))} thumbnails, "
        f"{size // 1024} KiB PDF"
    )
    print(f"render seconds: best {min(timings):.2f}, runs {', '.join(f'{t:.2f}' for t in timings)}")
    print(f"cpu seconds (independent of other load): best {min(cpu):.2f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{min(timings):.2f}")


def build_audit(count):
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from audits import services
    from audits.demo import FINDINGS, _photo
    from audits.models import Audit, AuditProgramme, AuditTeamMember, FindingGrade
    from ims.models import Clause, Membership, OrgUnit, Role, UnitKind, User

    with transaction.atomic():
        suffix = str(int(time.time()))
        root = OrgUnit.objects.filter(parent=None).first() or OrgUnit.objects.create(
            code=f"BENCH-{suffix}",
            name="Sở Giáo dục và Đào tạo",
            kind=UnitKind.objects.get(code="department"),
        )
        school = OrgUnit.objects.create(
            code=f"BENCH-TH-{suffix}",
            name="Trường Tiểu học Benchmark",
            kind=UnitKind.objects.get(code="school"),
            parent=root,
        )

        def person(name, role):
            user = User(username=f"bench-{name}-{suffix}", full_name=f"Chuyên gia {name}")
            user.set_password("bench")
            user.save()
            Membership.objects.create(user=user, unit=root, role=role)
            return user

        iso = person("iso", Role.QUALITY_MANAGER)
        lead = person("lead", Role.LEAD_AUDITOR)
        programme = AuditProgramme.objects.filter(unit=root, start_year=2025).first()
        if programme is None:
            programme = AuditProgramme.objects.create(
                unit=root, start_year=2025, title="Chương trình đánh giá 2025–2026", owner=iso
            )
        clauses = list(
            Clause.objects.filter(
                criteria_set__code="iso-9001-2015", number__in=["7.1.3", "7.5.3", "8.5.1", "9.1.2"]
            )
        )
        audit = Audit.objects.create(
            programme=programme,
            code=f"BENCH-{suffix}",
            title="Đánh giá nội bộ (benchmark 100 phát hiện)",
            objectives="Đo thời gian tạo báo cáo PDF.",
            planned_start=date(2025, 11, 10),
            planned_end=date(2025, 11, 11),
            places="Trường Tiểu học Benchmark",
            status=Audit.Status.IN_PROGRESS,
            created_by=iso,
            participants="Đoàn đánh giá và Ban giám hiệu",
            conclusions="Hệ thống phù hợp.",
            degree_of_conformity="Cao.",
            diverging_opinions="Không có.",
        )
        audit.scope_units.set([school])
        audit.clauses.set(clauses)
        AuditTeamMember.objects.create(audit=audit, user=lead, role="lead", added_by=iso)
        grades = {g.code: g for g in FindingGrade.objects.all()}
    for i in range(count):
        grade_code, number, statement, note = FINDINGS[i % len(FINDINGS)]
        clause = next((c for c in clauses if c.number == number), clauses[0])
        services.finding_record(
            audit,
            actor=lead,
            grade=grades[grade_code],
            clauses=[clause],
            unit=school,
            statement=f"{i + 1}. {statement}",
            notes=[note],
            references=["QT-07 lần ban hành 3"],
            photos=[SimpleUploadedFile("anh.jpg", _photo(i))],
        )
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.REPORTING)
    services.audit_issue_report(audit, actor=lead, password="bench")  # noqa: S106
    return Audit.objects.get(pk=audit.pk)


if __name__ == "__main__":
    main()

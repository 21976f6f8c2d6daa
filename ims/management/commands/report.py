from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from ims.models import User
from ims.reports import render_report, report_kind, report_kinds


class Command(BaseCommand):
    help = "Render a report to PDF synchronously: manage.py report <kind> <id> -o FILE.pdf"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind", help="report kind (e.g. audit, nonconformity, survey, register, unit)"
        )
        parser.add_argument("object_id", help="id of the object (for register: any, e.g. 0)")
        parser.add_argument("-o", "--output", required=True, help="PDF file to write")
        parser.add_argument("--as", dest="username", help="render with this user's access and name")
        parser.add_argument("--language", default="vi", choices=["vi", "en", "lo"])
        parser.add_argument(
            "--param", action="append", default=[], help="filter key=value (repeatable)"
        )

    def handle(
        self,
        kind: str,
        object_id: str,
        output: str,
        username: str | None = None,
        language: str = "vi",
        param: Iterable[str] = (),
        **options: Any,
    ) -> None:
        try:
            report = report_kind(kind)
        except Http404:
            raise CommandError(
                f"Unknown report kind {kind!r}; known: {', '.join(sorted(report_kinds()))}"
            ) from None
        user = None
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
        try:
            obj = report.get_object(user, object_id)
        except Http404:
            raise CommandError(f"No {kind} with id {object_id!r} (or no access).") from None
        params = dict(item.split("=", 1) for item in param if "=" in item)
        pdf = render_report(report, obj, params, user=user, language=language)
        Path(output).write_bytes(pdf)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(pdf)} bytes)."))

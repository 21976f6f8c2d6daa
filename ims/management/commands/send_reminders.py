from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ims.reminders import send_digests, send_reminders


class Command(BaseCommand):
    help = "Run the daily reminder pass now (and, with --digests, send digest emails)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--digests", action="store_true", help="also send the daily digests")

    def handle(self, *args: Any, digests: bool = False, **options: Any) -> None:
        written = send_reminders()
        self.stdout.write(self.style.SUCCESS(f"{written} reminder(s) written."))
        if digests:
            self.stdout.write(self.style.SUCCESS(f"{send_digests()} digest(s) sent."))

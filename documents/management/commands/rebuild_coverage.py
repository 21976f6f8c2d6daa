"""``python manage.py rebuild_coverage``: the acknowledgement coverage roll-up from scratch."""

import time

from django.core.management.base import BaseCommand

from documents.coverage import rebuild


class Command(BaseCommand):
    help = "Rebuild the read-and-acknowledge coverage roll-up from scratch (after bulk loads)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = rebuild()
        self.stdout.write(f"{rows} coverage rows in {time.perf_counter() - started:.1f} s")

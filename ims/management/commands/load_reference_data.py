from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from ims.registry import reference_loaders


class Command(BaseCommand):
    help = (
        "Load or refresh reference data: unit kinds, school levels, clause trees, each app's lists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for loader in reference_loaders():
                loader(apps)
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))

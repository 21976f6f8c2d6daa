from django.apps import apps
from django.core.management.base import BaseCommand

from ims.criteria import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh unit kinds, school levels and the ISO 9001 / ISO 21001 clause trees."

    def handle(self, *args, **options):
        load_reference_data(apps)
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))

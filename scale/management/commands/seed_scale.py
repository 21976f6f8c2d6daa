"""``python manage.py seed_scale [--factor F]``: a province-sized data set, written in bulk."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scale.generator import AlreadySeeded, Generator


class Command(BaseCommand):
    help = (
        "Create a province-sized data set in bulk (1,000 units, 20,000 people, 6,000 documents, "
        "1,500 audits, 50,000 nonconformities, 1,000,000 survey responses at factor 1). "
        "Needs a freshly migrated database; use a dedicated one (e.g. ims_scale)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--factor", type=float, default=1.0, help="scale every count (0.1: a quick set)"
        )
        parser.add_argument("--seed", type=int, default=20261130, help="random seed")

    def handle(self, *args, factor, seed, **options):
        if not getattr(settings, "SCALE_SEED_ALLOWED", False):
            raise CommandError(
                "seed_scale runs only with the benchmark settings: "
                "DJANGO_SETTINGS_MODULE=scale.bench_settings (see bench/run.py)."
            )
        if not 0 < factor <= 10:
            raise CommandError("--factor must be above 0 and at most 10.")
        generator = Generator(factor=factor, seed=seed, log=self.stdout.write)
        try:
            generator.run()
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from exc

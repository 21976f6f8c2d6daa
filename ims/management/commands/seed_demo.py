import importlib
from argparse import ArgumentParser
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import module_has_submodule

from ims import demo


def demo_modules() -> list[ModuleType]:
    """Each installed app's ``demo`` module, in their declared ``ORDER``."""
    modules = []
    for config in apps.get_app_configs():
        if config.name != "ims" and module_has_submodule(config.module, "demo"):
            modules.append(importlib.import_module(f"{config.name}.demo"))
    return sorted(modules, key=lambda module: getattr(module, "ORDER", 100))


class Command(BaseCommand):
    help = "Build the demo province (Sở GD&ĐT Sơn La) with demo accounts (password 'demo')."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; it refuses to run with DEBUG "
                "off. Use --force only on a throw-away database."
            )
        context = demo.DemoContext(stdout=self.stdout)
        # Notifications written while seeding are demo history, not mail to send (or to print).
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            demo.seed(context)
            for module in demo_modules():
                module.seed(context)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready. Accounts: director, iso, auditor, leadauditor, head, principal, teacher, "
                "principal2 (password: demo)."
            )
        )

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audits.question_bank.loader import BANK_FILES, QuestionBankError, load_question_bank


class Command(BaseCommand):
    help = (
        "Create or update the checklist templates of on-site audit questions (for a school, for "
        "the Department) on every root unit from the question bank files. Running it again "
        "changes nothing; a corrected file updates its questions in place."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--file",
            action="append",
            dest="files",
            type=Path,
            help="A bank file to load instead of the shipped ones (repeatable).",
        )

    def handle(self, *args: Any, files: list[Path] | None = None, **options: Any) -> None:
        try:
            result = load_question_bank(paths=files or BANK_FILES)
        except QuestionBankError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        if not result.units:
            self.stdout.write(
                self.style.WARNING("No root unit yet: create the organisation first.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Question bank loaded on {result.units} root unit(s): "
                f"{result.templates_created} template(s) created, {result.created} question(s) "
                f"added, {result.updated} updated, {result.deleted} removed."
            )
        )

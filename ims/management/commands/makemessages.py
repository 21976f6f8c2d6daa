"""Django's ``makemessages``, also reading the JavaScript helpers ``t()`` and ``nt()``.

The offline workspace's modules translate through short helpers over Django's JavaScript
catalogue (``t(s)`` for ``gettext``, ``nt(s, p, n)`` for ``ngettext``); xgettext only knows
the names it is told.
"""

from typing import Any

from django.core.management.commands import makemessages

JS_KEYWORDS = ["--keyword=t", "--keyword=nt:1,2"]


class Command(makemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("domain") == "djangojs":
            self.xgettext_options = [*makemessages.Command.xgettext_options, *JS_KEYWORDS]
        super().handle(*args, **options)

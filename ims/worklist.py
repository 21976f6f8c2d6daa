"""One task list per person ("Việc của tôi"): apps register providers; the core imports none.

A provider is a function ``provider(user, today)`` returning the ``WorkItem`` rows waiting for
``user``. Each app registers its providers from ``AppConfig.ready()`` with ``register_worklist``
(as reminders do with ``register_reminders``). A provider must answer in a bounded number of
queries whatever the number of rows (one query per kind of item, with its ``select_related``):
``tests/ims/test_worklist.py`` pins the whole page at ``MAX_QUERIES`` with extra providers.

Provider modules also name the notification kinds that ask the recipient to act
(``register_action_kinds``): the bell separates those from the ones that only inform.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

MAX_QUERIES = 20

Label = str | Promise
Provider = Callable[[Any, date], Iterable["WorkItem"]]

_providers: dict[str, Provider] = {}
_kinds: dict[str, tuple[Label, int]] = {}


@dataclass(frozen=True)
class WorkItem:
    kind: str  # a registered kind key, e.g. "documents.approve"
    title: str
    url: str
    unit: str = ""
    due: date | None = None
    needs_you: bool = True  # False: shown for information (e.g. an audit the user is on)
    overdue: bool | None = None  # None: worked out from ``due`` when the list is collected

    @property
    def label(self) -> Label:
        return _kinds.get(self.kind, (self.kind, 100))[0]


def register_worklist(name: str, provider: Provider) -> None:
    _providers[name] = provider


def register_kind(key: str, label: Label, order: int = 100) -> None:
    """A kind of work item with its translatable label; ``order`` sorts the kind filter."""
    _kinds[key] = (label, order)


def providers() -> dict[str, Provider]:
    return dict(_providers)


def kinds() -> list[tuple[str, Label]]:
    """``[(key, label)]`` in their registered order."""
    return [(key, label) for key, (label, _order) in sorted(_kinds.items(), key=lambda i: i[1][1])]


def sort_key(item: WorkItem) -> tuple[bool, bool, date, str]:
    """Overdue first, then by due date (undated last), then by title."""
    return (not item.overdue, item.due is None, item.due or date.max, str(item.title))


def collect(user: Any, today: date | None = None) -> list[WorkItem]:
    """Every item waiting for ``user``, sorted: overdue first, then by due date."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    today = today or timezone.localdate()
    items: list[WorkItem] = []
    for provider in _providers.values():
        for item in provider(user, today):
            if item.overdue is None:
                item = replace(item, overdue=item.due is not None and item.due < today)
            items.append(item)
    return sorted(items, key=sort_key)


def counts_by_kind(items: Iterable[WorkItem]) -> list[tuple[str, Label, int]]:
    """``[(key, label, count)]`` for the kinds present in ``items``, in registered order."""
    present: dict[str, int] = {}
    for item in items:
        present[item.kind] = present.get(item.kind, 0) + 1
    ordered = [(key, label, present[key]) for key, label in kinds() if key in present]
    known = {key for key, _label, _n in ordered}
    ordered += [(key, key, n) for key, n in present.items() if key not in known]
    return ordered

"""How long an open item has been open, in named buckets.

An app declares its buckets once (``Ageing``): the date or moment field an item's age counts
from, and each bucket's key, label and bounds in whole days. A register's filter offers
``choices``, selects with ``condition(key, now)``, and a summary counts every bucket in one query
with ``counts``; the numbers on a summary and the rows its link opens are then the same items.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class AgeBucket:
    """Items ``low`` to ``high`` whole days old (both included; ``high`` None: no upper bound)."""

    key: str
    label: str | Promise
    low: int
    high: int | None = None

    def condition(self, field: str, now: date | datetime) -> Q:
        """Items whose ``field`` makes them this old at ``now`` (a date for a date field, a
        moment for a date-time field)."""
        condition = Q()
        if self.low:
            condition &= Q(**{f"{field}__lte": now - timedelta(days=self.low)})
        if self.high is not None:
            condition &= Q(**{f"{field}__gt": now - timedelta(days=self.high + 1)})
        return condition


@dataclass(frozen=True)
class Ageing:
    """The age buckets of one kind of item, counted from its ``field``."""

    field: str
    buckets: tuple[AgeBucket, ...]

    def __iter__(self) -> Iterator[AgeBucket]:
        return iter(self.buckets)

    @property
    def choices(self) -> list[tuple[str, str | Promise]]:
        return [(bucket.key, bucket.label) for bucket in self.buckets]

    def bucket(self, key: str) -> AgeBucket:
        for bucket in self.buckets:
            if bucket.key == key:
                return bucket
        raise KeyError(key)

    def condition(self, key: str, now: date | datetime) -> Q:
        """Items in bucket ``key`` at ``now``."""
        return self.bucket(key).condition(self.field, now)

    def counts(self, queryset: QuerySet, now: date | datetime) -> list[tuple[AgeBucket, int]]:
        """Each bucket with how many of ``queryset`` are in it at ``now``, in one query."""
        totals = queryset.aggregate(
            **{
                f"b{index}": Count("pk", filter=bucket.condition(self.field, now))
                for index, bucket in enumerate(self.buckets)
            }
        )
        return [(bucket, totals[f"b{index}"]) for index, bucket in enumerate(self.buckets)]

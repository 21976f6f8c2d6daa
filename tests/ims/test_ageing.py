"""The age buckets of open items: one declaration per kind of item, the same edges everywhere."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from audits.programme_stats import FINDING_AGES
from ims.ageing import AgeBucket, Ageing
from ims.models import Membership
from nonconformities.models import AGE_BUCKETS

TODAY = date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 10, tzinfo=UTC)


def _bucket_of(ageing, days_old, now):
    """The keys of the buckets whose condition holds for an item ``days_old`` days old."""
    value = now - timedelta(days=days_old)
    keys = []
    for bucket in ageing:
        condition = bucket.condition("day", now)
        if _holds(condition, value):
            keys.append(bucket.key)
    return keys


def _holds(condition, value):
    for child in condition.children:
        lookup, bound = child
        if lookup.endswith("__lte") and not value <= bound:
            return False
        if lookup.endswith("__gt") and not value > bound:
            return False
    return True


@pytest.mark.parametrize(
    ("days", "key"),
    [(0, "lt30"), (29, "lt30"), (30, "30-90"), (90, "30-90"), (91, "gt90"), (400, "gt90")],
)
def test_an_nc_falls_in_exactly_one_bucket_at_the_edges(days, key):
    assert _bucket_of(AGE_BUCKETS, days, TODAY) == [key]


@pytest.mark.parametrize(
    ("days", "key"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (30.99, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90.5, "61-90"),
        (91, "91-"),
        (365, "91-"),
    ],
)
def test_a_finding_falls_in_exactly_one_bucket_at_the_edges(days, key):
    assert _bucket_of(FINDING_AGES, days, NOW) == [key]


@translation.override("en")
def test_the_labels_stay_those_shown_today():
    assert [str(label) for _key, label in AGE_BUCKETS.choices] == [
        "under 30 days",
        "30–90 days",
        "over 90 days",
    ]
    assert [str(label) for _key, label in FINDING_AGES.choices] == [
        "up to 30 days",
        "31–60 days",
        "61–90 days",
        "over 90 days",
    ]


def test_an_unknown_bucket_is_refused():
    with pytest.raises(KeyError):
        AGE_BUCKETS.condition("old", TODAY)


@pytest.mark.django_db
def test_counts_match_the_filter_of_each_bucket(world):
    ageing = Ageing(
        field="created_at",
        buckets=(AgeBucket("new", "new", 0, 9), AgeBucket("old", "old", 10)),
    )
    teacher = Membership.objects.filter(user=world.teacher)
    principal = Membership.objects.filter(user=world.principal)
    teacher.update(created_at=NOW - timedelta(days=12))
    principal.update(created_at=NOW - timedelta(days=2))
    both = teacher | principal
    counts = {bucket.key: n for bucket, n in ageing.counts(both, NOW)}
    assert counts == {"new": principal.count(), "old": teacher.count()}
    assert set(both.filter(ageing.condition("old", NOW))) == set(teacher)

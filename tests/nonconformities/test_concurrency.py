"""Numbers under concurrent creation, and idempotent raising under a race (PostgreSQL, threads)."""

import threading

import pytest
from django.db import connection

from nonconformities.models import Nonconformity
from nonconformities.services import nonconformity_raise

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
    ),
]


def in_threads(count, work):
    barrier = threading.Barrier(count)
    errors, results = [], []

    def run(i):
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_twenty_concurrent_ncs_get_twenty_consecutive_numbers():
    from tests.conftest import build_world

    world = build_world()

    def work(i):
        return nonconformity_raise(
            actor=world.iso,
            unit=world.school,
            title=f"NC đồng thời {i}",
            description="Tạo đồng thời",
            source="complaint",
        ).number

    numbers, errors = in_threads(20, work)
    assert errors == []
    sequences = sorted(Nonconformity.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))
    assert len(set(numbers)) == 20


def test_concurrent_raises_from_one_source_create_one_nc():
    from tests.conftest import build_world

    world = build_world()

    def work(i):
        return nonconformity_raise(
            actor=world.leadauditor,
            unit=world.school,
            title="Phát hiện đánh giá",
            description="NC từ phát hiện",
            source="internal_audit",
            severity="major",
            source_object=world.school2,  # any saved row serves as the source
        ).pk

    ids, errors = in_threads(8, work)
    assert errors == []
    assert Nonconformity.objects.count() == 1
    assert set(ids) == {Nonconformity.objects.get().pk}
    # The losers' numbers were rolled back: no gap.
    assert Nonconformity.objects.get().sequence == 1

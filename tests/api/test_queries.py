"""Each API read and a replayed PUT cost a fixed number of queries, however much evidence."""

import pytest

from tests.api.conftest import finding_body, new_id

pytestmark = pytest.mark.django_db


def test_reads_and_a_replay_have_pinned_query_counts(
    world, audit, api_for, django_assert_max_num_queries
):
    api = api_for(world.auditor)
    pk, photos = new_id(), [new_id() for _ in range(5)]
    notes = [f"Ghi chú {n}" for n in range(8)]
    body = finding_body(audit, world, photos=photos, notes=notes)
    assert api.put(f"/findings/{pk}", body).status_code == 201
    with django_assert_max_num_queries(6):
        assert api.get(f"/findings/{pk}").status_code == 200
    with django_assert_max_num_queries(5):
        assert api.get(f"/findings/{pk}/photos/{photos[0]}").status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get("/audits/mine").status_code == 200
    with django_assert_max_num_queries(24):
        assert api.put(f"/findings/{pk}", body).status_code == 200

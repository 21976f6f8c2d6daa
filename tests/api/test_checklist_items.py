"""PUT /api/v1/checklist-items/{id}: the same version rule as findings, through the service."""

import pytest

from audits.models import ChecklistItem
from audits.services.sync import ChecklistConflict, checklist_item_put
from tests.audits.factories import checklist_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(audit):
    return checklist_item(audit)


def put(api, item, body, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return api.put(f"/checklist-items/{item.pk}", body, headers=headers)


def test_recording_with_the_current_version(world, item, api_for):
    response = put(api_for(world.auditor), item, {"result": "conforming", "note": "Đủ"}, 0)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1 and response["ETag"] == '"1"'
    item.refresh_from_db()
    assert (item.result, item.note, item.checked_by) == ("conforming", "Đủ", world.auditor)


def test_the_same_answer_again_changes_nothing(world, item, api_for):
    api = api_for(world.auditor)
    put(api, item, {"result": "conforming", "note": "Đủ"}, 0)
    rows = ChecklistItem.history.filter(id=item.pk).count()
    response = put(api, item, {"result": "conforming", "note": "Đủ"})
    assert response.status_code == 200 and response.json()["version"] == 1
    assert ChecklistItem.history.filter(id=item.pk).count() == rows


@pytest.mark.parametrize("version", [None, 5])
def test_a_different_answer_without_the_current_version_is_409(world, item, api_for, version):
    api = api_for(world.auditor)
    put(api, item, {"result": "conforming", "note": "Đủ"}, 0)
    response = put(api, item, {"result": "nonconforming", "note": "Thiếu"}, version)
    assert response.status_code == 409
    assert response.json()["current"]["result"] == "conforming"
    item.refresh_from_db()
    assert item.result == "conforming" and item.version == 1


def test_a_bad_result_is_422(world, item, api_for):
    response = put(api_for(world.auditor), item, {"result": "maybe"}, 0)
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.version == 0


def test_an_outsider_gets_404_and_a_member_403(world, item, api_for, token_api_for):
    body = {"result": "conforming"}
    assert put(api_for(world.principal2), item, body, 0).status_code == 404
    assert put(token_api_for(world.principal2), item, body, 0).status_code == 404
    assert put(api_for(world.teacher), item, body, 0).status_code == 403
    item.refresh_from_db()
    assert item.version == 0


def test_a_retry_that_crossed_its_first_copy_is_200_not_a_conflict(world, item):
    """The retry read the item before the first copy committed: same answer, old version."""
    before = ChecklistItem.objects.get(pk=item.pk)  # what the retry read: version 0
    checklist_item_put(item, actor=world.auditor, result="conforming", note="Đủ", if_match=0)
    again, changed = checklist_item_put(
        before, actor=world.auditor, result="conforming", note="Đủ", if_match=0
    )
    assert not changed and again.version == 1
    with pytest.raises(ChecklistConflict):  # a different answer on the old version still is one
        checklist_item_put(before, actor=world.auditor, result="not_applicable", if_match=0)

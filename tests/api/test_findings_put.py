"""PUT /api/v1/findings/{uuid}: create, identical replay, update with If-Match, conflict."""

import pytest

from audits.models import Finding, FindingEvidence
from ims.models import TransitionEvent
from tests.api.conftest import finding_body, new_id
from tests.audits.factories import clauses

pytestmark = pytest.mark.django_db


def history_rows(pk):
    return Finding.history.filter(id=pk).count()


def test_put_creates_the_finding_with_the_devices_id(world, audit, api_for):
    pk = new_id()
    response = api_for(world.auditor).put(f"/findings/{pk}", finding_body(audit, world))
    assert response.status_code == 201, response.content
    finding = Finding.objects.get(pk=pk)
    assert finding.version == 1 and finding.created_by == world.auditor
    assert finding.evidence.get().text == "Quan sát tại lớp 3A"
    assert response["ETag"] == '"1"'
    assert response.json()["statement"] == "Sổ đầu bài lớp 3A không được ký"
    assert TransitionEvent.objects.filter(object_id=pk, action="finding_record").count() == 1


def test_identical_replay_is_200_and_writes_nothing(world, audit, api_for):
    api, pk, body = api_for(world.auditor), new_id(), finding_body(audit, world)
    api.put(f"/findings/{pk}", body)
    before = (history_rows(pk), TransitionEvent.objects.count(), FindingEvidence.objects.count())
    response = api.put(f"/findings/{pk}", body)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    after = (history_rows(pk), TransitionEvent.objects.count(), FindingEvidence.objects.count())
    assert after == before


def test_update_with_the_current_version_bumps_it_and_keeps_history(world, audit, api_for):
    api, pk = api_for(world.auditor), new_id()
    api.put(f"/findings/{pk}", finding_body(audit, world))
    before = history_rows(pk)
    changed = finding_body(
        audit, world, statement="Sổ đầu bài chưa ký", notes=["Quan sát tại lớp 3A", "Thêm"]
    )
    response = api.put(f"/findings/{pk}", changed, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response["ETag"] == '"2"'
    finding = Finding.objects.get(pk=pk)
    assert finding.statement == "Sổ đầu bài chưa ký" and finding.version == 2
    assert sorted(e.text for e in finding.evidence.all()) == ["Quan sát tại lớp 3A", "Thêm"]
    assert history_rows(pk) == before + 1


@pytest.mark.parametrize("if_match", [None, '"7"', '"0"'])
def test_a_different_body_without_the_current_version_is_409_with_current(
    world, audit, api_for, if_match
):
    api, pk = api_for(world.auditor), new_id()
    api.put(f"/findings/{pk}", finding_body(audit, world))
    headers = {"If-Match": if_match} if if_match else {}
    response = api.put(
        f"/findings/{pk}", finding_body(audit, world, statement="Khác"), headers=headers
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict" and body["current"]["statement"].startswith("Sổ đầu bài")
    assert body["current"]["version"] == 1
    assert Finding.objects.get(pk=pk).statement.startswith("Sổ đầu bài")


def test_an_update_that_leaves_out_stored_evidence_is_422(world, audit, api_for):
    api, pk = api_for(world.auditor), new_id()
    api.put(f"/findings/{pk}", finding_body(audit, world))
    response = api.put(
        f"/findings/{pk}",
        finding_body(audit, world, notes=["Chỉ ghi chú mới"]),
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "evidence_removed"
    assert Finding.objects.get(pk=pk).version == 1


def test_bad_input_is_422_with_the_pages_message_and_nothing_stored(world, audit, api_for):
    pk = new_id()
    response = api_for(world.auditor).put(
        f"/findings/{pk}", finding_body(audit, world, notes=[], statement="  ")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["detail"]
    assert not Finding.objects.filter(pk=pk).exists()


def test_a_finding_needs_evidence(world, audit, api_for):
    pk = new_id()
    response = api_for(world.auditor).put(f"/findings/{pk}", finding_body(audit, world, notes=[]))
    assert response.status_code == 422
    assert not Finding.objects.filter(pk=pk).exists()


def test_a_clause_outside_the_audit_is_422(world, audit, api_for):
    other = clauses("4.1")[0]
    response = api_for(world.auditor).put(
        f"/findings/{new_id()}", finding_body(audit, world, clauses=[other.pk])
    )
    assert response.status_code == 422
    assert Finding.objects.count() == 0


def test_an_outsider_gets_404_for_the_audit_and_the_finding(world, audit, api_for):
    pk = new_id()
    api_for(world.auditor).put(f"/findings/{pk}", finding_body(audit, world))
    outsider = api_for(world.principal2)
    assert outsider.get(f"/findings/{pk}").status_code == 404
    response = outsider.put(f"/findings/{new_id()}", finding_body(audit, world))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = outsider.put(f"/findings/{pk}", finding_body(audit, world, statement="x"))
    assert response.status_code == 404
    assert Finding.objects.count() == 1


def test_a_member_who_sees_the_audit_but_may_not_record_gets_403(world, audit, api_for):
    response = api_for(world.principal).put(f"/findings/{new_id()}", finding_body(audit, world))
    assert response.status_code == 403
    assert response.json()["code"] == "refused"
    assert Finding.objects.count() == 0


def test_get_returns_the_put_shape_with_version_and_etag(world, audit, api_for):
    api, pk = api_for(world.auditor), new_id()
    body = finding_body(audit, world)
    api.put(f"/findings/{pk}", body)
    response = api.get(f"/findings/{pk}")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    data = response.json()
    for key in ("audit", "grade", "clauses", "unit", "statement", "notes", "photos"):
        assert data[key] == body[key], key
    assert data["status"] == "open" and data["photos_pending"] == []


def test_evidence_sent_through_the_api_has_its_history_like_the_pages(world, audit, api_for):
    """The audit trail does not depend on the channel: every evidence item has a history row."""
    pk = new_id()
    body = finding_body(audit, world)
    body["references"] = ["Thông tư 32/2020/TT-BGDĐT"]
    response = api_for(world.auditor).put(f"/findings/{pk}", body)
    assert response.status_code == 201, response.content
    items = FindingEvidence.objects.filter(finding_id=pk)
    assert items.count() == 2
    for item in items:
        assert FindingEvidence.history.filter(id=item.pk).count() == 1

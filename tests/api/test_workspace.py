"""GET /api/v1/audits/mine and /api/v1/audits/{id}/workspace: what a device stores offline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Audit, ChecklistItem, Finding, FindingEvidence
from tests.audits.factories import make_audit, make_finding

pytestmark = pytest.mark.django_db


def test_my_audits_are_the_team_members_audits_of_the_coming_days(world, api_for):
    today = timezone.localdate()
    now = make_audit(world, status=Audit.Status.IN_PROGRESS, planned_start=today, planned_end=today)
    soon = make_audit(
        world,
        status=Audit.Status.PLAN_APPROVED,
        planned_start=today + timedelta(days=6),
        planned_end=today + timedelta(days=7),
    )
    make_audit(  # too far ahead
        world, planned_start=today + timedelta(days=20), planned_end=today + timedelta(days=21)
    )
    make_audit(  # over
        world,
        status=Audit.Status.REPORTING,
        planned_start=today - timedelta(days=3),
        planned_end=today,
    )
    codes = [a["code"] for a in api_for(world.auditor).get("/audits/mine?days=7").json()]
    assert codes == [now.code, soon.code]
    assert api_for(world.auditor).get("/audits/mine?days=0").json()[0]["code"] == now.code
    # Seeing an audit is not being on its team.
    assert api_for(world.principal).get("/audits/mine").json() == []


@pytest.fixture
def big_audit(world):
    """An audit with 60 checklist items and 30 earlier findings for the same school."""
    earlier = make_audit(world, status=Audit.Status.CLOSED, code="DG-CU")
    for n in range(30):
        make_finding(earlier, world, statement=f"Phát hiện cũ {n}")
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS, code="DG-MOI")
    clause_ids = list(audit.clauses.values_list("pk", flat=True))
    for n in range(60):
        item = ChecklistItem.objects.create(
            audit=audit, key=f"question:{n}", question=f"Câu hỏi {n}", order=n
        )
        item.clauses.add(clause_ids[n % len(clause_ids)])
    return audit


def test_the_workspace_bundle_is_complete_for_offline_work(world, big_audit, api_for):
    response = api_for(world.auditor).get(f"/audits/{big_audit.pk}/workspace")
    assert response.status_code == 200, response.content
    bundle = response.json()
    assert bundle["audit"]["code"] == "DG-MOI" and bundle["audit"]["objectives"]
    assert bundle["audit"]["places"] and bundle["audit"]["scope_units"] == [world.school.pk]
    assert {m["role"] for m in bundle["audit"]["team"]} == {"lead", "auditor"}
    assert [a["id"] for a in bundle["audit"]["auditees"]] == [world.principal.pk]
    assert len(bundle["checklist"]) == 60
    assert all(item["clauses"] and "version" in item for item in bundle["checklist"])
    clause_ids = {c["id"] for c in bundle["clauses"]}
    assert {c for item in bundle["checklist"] for c in item["clauses"]} <= clause_ids
    assert all(c["title"] and c["criteria_title"] for c in bundle["clauses"])
    assert {"minor_nc", "major_nc"} <= {g["code"] for g in bundle["grades"]}
    assert world.school.pk in {u["id"] for u in bundle["units"]}
    assert len(bundle["earlier_findings"]) == 30
    assert bundle["earlier_findings"][0]["audit_code"] == "DG-CU"
    assert bundle["permissions"] == {"can_record": True}


def test_the_workspace_bundle_costs_a_fixed_number_of_queries(
    world, big_audit, api_for, django_assert_max_num_queries
):
    api = api_for(world.auditor)
    with django_assert_max_num_queries(15):
        assert api.get(f"/audits/{big_audit.pk}/workspace").status_code == 200


def test_the_workspace_is_404_for_an_outsider_and_read_only_for_a_member(
    world, big_audit, api_for, token_api_for
):
    assert api_for(world.principal2).get(f"/audits/{big_audit.pk}/workspace").status_code == 404
    assert (
        token_api_for(world.principal2).get(f"/audits/{big_audit.pk}/workspace").status_code == 404
    )
    member = api_for(world.principal).get(f"/audits/{big_audit.pk}/workspace").json()
    assert member["permissions"] == {"can_record": False}


def test_the_findings_list_is_paged_and_filtered_with_flat_queries(
    world, big_audit, api_for, django_assert_max_num_queries
):
    api = api_for(world.auditor)
    with django_assert_max_num_queries(7):
        page = api.get("/findings/").json()
    assert page["count"] == 30 and len(page["results"]) == 30
    assert api.get(f"/findings/?audit={big_audit.pk}").json()["count"] == 0
    assert api_for(world.principal2).get("/findings/").json()["count"] == 0


def test_the_bundle_carries_the_text_of_revisions_cited_as_evidence(world, big_audit, api_for):
    """Read on site with no network: the procedure an earlier finding cited, as text."""
    from tests.documents.factories import effective_document

    cited = effective_document(world, code="QT-07", title="Quy trình kiểm soát hồ sơ")
    revision = cited.revisions.get()
    finding = Finding.objects.filter(audit__code="DG-CU").first()
    FindingEvidence.objects.create(
        finding=finding, kind="document", revision=revision, created_by=world.auditor
    )
    bundle = api_for(world.auditor).get(f"/audits/{big_audit.pk}/workspace").json()
    texts = {r["id"]: r["text"] for r in bundle["revisions"]}
    assert "QT" in texts[revision.pk]  # the sample PDF's own text
    assert not any(text for pk, text in texts.items() if pk != revision.pk)

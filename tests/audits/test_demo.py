"""The demo: every state, an external audit, ~80 findings, something for each account; twice
gives the same data."""

import io

from audits import demo as audits_demo
from audits.models import Audit, ChecklistItem, Finding, FindingEvidence
from ims import demo
from ims.models import Signature
from nonconformities.models import Nonconformity


def _seed():
    context = demo.DemoContext(stdout=io.StringIO())
    demo.seed(context)
    audits_demo.seed(context)
    return context


def _counts():
    return (
        Audit.objects.count(),
        Finding.objects.count(),
        FindingEvidence.objects.count(),
        ChecklistItem.objects.count(),
        Signature.objects.count(),
        Nonconformity.objects.count(),
    )


def test_demo_has_every_state_and_is_idempotent(db):
    context = _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    states = set(Audit.objects.values_list("status", flat=True))
    assert states == set(Audit.Status.values)
    assert Audit.objects.filter(kind="certification").exists()
    assert 70 <= Finding.objects.count() <= 90
    assert set(Finding.objects.values_list("grade__code", flat=True)) == {
        "major_nc",
        "minor_nc",
        "observation",
        "ofi",
        "good_practice",
    }
    assert Audit.objects.filter(programme__start_year=2025).count() >= 12
    users = context.users
    assert Audit.objects.for_user(users["principal2"]).exists()
    assert Audit.objects.filter(team__user=users["auditor"], status="in_progress").exists()
    assert Audit.objects.filter(team__user=users["leadauditor"], status="reporting").exists()
    assert FindingEvidence.objects.filter(kind="photo").exists()
    # every issued report opened its NCs, and every signature still holds
    issued = Finding.objects.filter(
        audit__status__in=["report_issued", "closed"], grade__severity__in=["major", "minor"]
    )
    assert (
        Nonconformity.objects.filter(source__in=["internal_audit", "external_audit"]).count()
        == issued.count()
    )
    assert all(s.is_valid for s in Signature.objects.all())

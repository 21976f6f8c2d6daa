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


def test_certification_audit_shows_each_school_only_its_own_findings(db, client_for):
    """DG-CERT-2526 covers the Department and sampled both principals' schools: each principal
    sees their own school's findings of it, and ``teacher`` lists no other school's."""
    from django.urls import reverse

    from ims.demo import PRINCIPAL2_SCHOOL, PRINCIPAL_SCHOOL

    users = _seed().users
    findings = Finding.objects.filter(audit__code="DG-CERT-2526")
    for username, school in (("principal", PRINCIPAL_SCHOOL), ("principal2", PRINCIPAL2_SCHOOL)):
        own = set(findings.filter(unit__code=school))
        assert own, school
        assert set(findings.for_user(users[username])) == own
    assert findings.exclude(unit__code__in=[PRINCIPAL_SCHOOL, PRINCIPAL2_SCHOOL]).exists()
    register = client_for(users["teacher"]).get(reverse("audits:finding_list"), {"q": ""})
    listed = [
        f for f in register.context["page"].paginator.object_list if f.audit.code == "DG-CERT-2526"
    ]
    assert listed and {f.unit.code for f in listed} == {PRINCIPAL_SCHOOL}


def _field_days(users):
    """The in-progress audit of today and the approved one of next week, for both auditors."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    result = {}
    for name in ("leadauditor", "auditor"):
        mine = Audit.objects.filter(team__user=users[name])
        result[name] = (
            mine.get(status="in_progress", planned_start__lte=today, planned_end__gte=today),
            mine.get(
                status="plan_approved",
                planned_start__gt=today,
                planned_start__lte=today + timedelta(days=7),
            ),
        )
    return result


def test_both_auditors_have_an_audit_today_and_one_next_week_ready_to_prepare(db, client_for):
    from django.urls import reverse

    users = _seed().users
    days = _field_days(users)
    assert days["leadauditor"] == days["auditor"]
    in_progress, next_week = days["auditor"]
    # today's checklist is partly worked through: some answered, the rest to do
    results = list(in_progress.checklist.values_list("result", flat=True))
    assert results.count("not_checked") > 0 and len(set(results)) >= 3
    # questions from the bank, not only one generic question per clause
    assert in_progress.checklist.filter(key__startswith="question:").count() > 10
    assert next_week.checklist.filter(key__startswith="question:").exists()
    page = client_for(users["auditor"]).get(reverse("audits:audit_today"))
    assert in_progress in page.context["on_today"] and next_week in page.context["upcoming"]


def test_the_field_days_follow_today_when_the_demo_runs_again(db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    users = _seed().users
    first = _counts()
    later = timezone.localdate() + timedelta(days=3)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    _seed()
    assert _counts() == first
    in_progress, next_week = _field_days(users)["auditor"]
    assert in_progress.planned_start == later
    assert next_week.planned_start == later + timedelta(days=7)

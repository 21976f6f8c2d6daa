"""How an audit programme is doing: schedule adherence, findings by grade, open findings by age."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from audits.models import Audit, Finding, FindingGrade

DONE_STATES = (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED)
AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


def programme_stats(programme, today=None, *, user=None):
    """The programme's figures; its findings counted as ``user`` sees them in the findings
    register (every finding when ``user`` is None)."""
    today = today or timezone.localdate()
    audits = Audit.objects.filter(programme=programme)
    counts = audits.aggregate(
        planned=Count("pk"),
        due=Count("pk", filter=Q(planned_end__lt=today)),
        done=Count("pk", filter=Q(status__in=DONE_STATES)),
        done_due=Count("pk", filter=Q(status__in=DONE_STATES, planned_end__lt=today)),
        overdue_reports=Count(
            "pk",
            filter=Q(
                status__in=[Audit.Status.IN_PROGRESS, Audit.Status.REPORTING],
                report_due__lt=today,
            ),
        ),
    )
    adherence = round(100 * counts["done_due"] / counts["due"]) if counts["due"] else None
    findings = Finding.objects.filter(audit__programme=programme)
    if user is not None:
        findings = findings.for_user(user)
    by_grade_counts = dict(
        findings.values_list("grade").annotate(n=Count("pk")).values_list("grade", "n")
    )
    by_grade = [(grade, by_grade_counts.get(grade.pk, 0)) for grade in FindingGrade.objects.all()]
    now = timezone.now()
    ages = []
    for low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high + 1))
        ages.append((low, high, condition))
    age_counts = findings.filter(status=Finding.Status.OPEN).aggregate(
        **{f"b{i}": Count("pk", filter=cond) for i, (_l, _h, cond) in enumerate(ages)}
    )
    open_by_age = [(low, high, age_counts[f"b{i}"]) for i, (low, high, _c) in enumerate(ages)]
    return {
        **counts,
        "adherence": adherence,
        "by_grade": by_grade,
        "open_by_age": open_by_age,
        "open_total": sum(n for _l, _h, n in open_by_age),
    }

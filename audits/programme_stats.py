"""How an audit programme is doing: schedule adherence, findings by grade, open findings by age."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, Finding, FindingGrade
from ims.ageing import AgeBucket, Ageing

DONE_STATES = (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED)
# How long an open finding has been open: the programme page's table and the findings filter.
FINDING_AGES = Ageing(
    field="created_at",
    buckets=(
        AgeBucket("0-30", _("up to 30 days"), 0, 30),
        AgeBucket("31-60", _("31–60 days"), 31, 60),
        AgeBucket("61-90", _("61–90 days"), 61, 90),
        AgeBucket("91-", _("over 90 days"), 91),
    ),
)


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
    open_by_age = [
        (bucket.low, bucket.high, n)
        for bucket, n in FINDING_AGES.counts(
            findings.filter(status=Finding.Status.OPEN), timezone.now()
        )
    ]
    return {
        **counts,
        "adherence": adherence,
        "by_grade": by_grade,
        "open_by_age": open_by_age,
        "open_total": sum(n for _l, _h, n in open_by_age),
    }

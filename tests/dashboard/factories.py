"""Records for dashboard tests, written straight to the tables the dashboard reads.

The dashboard only reads, so these builders skip the domain services (which the domain apps
test) and set the states directly, quickly and in bulk.
"""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from audits.models import Audit, AuditProgramme, Finding, FindingGrade
from documents.models import Document, DocumentType, RevisionStatus
from nonconformities.models import CorrectiveAction, Nonconformity
from surveys.models import (
    Area,
    Campaign,
    CampaignUnit,
    Instrument,
    InstrumentVersion,
    Question,
    QuestionKind,
    QuestionTally,
    Section,
    UnitTally,
    ValueTally,
)

_numbers = itertools.count(1)


def nc(unit, reporter, *, severity="minor", status="in_action", age=10, overdue_actions=0):
    """An NC reported ``age`` days ago; ``overdue_actions`` open actions already late."""
    today = timezone.localdate()
    n = next(_numbers)
    fields = {}
    if status != Nonconformity.Status.OPEN:
        fields["containment"] = "Đã khoanh vùng."
    if status not in (Nonconformity.Status.OPEN, Nonconformity.Status.CONTAINED):
        fields["root_cause"] = "Chưa phân công rõ trách nhiệm."
    record = Nonconformity.objects.create(
        number=f"NC-T-{n:05d}",
        year=9000 + n // 100000,
        sequence=n,
        unit=unit,
        title=f"Điểm không phù hợp {n}",
        description="Mô tả",
        source=Nonconformity.Source.COMPLAINT,
        severity=severity,
        status=status,
        reported_by=reporter,
        reported_on=today - timedelta(days=age),
        **fields,
    )
    for _ in range(overdue_actions):
        CorrectiveAction.objects.create(
            nonconformity=record,
            description="Hành động khắc phục",
            owner=reporter,
            due=today - timedelta(days=3),
            created_by=reporter,
        )
    return record


def document(unit, owner, *, next_review=None, status=RevisionStatus.EFFECTIVE):
    n = next(_numbers)
    return Document.objects.create(
        code=f"QT-{n:04d}",
        title=f"Quy trình {n}",
        doc_type=DocumentType.PROCEDURE,
        owner_unit=unit,
        owner=owner,
        confidentiality="public",
        status=status,
        next_review_date=next_review,
    )


def programme(unit, owner, year):
    return AuditProgramme.objects.get_or_create(
        unit=unit,
        start_year=year.start_year,
        defaults={"title": f"Chương trình đánh giá {year.label}", "owner": owner},
    )[0]


def audit(prog, scope_unit, creator, *, status=Audit.Status.PLANNED, end=None):
    n = next(_numbers)
    end = end or prog.school_year.first_day + timedelta(days=60)
    record = Audit(
        programme=prog,
        code=f"DG-T-{n:05d}",
        title=f"Đánh giá {n}",
        objectives="Mục tiêu",
        planned_start=end - timedelta(days=1),
        planned_end=end,
        status=status,
        created_by=creator,
    )
    if status in (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED):
        record.report_issued_at = timezone.now()
    record.save()
    record.scope_units.set([scope_unit])
    return record


def finding(audit_record, unit, creator, grade_code="minor_nc"):
    return Finding.objects.create(
        audit=audit_record,
        grade=FindingGrade.objects.get(code=grade_code),
        unit=unit,
        statement="Phát hiện",
        created_by=creator,
    )


def instrument(owner_unit, creator, group="parents"):
    record = Instrument.objects.create(
        **_instrument_fields(owner_unit, creator, group),
    )
    version = InstrumentVersion.objects.create(instrument=record, number=1)
    section = Section.objects.create(version=version, title="Chung", order=1)
    areas = list(Area.objects.order_by("order")[:2])
    questions = [
        Question.objects.create(
            version=version,
            section=section,
            code=f"q{i}",
            text=f"Câu hỏi {i}",
            kind=QuestionKind.LIKERT,
            area=area,
            order=i,
        )
        for i, area in enumerate(areas, start=1)
    ]
    return version, questions


def _instrument_fields(owner_unit, creator, group):
    fields = {"title": f"Phiếu khảo sát {group}", "group": group, "owner_unit": owner_unit}
    names = {f.name for f in Instrument._meta.get_fields()}
    if "created_by" in names:
        fields["created_by"] = creator
    return {k: v for k, v in fields.items() if k in names}


def campaign(version, owner_unit, *, opens_on, group="parents", status="closed"):
    record = Campaign.objects.create(
        version=version,
        title=f"Khảo sát {group} {opens_on:%m/%Y}",
        group=group,
        owner_unit=owner_unit,
        opens_on=opens_on,
        closes_on=opens_on + timedelta(days=14),
        status=status,
    )
    CampaignUnit.objects.create(campaign=record, unit=owner_unit)
    return record


def answers(campaign_record, unit, questions, n, value):
    """``n`` respondents at ``unit`` who all answered ``value`` to every question (tallies)."""
    UnitTally.objects.create(campaign=campaign_record, unit=unit, count=n)
    for question in questions:
        QuestionTally.objects.create(
            campaign=campaign_record, unit=unit, question=question, count=n
        )
        ValueTally.objects.create(
            campaign=campaign_record, unit=unit, question=question, value=value, count=n
        )


def in_year(year, month=11, day=15):
    return date(year.start_year if month >= 9 else year.start_year + 1, month, day)

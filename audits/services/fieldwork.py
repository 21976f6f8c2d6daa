"""The fieldwork: starting and ending it, and the checklist the team works through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit, ChecklistItem, ChecklistQuestion, ChecklistTemplate
from audits.services.refusals import AuditRuleError
from ims.workflow import lock, refuse, transition

if TYPE_CHECKING:
    from ims.models import Clause, User


def audit_start(audit: Audit, *, actor: User) -> Audit:
    """AUD-R2: an audit starts only with an approved plan and a lead auditor."""
    with transaction.atomic():
        audit = lock(audit)
        if audit.status != Audit.Status.PLAN_APPROVED:
            raise AuditRuleError(_("AUD-R2: the audit cannot start before its plan is approved."))
        if not audit.has_lead:
            raise AuditRuleError(_("AUD-R2: the audit cannot start without a lead auditor."))
        if not audit.can_start(actor):
            refuse(_("Only the lead auditor starts the audit."))
        audit.started_at = timezone.now()
        transition(audit, "start", actor=actor, fields=("started_at",), checked=False)
        if not audit.checklist.exists():
            _generate_checklist(audit)
    return audit


def audit_finish_fieldwork(audit: Audit, *, actor: User) -> Audit:
    with transaction.atomic():
        audit = lock(audit)
        audit.fieldwork_ended_at = timezone.now()
        return transition(audit, "finish_fieldwork", actor=actor, fields=("fieldwork_ended_at",))


def audit_resume_fieldwork(audit: Audit, *, actor: User, reason: str = "") -> Audit:
    with transaction.atomic():
        audit = lock(audit)
        return transition(audit, "resume_fieldwork", actor=actor, reason=reason)


# --- checklist -----------------------------------------------------------------------------------


def _generate_checklist(audit: Audit, templates: Iterable[ChecklistTemplate] = ()) -> int:
    """Items from the audit's clauses, then from template questions citing them. Idempotent."""
    existing = set(audit.checklist.values_list("key", flat=True))
    order = audit.checklist.count()
    in_scope = Q()
    created = 0
    audit_clauses = list(
        audit.clauses.select_related("criteria_set").order_by("criteria_set__code", "sort_key")
    )
    for clause in audit_clauses:
        # A template question belongs when it cites one of the audit's clauses or a clause
        # below one (the audit cites 7.5.3, the question 7.5.3.2): a bank of questions for every
        # clause adds only the ones this audit is about.
        in_scope |= Q(clauses__criteria_set_id=clause.criteria_set_id) & (
            Q(clauses__number=clause.number) | Q(clauses__number__startswith=f"{clause.number}.")
        )
        key = f"clause:{clause.pk}"
        if key in existing:
            continue
        order += 1
        item = ChecklistItem.objects.create(
            audit=audit,
            key=key,
            clause=clause,
            question=_("%(number)s %(title)s: is the requirement met, with evidence?")
            % {"number": clause.number, "title": clause.label},
            order=order,
        )
        item.clauses.add(clause)
        created += 1
    questions = ChecklistQuestion.objects.filter(template__in=templates)
    if in_scope:
        questions = questions.filter(pk__in=ChecklistQuestion.objects.filter(in_scope).values("pk"))
    questions = questions.prefetch_related("clauses")
    for question in questions:
        key = f"question:{question.pk}"
        if key in existing:
            continue
        order += 1
        item = ChecklistItem.objects.create(
            audit=audit, key=key, question=question.text, order=order
        )
        item.clauses.set(
            _audit_clauses_of(question, audit_clauses) if audit_clauses else question.clauses.all()
        )
        created += 1
    return created


def _audit_clauses_of(question: ChecklistQuestion, audit_clauses: list[Clause]) -> list[Clause]:
    """The audit's clauses a question is about: its own clause or the one above it (the audit
    cites 7.5.3, the question 7.5.3.2), in the audit's standards only. A finding recorded from
    the item cites only the audit's criteria (AUD-R3 and the scope check), so the item offers
    no other."""
    return [
        clause
        for clause in audit_clauses
        if any(
            cited.criteria_set_id == clause.criteria_set_id
            and (cited.number == clause.number or cited.number.startswith(f"{clause.number}."))
            for cited in question.clauses.all()
        )
    ]


def audit_generate_checklist(
    audit: Audit, *, actor: User, templates: Iterable[ChecklistTemplate] = ()
) -> int:
    """Add the checklist items the audit lacks; returns how many were added."""
    with transaction.atomic():
        audit = lock(audit)
        if not (audit.can_prepare_checklist(actor) or audit.can_record(actor)):
            refuse(_("Only the audit team prepares the checklist."))
        return _generate_checklist(audit, templates)


class StaleChecklistItem(ValidationError):
    """The item changed since the page that sent this was loaded; ``item`` is the current one."""

    def __init__(self, item: ChecklistItem) -> None:
        super().__init__(
            _(
                "Someone recorded this item after your page was loaded; nothing was changed. "
                "Here is the current result and note."
            )
        )
        self.item = item


def checklist_item_record(
    item: ChecklistItem,
    *,
    actor: User,
    result: str,
    note: str = "",
    evidence: str = "",
    base_version: int | None = None,
) -> ChecklistItem:
    """Record a checklist result. ``base_version`` is the item's version the page showed: when
    the item changed since (another auditor, another device), nothing is written."""
    if result not in ChecklistItem.Result.values:
        raise ValidationError(_("Choose a result."))
    with transaction.atomic():
        item = lock(item, "audit")
        if not item.audit.can_record(actor):
            refuse(_("Only the audit team records results, during the audit."))
        if base_version is not None and base_version != item.version:
            raise StaleChecklistItem(item)
        item.result, item.note, item.evidence = result, note.strip(), evidence.strip()
        item.checked_by, item.checked_at = actor, timezone.now()
        item.version += 1
        item.save(
            update_fields=["result", "note", "evidence", "checked_by", "checked_at", "version"]
        )
    return item

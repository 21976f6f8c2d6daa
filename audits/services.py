"""Audit workflow: one function per step, each atomic, locked, checked and recorded.

Every step locks its row, checks the model predicate (and the rule it enforces), changes the state
with ``update_fields``, writes a ``TransitionEvent`` and schedules notifications on commit.
"""

import re
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audits.citations import citable_revisions
from audits.models import (
    MAX_PHOTOS_PER_FINDING,
    Audit,
    AuditProgramme,
    AuditTeamMember,
    ChecklistItem,
    ChecklistQuestion,
    Finding,
    FindingEvidence,
)
from audits.photos import process_photo
from ims.access import HEAD_ROLES
from ims.files import ATTACHMENT_KINDS, check_upload
from ims.history import with_reason
from ims.models import Membership, Signature
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.signatures import sign, verify_password
from ims.transitions import TransitionError, check_transition, record_transition
from nonconformities.services import nonconformity_raise


class AuditRuleError(ValidationError):
    """A domain rule (AUD-R1 … AUD-R5) refused the step. People read only the reason: the rule's
    code that starts the message ("AUD-R3: …", in every language) is taken off and kept in
    ``rule`` for tests and logs, where ``str()`` shows it again."""

    def __init__(self, message, *args, **kwargs):
        self.rule, message = split_rule_code(message)
        super().__init__(message, *args, **kwargs)

    def __str__(self):
        reason = " ".join(self.messages)
        return f"{self.rule}: {reason}" if self.rule else reason


_RULE_CODE = re.compile(r"\s*([A-Z]{2,4}-R\d+)\s*:\s*")


def split_rule_code(message):
    """``("AUD-R3", "a finding cites …")`` from ``"AUD-R3: a finding cites …"``; ``("", text)``
    for a message without a rule code. Rule codes are for developers, not for the people reading."""
    text = str(message)
    match = _RULE_CODE.match(text)
    if match is None:
        return "", message
    return match[1], capfirst(text[match.end() :])


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _step(audit, target):
    """Move ``audit`` to ``target`` in memory if the workflow allows it; returns the old state."""
    check_transition(audit.status, target, Audit.TRANSITIONS)
    from_state = audit.status
    audit.status = target
    return from_state


def _record(audit, *, actor, action, from_state, reason=""):
    record_transition(
        audit,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=audit.status,
        reason=reason,
    )


def _notify_people(users, title, url, kind):
    seen = set()
    for user in users:
        if user and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            notify(user, title=title, url=url, kind=kind)


# --- programme -----------------------------------------------------------------------------------


def programme_approve(programme, *, actor, password, comment="", request=None):
    """Approve an audit programme with the approver's electronic signature."""
    verify_password(actor, password, request)  # outside the transaction: a failure counts
    with transaction.atomic():
        programme = _lock(AuditProgramme, programme)
        if programme.status != AuditProgramme.Status.DRAFT:
            raise TransitionError(_("This programme is already approved."))
        if actor.pk == programme.owner_id:
            raise PermissionDenied(_("The programme manager cannot approve their own programme."))
        if not programme.can_approve(actor):
            raise PermissionDenied(_("Only a director approves the audit programme."))
        sign(
            programme,
            signer=actor,
            password=password,
            meaning=Signature.Meaning.APPROVED,
            comment=comment,
            request=request,
        )
        programme.status = AuditProgramme.Status.APPROVED
        programme.approved_at = timezone.now()
        with_reason(programme, comment)
        programme.save(update_fields=["status", "approved_at"])
        record_transition(
            programme,
            actor=actor,
            action="programme_approve",
            from_state=AuditProgramme.Status.DRAFT,
            to_state=programme.status,
            reason=comment,
        )
    return programme


# --- team (AUD-R1) -------------------------------------------------------------------------------


def team_conflicts(audit, user):
    """Why ``user`` is not independent of what ``audit`` covers (AUD-R1); empty when clear.

    Belonging to, heading or owning an audited unit (anywhere in its subtree) or an audited
    process is a conflict. Auditor roles held at the top of the tree are not.
    """
    reasons = []
    scope = list(audit.scope_units.all())
    memberships = (
        Membership.objects.active()
        .filter(user=user)
        .exclude(role__in=["auditor", "lead_auditor"])
        .select_related("unit")
    )
    for membership in memberships:
        for unit in scope:
            if membership.unit.is_within(unit):
                if membership.role in HEAD_ROLES:
                    reasons.append(
                        _("heads %(unit)s, an audited unit") % {"unit": membership.unit.label}
                    )
                else:
                    reasons.append(
                        _("belongs to %(unit)s, an audited unit") % {"unit": membership.unit.label}
                    )
                break
    for process in audit.processes.select_related("unit"):
        if process.owner_id == user.pk:
            reasons.append(_("owns the audited process %(process)s") % {"process": process})
        elif any(m.unit.is_within(process.unit) and m.role in HEAD_ROLES for m in memberships):
            reasons.append(
                _("heads the unit that runs the audited process %(process)s") % {"process": process}
            )
    return list(dict.fromkeys(str(r) for r in reasons))


def audit_assign_team(audit, *, actor, user, role, override_reason=""):
    """Put ``user`` on the team. AUD-R1: a conflict is refused unless a written reason is given;
    such an assignment stays pending until the quality manager approves the override."""
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_manage_team(actor):
            raise PermissionDenied(_("You cannot change this audit's team."))
        if audit.team.filter(user=user).exists():
            raise AuditRuleError(_("%(name)s is already on the team.") % {"name": user})
        if role == AuditTeamMember.Role.LEAD and audit.is_external:
            raise AuditRuleError(
                _(
                    "An external audit's lead auditor belongs to the certification body: name "
                    "them in the plan. Internal people join as auditors or observers."
                )
            )
        if role == AuditTeamMember.Role.LEAD and audit.team.filter(role=role).exists():
            raise AuditRuleError(_("This audit already has a lead auditor."))
        # AUD-R1 is the internal audit's impartiality rule; the third party answers for its own.
        conflicts = [] if audit.is_external else team_conflicts(audit, user)
        if conflicts and not override_reason:
            raise AuditRuleError(
                _(
                    "AUD-R1: %(name)s cannot audit this scope: %(reasons)s. To assign them "
                    "anyway, write the reason for an override; the quality manager must approve it."
                )
                % {"name": user.display_name, "reasons": "; ".join(conflicts)}
            )
        member = AuditTeamMember.objects.create(
            audit=audit,
            user=user,
            role=role,
            conflict="; ".join(conflicts),
            override_reason=override_reason if conflicts else "",
            added_by=actor,
        )
        reason = ""
        if conflicts:
            reason = _("Conflict: %(conflict)s. Override requested: %(reason)s") % {
                "conflict": member.conflict,
                "reason": override_reason,
            }
        record_transition(
            audit,
            actor=actor,
            action="team_assign",
            from_state=audit.status,
            to_state=audit.status,
            reason=f"{user.display_name} ({member.get_role_display()}). {reason}".strip(),
        )
        url = audit.get_absolute_url()
        transaction.on_commit(
            lambda: notify(
                user,
                title=lazy_format(
                    gettext_lazy("You are on the team of audit %(code)s"), code=audit.code
                ),
                url=url,
                kind="audits.team",
            )
        )
    return member


def _check_team_independent(audit):
    """AUD-R1 once more, after the scope or the processes changed: a current member who would
    now conflict is refused, unless the conflict is one already recorded for them with an
    override (a pending override still blocks the plan's approval)."""
    if audit.is_external:
        return
    refused = []
    for member in audit.team.select_related("user"):
        covered = set(member.conflict.split("; ")) if member.conflict else set()
        new = [c for c in team_conflicts(audit, member.user) if c not in covered]
        if new:
            refused.append(
                _("%(name)s %(reasons)s")
                % {"name": member.user.display_name, "reasons": "; ".join(new)}
            )
    if refused:
        raise AuditRuleError(
            _(
                "AUD-R1: this change would put team members in conflict: %(who)s. Remove them "
                "from the team first, or keep the scope."
            )
            % {"who": " · ".join(refused)}
        )


def audit_update_plan(audit, *, actor, values, scope_units, processes, clauses, auditees):
    """Change a plan not yet approved. AUD-R1 is checked again for every team member against
    the new scope and processes; a change that would make one conflict is refused whole."""
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_edit_plan(actor):
            raise PermissionDenied(_("The plan can no longer be changed."))
        for name, value in values.items():
            setattr(audit, name, value)
        audit.save()
        audit.scope_units.set(scope_units)
        audit.processes.set(processes)
        audit.clauses.set(clauses)
        audit.auditees.set(auditees)
        if audit.is_external and audit.team.filter(role=AuditTeamMember.Role.LEAD).exists():
            raise AuditRuleError(
                _(
                    "An external audit's lead auditor belongs to the certification body: remove "
                    "the internal lead auditor from the team first."
                )
            )
        _check_team_independent(audit)
        record_transition(
            audit,
            actor=actor,
            action="plan_change",
            from_state=audit.status,
            to_state=audit.status,
            reason=_("Scope: %(units)s. Processes: %(processes)s.")
            % {
                "units": "; ".join(u.label for u in audit.scope_units.all()),
                "processes": "; ".join(str(p) for p in audit.processes.all()) or "—",
            },
        )
    return audit


def team_override_approve(member, *, actor):
    """The quality manager approves a recorded override of AUD-R1 (not for themself)."""
    with transaction.atomic():
        member = (
            AuditTeamMember.objects.select_for_update().select_related("audit").get(pk=member.pk)
        )
        audit = member.audit
        if not member.override_pending:
            raise AuditRuleError(_("There is no override waiting for approval."))
        if actor.pk == member.user_id:
            raise PermissionDenied(_("Nobody approves an override for themself."))
        if audit.status not in Audit.EDITABLE_STATES or not audit.is_manager(actor):
            raise PermissionDenied(_("Only the quality manager approves an override."))
        member.override_approved_by = actor
        member.override_approved_at = timezone.now()
        with_reason(member, member.override_reason)
        member.save(update_fields=["override_approved_by", "override_approved_at"])
        record_transition(
            audit,
            actor=actor,
            action="team_override_approve",
            from_state=audit.status,
            to_state=audit.status,
            reason=_("Override approved for %(name)s: %(reason)s")
            % {"name": member.user.display_name, "reason": member.override_reason},
        )
    return member


def team_remove(member, *, actor):
    with transaction.atomic():
        member = (
            AuditTeamMember.objects.select_for_update()
            .select_related("audit", "user")
            .get(pk=member.pk)
        )
        audit = member.audit
        if not audit.can_manage_team(actor):
            raise PermissionDenied(_("You cannot change this audit's team."))
        member.delete()
        record_transition(
            audit,
            actor=actor,
            action="team_remove",
            from_state=audit.status,
            to_state=audit.status,
            reason=member.user.display_name,
        )


# --- external audits ----------------------------------------------------------------------------


def audit_attach_external_report(audit, *, actor, upload):
    """Attach the certification body's report to an external audit (until it is recorded as
    issued). The file is checked from its content and served only through an access check; a
    replaced file stays in storage, as the history still names it."""
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS)
    with _FilesRemovedOnFailure() as stored, transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_attach_external_report(actor):
            raise PermissionDenied(
                _("Only the programme manager attaches the report of an external audit.")
            )
        audit.external_report.save(checked.name, upload, save=False)
        stored.append(audit.external_report)
        audit.external_report_name = checked.name
        audit.external_report_sha256 = checked.sha256
        audit.save(
            update_fields=["external_report", "external_report_name", "external_report_sha256"]
        )
        record_transition(
            audit,
            actor=actor,
            action="external_report_attach",
            from_state=audit.status,
            to_state=audit.status,
            reason=f"{checked.name} (SHA-256 {checked.sha256})",
        )
    return audit


# --- audit steps ---------------------------------------------------------------------------------


def audit_approve_plan(audit, *, actor, reason=""):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_approve_plan(actor):
            raise PermissionDenied(_("Only the quality manager approves the audit plan."))
        if audit.is_external and not audit.has_lead:
            raise AuditRuleError(
                _("AUD-R2: name the certification body's lead auditor before approving the plan.")
            )
        if not audit.has_lead:
            raise AuditRuleError(_("AUD-R2: assign a lead auditor before approving the plan."))
        if any(m.override_pending for m in audit.team_members()):
            raise AuditRuleError(
                _("AUD-R1: an override of the independence rule is waiting for approval.")
            )
        if not audit.clauses.exists() or not audit.scope_units.exists():
            raise AuditRuleError(_("The plan needs a scope and criteria."))
        from_state = _step(audit, Audit.Status.PLAN_APPROVED)
        with_reason(audit, reason)
        audit.save(update_fields=["status"])
        _record(audit, actor=actor, action="approve_plan", from_state=from_state, reason=reason)
        people = [m.user for m in audit.team_members()] + list(audit.auditees.all())
        url, code = audit.get_absolute_url(), audit.code
        transaction.on_commit(
            lambda: _notify_people(
                people,
                lazy_format(gettext_lazy("Audit plan %(code)s approved"), code=code),
                url,
                "audits.plan_approved",
            )
        )
    return audit


def audit_revise_plan(audit, *, actor, reason=""):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if audit.status != Audit.Status.PLAN_APPROVED or not audit.is_manager(actor):
            raise PermissionDenied(_("Only the quality manager reopens an approved plan."))
        from_state = _step(audit, Audit.Status.PLANNED)
        with_reason(audit, reason)
        audit.save(update_fields=["status"])
        _record(audit, actor=actor, action="revise_plan", from_state=from_state, reason=reason)
    return audit


def audit_start(audit, *, actor):
    """AUD-R2: an audit starts only with an approved plan and a lead auditor."""
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if audit.status != Audit.Status.PLAN_APPROVED:
            raise AuditRuleError(_("AUD-R2: the audit cannot start before its plan is approved."))
        if not audit.has_lead:
            raise AuditRuleError(_("AUD-R2: the audit cannot start without a lead auditor."))
        if not audit.can_start(actor):
            raise PermissionDenied(_("Only the lead auditor starts the audit."))
        from_state = _step(audit, Audit.Status.IN_PROGRESS)
        audit.started_at = timezone.now()
        audit.save(update_fields=["status", "started_at"])
        _record(audit, actor=actor, action="start", from_state=from_state)
        if not audit.checklist.exists():
            _generate_checklist(audit)
    return audit


def audit_finish_fieldwork(audit, *, actor):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_finish_fieldwork(actor):
            raise PermissionDenied(_("Only the lead auditor ends the fieldwork."))
        from_state = _step(audit, Audit.Status.REPORTING)
        audit.fieldwork_ended_at = timezone.now()
        audit.save(update_fields=["status", "fieldwork_ended_at"])
        _record(audit, actor=actor, action="finish_fieldwork", from_state=from_state)
    return audit


def audit_resume_fieldwork(audit, *, actor, reason=""):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_resume_fieldwork(actor):
            raise PermissionDenied(_("Only the lead auditor resumes the fieldwork."))
        from_state = _step(audit, Audit.Status.IN_PROGRESS)
        with_reason(audit, reason)
        audit.save(update_fields=["status"])
        _record(audit, actor=actor, action="resume_fieldwork", from_state=from_state, reason=reason)
    return audit


REPORT_FIELDS = (
    "participants",
    "conclusions",
    "degree_of_conformity",
    "diverging_opinions",
    "sampling_statement",
)


def _apply_report(audit, report):
    """Put the typed report parts on ``audit`` (in memory); returns the fields that changed."""
    unknown = set(report or {}) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"not report fields: {sorted(unknown)}")
    changed = []
    for name, value in (report or {}).items():
        if getattr(audit, name) != value:
            setattr(audit, name, value)
            changed.append(name)
    return changed


def audit_issue_report(audit, *, actor, password, comment="", report=None, request=None):
    """Issue the report with the lead auditor's signature (AUD-R5: every part present), and
    open a nonconformity for each major or minor NC finding (AUD-R4), all in one transaction.

    ``report`` holds the report parts as typed on the signing page (``REPORT_FIELDS``): they are
    saved, then checked, then signed, together. A refusal saves none of them, so the page can
    show them again as typed."""
    audit = Audit.objects.get(pk=audit.pk)
    if not audit.can_issue_report(actor):
        raise PermissionDenied(_("Only the lead auditor issues the report, once fieldwork ended."))
    _apply_report(audit, report)
    _check_report_complete(audit)
    verify_password(actor, password, request)  # outside the transaction: a failure counts
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_issue_report(actor):
            raise PermissionDenied(_("Only the lead auditor issues the report."))
        typed = _apply_report(audit, report)
        _check_report_complete(audit)
        from_state = _step(audit, Audit.Status.REPORT_ISSUED)
        audit.report_issued_at = timezone.now()
        with_reason(audit, comment)
        audit.save(update_fields=["status", "report_issued_at", *typed])
        sign(
            audit,
            signer=actor,
            password=password,
            meaning=Signature.Meaning.ISSUED,
            comment=comment,
            request=request,
        )
        _record(audit, actor=actor, action="issue_report", from_state=from_state, reason=comment)
        raise_nonconformities(audit, actor=actor)
        people = [m.user for m in audit.team_members()] + list(audit.auditees.all())
        if audit.is_manager(audit.programme.owner):  # still a manager there
            people.append(audit.programme.owner)
        url, code = audit.get_absolute_url(), audit.code
        transaction.on_commit(
            lambda: _notify_people(
                people,
                lazy_format(gettext_lazy("Audit report %(code)s issued"), code=code),
                url,
                "audits.report_issued",
            )
        )
    return audit


def _check_report_complete(audit):
    missing = audit.missing_report_parts()
    if missing:
        raise AuditRuleError(
            _("AUD-R5: the report cannot be issued while these parts are missing: %(parts)s.")
            % {"parts": ", ".join(str(m) for m in missing)}
        )


def raise_nonconformities(audit, *, actor):
    """AUD-R4: one nonconformity per major/minor NC finding of an issued report. Idempotent:
    the nonconformities service returns the existing record for a finding raised before."""
    if audit.status not in (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED):
        return []
    findings = (
        audit.findings.filter(grade__severity__in=["major", "minor"])
        .select_related("grade", "unit", "audit")
        .prefetch_related("clauses")
    )
    return [raise_nonconformity(finding, actor=actor) for finding in findings]


NC_TITLE_STATEMENT_CHARS = 150


def nonconformity_title(finding):
    """The NC's title: the finding's statement (its first line, cut at a word near
    ``NC_TITLE_STATEMENT_CHARS``) and the audit's code, so the NCs of one audit, and their
    notifications, can be told apart. The full statement stays the NC's description."""
    lines = [line.strip() for line in finding.statement.splitlines() if line.strip()]
    statement = " ".join(lines[0].split()) if lines else str(finding.grade.label)
    if len(statement) > NC_TITLE_STATEMENT_CHARS:
        cut = statement[: NC_TITLE_STATEMENT_CHARS + 1].rsplit(" ", 1)[0]
        if len(cut) < NC_TITLE_STATEMENT_CHARS // 2:  # one very long word: cut inside it
            cut = statement[:NC_TITLE_STATEMENT_CHARS]
        statement = cut.rstrip(" ,;:.") + "…"
    return _("%(statement)s (audit %(code)s)") % {
        "statement": statement,
        "code": finding.audit.code,
    }


def raise_nonconformity(finding, *, actor):
    """The single call into the nonconformities module (the seam of AUD-R4)."""
    audit = finding.audit
    source = "internal_audit" if audit.kind == Audit.Kind.INTERNAL else "external_audit"
    return nonconformity_raise(
        actor=actor,
        unit=finding.unit,
        title=nonconformity_title(finding),
        description=finding.statement,
        source=source,
        severity=finding.grade.severity,
        source_object=finding,
        clauses=tuple(finding.clauses.all()),
    )


def audit_close(audit, *, actor, reason=""):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_close(actor):
            raise PermissionDenied(
                _("Only the quality manager closes an audit with an issued report.")
            )
        if audit.findings.open().exists():
            raise AuditRuleError(_("Close every finding before closing the audit."))
        from_state = _step(audit, Audit.Status.CLOSED)
        audit.closed_at = timezone.now()
        with_reason(audit, reason)
        audit.save(update_fields=["status", "closed_at"])
        _record(audit, actor=actor, action="close", from_state=from_state, reason=reason)
    return audit


# --- checklist -----------------------------------------------------------------------------------


def _generate_checklist(audit, templates=()):
    """Items from the audit's clauses, then from template questions citing them. Idempotent."""
    existing = set(audit.checklist.values_list("key", flat=True))
    order = audit.checklist.count()
    clause_ids = set()
    created = 0
    for clause in audit.clauses.select_related("criteria_set").order_by(
        "criteria_set__code", "sort_key"
    ):
        clause_ids.add(clause.pk)
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
    questions = ChecklistQuestion.objects.filter(template__in=templates).prefetch_related("clauses")
    for question in questions:
        key = f"question:{question.pk}"
        if key in existing:
            continue
        order += 1
        item = ChecklistItem.objects.create(
            audit=audit, key=key, question=question.text, order=order
        )
        item.clauses.set(question.clauses.all())
        created += 1
    return created


def audit_generate_checklist(audit, *, actor, templates=()):
    with transaction.atomic():
        audit = _lock(Audit, audit)
        if not (audit.can_prepare_checklist(actor) or audit.can_record(actor)):
            raise PermissionDenied(_("Only the audit team prepares the checklist."))
        return _generate_checklist(audit, templates)


class StaleChecklistItem(ValidationError):
    """The item changed since the page that sent this was loaded; ``item`` is the current one."""

    def __init__(self, item):
        super().__init__(
            _(
                "Someone recorded this item after your page was loaded; nothing was changed. "
                "Here is the current result and note."
            )
        )
        self.item = item


def checklist_item_record(item, *, actor, result, note="", evidence="", base_version=None):
    """Record a checklist result. ``base_version`` is the item's version the page showed: when
    the item changed since (another auditor, another device), nothing is written."""
    if result not in ChecklistItem.Result.values:
        raise ValidationError(_("Choose a result."))
    with transaction.atomic():
        item = ChecklistItem.objects.select_for_update().select_related("audit").get(pk=item.pk)
        if not item.audit.can_record(actor):
            raise PermissionDenied(_("Only the audit team records results, during the audit."))
        if base_version is not None and base_version != item.version:
            raise StaleChecklistItem(item)
        item.result, item.note, item.evidence = result, note.strip(), evidence.strip()
        item.checked_by, item.checked_at = actor, timezone.now()
        item.version += 1
        item.save(
            update_fields=["result", "note", "evidence", "checked_by", "checked_at", "version"]
        )
    return item


# --- findings ------------------------------------------------------------------------------------


def finding_record(
    audit,
    *,
    actor,
    grade,
    clauses,
    unit,
    statement,
    checklist_item=None,
    notes=(),
    references=(),
    revisions=(),
    photos=(),
    finding_id=None,
):
    """Record a finding with its evidence. AUD-R3: at least one clause and one evidence item.

    ``finding_id`` may come from the device (offline capture); sending the same id again returns
    the finding already stored and changes nothing.
    """
    finding_id = _parse_uuid(finding_id) if finding_id else uuid.uuid4()
    existing = Finding.objects.filter(pk=finding_id).first()
    if existing is not None:
        if existing.audit_id != audit.pk:
            raise ValidationError(_("This finding id belongs to another audit."))
        return existing
    clauses = list(clauses)
    notes = [n.strip() for n in notes if n and n.strip()]
    references = [r.strip() for r in references if r and r.strip()]
    revisions = [r for r in revisions if r is not None]
    photos = [p for p in photos if p]
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError(_("Write the finding's statement."))
    if not clauses:
        raise AuditRuleError(_("AUD-R3: a finding cites at least one clause."))
    if not (notes or references or revisions or photos):
        raise AuditRuleError(_("AUD-R3: a finding needs at least one evidence item."))
    _check_citable(actor, revisions)
    if len(photos) > MAX_PHOTOS_PER_FINDING:
        raise ValidationError(
            _("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS_PER_FINDING}
        )
    processed = [process_photo(p) for p in photos]  # all photos checked before anything is saved
    with _FilesRemovedOnFailure() as stored, transaction.atomic():
        audit = _lock(Audit, audit)
        if not audit.can_record(actor):
            raise PermissionDenied(_("Only the audit team records findings, during the audit."))
        _check_in_scope(audit, unit, clauses)
        if checklist_item is not None and checklist_item.audit_id != audit.pk:
            raise ValidationError(_("This checklist item belongs to another audit."))
        # A second send of the same finding waited on the audit's lock: it finds the first one.
        again = Finding.objects.filter(pk=finding_id).first()
        if again is not None:
            if again.audit_id != audit.pk:
                raise ValidationError(_("This finding id belongs to another audit."))
            return again
        finding = Finding.objects.create(
            id=finding_id,
            audit=audit,
            checklist_item=checklist_item,
            grade=grade,
            unit=unit,
            statement=statement,
            created_by=actor,
        )
        finding.clauses.set(clauses)
        for text in notes:
            FindingEvidence.objects.create(
                finding=finding, kind=FindingEvidence.Kind.NOTE, text=text, created_by=actor
            )
        for reference in references:
            FindingEvidence.objects.create(
                finding=finding,
                kind=FindingEvidence.Kind.DOCUMENT,
                reference=reference,
                created_by=actor,
            )
        for revision in revisions:
            FindingEvidence.objects.create(
                finding=finding,
                kind=FindingEvidence.Kind.DOCUMENT,
                revision=revision,
                created_by=actor,
            )
        for photo in processed:
            _store_photo(finding, photo, actor, stored)
        if checklist_item is not None and grade.is_nonconformity:
            ChecklistItem.objects.filter(pk=checklist_item.pk).update(
                result=ChecklistItem.Result.NONCONFORMING,
                checked_by=actor,
                checked_at=timezone.now(),
            )
        record_transition(
            finding,
            actor=actor,
            action="finding_record",
            from_state="",
            to_state=finding.status,
        )
    return finding


def _parse_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(_("The finding id is not valid.")) from None


def _check_citable(actor, revisions):
    """A cited revision is published and visible to the auditor (documents' access rules)."""
    if not revisions:
        return
    ids = {r.pk for r in revisions}
    if citable_revisions(actor).filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("This document revision does not exist or you may not see it."))


def _check_in_scope(audit, unit, clauses):
    if not any(unit.is_within(scoped) for scoped in audit.scope_units.all()):
        raise ValidationError(_("The unit is outside the audit's scope."))
    allowed = set(audit.clauses.values_list("pk", flat=True))
    if any(c.pk not in allowed for c in clauses):
        raise ValidationError(_("Cite only clauses among the audit's criteria."))


def _store_photo(finding, photo, actor, stored):
    """Write the photo and its thumbnail, then the row; ``stored`` collects the file names so
    the caller can remove them if the transaction does not commit."""
    evidence = FindingEvidence(
        finding=finding,
        kind=FindingEvidence.Kind.PHOTO,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        created_by=actor,
    )
    evidence.photo.save("photo.jpg", photo.photo, save=False)
    stored.append(evidence.photo)
    evidence.thumbnail.save("thumb.jpg", photo.thumbnail, save=False)
    stored.append(evidence.thumbnail)
    evidence.save()
    return evidence


class _FilesRemovedOnFailure:
    """Context: stored files listed in ``self.files`` are deleted when the block raises."""

    def __enter__(self):
        self.files = []
        return self.files

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for field_file in self.files:
                field_file.storage.delete(field_file.name)
        return False


def finding_add_evidence(finding, *, actor, kind, text="", reference="", revision=None, photo=None):
    processed = None
    if kind == FindingEvidence.Kind.PHOTO:
        if photo is None:
            raise ValidationError(_("Choose a photo."))
        processed = process_photo(photo)
    elif kind == FindingEvidence.Kind.NOTE and not text.strip():
        raise ValidationError(_("Write the note."))
    elif kind == FindingEvidence.Kind.DOCUMENT and not (reference.strip() or revision):
        raise ValidationError(_("Choose the document revision, or name the external document."))
    elif kind not in FindingEvidence.Kind.values:
        raise ValidationError(_("Choose a kind of evidence."))
    with _FilesRemovedOnFailure() as stored, transaction.atomic():
        finding = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
        if not finding.can_add_evidence(actor):
            raise PermissionDenied(_("Only the audit team adds evidence, during the audit."))
        if processed is not None:
            count = finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count()
            if count >= MAX_PHOTOS_PER_FINDING:
                raise ValidationError(
                    _("This finding already has %(n)s photos, the most allowed.")
                    % {"n": MAX_PHOTOS_PER_FINDING}
                )
            return _store_photo(finding, processed, actor, stored)
        if kind != FindingEvidence.Kind.DOCUMENT:
            revision, reference = None, ""
        _check_citable(actor, [revision] if revision else [])
        return FindingEvidence.objects.create(
            finding=finding,
            kind=kind,
            text=text.strip(),
            reference=reference.strip(),
            revision=revision,
            created_by=actor,
        )


def finding_close(finding, *, actor, reason=""):
    """AUD-R4: a finding closes only once its audit's report is issued."""
    with transaction.atomic():
        finding = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
        if finding.status != Finding.Status.OPEN:
            raise TransitionError(_("This finding is already closed."))
        if finding.audit.status != Audit.Status.REPORT_ISSUED:
            raise AuditRuleError(
                _("AUD-R4: a finding cannot be closed before its audit report is issued.")
            )
        if not finding.can_close(actor):
            raise PermissionDenied(
                _("Only the lead auditor or the quality manager closes findings.")
            )
        finding.status = Finding.Status.CLOSED
        finding.closed_by, finding.closed_at = actor, timezone.now()
        with_reason(finding, reason)
        finding.save(update_fields=["status", "closed_by", "closed_at"])
        record_transition(
            finding,
            actor=actor,
            action="finding_close",
            from_state=Finding.Status.OPEN,
            to_state=finding.status,
            reason=reason,
        )
    return finding

"""Planning an audit: its plan, its team (AUD-R1, independence) and the plan's approval."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audits.models import Audit, AuditTeamMember, Process
from audits.selectors import team_conflicts
from audits.services.notices import notify_people
from audits.services.refusals import AuditRuleError
from ims.history import with_reason
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.workflow import after_commit, created, lock, refuse, transition

if TYPE_CHECKING:
    from ims.models import Clause, OrgUnit, User


def audit_create(
    *,
    actor: User,
    values: Mapping[str, Any],
    scope_units: Iterable[OrgUnit],
    processes: Iterable[Process],
    clauses: Iterable[Clause],
    auditees: Iterable[User],
) -> Audit:
    """Plan a new audit (its first step, ``planned``) with its scope, criteria and auditees."""
    with transaction.atomic():
        audit = Audit(**values, created_by=actor)
        audit.save()
        audit.scope_units.set(scope_units)
        audit.processes.set(processes)
        audit.clauses.set(clauses)
        audit.auditees.set(auditees)
        created(audit, "plan", actor=actor)
    return audit


def audit_assign_team(
    audit: Audit, *, actor: User, user: User, role: str, override_reason: str = ""
) -> AuditTeamMember:
    """Put ``user`` on the team. AUD-R1: a conflict is refused unless a written reason is given;
    such an assignment stays pending until the quality manager approves the override."""
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        audit = lock(audit)
        if not audit.can_manage_team(actor):
            refuse(_("You cannot change this audit's team."))
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
        transition(
            audit,
            "team_assign",
            actor=actor,
            save=False,
            checked=False,
            reason=f"{user.display_name} ({member.get_role_display()}). {reason}".strip(),
        )
        after_commit(
            notify,
            user,
            title=lazy_format(
                gettext_lazy("You are on the team of audit %(code)s"), code=audit.code
            ),
            url=audit.get_absolute_url(),
            kind="audits.team",
        )
    return member


def _check_team_independent(audit: Audit) -> None:
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


def audit_update_plan(
    audit: Audit,
    *,
    actor: User,
    values: Mapping[str, Any],
    scope_units: Iterable[OrgUnit],
    processes: Iterable[Process],
    clauses: Iterable[Clause],
    auditees: Iterable[User],
) -> Audit:
    """Change a plan not yet approved. AUD-R1 is checked again for every team member against
    the new scope and processes; a change that would make one conflict is refused whole."""
    with transaction.atomic():
        audit = lock(audit)
        if not audit.can_edit_plan(actor):
            refuse(_("The plan can no longer be changed."))
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
        transition(
            audit,
            "plan_change",
            actor=actor,
            save=False,
            checked=False,
            reason=_("Scope: %(units)s. Processes: %(processes)s.")
            % {
                "units": "; ".join(u.label for u in audit.scope_units.all()),
                "processes": "; ".join(str(p) for p in audit.processes.all()) or "—",
            },
        )
    return audit


def team_override_approve(member: AuditTeamMember, *, actor: User) -> AuditTeamMember:
    """The quality manager approves a recorded override of AUD-R1 (not for themself)."""
    with transaction.atomic():
        member = lock(member, "audit")
        audit = member.audit
        if not member.override_pending:
            raise AuditRuleError(_("There is no override waiting for approval."))
        if actor.pk == member.user_id:
            refuse(_("Nobody approves an override for themself."))
        if audit.status not in Audit.EDITABLE_STATES or not audit.is_manager(actor):
            refuse(_("Only the quality manager approves an override."))
        member.override_approved_by = actor
        member.override_approved_at = timezone.now()
        with_reason(member, member.override_reason).save(
            update_fields=["override_approved_by", "override_approved_at"]
        )
        transition(
            audit,
            "team_override_approve",
            actor=actor,
            save=False,
            checked=False,
            reason=_("Override approved for %(name)s: %(reason)s")
            % {"name": member.user.display_name, "reason": member.override_reason},
        )
    return member


def team_remove(member: AuditTeamMember, *, actor: User) -> AuditTeamMember:
    """Take ``member`` off the team of a plan not yet approved; returns the removed member."""
    with transaction.atomic():
        member = lock(member, "audit", "user")
        audit = member.audit
        if not audit.can_manage_team(actor):
            refuse(_("You cannot change this audit's team."))
        member.delete()
        transition(
            audit,
            "team_remove",
            actor=actor,
            save=False,
            checked=False,
            reason=member.user.display_name,
        )
    return member


def audit_approve_plan(audit: Audit, *, actor: User, reason: str = "") -> Audit:
    with transaction.atomic():
        audit = lock(audit)
        if not audit.can_approve_plan(actor):
            refuse(_("Only the quality manager approves the audit plan."))
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
        transition(audit, "approve_plan", actor=actor, reason=reason, checked=False)
        people = [m.user for m in audit.team_members()] + list(audit.auditees.all())
        after_commit(
            notify_people,
            people,
            lazy_format(gettext_lazy("Audit plan %(code)s approved"), code=audit.code),
            audit.get_absolute_url(),
            "audits.plan_approved",
        )
    return audit


def audit_revise_plan(audit: Audit, *, actor: User, reason: str = "") -> Audit:
    with transaction.atomic():
        audit = lock(audit)
        return transition(audit, "revise_plan", actor=actor, reason=reason)

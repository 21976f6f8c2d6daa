"""The audit services: one function per step, each atomic, locked, checked and recorded through
the workflow kit (``ims.workflow``). Split by concern; every public name is importable from here.
"""

from audits.selectors import team_conflicts
from audits.services.fieldwork import (
    StaleChecklistItem,
    audit_finish_fieldwork,
    audit_generate_checklist,
    audit_resume_fieldwork,
    audit_start,
    checklist_item_record,
)
from audits.services.findings import finding_add_evidence, finding_close, finding_record
from audits.services.plan import (
    audit_approve_plan,
    audit_assign_team,
    audit_create,
    audit_revise_plan,
    audit_update_plan,
    team_override_approve,
    team_remove,
)
from audits.services.programmes import programme_approve, programme_create, programme_update
from audits.services.refusals import AuditRuleError, split_rule_code
from audits.services.report import (
    NC_TITLE_STATEMENT_CHARS,
    REPORT_FIELDS,
    audit_attach_external_report,
    audit_close,
    audit_issue_report,
    audit_update_report,
    nonconformity_title,
    raise_nonconformities,
    raise_nonconformity,
)

__all__ = [
    "NC_TITLE_STATEMENT_CHARS",
    "REPORT_FIELDS",
    "AuditRuleError",
    "StaleChecklistItem",
    "audit_approve_plan",
    "audit_assign_team",
    "audit_attach_external_report",
    "audit_close",
    "audit_create",
    "audit_finish_fieldwork",
    "audit_generate_checklist",
    "audit_issue_report",
    "audit_resume_fieldwork",
    "audit_revise_plan",
    "audit_start",
    "audit_update_plan",
    "audit_update_report",
    "checklist_item_record",
    "finding_add_evidence",
    "finding_close",
    "finding_record",
    "nonconformity_title",
    "programme_approve",
    "programme_create",
    "programme_update",
    "raise_nonconformities",
    "raise_nonconformity",
    "split_rule_code",
    "team_conflicts",
    "team_override_approve",
    "team_remove",
]

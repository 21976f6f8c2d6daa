"""The audit report: its parts, its signed issue (AUD-R5) with the nonconformities it opens
(AUD-R4), an external audit's report from the certification body, and closing the audit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audits.models import Audit, Finding
from audits.services.findings import FilesRemovedOnFailure
from audits.services.notices import notify_people
from audits.services.refusals import AuditRuleError
from ims.files import ATTACHMENT_KINDS, check_upload
from ims.models import Signature
from ims.reminders import lazy_format
from ims.workflow import after_commit, lock, refuse, signed_step, transition
from nonconformities.services import nonconformity_raise

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from ims.models import User
    from nonconformities.models import Nonconformity

REPORT_FIELDS = (
    "participants",
    "conclusions",
    "degree_of_conformity",
    "diverging_opinions",
    "sampling_statement",
)


def _apply_report(audit: Audit, report: Mapping[str, str] | None) -> list[str]:
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


def audit_update_report(audit: Audit, *, actor: User, report: Mapping[str, str]) -> Audit:
    """Save the report parts as written so far (during the fieldwork or the reporting)."""
    with transaction.atomic():
        audit = lock(audit)
        if not audit.can_edit_report(actor):
            refuse(_("Only the lead auditor writes the report."))
        _apply_report(audit, report)
        audit.save(update_fields=list(report))
    return audit


def _check_report_complete(audit: Audit) -> None:
    missing = audit.missing_report_parts()
    if missing:
        raise AuditRuleError(
            _("AUD-R5: the report cannot be issued while these parts are missing: %(parts)s.")
            % {"parts": ", ".join(str(m) for m in missing)}
        )


def audit_issue_report(
    audit: Audit,
    *,
    actor: User,
    password: str,
    comment: str = "",
    report: Mapping[str, str] | None = None,
    request: HttpRequest | None = None,
) -> Audit:
    """Issue the report with the lead auditor's signature (AUD-R5: every part present), and
    open a nonconformity for each major or minor NC finding (AUD-R4), all in one transaction.

    ``report`` holds the report parts as typed on the signing page (``REPORT_FIELDS``): they are
    saved, then checked, then signed, together. A refusal saves none of them, so the page can
    show them again as typed."""

    def check(locked: Audit) -> None:
        if not locked.can_issue_report(actor):
            refuse(_("Only the lead auditor issues the report, once fieldwork ended."))
        _apply_report(locked, report)  # the signature covers the parts as typed
        _check_report_complete(locked)

    def apply(locked: Audit, signature: Signature) -> Audit:
        locked.report_issued_at = timezone.now()
        transition(
            locked,
            "issue_report",
            actor=actor,
            reason=comment,
            fields=("report_issued_at", *(report or {})),
            checked=False,
        )
        raise_nonconformities(locked, actor=actor)
        people = [m.user for m in locked.team_members()] + list(locked.auditees.all())
        if locked.is_manager(locked.programme.owner):  # still a manager there
            people.append(locked.programme.owner)
        after_commit(
            notify_people,
            people,
            lazy_format(gettext_lazy("Audit report %(code)s issued"), code=locked.code),
            locked.get_absolute_url(),
            "audits.report_issued",
        )
        return locked

    return signed_step(
        audit,
        actor=actor,
        password=password,
        meaning=Signature.Meaning.ISSUED,
        check=check,
        apply=apply,
        comment=comment,
        request=request,
    )


def raise_nonconformities(audit: Audit, *, actor: User) -> list[Nonconformity]:
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


def nonconformity_title(finding: Finding) -> str:
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


def raise_nonconformity(finding: Finding, *, actor: User) -> Nonconformity:
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


def audit_attach_external_report(audit: Audit, *, actor: User, upload: UploadedFile) -> Audit:
    """Attach the certification body's report to an external audit (until it is recorded as
    issued). The file is checked from its content and served only through an access check; a
    replaced file stays in storage, as the history still names it."""
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS)
    with FilesRemovedOnFailure() as stored, transaction.atomic():
        audit = lock(audit)
        if not audit.can_attach_external_report(actor):
            refuse(_("Only the programme manager attaches the report of an external audit."))
        audit.external_report.save(checked.name, upload, save=False)
        stored.append(audit.external_report)
        audit.external_report_name = checked.name
        audit.external_report_sha256 = checked.sha256
        audit.save(
            update_fields=["external_report", "external_report_name", "external_report_sha256"]
        )
        transition(
            audit,
            "external_report_attach",
            actor=actor,
            save=False,
            checked=False,
            reason=f"{checked.name} (SHA-256 {checked.sha256})",
        )
    return audit


def audit_close(audit: Audit, *, actor: User, reason: str = "") -> Audit:
    with transaction.atomic():
        audit = lock(audit)
        if not audit.can_close(actor):
            refuse(_("Only the quality manager closes an audit with an issued report."))
        if audit.findings.open().exists():
            raise AuditRuleError(_("Close every finding before closing the audit."))
        audit.closed_at = timezone.now()
        return transition(
            audit, "close", actor=actor, reason=reason, fields=("closed_at",), checked=False
        )

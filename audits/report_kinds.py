"""The ``audit`` PDF report: the issued audit report with findings, photo thumbnails and the
signature manifest (each signer, meaning, time and whether the signature still holds)."""

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from audits.citations import link_revisions
from audits.models import Audit, AuditTeamMember, Finding, FindingEvidence
from ims.models import User
from ims.pdf import report_media_url
from ims.reports import ReportKind
from ims.signatures import signatures_for


def report_findings(audit: Audit, user: User | None = None) -> list[Finding]:
    """The report's findings: those ``user`` may see (every one when ``user`` is None, for
    operators), cited revisions labelled for ``user`` (a restricted title only to its readers)."""
    queryset = Finding.objects.filter(audit=audit)
    if user is not None:
        queryset = queryset.for_user(user)
    findings = list(
        queryset.select_related("grade", "unit")
        .prefetch_related(
            "clauses__criteria_set",
            Prefetch(
                "evidence",
                queryset=FindingEvidence.objects.select_related("revision__document").order_by(
                    "created_at", "pk"
                ),
            ),
        )
        .order_by("grade__order", "created_at", "pk")
    )
    if user is not None:
        link_revisions([e for f in findings for e in f.evidence.all()], user)
    return findings


def report_context(
    audit: Audit, user: User | None, photo_url: Callable[[FindingEvidence], str]
) -> dict[str, Any]:
    """What the report page and the PDF show ``user``: the full report, or an extract with the
    findings of their own units (``Audit.shows_all_findings``)."""
    findings = report_findings(audit, user)
    for finding in findings:
        finding.photos = [  # type: ignore[attr-defined]  # for the template only
            {"url": photo_url(e)}
            for e in finding.evidence.all()
            if e.kind == FindingEvidence.Kind.PHOTO
        ]
    full = user is None or audit.shows_all_findings(user)
    return {
        "audit": audit,
        "findings": findings,
        "extract": not full,
        "signatures": signatures_for(audit),
        "missing": audit.missing_report_parts(findings if full else None),
    }


class AuditReport(ReportKind):
    code = "audit"
    label = _("Audit report")
    template = "reports/audit.html"

    def queryset(self, user: User | None) -> QuerySet[Audit]:
        audits = Audit.objects.select_related("programme", "programme__unit").prefetch_related(
            Prefetch("team", queryset=AuditTeamMember.objects.select_related("user")),
            "scope_units",
            "processes",
            "auditees",
            "clauses__criteria_set",
        )
        return audits if user is None else audits.for_user(user)

    def get_context(self, obj: Audit, params: dict[str, Any]) -> dict[str, Any]:
        user = self.report_user(obj)
        return report_context(obj, user, lambda e: report_media_url(e.thumbnail.name))

    def media_names(self, obj: Audit, params: dict[str, Any]) -> list[str]:
        """Only the thumbnails of findings the requesting user may see."""
        findings = Finding.objects.filter(audit=obj)
        user = self.report_user(obj)
        if user is not None:
            findings = findings.for_user(user)
        return list(
            FindingEvidence.objects.filter(
                finding__in=findings, kind=FindingEvidence.Kind.PHOTO
            ).values_list("thumbnail", flat=True)
        )

    def filename(self, obj: Audit, params: dict[str, Any]) -> str:
        return f"bao-cao-danh-gia-{obj.code}.pdf"

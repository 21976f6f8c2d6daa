"""The ``audit`` PDF report: the issued audit report with findings, photo thumbnails and the
signature manifest (each signer, meaning, time and whether the signature still holds)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, AuditTeamMember, Finding, FindingEvidence
from ims.pdf import report_media_url
from ims.reports import ReportKind
from ims.signatures import signatures_for


def report_findings(audit):
    return list(
        Finding.objects.filter(audit=audit)
        .select_related("grade", "unit")
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


class AuditReport(ReportKind):
    code = "audit"
    label = _("Audit report")
    template = "reports/audit.html"

    def queryset(self, user):
        audits = Audit.objects.select_related("programme", "programme__unit").prefetch_related(
            Prefetch("team", queryset=AuditTeamMember.objects.select_related("user")),
            "scope_units",
            "processes",
            "auditees",
            "clauses__criteria_set",
        )
        return audits if user is None else audits.for_user(user)

    def get_context(self, obj, params):
        findings = report_findings(obj)
        for finding in findings:
            finding.photos = [
                {"url": report_media_url(e.thumbnail.name)}
                for e in finding.evidence.all()
                if e.kind == FindingEvidence.Kind.PHOTO
            ]
        return {
            "audit": obj,
            "findings": findings,
            "signatures": signatures_for(obj),
            "missing": obj.missing_report_parts(findings),
        }

    def media_names(self, obj, params):
        return list(
            FindingEvidence.objects.filter(
                finding__audit=obj, kind=FindingEvidence.Kind.PHOTO
            ).values_list("thumbnail", flat=True)
        )

    def filename(self, obj, params):
        return f"bao-cao-danh-gia-{obj.code}.pdf"

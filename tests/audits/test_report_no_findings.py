"""An audit that found nothing can be issued; its report says "no findings" explicitly, on the
page and in the PDF. AUD-R5 still holds for the other parts."""

import pytest
from django.urls import reverse

from audits import services
from audits.models import Audit
from audits.report_kinds import AuditReport
from audits.services import AuditRuleError
from ims.models import Signature
from ims.reports import render_report
from tests.audits.factories import fill_report, make_audit, make_finding
from tests.audits.test_report_pdf import pdf_text

NO_FINDINGS = 'data-testid="no-findings"'


def test_report_with_no_findings_is_issued_and_signed(world):
    audit = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_ISSUED
    assert Signature.objects.for_object(audit).get().signer == world.leadauditor


def test_report_with_no_findings_still_needs_every_other_part(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)  # no conclusions, no participants
    with pytest.raises(AuditRuleError, match="AUD-R5"):
        services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING


def test_report_page_and_pdf_say_no_findings(world, client_for, tmp_path):
    audit = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    page = client_for(world.principal).get(reverse("audits:report", args=[audit.pk]))
    assert NO_FINDINGS in page.content.decode()
    kind = AuditReport()
    pdf = render_report(kind, kind.get_object(world.principal, audit.pk), {}, language="en")
    assert "No findings: the audit found no nonconformity" in pdf_text(pdf, tmp_path)


def test_report_with_findings_does_not_say_no_findings(world, client_for):
    audit = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    make_finding(audit, world)
    page = client_for(world.leadauditor).get(reverse("audits:report", args=[audit.pk]))
    assert NO_FINDINGS not in page.content.decode()

"""NCs raised from an audit's findings are named after the finding, not after the audit."""

from audits import services
from audits.models import Audit
from nonconformities.models import Nonconformity
from tests.audits.factories import fill_report, make_audit, make_finding


def test_each_nc_of_an_audit_carries_its_findings_statement(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    first = make_finding(audit, world, code="major_nc", statement="Sổ đầu bài lớp 3A chưa ký.")
    second = make_finding(
        audit, world, code="minor_nc", statement="Biên bản họp tổ\nkhông lưu đủ.\nGhi chú thêm."
    )
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    titles = {
        finding.pk: Nonconformity.objects.for_source(finding).get().title
        for finding in (first, second)
    }
    assert titles[first.pk].startswith("Sổ đầu bài lớp 3A chưa ký.")
    assert titles[second.pk].startswith("Biên bản họp tổ")
    assert "Ghi chú" not in titles[second.pk]  # the first line names it; the rest is description
    assert audit.code in titles[first.pk] and audit.code in titles[second.pk]
    assert len(set(titles.values())) == 2
    assert Nonconformity.objects.for_source(second).get().description == second.statement


def test_a_long_statement_is_cut_at_a_word_with_an_ellipsis(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    words = " ".join(["hồ sơ tuyển sinh"] * 40)  # ~660 characters
    finding = make_finding(audit, world, statement=words)
    title = services.nonconformity_title(finding)
    statement = title.split(" (")[0]
    assert statement.endswith("…") and len(statement) <= services.NC_TITLE_STATEMENT_CHARS + 1
    assert words.startswith(statement[:-1])
    assert statement[:-1].split(" ")[-1] in {"hồ", "sơ", "tuyển", "sinh"}  # a whole word
    assert len(title) <= 255

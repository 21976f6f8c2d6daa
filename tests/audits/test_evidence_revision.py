"""A finding's evidence cites a document revision the auditor may see."""

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.citations import citable_revisions, resolve_revision
from audits.models import Audit, Finding, FindingEvidence, revision_label
from documents.models import Revision
from tests.audits.factories import clauses, grade, make_audit, make_finding
from tests.documents.factories import bulk_documents, draft_of, effective_document, make_document
from tests.factories import UnitFactory, kind


def _label(revision):
    """The citation as the pages show it, in the default language (Vietnamese)."""
    with translation.override(settings.LANGUAGE_CODE):
        return revision_label(revision)


FINDING_ID = "7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def docs(world):
    """An effective procedure of the province, and one of another province (outsider)."""
    own = effective_document(world, code="QT-07", title="Quy trình kiểm soát hồ sơ")
    elsewhere = UnitFactory(code="LC", name="Sở GD&ĐT Lào Cai", kind=kind("department"))
    (outsider_doc,) = bulk_documents(world, 1, unit=elsewhere, prefix="LC-QT")
    return own.revisions.get(), outsider_doc.revisions.get()


def _post_finding(client, audit, world, **extra):
    return client.post(
        reverse("audits:finding_create", args=[audit.pk]),
        {
            "finding_id": FINDING_ID,
            "grade": grade("minor_nc").pk,
            "statement": "Hồ sơ lớp 3A không theo biểu mẫu của quy trình.",
            "clauses": [clauses("7.5.3")[0].pk],
            "unit": world.school.pk,
            **extra,
        },
    )


def test_auditor_records_a_finding_citing_a_visible_revision(world, client_for, docs):
    revision, _outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    response = _post_finding(client_for(world.auditor), audit, world, revision=revision.pk)
    finding = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == finding.get_absolute_url()
    evidence = finding.evidence.get()
    assert evidence.kind == "document" and evidence.revision == revision
    assert evidence.reference == ""


def test_typed_code_without_javascript_cites_the_effective_revision(world, client_for, docs):
    revision, _outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    _post_finding(client_for(world.auditor), audit, world, revision_q="qt-07")
    assert Finding.objects.get().evidence.get().revision == revision


def test_typed_code_with_a_wrong_revision_number_is_refused(world, client_for, docs):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    response = _post_finding(client_for(world.auditor), audit, world, revision_q="QT-07 rev 9")
    assert response.status_code == 200 and "QT-07 rev 9" in response.content.decode()
    assert not Finding.objects.exists()


@pytest.mark.parametrize("which", ["outsider", "bogus", "text"])
def test_invisible_or_bogus_revision_is_refused_and_nothing_saved(world, client_for, docs, which):
    _own, outsider = docs
    value = {"outsider": outsider.pk, "bogus": 999999, "text": "abc"}[which]
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    response = _post_finding(
        client_for(world.auditor), audit, world, revision=value, note="Phỏng vấn hiệu trưởng"
    )
    assert response.status_code == 200
    assert 'class="field has-error"' in response.content.decode()
    assert not Finding.objects.exists() and not FindingEvidence.objects.exists()


def test_draft_revision_cannot_be_cited_even_by_a_manager_who_sees_it(world):
    draft = draft_of(make_document(world))
    assert Revision.objects.for_user(world.iso).filter(pk=draft.pk).exists()
    with pytest.raises(ValidationError):
        resolve_revision(world.iso, revision_id=draft.pk)


def test_service_refuses_a_revision_the_actor_may_not_see(world, docs):
    _own, outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    with pytest.raises(ValidationError):
        services.finding_record(
            audit,
            actor=world.auditor,
            grade=grade("minor_nc"),
            clauses=clauses("7.5.3"),
            unit=world.school,
            statement="Hồ sơ",
            revisions=[outsider],
        )
    assert not Finding.objects.exists()


def test_evidence_form_adds_a_revision_and_refuses_an_invisible_one(world, client_for, docs):
    own, outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    client = client_for(world.auditor)
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    response = client.post(url, {"kind": "document", "revision": outsider.pk})
    assert response.status_code == 400 and finding.evidence.count() == 1
    response = client.post(url, {"kind": "document", "revision": own.pk})
    assert response.status_code == 302
    assert finding.evidence.filter(revision=own).exists()


def test_ambiguous_code_offers_the_candidates(world, client_for, docs):
    own, _outsider = docs
    effective_document(world, code="QT-07", title="Quy trình khác", unit=world.division)
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    response = client_for(world.auditor).post(
        reverse("audits:finding_evidence_add", args=[finding.pk]),
        {"kind": "document", "revision_q": "QT-07"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and page.count('data-testid="revision-choice"') == 2
    assert finding.evidence.count() == 1


def test_document_evidence_needs_a_revision_or_a_reference_in_the_database(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingEvidence.objects.create(finding=finding, kind="document", created_by=world.auditor)


def test_picker_lists_only_visible_citable_revisions(world, client_for, docs):
    own, outsider = docs
    bulk_documents(world, 30, prefix="QT-BULK")
    client = client_for(world.auditor)
    url = reverse("audits:revision_picker")
    page = client.get(url, {"q": "kiem soat ho so"}, headers={"HX-Request": "true"})
    assert page.status_code == 200 and f'value="{own.pk}"' in page.content.decode()
    assert page["Vary"] and "HX-Request" in page["Vary"]
    page = client.get(url, {"q": "LC-QT"}).content.decode()
    assert f'value="{outsider.pk}"' not in page
    page = client.get(url, {"q": "qt bulk"}).content.decode()
    assert page.count('data-testid="revision-choice"') == 20  # never the whole register
    # a principal of another commune does not see the province division's procedures
    effective_document(world, code="QT-NB", title="Quy trình nội bộ", unit=world.division)
    page = client_for(world.principal2).get(url, {"q": "QT-NB"}).content.decode()
    assert "QT-NB" not in page


def test_picker_needs_login(client):
    response = client.get(reverse("audits:revision_picker"), {"q": "QT"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_finding_audit_and_report_show_the_cited_revision(world, client_for, docs):
    revision, _outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade("minor_nc"),
        clauses=clauses("7.5.3"),
        unit=world.school,
        statement="Hồ sơ lớp 3A không theo biểu mẫu.",
        revisions=[revision],
    )
    link = reverse("documents:document_detail", args=[revision.document_id])
    label = _label(revision)
    assert "QT-07" in label and " 1 — Quy trình kiểm soát hồ sơ" in label
    client = client_for(world.auditor)
    for url in (finding.get_absolute_url(), audit.get_absolute_url()):
        page = client.get(url).content.decode()
        assert label in page and link in page, url
    report = client.get(reverse("audits:report", args=[audit.pk])).content.decode()
    assert label in report
    assert revision.effective_date.strftime("%d/%m/%Y") in report


def test_restricted_document_title_and_link_only_for_its_readers(world, client_for):
    """An auditee sees the finding; the cited restricted document is not theirs to open, nor
    its title to read: its code and revision number only."""
    document = effective_document(
        world, code="QT-MAT", title="Quy trình mật", confidentiality="restricted"
    )
    revision = document.revisions.get()
    document.restricted_to.add(world.auditor)
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade("observation"),
        clauses=clauses("7.5.3"),
        unit=world.school,
        statement="Quan sát",
        revisions=[revision],
    )
    link = reverse("documents:document_detail", args=[document.pk])
    assert link in client_for(world.auditor).get(finding.get_absolute_url()).content.decode()
    assert (
        _label(revision)
        in client_for(world.auditor).get(finding.get_absolute_url()).content.decode()
    )
    for url in (finding.get_absolute_url(), reverse("audits:report", args=[audit.pk])):
        page = client_for(world.principal).get(url).content.decode()
        assert "QT-MAT" in page and link not in page
        assert "Quy trình mật" not in page
    document.restricted_to.add(world.principal)
    page = client_for(world.principal).get(finding.get_absolute_url()).content.decode()
    assert _label(revision) in page


def test_audit_detail_query_count_stays_flat_with_cited_revisions(world, client_for, docs):
    from tests.audits.test_pages import _count_queries

    revision, _outsider = docs
    client = client_for(world.auditor)
    small = make_audit(world, status=Audit.Status.IN_PROGRESS)
    large = make_audit(world, status=Audit.Status.IN_PROGRESS)
    for audit, n in ((small, 2), (large, 30)):
        for _ in range(n):
            finding = make_finding(audit, world)
            FindingEvidence.objects.create(
                finding=finding, kind="document", revision=revision, created_by=world.auditor
            )
    _count_queries(client, reverse("audits:audit_detail", args=[small.pk]))
    few = _count_queries(client, reverse("audits:audit_detail", args=[small.pk]))
    many = _count_queries(client, reverse("audits:audit_detail", args=[large.pk]))
    assert few == many


def test_demo_cites_revisions_of_the_demo_documents_and_stays_idempotent(db):
    from audits import demo as audits_demo
    from documents import demo as documents_demo
    from ims import demo

    def seed():
        context = demo.DemoContext(stdout=io.StringIO())
        demo.seed(context)
        documents_demo.seed(context)
        audits_demo.seed(context)

    seed()
    cited = FindingEvidence.objects.filter(revision__isnull=False)
    first = (cited.count(), FindingEvidence.objects.count())
    assert first[0] >= 10
    for evidence in cited.select_related("created_by"):
        assert citable_revisions(evidence.created_by).filter(pk=evidence.revision_id).exists()
    seed()
    assert (cited.count(), FindingEvidence.objects.count()) == first


def test_pdf_report_template_names_the_revision_and_its_effective_date(world, docs):
    from django.template.loader import render_to_string

    from audits.report_kinds import AuditReport

    revision, _outsider = docs
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade("minor_nc"),
        clauses=clauses("7.5.3"),
        unit=world.school,
        statement="Hồ sơ lớp 3A không theo biểu mẫu.",
        revisions=[revision],
    )
    kind = AuditReport()
    audit = kind.queryset(None).get(pk=audit.pk)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(kind.template, kind.get_context(audit, {}))
    assert _label(revision) in html
    assert revision.effective_date.strftime("%d/%m/%Y") in html

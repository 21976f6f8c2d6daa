"""Who sees and edits what: the team edits, auditees read, managers see their subtree,
outsiders get 404 — on the list, the audit, a finding and a photo."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, FindingEvidence
from ims.models import Role, Signature
from tests.audits.factories import fill_report, jpeg_bytes, make_audit, make_finding
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def setup(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    evidence = services.finding_add_evidence(
        finding, actor=world.auditor, kind="photo", photo=SimpleUploadedFile("p.jpg", jpeg_bytes())
    )
    return audit, finding, evidence


def _urls(audit, finding, evidence):
    return {
        "detail": reverse("audits:audit_detail", args=[audit.pk]),
        "report": reverse("audits:report", args=[audit.pk]),
        "finding": reverse("audits:finding_detail", args=[finding.pk]),
        "photo": reverse("audits:photo", args=[evidence.pk]),
        "thumb": reverse("audits:photo_thumb", args=[evidence.pk]),
    }


@pytest.mark.parametrize(
    "who", ["auditor", "leadauditor", "iso", "director", "principal", "teacher"]
)
def test_team_managers_and_auditees_see_the_audit(world, setup, client_for, who):
    client = client_for(getattr(world, who))
    for name, url in _urls(*setup).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
    assert setup[0].code in client.get(reverse("audits:audit_list")).content.decode()


@pytest.mark.parametrize("who", ["principal2", "head"])
def test_outsider_gets_404_everywhere(world, setup, client_for, who):
    client = client_for(getattr(world, who))
    for name, url in _urls(*setup).items():
        assert client.get(url).status_code == 404, name
    assert setup[0].code not in client.get(reverse("audits:audit_list")).content.decode()
    audit, finding, _e = setup
    assert client.post(reverse("audits:audit_step", args=[audit.pk, "finish"])).status_code == 404
    assert client.get(reverse("audits:finding_create", args=[audit.pk])).status_code == 404


def test_principal2_cannot_open_a_photo_of_principals_school_by_url(world, setup, client_for):
    _audit, _finding, evidence = setup
    response = client_for(world.principal2).get(reverse("audits:photo", args=[evidence.pk]))
    assert response.status_code == 404
    response = client_for(world.principal).get(reverse("audits:photo", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_photo_url_with_a_note_id_or_garbage_is_404(world, setup, client_for):
    _audit, finding, _evidence = setup
    note = finding.evidence.get(kind=FindingEvidence.Kind.NOTE)
    client = client_for(world.auditor)
    assert client.get(reverse("audits:photo", args=[note.pk])).status_code == 404
    assert client.get("/audits/photos/not-a-uuid/").status_code == 404


def test_auditee_reads_but_does_not_edit(world, setup, client_for):
    audit, finding, _evidence = setup
    client = client_for(world.teacher)
    page = client.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert 'data-testid="mark-nonconforming"' not in page
    assert client.get(reverse("audits:finding_create", args=[audit.pk])).status_code == 403
    response = client.post(reverse("audits:audit_step", args=[audit.pk, "finish"]))
    assert response.status_code == 302
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_PROGRESS
    services.audit_generate_checklist(audit, actor=world.auditor)
    item = audit.checklist.first()
    item_url = reverse("audits:checklist_item", args=[audit.pk, item.pk])
    assert client.get(item_url).status_code == 403
    client.post(item_url, {"result": "nonconforming", "note": "x", "evidence": "", "version": 0})
    item.refresh_from_db()
    assert item.result == "not_checked" and item.note == ""
    response = client.post(
        reverse("audits:finding_evidence_add", args=[finding.pk]), {"kind": "note", "text": "x"}
    )
    assert finding.evidence.count() == 2  # the note and the photo only


def test_team_sees_recording_controls(world, setup, client_for):
    audit, *_ = setup
    services.audit_generate_checklist(audit, actor=world.auditor)
    page = client_for(world.auditor).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert 'data-testid="mark-nonconforming"' in page.content.decode()


def test_programme_is_visible_to_managers_and_auditors_only(world, setup, client_for):
    audit, *_ = setup
    url = reverse("audits:programme_detail", args=[audit.programme_id])
    assert client_for(world.iso).get(url).status_code == 200
    assert client_for(world.auditor).get(url).status_code == 200
    assert client_for(world.principal2).get(url).status_code == 404
    assert client_for(world.teacher).get(url).status_code == 404


def test_only_managers_plan_audits(world, client_for):
    assert client_for(world.iso).get(reverse("audits:audit_create")).status_code == 200
    assert client_for(world.teacher).get(reverse("audits:audit_create")).status_code == 403
    assert client_for(world.teacher).get(reverse("audits:programme_create")).status_code == 403


def test_anonymous_is_sent_to_login(client, setup):
    response = client.get(reverse("audits:audit_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_audit_of_a_commune_is_visible_to_its_schools_but_not_to_others(world, client_for):
    audit = make_audit(world, scope=[world.commune], team=False)
    url = reverse("audits:audit_detail", args=[audit.pk])
    assert client_for(world.teacher).get(url).status_code == 200
    assert client_for(world.principal2).get(url).status_code == 404
    assert Audit.objects.for_user(world.principal).count() == 1


def test_programme_form_refuses_a_second_programme_for_the_same_year(world, client_for):
    from audits.models import AuditProgramme

    make_audit(world)
    response = client_for(world.iso).post(
        reverse("audits:programme_create"),
        {"unit": world.root.pk, "start_year": 2025, "title": "Trùng năm học"},
    )
    assert response.status_code == 200 and AuditProgramme.objects.count() == 1


def test_approved_plan_is_reopened_before_it_changes(world, client_for):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    client = client_for(world.iso)
    assert client.get(reverse("audits:audit_edit", args=[audit.pk])).status_code == 403
    client.post(
        reverse("audits:audit_step", args=[audit.pk, "revise_plan"]), {"reason": "Đổi ngày"}
    )
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.PLANNED
    assert client.get(reverse("audits:audit_edit", args=[audit.pk])).status_code == 200


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("audits:report_edit", Audit.Status.REPORTING),
        ("audits:audit_edit", Audit.Status.PLANNED),
        ("audits:finding_create", Audit.Status.IN_PROGRESS),
    ],
)
def test_editing_pages_owner_member_outsider(world, client_for, name, status):
    """The lead or manager may; the auditee member gets 403; outsiders get 404."""
    audit = make_audit(world, status=status)
    url = reverse(name, args=[audit.pk])
    owner = world.leadauditor if status != Audit.Status.PLANNED else world.iso
    assert client_for(world.principal2).get(url).status_code == 404
    assert client_for(world.teacher).get(url).status_code == 403
    assert client_for(owner).get(url).status_code == 200


def _post_as_outsider_member_owner(world, client_for, url, data, owner):
    """Post valid data as the outsider (404) and as the auditee member (refused, redirected);
    return the owner's post of the same data, for the caller to see the change happen then."""
    assert client_for(world.principal2).post(url, data).status_code == 404
    assert client_for(world.teacher).post(url, data).status_code == 302
    return lambda: client_for(owner).post(url, data)


def test_team_add_owner_member_outsider(world, client_for):
    audit = make_audit(world, team=False)
    candidate = UserFactory(username="school_auditor")
    MembershipFactory(user=candidate, unit=world.school, role=Role.AUDITOR)
    data = {"user": candidate.pk, "role": "observer", "override_reason": "Chỉ quan sát."}
    as_owner = _post_as_outsider_member_owner(
        world, client_for, reverse("audits:team_add", args=[audit.pk]), data, world.iso
    )
    assert not audit.team.exists()
    as_owner()
    assert audit.team.get().user == candidate


def test_checklist_generate_owner_member_outsider(world, client_for):
    audit = make_audit(world)
    as_owner = _post_as_outsider_member_owner(
        world, client_for, reverse("audits:checklist_generate", args=[audit.pk]), {}, world.iso
    )
    assert not audit.checklist.exists()
    as_owner()
    assert audit.checklist.count() == audit.clauses.count()


def test_report_issue_owner_member_outsider(world, client_for):
    audit = fill_report(make_audit(world, status=Audit.Status.REPORTING))
    make_finding(audit, world)
    as_owner = _post_as_outsider_member_owner(
        world,
        client_for,
        reverse("audits:report_issue", args=[audit.pk]),
        {"password": "demo"},
        world.leadauditor,
    )
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING
    assert not Signature.objects.exists()
    as_owner()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORT_ISSUED
    assert Signature.objects.get().signer == world.leadauditor

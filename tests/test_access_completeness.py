"""Every URL pattern has an owner / member / outsider case, and each case holds.

The table below names, for each URL in Django's resolver, how to build its arguments from one
small province (two schools under one shared parent: ``principal`` and ``teacher`` at
``school``, ``principal2`` at ``school2``) and what each of three people gets. A new URL with no
row here fails ``test_every_url_pattern_has_an_access_case``: add its row (or an exemption with
a reason) in the same change.

An expectation is a status code, a tuple of acceptable codes, ``See(marker)`` (200 and the
record's marker on the page) or ``Hide(marker)`` (200 and the marker absent). A member's or an
outsider's POST must also leave every transition event as it was.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from audits.models import Audit
from documents.models import Distribution
from ims.models import Notification, ReportJob, TransitionEvent
from ims.pickers import PeopleScope
from ims.tokens import api_token_create
from surveys.services import free_text_grant
from tests.audits.factories import checklist_item, jpeg_bytes, make_audit, make_finding
from tests.documents.factories import draft_of, effective_document, make_document, pdf_upload
from tests.nonconformities.factories import raise_nc
from tests.surveys.factories import make_campaign

pytestmark = pytest.mark.django_db

# URLs with no per-user access decision of their own, each with the reason.
EXEMPT = {
    "healthz": "monitoring probe; answers the same to everyone (tests/ims/test_healthz.py)",
    "set_language": "changes only the visitor's own language (tests/ims/test_language.py)",
    "login": "public by design (tests/ims/test_login.py)",
    "logout": "ends only the caller's own session",
    "password_reset": "public by design; rate-limited (tests/ims/test_lockout.py)",
    "password_reset_done": "static confirmation page",
    "password_reset_confirm": "guarded by the signed token (Django's own tests)",
    "password_reset_complete": "static confirmation page",
    "javascript-catalog": "the interface's translations, the same for everyone",
    "audits:workspace_manifest": "the web app manifest: names the app, no data",
    "audits:workspace_sw": "the workspace's service worker script: the shell's file list, no data",
    "surveys_public:enter": "anonymous answering (tests/surveys/test_answering*.py)",
    "surveys_public:thanks": "anonymous answering (tests/surveys/test_answering*.py)",
    "surveys_public:answer": "anonymous answering, guarded by its random token",
    "surveys_public:start": "anonymous answering, guarded by the campaign's public code",
    "api:api-root": "django-ninja's root: 404 to everyone, names the docs",
}
EXEMPT_PREFIXES = {
    "admin:": "Django admin: staff only, Django's own permission checks (tests/*/test_admin.py)",
}


@dataclass(frozen=True)
class See:
    marker: str


@dataclass(frozen=True)
class Hide:
    marker: str


@dataclass(frozen=True)
class Case:
    kwargs: object = None  # a function of the objects namespace, returning the URL's kwargs
    method: str = "get"
    owner: object = 200
    member: object = 200
    outsider: object = 404
    people: dict = field(default_factory=dict)  # role -> username, where not the default
    data: object = None  # a function of the objects namespace: the request's data
    state: object = None  # a function of the objects namespace: what a refused POST keeps


def post(kwargs=None, **expectations):
    """An action: the owner's empty POST is refused or redirected (the apps' own tests post valid
    data); a member's and an outsider's change nothing, and the outsider cannot tell it exists."""
    expectations.setdefault("owner", (200, 302, 400, 403))
    expectations.setdefault("member", (302, 400, 403, 404))
    return Case(kwargs, method="post", **expectations)


def pk(name):
    return lambda o: {"pk": getattr(o, name).pk}


DEFAULT_PEOPLE = {"owner": "principal", "member": "teacher", "outsider": "principal2"}
MANAGERS = {"owner": "iso"}

CASES = {
    # --- core -------------------------------------------------------------------------------
    "home": Case(owner=302, member=302, outsider=302),
    # Each person's own task list: the school's open NC waits for its principal only.
    "ims:tasks": Case(owner=See("NC-TH1"), member=Hide("NC-TH1"), outsider=Hide("NC-TH1")),
    "ims:notification_list": Case(
        owner=See("notice"), member=Hide("notice"), outsider=Hide("notice")
    ),
    "ims:notification_read": post(owner=302, outsider=302),
    "ims:notification_open": Case(pk("notification"), owner=302, member=404),
    "ims:unit_list": Case(owner=See("TH1"), member=See("TH1"), outsider=Hide("TH1")),
    "ims:unit_detail": Case(pk("school")),
    "ims:import": Case(owner=200, member=403, outsider=403, people=MANAGERS),
    "ims:user_list": Case(owner=See("teacher"), member=(200, 403), outsider=(Hide("teacher"), 403)),
    "ims:user_detail": Case(pk("teacher_user"), member=200),
    # The search box's scope is signed for the owner (the document's owner, ``principal``):
    # anyone else presenting it is refused.
    "ims:people_search": Case(
        data=lambda o: {
            "picker_name": "who",
            "picker_scope": PeopleScope.around(o.doc.owner).token(o.doc.owner),
            "who_q": "teacher",
        },
        owner=See("teacher"),
        member=400,
        outsider=400,
    ),
    "ims:user_deactivate": post(pk("teacher_user")),
    "ims:user_reactivate": post(pk("teacher_user")),
    "ims:user_first_password": post(pk("teacher_user")),
    "ims:profile": Case(
        owner=See("TOKEN-TH1"), member=Hide("TOKEN-TH1"), outsider=Hide("TOKEN-TH1")
    ),
    # Everyone creates their own tokens: an empty name is refused (tests/api/test_token_page.py).
    "ims:api_token_create": post(owner=400, member=400, outsider=400),
    "ims:api_token_revoke": post(
        pk("token"),
        owner=302,
        member=404,
        state=lambda o: o.token.__class__.objects.active().count(),
    ),
    "password_change": Case(owner=200, member=200, outsider=200),
    "password_change_done": Case(owner=200, member=200, outsider=200),
    "ims:report_request": post(owner=(302, 400, 404), outsider=(400, 404)),
    "ims:report_job": Case(pk("job"), member=404),
    "ims:report_retry": post(pk("job")),
    "ims:report_download": Case(pk("job"), owner=(200, 404), member=404),
    # --- documents ---------------------------------------------------------------------------
    "documents:register": Case(
        owner=See("QT-TH-77"), member=See("QT-TH-77"), outsider=Hide("QT-TH-77")
    ),
    "documents:document_create": Case(owner=200, member=(200, 403), outsider=200),
    "documents:review_list": Case(owner=200, member=200, outsider=200),
    "documents:to_acknowledge": Case(owner=200, member=200, outsider=Hide("QT-TH-77")),
    "documents:unit_coverage": Case(owner=200, member=(200, 403), outsider=(200, 403)),
    "documents:document_detail": Case(pk("doc")),
    "documents:document_edit": Case(pk("doc"), member=403),
    "documents:revision_compare": Case(pk("doc")),
    "documents:document_withdraw": post(pk("doc")),
    "documents:confirm_review": post(pk("doc")),
    "documents:revision_create": Case(pk("doc"), member=403),
    "documents:revision_edit": Case(pk("draft_rev"), member=(403, 404)),
    "documents:revision_download": Case(pk("effective_rev")),
    "documents:revision_view": Case(pk("effective_rev")),
    "documents:revision_file": Case(pk("effective_rev")),
    "documents:distribution_add": post(pk("draft_rev")),
    "documents:acknowledge": post(pk("effective_rev")),
    "documents:remind_unread": post(pk("effective_rev")),
    "documents:distribution_remove": post(pk("distribution")),
    "documents:revision_action": post(lambda o: {"pk": o.draft_rev.pk, "action": "submit"}),
    # --- audits ------------------------------------------------------------------------------
    "audits:audit_list": Case(
        owner=See("DG-TH-01"), member=See("DG-TH-01"), outsider=Hide("DG-TH-01")
    ),
    "audits:audit_today": Case(owner=200, member=200, outsider=Hide("DG-TH-01")),
    "audits:audit_create": Case(owner=200, member=403, outsider=403, people=MANAGERS),
    "audits:programme_list": Case(
        owner=200, member=(200, 403), outsider=(200, 403), people=MANAGERS
    ),
    "audits:programme_create": Case(owner=200, member=403, outsider=403, people=MANAGERS),
    "audits:programme_detail": Case(
        pk("programme"),
        owner=200,
        member=(200, 403, 404),
        outsider=(200, 403, 404),
        people=MANAGERS,
    ),
    "audits:programme_edit": Case(
        pk("programme"), owner=200, member=(403, 404), outsider=(403, 404), people=MANAGERS
    ),
    "audits:programme_approve": post(pk("programme"), outsider=(403, 404), people=MANAGERS),
    "audits:audit_detail": Case(pk("audit")),
    "audits:audit_edit": Case(pk("audit"), owner=(200, 403), member=403),
    "audits:audit_step": post(lambda o: {"pk": o.audit.pk, "step": "start"}),
    "audits:audit_finish": Case(
        pk("audit"), owner=(200, 403), member=403, people={"owner": "leadauditor"}
    ),
    "audits:team_add": post(pk("audit")),
    "audits:team_override_approve": post(
        lambda o: {"pk": o.audit.pk, "member_pk": o.team_member.pk}
    ),
    "audits:team_remove": post(lambda o: {"pk": o.audit.pk, "member_pk": o.team_member.pk}),
    "audits:checklist_generate": post(pk("audit")),
    "audits:checklist_item": post(
        lambda o: {"pk": o.audit.pk, "item_pk": o.item.pk},
        member=(200, 403),  # the form again, with the refusal
        data=lambda o: {"result": "conforming", "note": "Đủ hồ sơ", "version": 0},
        state=lambda o: o.item.__class__.objects.values_list("result", "note").get(pk=o.item.pk),
    ),
    "audits:finding_create": Case(pk("audit"), owner=(200, 403), member=403),
    "audits:report": Case(pk("audit")),
    "audits:report_edit": Case(pk("audit"), owner=(200, 403), member=403),
    "audits:report_issue": post(pk("audit")),
    "audits:finding_list": Case(
        owner=See("FINDING-TH1"), member=See("FINDING-TH1"), outsider=Hide("FINDING-TH1")
    ),
    "audits:finding_detail": Case(pk("finding")),
    "audits:finding_evidence_add": post(pk("finding")),
    "audits:finding_close": post(pk("finding")),
    "audits:revision_picker": Case(
        owner=(200, 403), member=(200, 403), outsider=(Hide("QT-TH-77"), 403)
    ),
    "audits:photo": Case(pk("photo")),
    # The offline workspace's shell holds no data (it reads the sync API, which checks access):
    # every signed-in person gets the same empty page, and no audit of another school shows.
    "audits:workspace": Case(
        owner=Hide("DG-TH-01"), member=Hide("DG-TH-01"), outsider=Hide("DG-TH-01")
    ),
    "audits:external_report": Case(
        pk("external_audit"), owner=See("%PDF-"), member=See("%PDF-"), outsider=404
    ),
    "audits:external_report_attach": post(pk("external_audit")),
    "audits:photo_thumb": Case(pk("photo")),
    # --- nonconformities ---------------------------------------------------------------------
    "nonconformities:register": Case(
        owner=See("NC-TH1"), member=See("NC-TH1"), outsider=Hide("NC-TH1")
    ),
    "nonconformities:raise": Case(owner=200, member=200, outsider=200),
    "nonconformities:detail": Case(pk("nc")),
    "nonconformities:contain": post(pk("nc")),
    "nonconformities:assign_containment": post(pk("nc")),
    "nonconformities:revise_analysis": post(pk("nc")),
    "nonconformities:analyse": post(pk("nc")),
    "nonconformities:extent": post(pk("nc")),
    "nonconformities:action_add": post(pk("nc")),
    "nonconformities:action_complete": post(lambda o: {"pk": o.nc.pk, "action_pk": o.action.pk}),
    "nonconformities:action_cancel": post(lambda o: {"pk": o.nc.pk, "action_pk": o.action.pk}),
    "nonconformities:action_redate": post(lambda o: {"pk": o.nc.pk, "action_pk": o.action.pk}),
    "nonconformities:action_reassign": post(lambda o: {"pk": o.nc.pk, "action_pk": o.action.pk}),
    "nonconformities:plan_verification": post(pk("nc")),
    "nonconformities:verify": post(pk("nc")),
    "nonconformities:close": post(pk("nc")),
    "nonconformities:attach": post(pk("nc")),
    "nonconformities:attachment": Case(lambda o: {"pk": o.nc.pk, "attachment_pk": o.attachment.pk}),
    # --- surveys -----------------------------------------------------------------------------
    "surveys:campaign_list": Case(
        owner=See("CAMPAIGN-TH1"),
        member=(Hide("CAMPAIGN-TH1"), See("CAMPAIGN-TH1"), 403),
        outsider=(Hide("CAMPAIGN-TH1"), 403),
    ),
    "surveys:campaign_create": Case(owner=(200, 403), member=403, outsider=(200, 403)),
    "surveys:overview": Case(
        owner=(200, 403), member=(200, 403), outsider=(Hide("CAMPAIGN-TH1"), 403)
    ),
    "surveys:campaign_detail": Case(pk("campaign"), member=(200, 403, 404)),
    "surveys:publish": post(pk("campaign")),
    "surveys:close": post(pk("campaign")),
    "surveys:campaign_preview": Case(pk("campaign"), member=(200, 403, 404)),
    "surveys:results": Case(pk("campaign"), member=(200, 403, 404)),
    "surveys:results_export": Case(pk("campaign"), member=(200, 403, 404)),
    "surveys:result_raise": post(pk("campaign"), owner=404),  # no unit chosen: 404
    "surveys:codes_generate": post(pk("campaign")),
    # The school's principal runs CAMPAIGN-TH1: who may read its free text (recorded grants).
    "surveys:free_text": Case(pk("campaign"), owner=See("Tổng hợp góp ý"), member=403),
    "surveys:free_text_revoke": post(
        lambda o: {"pk": o.campaign.pk, "grant_pk": o.free_text_grant.pk},
        owner=302,
        member=403,
        state=lambda o: o.free_text_grant.__class__.objects.active().count(),
    ),
    "surveys:link_svg": Case(
        lambda o: {"pk": o.campaign.pk, "link_pk": o.link.pk}, member=(200, 403, 404)
    ),
    "surveys:link_png": Case(
        lambda o: {"pk": o.campaign.pk, "link_pk": o.link.pk}, member=(200, 403, 404)
    ),
    "surveys:link_sheet": Case(
        lambda o: {"pk": o.campaign.pk, "link_pk": o.link.pk}, member=(200, 403, 404)
    ),
    "surveys:instrument_list": Case(
        owner=(200, 403), member=(200, 403), outsider=(Hide("INSTRUMENT-TH1"), 403)
    ),
    "surveys:instrument_create": post(outsider=(302, 403)),
    "surveys:instrument_detail": Case(pk("instrument"), member=(200, 403, 404)),
    "surveys:version_new": post(pk("instrument")),
    "surveys:section_add": post(lambda o: {"pk": o.instrument.pk, "number": o.version.number}),
    "surveys:question_add": post(lambda o: {"pk": o.instrument.pk, "number": o.version.number}),
    "surveys:question_edit": Case(
        lambda o: {"pk": o.instrument.pk, "number": o.version.number, "question_pk": o.question.pk},
        owner=(200, 403),
        member=(403, 404),
    ),
    "surveys:question_delete": post(
        lambda o: {"pk": o.instrument.pk, "number": o.version.number, "question_pk": o.question.pk}
    ),
    # --- API (tests/api/) -------------------------------------------------------------------
    "api:openapi-json": Case(owner=200, member=200, outsider=200),
    "api:openapi-view": Case(owner=200, member=200, outsider=200),
    "api:audits_mine": Case(owner=200, member=200, outsider=200),
    "api:audit_workspace": Case(lambda o: {"audit_id": o.audit.pk}),
    "api:finding_list": Case(
        owner=See("FINDING-TH1"), member=See("FINDING-TH1"), outsider=Hide("FINDING-TH1")
    ),
    "api:finding": Case(lambda o: {"finding_id": o.finding.pk}),
    # A photo the finding was not declared with: 404 to everyone (tests/api/test_photo_chunks.py).
    "api:finding_photo": Case(
        lambda o: {"finding_id": o.finding.pk, "photo_id": o.photo.pk},
        owner=404,
        member=404,
        outsider=404,
    ),
    "api:checklist_item": Case(
        lambda o: {"item_id": o.item.pk},
        method="put",
        data=lambda o: json.dumps({"result": "conforming", "note": "Đủ hồ sơ"}),
        owner=403,
        member=403,
        outsider=404,
        state=lambda o: o.item.__class__.objects.values_list("result", "version").get(pk=o.item.pk),
    ),
    # --- dashboard ---------------------------------------------------------------------------
    "dashboard:index": Case(owner=200, member=(200, 403), outsider=(Hide("TH1 ·"), 200, 403)),
}


def url_names(patterns=None, namespace=None):
    """Every named URL pattern, with its namespace (``documents:register``)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            ns = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_names(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _exempt(name):
    return name in EXEMPT or any(name.startswith(prefix) for prefix in EXEMPT_PREFIXES)


def test_every_url_pattern_has_an_access_case():
    names = set(url_names())
    assert None not in names, "every URL pattern needs a name"
    missing = sorted(name for name in names if name not in CASES and not _exempt(name))
    assert not missing, f"URL patterns without an owner/member/outsider case: {missing}"
    stale = sorted(set(CASES) - names)
    assert not stale, f"cases for URL patterns that no longer exist: {stale}"


@pytest.fixture
def objects(world, settings, tmp_path):
    """One record of every kind, at ``world.school`` (or the department, for programmes)."""
    from audits.services import audit_attach_external_report, finding_add_evidence
    from nonconformities.models import CorrectiveAction
    from nonconformities.services import attachment_add

    settings.MEDIA_ROOT = tmp_path
    doc = effective_document(
        world,
        unit=world.school,
        owner=world.principal,
        code="QT-TH-77",
        reviewers=[world.iso],
        approver=world.director,
        distribute_to=[world.school],
    )
    draft = make_document(
        world,
        unit=world.school,
        owner=world.principal,
        reviewers=[world.iso],
        approver=world.director,
    )
    draft_rev = draft_of(draft)
    audit = make_audit(
        world, scope=[world.school], code="DG-TH-01", status=Audit.Status.IN_PROGRESS
    )
    finding = make_finding(audit, world, statement="FINDING-TH1 sổ đầu bài chưa ký")
    external_audit = make_audit(
        world,
        scope=[world.school],
        code="DG-CERT-TH",
        kind="certification",
        external_body="QUACERT",
        external_lead_auditor="Trần Quốc Bảo",
        team=False,
        status=Audit.Status.IN_PROGRESS,
    )
    audit_attach_external_report(external_audit, actor=world.iso, upload=pdf_upload())
    photo = finding_add_evidence(
        finding,
        actor=world.auditor,
        kind="photo",
        photo=SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg"),
    )
    nc = raise_nc(world.principal, world.school, title="NC-TH1 thiếu biên bản")
    action = CorrectiveAction.objects.create(
        nonconformity=nc,
        description="Bổ sung biên bản",
        owner=world.teacher,
        due=timezone.localdate() + timedelta(days=10),
        created_by=world.principal,
    )
    campaign = make_campaign(world, owner=world.school, units=[world.school], title="CAMPAIGN-TH1")
    free_text = free_text_grant(
        actor=world.iso, campaign=campaign, person=world.principal, reason="Tổng hợp góp ý"
    )
    instrument = campaign.version.instrument
    instrument.title = "INSTRUMENT-TH1"
    instrument.save(update_fields=["title"])
    return SimpleNamespace(
        token=api_token_create(actor=world.principal, name="TOKEN-TH1")[0],
        school=world.school,
        teacher_user=world.teacher,
        notification=Notification.objects.create(user=world.principal, title="notice", url="/"),
        job=ReportJob.objects.create(
            kind="audit_report", object_id=str(audit.pk), requested_by=world.principal
        ),
        doc=doc,
        effective_rev=doc.effective_revision,
        draft_rev=draft_rev,
        distribution=Distribution.objects.create(
            revision=draft_rev, unit=world.school, created_by=world.principal
        ),
        programme=audit.programme,
        audit=audit,
        external_audit=external_audit,
        team_member=audit.team.get(user=world.auditor),
        item=checklist_item(audit),
        finding=finding,
        photo=photo,
        nc=nc,
        action=action,
        attachment=attachment_add(nc, actor=world.principal, upload=pdf_upload()),
        campaign=campaign,
        free_text_grant=free_text,
        link=campaign.links.first(),
        instrument=instrument,
        version=campaign.version,
        question=campaign.version.questions.first(),
    )


def _check(response, expected, role, name):
    options = expected if isinstance(expected, tuple) else (expected,)
    body = None
    for option in options:
        if isinstance(option, int) and response.status_code == option:
            return
        if isinstance(option, See | Hide) and response.status_code == 200:
            if body is None:
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
            shown = option.marker.encode() in body
            if shown == isinstance(option, See):
                return
    raise AssertionError(f"{name} as {role}: got {response.status_code}, expected {expected}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_access_case(name, world, objects, client_for):
    case = CASES[name]
    kwargs = case.kwargs(objects) if case.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    data = case.data(objects) if case.data else {}
    state = case.state or (lambda o: None)
    for role in ("member", "outsider", "owner"):
        user = getattr(world, case.people.get(role, DEFAULT_PEOPLE[role]))
        before = (TransitionEvent.objects.count(), state(objects))
        response = getattr(client_for(user), case.method)(url, data)
        _check(response, getattr(case, role), role, name)
        if role != "owner" and case.method in ("post", "put"):
            after = (TransitionEvent.objects.count(), state(objects))
            assert after == before, f"{name}: the {role} changed what they may not"

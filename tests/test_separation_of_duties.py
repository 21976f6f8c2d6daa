"""Separation of duties on every signed step, as one table.

Each row is a signed step of the system: the service, what its signature means, how to bring a
record to that step, and who may and may not take it (the author, a reviewer, the approver, the
opener, an action owner, a teacher, an outsider from another school, a manager above). Every
pair runs through the service itself: an allowed person signs (one signature, with the step's
meaning); a refused one gets an error and nothing is signed.

``test_every_signed_step_has_a_row`` reads the source of every app's services (``services.py``, or
each module of a ``services/`` package) and fails when a function that signs (calls ``sign``,
``verify_password`` or the kit's ``signed_step``) has no row here: a new signed step cannot be
added without saying who may take it.
"""

import ast
import importlib
import inspect
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audits import services as audit_services
from audits.models import Audit
from documents import services as document_services
from documents.models import ApprovalAuthority, DocumentType, Revision
from ims.models import Role, Signature
from nonconformities import services as nc_services
from tests.audits.factories import ProgrammeFactory, fill_report, make_audit, make_finding
from tests.documents.factories import draft_of, make_document
from tests.nonconformities.conftest import Loop
from tests.nonconformities.factories import raise_nc

pytestmark = pytest.mark.django_db
M = Signature.Meaning


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- bringing a record to each step -----------------------------------------------------------


def _school_revision(world):
    """A school procedure written by the teacher, reviewed by the division head, to be approved
    by the principal (the unit's own head, in the approval authority matrix)."""
    document = make_document(
        world,
        unit=world.school,
        owner=world.teacher,
        doc_type=DocumentType.PROCEDURE,
        reviewers=[world.head],
        approver=world.principal,
    )
    return draft_of(document)


def revision_in_review(world):
    revision = _school_revision(world)
    document_services.revision_submit(revision, actor=world.teacher)
    return Revision.objects.get(pk=revision.pk)


def revision_reviewed(world):
    revision = revision_in_review(world)
    document_services.revision_review(revision, actor=world.head, password="demo")
    return Revision.objects.get(pk=revision.pk)


def revision_reviewed_matrix_changed(world):
    """As above, then the Department withdraws principals' approval authority."""
    revision = revision_reviewed(world)
    ApprovalAuthority.objects.filter(role=Role.PRINCIPAL).update(is_active=False)
    return revision


def revision_approved(world):
    revision = revision_reviewed(world)
    document_services.revision_approve(revision, actor=world.principal, password="demo")
    return Revision.objects.get(pk=revision.pk)


def nc_verified(world):
    """Opened by the quality manager; the teacher owned the action; the director verified."""
    return Loop(world).verified()


def nc_verified_head_acted(world):
    """A small school: its only head (the principal) owned the corrective action."""
    nc = raise_nc(world.iso, world.school)
    nc = nc_services.nonconformity_contain(nc, actor=world.teacher, containment="Đã khắc phục.")
    nc = nc_services.nonconformity_analyse(
        nc, actor=world.teacher, root_cause="Thiếu phân công.", whys=["Không ai được giao"]
    )
    nc = nc_services.nonconformity_check_extent(nc, actor=world.teacher, extent_check="Không.")
    action = nc_services.action_add(
        nc,
        actor=world.principal,
        description="Phân công lưu biên bản.",
        owner=world.principal,
        due=timezone.localdate() + timedelta(days=5),
    )
    nc_services.action_complete(action, actor=world.principal, evidence="Quyết định phân công.")
    nc.refresh_from_db()
    return nc_services.nonconformity_verify(
        nc, actor=world.director, result="effective", notes="Không lặp lại."
    )


def programme_draft(world):
    """A draft audit programme whose manager is the quality manager."""
    return ProgrammeFactory(unit=world.root, owner=world.iso, start_year=2025)


def audit_reporting(world):
    """An internal audit of the school after fieldwork, its report written: the lead auditor
    leads, the auditor is on the team, the principal is the auditee."""
    audit = make_audit(world, status=Audit.Status.REPORTING)
    make_finding(audit, world, code="observation")
    return fill_report(audit)


# --- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    service: object
    meaning: str
    setup: object
    may: dict = field(default_factory=dict)  # who → world attribute
    may_not: dict = field(default_factory=dict)

    def run(self, obj, actor):
        keyword = "user" if self.service.__module__ == "documents.services" else "actor"
        return self.service(obj, password="demo", **{keyword: actor})


STEPS = [
    Step(
        "document review",
        document_services.revision_review,
        M.REVIEWED,
        revision_in_review,
        may={"named reviewer": "head"},
        may_not={
            "author": "teacher",
            "approver (not a reviewer)": "principal",
            "manager above, not named": "director",
            "outsider": "principal2",
        },
    ),
    Step(
        "document approval",
        document_services.revision_approve,
        M.APPROVED,
        revision_reviewed,
        may={"named approver with authority": "principal"},
        may_not={
            "author": "teacher",
            "reviewer": "head",
            "manager above, not named": "director",
            "outsider": "principal2",
        },
    ),
    Step(
        "document approval after the matrix changed",
        document_services.revision_approve,
        M.APPROVED,
        revision_reviewed_matrix_changed,
        may_not={"named approver without authority": "principal"},
    ),
    Step(
        "document issue (publish)",
        document_services.revision_publish,
        M.ISSUED,
        revision_approved,
        may={"approver": "principal", "manager above": "iso"},
        may_not={"author": "teacher", "reviewer": "head", "outsider": "principal2"},
    ),
    Step(
        "NC closure",
        nc_services.nonconformity_close,
        M.CLOSED,
        nc_verified,
        may={"unit head who took no part": "principal", "manager above": "director"},
        may_not={
            "opener": "iso",
            "action owner": "teacher",
            "outsider": "principal2",
            "auditor": "auditor",
        },
    ),
    Step(
        "NC closure in a unit too small",
        nc_services.nonconformity_close,
        M.CLOSED,
        nc_verified_head_acted,
        may={"manager above": "director"},
        may_not={"the unit's only head, an action owner": "principal", "teacher": "teacher"},
    ),
    Step(
        "audit programme approval",
        audit_services.programme_approve,
        M.APPROVED,
        programme_draft,
        may={"director": "director"},
        may_not={
            "programme manager": "iso",
            "lead auditor": "leadauditor",
            "teacher": "teacher",
            "outsider": "principal2",
        },
    ),
    Step(
        "audit report issue",
        audit_services.audit_issue_report,
        M.ISSUED,
        audit_reporting,
        may={"lead auditor": "leadauditor"},
        may_not={
            "team auditor": "auditor",
            "auditee": "principal",
            "programme manager": "iso",
            "manager above": "director",
            "teacher": "teacher",
            "outsider": "principal2",
        },
    ),
]

PAIRS = [
    pytest.param(step, who, attr, allowed, id=f"{step.name}: {who}")
    for step in STEPS
    for allowed, people in ((True, step.may), (False, step.may_not))
    for who, attr in people.items()
]


def _signatures(obj):
    return list(Signature.objects.for_object(obj).values_list("signer_id", "meaning"))


@pytest.mark.parametrize("step, who, attr, allowed", PAIRS)
def test_who_may_take_each_signed_step(world, step, who, attr, allowed):
    obj = step.setup(world)
    actor = getattr(world, attr)
    before = _signatures(obj)
    if allowed:
        step.run(obj, actor)
        assert _signatures(obj) == [*before, (actor.pk, step.meaning)]
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            step.run(obj, actor)
        assert _signatures(obj) == before


def test_each_signed_step_is_taken_by_someone_and_refused_to_someone():
    services = {step.service for step in STEPS}
    for service in services:
        rows = [s for s in STEPS if s.service is service]
        assert any(s.may for s in rows) and any(s.may_not for s in rows), service.__name__


# --- every signed step has a row ------------------------------------------------------------------


def _signing_functions(module):
    """Top-level functions of ``module`` that call ``sign``, ``verify_password`` or
    ``signed_step`` (directly or in a function nested in them)."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    found = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call):
                target = call.func
                name = getattr(target, "id", None) or getattr(target, "attr", None)
                if name in ("sign", "verify_password", "signed_step"):
                    found.add(f"{module.__name__}.{node.name}")
    return found


def _project_services_modules():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        if not Path(config.path).resolve().is_relative_to(base):
            continue
        if (Path(config.path) / "services.py").exists():
            yield importlib.import_module(f"{config.name}.services")
        for path in sorted((Path(config.path) / "services").glob("*.py")):
            if path.stem != "__init__":  # re-exports only; its module is the package
                yield importlib.import_module(f"{config.name}.services.{path.stem}")


def test_every_signed_step_has_a_row():
    signing = set()
    for module in _project_services_modules():
        signing |= _signing_functions(module)
    # the scan sees what it should
    assert "documents.services.revisions.revision_approve" in signing
    rows = {f"{s.service.__module__}.{s.service.__name__}" for s in STEPS}
    missing = signing - rows
    assert not missing, f"signed steps with no separation-of-duties row: {sorted(missing)}"
    assert rows <= signing, f"rows for steps that no longer sign: {sorted(rows - signing)}"

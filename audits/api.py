"""The audit sync API (docs/api-sync.md, ADR 0006), mounted under ``/api/v1/`` by the core.

Every read goes through ``for_user``; every write through ``audits.services.sync``.
"""

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from audits.citations import citable_revisions
from audits.models import (
    Audit,
    AuditTeamMember,
    ChecklistItem,
    Finding,
    FindingEvidence,
    FindingGrade,
    revision_label,
)
from audits.services import sync
from documents.compare import extract_text
from documents.models import Revision
from ims.api import ERRORS, ApiError, ErrorOut
from ims.models import Clause, OrgUnit

router = Router(tags=["audits"])

FINDINGS_PER_PAGE = 50
EARLIER_FINDINGS_YEARS = 3
CITED_TEXTS = 20  # revisions whose text the bundle carries
CITED_TEXT_CHARS = 20_000


# --- schemas ----------------------------------------------------------------------------------


class FindingIn(Schema):
    audit: int
    checklist_item: int | None = None
    grade: str = Field(max_length=40)
    clauses: list[int] = Field(max_length=50)
    unit: int
    statement: str = Field(max_length=10_000)
    notes: list[str] = Field(default_factory=list, max_length=50)
    references: list[str] = Field(default_factory=list, max_length=50)
    revisions: list[int] = Field(default_factory=list, max_length=50)
    photos: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class FindingOut(Schema):
    id: uuid.UUID
    audit: int
    checklist_item: int | None
    grade: str
    clauses: list[int]
    unit: int
    statement: str
    notes: list[str]
    references: list[str]
    revisions: list[int]
    photos: list[uuid.UUID]
    photos_pending: list[uuid.UUID]
    version: int
    status: str
    created_by: int
    created_at: datetime


class FindingPage(Schema):
    count: int
    page: int
    pages: int
    results: list[FindingOut]


class PhotoProgressOut(Schema):
    size: int | None
    received: list[list[int]]
    complete: bool


class ChecklistItemIn(Schema):
    result: str
    note: str = Field("", max_length=10_000)
    evidence: str = Field("", max_length=10_000)


class ChecklistItemOut(Schema):
    id: int
    key: str
    question: str
    clauses: list[int]
    result: str
    note: str
    evidence: str
    version: int


class AuditSummary(Schema):
    id: int
    code: str
    title: str
    status: str
    planned_start: date
    planned_end: date
    url: str


class PersonOut(Schema):
    id: int
    name: str


class TeamMemberOut(PersonOut):
    role: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    path: str


class ClauseOut(Schema):
    id: int
    number: str
    title: str
    criteria_set: str
    criteria_title: str


class GradeOut(Schema):
    code: str
    name: str
    is_nonconformity: bool


class RevisionOut(Schema):
    id: int
    label: str
    text: str = Field("", description="The text of a revision cited as evidence, else empty.")


class EarlierFindingOut(Schema):
    id: uuid.UUID
    audit_code: str
    created_at: datetime
    unit: int
    grade: str
    statement: str
    clauses: list[int]
    status: str


class AuditOut(Schema):
    id: int
    code: str
    title: str
    kind: str
    status: str
    planned_start: date
    planned_end: date
    objectives: str
    places: str
    scope_units: list[int]
    auditees: list[PersonOut]
    team: list[TeamMemberOut]


class PermissionsOut(Schema):
    can_record: bool


class WorkspaceOut(Schema):
    audit: AuditOut
    checklist: list[ChecklistItemOut]
    clauses: list[ClauseOut]
    grades: list[GradeOut]
    units: list[UnitOut]
    revisions: list[RevisionOut]
    earlier_findings: list[EarlierFindingOut]
    permissions: PermissionsOut
    generated_at: datetime


CONFLICT = {409: ErrorOut}


# --- helpers ----------------------------------------------------------------------------------


def _if_match(request: HttpRequest) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``, or ``3``) as the version 3; anything else, none."""
    value = request.headers.get("If-Match", "").strip()
    match = re.fullmatch(r'(?:W/)?"?(\d{1,9})"?', value)
    return int(match[1]) if match else None


def _etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'"{version}"'


def _visible_finding(request: HttpRequest, pk: uuid.UUID) -> Finding:
    return get_object_or_404(Finding.objects.for_user(request.auth).select_related("grade"), pk=pk)


def _item_out(item: ChecklistItem, clause_ids: list[int] | None = None) -> dict:
    if clause_ids is None:
        clause_ids = [c.pk for c in item.clauses.all()]
    return {
        "id": item.pk,
        "key": item.key,
        "question": item.question,
        "clauses": clause_ids,
        "result": item.result,
        "note": item.note,
        "evidence": item.evidence,
        "version": item.version,
    }


def _conflict_finding(finding: Finding) -> ApiError:
    return ApiError(
        409,
        "conflict",
        _("This finding changed on the server. Compare both versions and choose."),
        current=FindingOut.model_validate(sync.finding_state(finding)).model_dump(mode="json"),
    )


# --- audits -----------------------------------------------------------------------------------


@router.get("/audits/mine", response={200: list[AuditSummary], **ERRORS}, url_name="audits_mine")
def audits_mine(request: HttpRequest, days: int = 7):
    """The caller's audits (as a team member) whose fieldwork falls between today and today +
    ``days``, planned to in progress: the audits to prepare for offline."""
    days = max(0, min(days, 60))
    today = timezone.localdate()
    audits = (
        Audit.objects.for_user(request.auth)
        .filter(
            team__user=request.auth,
            status__in=[
                Audit.Status.PLANNED,
                Audit.Status.PLAN_APPROVED,
                Audit.Status.IN_PROGRESS,
            ],
            planned_start__lte=today + timedelta(days=days),
            planned_end__gte=today,
        )
        .order_by("planned_start", "code")
        .distinct()
    )
    return [
        {
            "id": a.pk,
            "code": a.code,
            "title": a.title,
            "status": a.status,
            "planned_start": a.planned_start,
            "planned_end": a.planned_end,
            "url": a.get_absolute_url(),
        }
        for a in audits
    ]


@router.get(
    "/audits/{int:audit_id}/workspace",
    response={200: WorkspaceOut, **ERRORS},
    url_name="audit_workspace",
)
def audit_workspace(request: HttpRequest, audit_id: int):
    """Everything to work on the audit offline: plan, scope, team, checklist with its clauses,
    criteria titles, grades, citable revisions as text, earlier findings for the same units."""
    user = request.auth
    audit = get_object_or_404(
        Audit.objects.for_user(user)
        .select_related("programme")
        .prefetch_related(
            Prefetch("team", queryset=AuditTeamMember.objects.select_related("user")),
            "auditees",
            "scope_units",
        ),
        pk=audit_id,
    )
    scope = list(audit.scope_units.all())
    items = list(
        audit.checklist.prefetch_related(Prefetch("clauses", queryset=Clause.objects.only("pk")))
    )
    item_clauses = {c.pk for item in items for c in item.clauses.all()}
    clauses = list(
        Clause.objects.filter(Q(pk__in=item_clauses) | Q(audits=audit))
        .select_related("criteria_set")
        .distinct()
        .order_by("criteria_set__code", "sort_key")
    )
    in_scope = Q()
    for unit in scope:
        in_scope |= Q(path__startswith=unit.path)
    units = list(OrgUnit.objects.filter(in_scope).order_by("path")) if scope else []
    ancestors = {path for unit in scope for path in unit.ancestor_paths()} | {u.path for u in units}
    revisions = list(citable_revisions(user).filter(document__owner_unit__path__in=ancestors)[:300])
    since = timezone.now() - timedelta(days=365 * EARLIER_FINDINGS_YEARS)
    earlier = list(
        Finding.objects.for_user(user)
        .filter(unit__in=units, created_at__gte=since)
        .exclude(audit=audit)
        .select_related("grade", "audit")
        .prefetch_related(Prefetch("clauses", queryset=Clause.objects.only("pk")))
        .order_by("-created_at")[:200]
    )
    texts = _cited_texts(user, revisions, [audit.pk], earlier)
    return {
        "audit": {
            "id": audit.pk,
            "code": audit.code,
            "title": audit.title,
            "kind": audit.kind,
            "status": audit.status,
            "planned_start": audit.planned_start,
            "planned_end": audit.planned_end,
            "objectives": audit.objectives,
            "places": audit.places,
            "scope_units": [u.pk for u in scope],
            "auditees": [{"id": u.pk, "name": u.display_name} for u in audit.auditees.all()],
            "team": [
                {"id": m.user_id, "name": m.user.display_name, "role": m.role}
                for m in audit.team_members()
            ],
        },
        "checklist": [_item_out(item) for item in items],
        "clauses": [
            {
                "id": c.pk,
                "number": c.number,
                "title": c.label,
                "criteria_set": c.criteria_set.code,
                "criteria_title": c.criteria_set.label,
            }
            for c in clauses
        ],
        "grades": [
            {"code": g.code, "name": g.label, "is_nonconformity": g.is_nonconformity}
            for g in FindingGrade.objects.all()
        ],
        "units": [{"id": u.pk, "code": u.code, "name": u.label, "path": u.path} for u in units],
        "revisions": [
            {"id": r.pk, "label": str(revision_label(r)), "text": texts.get(r.pk, "")}
            for r in revisions
        ],
        "earlier_findings": [
            {
                "id": f.pk,
                "audit_code": f.audit.code,
                "created_at": f.created_at,
                "unit": f.unit_id,
                "grade": f.grade.code,
                "statement": f.statement,
                "clauses": [c.pk for c in f.clauses.all()],
                "status": f.status,
            }
            for f in earlier
        ],
        "permissions": {"can_record": audit.can_record(user)},
        "generated_at": timezone.now(),
    }


def _cited_texts(
    user: Any, revisions: list[Revision], audit_ids: list[int], earlier: list[Finding]
) -> dict[int, str]:
    """The text of the revisions cited as evidence by this audit's findings and the earlier
    ones, to read on site: at most ``CITED_TEXTS`` revisions, each cut at ``CITED_TEXT_CHARS``.
    The cited revisions join ``revisions`` (they are citable: the caller may see them)."""
    cited = (
        FindingEvidence.objects.filter(
            Q(finding__audit_id__in=audit_ids) | Q(finding__in=[f.pk for f in earlier]),
            revision__isnull=False,
        )
        .values_list("revision_id", flat=True)
        .distinct()
    )
    listed = {r.pk for r in revisions}
    texts = {}
    for revision in citable_revisions(user).filter(pk__in=cited)[:CITED_TEXTS]:
        if revision.pk not in listed:
            revisions.insert(0, revision)
        lines = extract_text(revision).lines
        texts[revision.pk] = "\n".join(lines)[:CITED_TEXT_CHARS]
    return texts


# --- findings ---------------------------------------------------------------------------------


@router.get("/findings/", response={200: FindingPage, **ERRORS}, url_name="finding_list")
def finding_list(request: HttpRequest, audit: int | None = None, page: int = 1):
    """The findings the caller may see, newest first, 50 a page; ``audit`` filters."""
    findings = Finding.objects.for_user(request.auth)
    if audit is not None:
        findings = findings.filter(audit_id=audit)
    count = findings.count()
    pages = max(1, -(-count // FINDINGS_PER_PAGE))
    page = max(1, min(page, pages))
    start = (page - 1) * FINDINGS_PER_PAGE
    rows = (
        findings.select_related("grade")
        .prefetch_related("clauses", "evidence", "photo_uploads")
        .order_by("-created_at", "pk")[start : start + FINDINGS_PER_PAGE]
    )
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "results": [sync.finding_state(f) for f in rows],
    }


@router.get("/findings/{uuid:finding_id}", response={200: FindingOut, **ERRORS}, url_name="finding")
def finding_get(request: HttpRequest, response: HttpResponse, finding_id: uuid.UUID):
    """One finding in the shape PUT accepts, with its ``version`` (also the ``ETag``)."""
    finding = _visible_finding(request, finding_id)
    _etag(response, finding.version)
    return sync.finding_state(finding)


@router.put(
    "/findings/{uuid:finding_id}",
    response={200: FindingOut, 201: FindingOut, **ERRORS, **CONFLICT},
    url_name="finding",
)
def finding_put(
    request: HttpRequest, response: HttpResponse, finding_id: uuid.UUID, payload: FindingIn
):
    """Create (201), replay (200, nothing changed) or update with ``If-Match`` (200, version
    + 1). A different body without the current version: 409 with ``current``."""
    body = sync.FindingBody(**payload.model_dump())
    try:
        finding, created = sync.finding_put(
            finding_id, body, actor=request.auth, if_match=_if_match(request)
        )
    except sync.FindingConflict as conflict:
        raise _conflict_finding(conflict.finding) from None
    except sync.EvidenceRemoved as error:
        raise ApiError(
            422,
            "evidence_removed",
            " ".join(error.messages),
            errors={k: [str(m) for m in v] for k, v in error.message_dict.items()},
        ) from None
    finding = sync._load_finding(finding.pk)
    _etag(response, finding.version)
    return Status(201 if created else 200, sync.finding_state(finding))


# --- photos -----------------------------------------------------------------------------------

_CONTENT_RANGE = re.compile(r"bytes (\d{1,12})-(\d{1,12})/(\d{1,12})")
_REPR_DIGEST = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]{1,100}):")


@router.get(
    "/findings/{uuid:finding_id}/photos/{uuid:photo_id}",
    response={200: PhotoProgressOut, **ERRORS},
    url_name="finding_photo",
)
def photo_get(request: HttpRequest, finding_id: uuid.UUID, photo_id: uuid.UUID):
    """What has arrived of the photo, so the device resumes rather than restarts."""
    upload = sync.photo_upload_for(_visible_finding(request, finding_id), photo_id)
    return sync.photo_progress(upload).__dict__


@router.put(
    "/findings/{uuid:finding_id}/photos/{uuid:photo_id}",
    response={
        200: PhotoProgressOut,
        201: PhotoProgressOut,
        202: PhotoProgressOut,
        **ERRORS,
        413: ErrorOut,
    },
    url_name="finding_photo",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        "parameters": [
            {
                "in": "header",
                "name": "Content-Range",
                "required": True,
                "schema": {"type": "string"},
                "description": "bytes <start>-<end_inclusive>/<total>",
            },
            {
                "in": "header",
                "name": "Repr-Digest",
                "required": True,
                "schema": {"type": "string"},
                "description": "sha-256=:<base64 of the whole file's SHA-256>:",
            },
        ],
    },
)
def photo_put(request: HttpRequest, finding_id: uuid.UUID, photo_id: uuid.UUID):
    """One chunk (at most 512 KiB) of a declared photo: 202 while chunks are missing, 201 when
    this chunk completes it, 200 once it is complete."""
    upload = sync.photo_upload_for(_visible_finding(request, finding_id), photo_id)
    ranged = _CONTENT_RANGE.fullmatch(request.headers.get("Content-Range", "").strip())
    digest = _REPR_DIGEST.search(request.headers.get("Repr-Digest", ""))
    if ranged is None:
        raise ApiError(
            422,
            "invalid",
            _("Send the chunk's place as Content-Range: bytes start-end/total."),
            errors={"Content-Range": [_("Missing or not valid.")]},
        )
    if digest is None:
        raise ApiError(
            422,
            "invalid",
            _("Send the photo's SHA-256 as Repr-Digest: sha-256=:<base64>:."),
            errors={"Repr-Digest": [_("Missing or not valid.")]},
        )
    start, end, total = (int(ranged[i]) for i in (1, 2, 3))
    data = request.body
    if end < start or end - start + 1 != len(data) or end >= total:
        raise ApiError(
            422,
            "invalid",
            _("The chunk's size does not match its Content-Range."),
            errors={"Content-Range": [_("Missing or not valid.")]},
        )
    if upload.completed_at is not None:
        return Status(200, sync.photo_progress(upload).__dict__)
    try:
        progress, completed = sync.photo_chunk_put(
            upload, actor=request.auth, start=start, total=total, digest=digest[1], data=data
        )
    except sync.PhotoTooLarge as error:
        raise ApiError(413, "too_large", " ".join(error.messages)) from None
    except sync.ChecksumMismatch as error:
        raise ApiError(422, "checksum_mismatch", " ".join(error.messages)) from None
    except sync.PhotoChanged as error:
        raise ApiError(422, "photo_changed", " ".join(error.messages)) from None
    if completed:
        return Status(201, progress.__dict__)
    return Status(200 if progress.complete else 202, progress.__dict__)


# --- checklist --------------------------------------------------------------------------------


@router.put(
    "/checklist-items/{int:item_id}",
    response={200: ChecklistItemOut, **ERRORS, **CONFLICT},
    url_name="checklist_item",
)
def checklist_item_put(
    request: HttpRequest, response: HttpResponse, item_id: int, payload: ChecklistItemIn
):
    """A checklist result: the same again changes nothing; a different one needs ``If-Match``
    with the item's current version (409 with ``current`` otherwise)."""
    item = (
        ChecklistItem.objects.filter(audit__in=Audit.objects.for_user(request.auth))
        .select_related("audit")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404
    try:
        item, _changed = sync.checklist_item_put(
            item,
            actor=request.auth,
            result=payload.result,
            note=payload.note,
            evidence=payload.evidence,
            if_match=_if_match(request),
        )
    except sync.ChecklistConflict as conflict:
        raise ApiError(
            409,
            "conflict",
            _("This item changed on the server. Compare both versions and choose."),
            current=ChecklistItemOut.model_validate(_item_out(conflict.item)).model_dump(
                mode="json"
            ),
        ) from None
    _etag(response, item.version)
    return _item_out(item)

"""The sync API's writes (ADR 0006): findings created or updated from a device, photos arriving
in chunks, checklist results. The primary keys decide duplicates, never a check-then-insert.

- ``finding_put``: the insert runs in a savepoint; an ``IntegrityError`` on the device's UUID
  means the finding exists. An identical body changes nothing; a different one needs the
  current ``version`` (``If-Match``), and evidence is only ever added.
- ``photo_chunk_put``: chunks are rows keyed by (photo, start); when they cover the file, its
  SHA-256 is compared and the photo is processed and attached as the evidence whose id is the
  photo's, all under the upload's row lock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import (
    MAX_PHOTOS_PER_FINDING,
    PHOTO_CHUNK_MAX_BYTES,
    Audit,
    ChecklistItem,
    Finding,
    FindingEvidence,
    FindingGrade,
    FindingPhotoChunk,
    FindingPhotoUpload,
)
from audits.photos import photo_max_bytes, process_photo
from audits.services.fieldwork import StaleChecklistItem, checklist_item_record
from audits.services.findings import (
    FilesRemovedOnFailure,
    _store_photo,
    add_written_evidence,
    check_finding_place,
    clean_finding_fields,
)
from audits.services.refusals import AuditRuleError
from ims.models import Clause, OrgUnit
from ims.workflow import created, lock, refuse

if TYPE_CHECKING:
    from documents.models import Revision
    from ims.models import User


# --- errors the API answers with its own codes ----------------------------------------------------


class FindingConflict(Exception):
    """The body differs from the stored finding and names no, or an old, version (409)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding.pk))
        self.finding = finding


class ChecklistConflict(Exception):
    """The same for a checklist item (409)."""

    def __init__(self, item: ChecklistItem) -> None:
        super().__init__(str(item.pk))
        self.item = item


class EvidenceRemoved(ValidationError):
    """An update that leaves out stored evidence: evidence is only ever added (422)."""


class ChecksumMismatch(ValidationError):
    """The chunks make a file whose SHA-256 is not the declared one; they are discarded (422)."""


class PhotoTooLarge(ValidationError):
    """A photo over the photo size limit (413)."""


class PhotoChanged(ValidationError):
    """A chunk declares another size or digest than the upload's earlier chunks (422)."""


# --- findings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingBody:
    """A finding as a device sends it (ids from the workspace bundle)."""

    audit: int
    grade: str
    unit: int
    statement: str
    clauses: list[int]
    checklist_item: int | None = None
    notes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)
    photos: list[uuid.UUID] = field(default_factory=list)


def finding_state(finding: Finding) -> dict[str, Any]:
    """The stored finding in the shape the API's PUT accepts, plus what the server keeps
    (``version``, ``status``, the photos still arriving). Four queries."""
    evidence = list(finding.evidence.all())
    uploads = list(finding.photo_uploads.all())
    photo_ids = {e.pk for e in evidence if e.kind == FindingEvidence.Kind.PHOTO}
    photo_ids |= {u.pk for u in uploads}
    return {
        "id": finding.pk,
        "audit": finding.audit_id,
        "checklist_item": finding.checklist_item_id,
        "grade": finding.grade.code,
        "unit": finding.unit_id,
        "statement": finding.statement,
        "clauses": sorted(c.pk for c in finding.clauses.all()),
        "notes": [e.text for e in evidence if e.kind == FindingEvidence.Kind.NOTE],
        "references": [
            e.reference for e in evidence if e.kind == FindingEvidence.Kind.DOCUMENT and e.reference
        ],
        "revisions": sorted(
            e.revision_id
            for e in evidence
            if e.kind == FindingEvidence.Kind.DOCUMENT and e.revision_id
        ),
        "photos": sorted(photo_ids, key=str),
        "photos_pending": sorted((u.pk for u in uploads if u.completed_at is None), key=str),
        "version": finding.version,
        "status": finding.status,
        "created_by": finding.created_by_id,
        "created_at": finding.created_at,
    }


def _load_finding(pk: uuid.UUID) -> Finding:
    return Finding.objects.select_related("grade").get(pk=pk)


@dataclass
class _Resolved:
    audit: Audit
    grade: FindingGrade
    unit: OrgUnit
    clauses: list[Clause]
    checklist_item: ChecklistItem | None
    revisions: list[Revision]


def _resolve(body: FindingBody, actor: User) -> _Resolved:
    """The records the body names, as the caller may see them: 404 for one they may not."""
    from audits.citations import citable_revisions

    audit = (
        Audit.objects.for_user(actor)
        .select_related("programme")
        .prefetch_related("team")
        .filter(pk=body.audit)
        .first()
    )
    if audit is None:
        raise Http404
    grade = FindingGrade.objects.filter(code=body.grade).first()
    if grade is None:
        raise ValidationError({"grade": [_("Choose a grade.")]})
    unit = OrgUnit.objects.filter(pk=body.unit).first()
    if unit is None:
        raise Http404
    clause_ids = set(body.clauses)
    clauses = list(Clause.objects.filter(pk__in=clause_ids))
    if len(clauses) != len(clause_ids):
        raise Http404
    item = None
    if body.checklist_item is not None:
        item = (
            ChecklistItem.objects.filter(
                pk=body.checklist_item, audit__in=Audit.objects.for_user(actor)
            )
            .only("pk", "audit_id")
            .first()
        )
        if item is None:
            raise Http404
    revision_ids = set(body.revisions)
    revisions = list(citable_revisions(actor).filter(pk__in=revision_ids)) if revision_ids else []
    if len(revisions) != len(revision_ids):
        raise Http404
    return _Resolved(audit, grade, unit, clauses, item, revisions)


def _normalised(body: FindingBody) -> dict[str, Any]:
    """What a body says, comparable with ``finding_state``: trimmed, ordered, no empties."""
    return {
        "audit": body.audit,
        "checklist_item": body.checklist_item,
        "grade": body.grade,
        "unit": body.unit,
        "statement": (body.statement or "").strip(),
        "clauses": sorted(set(body.clauses)),
        "notes": Counter(n.strip() for n in body.notes if n and n.strip()),
        "references": Counter(r.strip() for r in body.references if r and r.strip()),
        "revisions": sorted(set(body.revisions)),
        "photos": sorted(set(body.photos), key=str),
    }


def _same(body: dict[str, Any], state: dict[str, Any]) -> bool:
    return all(
        body[key] == (Counter(state[key]) if isinstance(body[key], Counter) else state[key])
        for key in body
    )


def _clean(body: FindingBody, resolved: _Resolved, actor: User) -> Any:
    try:
        return clean_finding_fields(
            actor=actor,
            statement=body.statement,
            clauses=resolved.clauses,
            notes=body.notes,
            references=body.references,
            revisions=resolved.revisions,
            photo_count=len(set(body.photos)),
        )
    except AuditRuleError as error:  # bad input for the API, with the page's message
        raise ValidationError(error.messages) from None


def finding_put(
    finding_id: uuid.UUID,
    body: FindingBody,
    *,
    actor: User,
    if_match: int | None = None,
) -> tuple[Finding, bool]:
    """Create the finding ``finding_id`` from ``body``, or update it: ``(finding, created)``.

    - new id: created, with its evidence and the uploads its photos will arrive through;
    - same body as stored: nothing written;
    - different body: ``FindingConflict`` unless ``if_match`` is the current version, then
      updated (version + 1, a history row), only adding evidence (``EvidenceRemoved``).
    """
    resolved = _resolve(body, actor)
    fields = _clean(body, resolved, actor)
    try:
        with transaction.atomic():  # a savepoint: the primary key decides, not a lookup
            finding = _create(finding_id, body, resolved, fields, actor)
        return finding, True
    except IntegrityError:
        if not Finding.objects.filter(pk=finding_id).exists():
            raise
    existing = Finding.objects.for_user(actor).filter(pk=finding_id).first()
    if existing is None:
        raise Http404
    return _update(existing, body, resolved, fields, actor=actor, if_match=if_match), False


def _create(
    finding_id: uuid.UUID, body: FindingBody, resolved: _Resolved, fields: Any, actor: User
) -> Finding:
    audit = resolved.audit
    finding = Finding(
        id=finding_id,
        audit=audit,
        checklist_item=resolved.checklist_item,
        grade=resolved.grade,
        unit=resolved.unit,
        statement=fields.statement,
        created_by=actor,
    )
    finding.save(force_insert=True)
    # The id is ours now: the rest is checked under the audit's lock.
    audit = lock(audit)
    if not audit.can_record(actor):
        refuse(_("Only the audit team records findings, during the audit."))
    check_finding_place(
        audit,
        unit=resolved.unit,
        clauses=fields.clauses,
        checklist_item=resolved.checklist_item,
    )
    finding.clauses.set(fields.clauses)
    add_written_evidence(finding, fields.notes, fields.references, fields.revisions, actor)
    _declare_photos(finding, body.photos, actor)
    if resolved.checklist_item is not None and resolved.grade.is_nonconformity:
        ChecklistItem.objects.filter(pk=resolved.checklist_item.pk).update(
            result=ChecklistItem.Result.NONCONFORMING,
            checked_by=actor,
            checked_at=timezone.now(),
        )
    created(finding, "finding_record", actor=actor)
    return finding


def _declare_photos(finding: Finding, photo_ids: Iterable[uuid.UUID], actor: User) -> None:
    """One upload per declared photo; a photo id already used elsewhere is refused (422)."""
    for photo_id in dict.fromkeys(photo_ids):
        try:
            with transaction.atomic():
                FindingPhotoUpload.objects.create(id=photo_id, finding=finding, created_by=actor)
        except IntegrityError:
            raise ValidationError(
                {"photos": [_("This photo id is already used by another finding.")]}
            ) from None


def _update(
    finding: Finding,
    body: FindingBody,
    resolved: _Resolved,
    fields: Any,
    *,
    actor: User,
    if_match: int | None,
) -> Finding:
    wanted = _normalised(body)
    with transaction.atomic():
        finding = lock(finding, "audit", "grade")
        state = finding_state(finding)
        if _same(wanted, state):
            return finding  # a replay: nothing written
        if not finding.can_add_evidence(actor):
            refuse(_("Only the audit team changes findings, while they are open."))
        if if_match is None or if_match != finding.version:
            raise FindingConflict(finding)
        if body.audit != finding.audit_id:
            raise ValidationError({"audit": [_("A finding stays in its audit.")]})
        missing = [key for key in ("notes", "references") if Counter(state[key]) - wanted[key]] + [
            key for key in ("revisions", "photos") if set(state[key]) - set(wanted[key])
        ]
        if missing:
            raise EvidenceRemoved(
                {
                    key: [_("Evidence is never removed: send every stored item again.")]
                    for key in missing
                }
            )
        check_finding_place(
            finding.audit,
            unit=resolved.unit,
            clauses=fields.clauses,
            checklist_item=resolved.checklist_item,
        )
        if len(wanted["photos"]) > MAX_PHOTOS_PER_FINDING:
            raise ValidationError(
                {"photos": [_("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS_PER_FINDING}]}
            )
        finding.grade, finding.unit = resolved.grade, resolved.unit
        finding.checklist_item = resolved.checklist_item
        finding.statement = fields.statement
        finding.version += 1
        finding.save(update_fields=["grade", "unit", "checklist_item", "statement", "version"])
        finding.clauses.set(fields.clauses)
        new_notes = wanted["notes"] - Counter(state["notes"])
        new_references = wanted["references"] - Counter(state["references"])
        stored_revisions = set(state["revisions"])
        add_written_evidence(
            finding,
            new_notes.elements(),
            new_references.elements(),
            [r for r in resolved.revisions if r.pk not in stored_revisions],
            actor,
        )
        stored_photos = set(state["photos"])
        _declare_photos(finding, [p for p in body.photos if p not in stored_photos], actor)
    return finding


# --- photos -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoProgress:
    size: int | None
    received: list[list[int]]
    complete: bool


def _ranges(spans: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Merged ``[start, end_exclusive]`` ranges."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def photo_progress(upload: FindingPhotoUpload) -> PhotoProgress:
    """What has arrived of ``upload``: one query, the chunks' bytes left in the database."""
    if upload.completed_at is not None:
        size = upload.size or 0
        return PhotoProgress(size, [[0, size]], True)
    spans = upload.chunks.annotate(length=Length("data")).values_list("start", "length")
    return PhotoProgress(upload.size, _ranges((s, s + n) for s, n in spans), False)


def photo_upload_for(finding: Finding, photo_id: uuid.UUID) -> FindingPhotoUpload:
    """The upload of a photo the finding declared; 404 for any other id."""
    upload = FindingPhotoUpload.objects.filter(pk=photo_id, finding=finding).first()
    if upload is None:
        raise Http404
    return upload


def _decode_digest(digest: str) -> bytes:
    try:
        raw = base64.b64decode(digest, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValidationError(
            {"Repr-Digest": [_("Send the photo's SHA-256 as Repr-Digest: sha-256=:<base64>:.")]}
        )
    return raw


def photo_chunk_put(
    upload: FindingPhotoUpload,
    *,
    actor: User,
    start: int,
    total: int,
    digest: str,
    data: bytes,
) -> tuple[PhotoProgress, bool]:
    """Store one chunk; when the chunks cover the photo, check and attach it.

    Returns the progress and whether this call completed the photo. A chunk already stored
    (same start) changes nothing; a complete photo changes nothing.
    """
    if total > photo_max_bytes():
        raise PhotoTooLarge(
            _("The photo is larger than %(n)s MB.") % {"n": photo_max_bytes() // (1024 * 1024)}
        )
    if not data or len(data) > PHOTO_CHUNK_MAX_BYTES:
        raise ValidationError(
            {
                "Content-Range": [
                    _("A chunk has 1 byte to %(n)s KiB.") % {"n": PHOTO_CHUNK_MAX_BYTES // 1024}
                ]
            }
        )
    if start < 0 or start + len(data) > total:
        raise ValidationError({"Content-Range": [_("The chunk lies outside the photo.")]})
    expected = _decode_digest(digest)
    if upload.completed_at is not None:
        return photo_progress(upload), False
    failure: ValidationError | None = None
    with FilesRemovedOnFailure() as stored, transaction.atomic():
        upload = FindingPhotoUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.completed_at is not None:
            return photo_progress(upload), False
        finding = Finding.objects.select_related("audit").get(pk=upload.finding_id)
        if not finding.can_add_evidence(actor):
            refuse(_("Only the audit team adds evidence, during the audit."))
        if upload.size is None:
            upload.size, upload.digest = total, digest
            upload.save(update_fields=["size", "digest"])
        elif upload.size != total or upload.digest != digest:
            raise PhotoChanged(
                {"Repr-Digest": [_("This photo was started with another size or checksum.")]}
            )
        try:
            with transaction.atomic():
                FindingPhotoChunk.objects.create(upload=upload, start=start, data=data)
        except IntegrityError:
            pass  # this chunk is stored already
        progress = photo_progress(upload)
        if progress.received != [[0, total]]:
            return progress, False
        content = _assemble(upload, total)
        if hashlib.sha256(content).digest() != expected:
            failure = ChecksumMismatch(
                _("The photo arrived damaged (its checksum differs). Send it again.")
            )
        else:
            try:
                _attach(finding, upload, content, actor, stored)
            except ValidationError as error:
                failure = error
        if failure is not None:
            # Start over: the device sends the whole photo again.
            upload.chunks.all().delete()
            upload.size, upload.digest = None, ""
            upload.save(update_fields=["size", "digest"])
        else:
            upload.chunks.all().delete()
            upload.completed_at = timezone.now()
            upload.save(update_fields=["completed_at"])
    if failure is not None:
        raise failure
    return photo_progress(upload), True


def _assemble(upload: FindingPhotoUpload, total: int) -> bytes:
    content = bytearray()
    for chunk in upload.chunks.order_by("start"):
        data = bytes(chunk.data)
        if chunk.start + len(data) > len(content):
            content += data[len(content) - chunk.start :]
    return bytes(content[:total])


def _attach(
    finding: Finding, upload: FindingPhotoUpload, content: bytes, actor: User, stored: list[Any]
) -> FindingEvidence:
    if FindingEvidence.objects.filter(pk=upload.pk).exists():
        raise ValidationError(_("This photo id is already used."))
    photos = finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count()
    if photos >= MAX_PHOTOS_PER_FINDING:
        raise ValidationError(
            _("This finding already has %(n)s photos, the most allowed.")
            % {"n": MAX_PHOTOS_PER_FINDING}
        )
    name = "photo.png" if content.startswith(b"\x89PNG") else "photo.jpg"
    processed = process_photo(SimpleUploadedFile(name, content))
    return _store_photo(finding, processed, actor, stored, evidence_id=upload.pk)


# --- checklist --------------------------------------------------------------------------------


def checklist_item_put(
    item: ChecklistItem,
    *,
    actor: User,
    result: str,
    note: str = "",
    evidence: str = "",
    if_match: int | None = None,
) -> tuple[ChecklistItem, bool]:
    """The checklist result from a device: ``(item, changed)``. The same answer again changes
    nothing; a different one needs the item's current version, through ``checklist_item_record``.
    """
    wanted = (result, note.strip(), evidence.strip())
    if (item.result, item.note, item.evidence) == wanted:
        return item, False
    if not item.audit.can_record(actor):
        refuse(_("Only the audit team records results, during the audit."))
    if if_match is None or if_match != item.version:
        raise ChecklistConflict(item)
    try:
        return (
            checklist_item_record(
                item,
                actor=actor,
                result=result,
                note=note,
                evidence=evidence,
                base_version=if_match,
            ),
            True,
        )
    except StaleChecklistItem as stale:
        # A retry that crossed its first copy: the item already holds this answer.
        if (stale.item.result, stale.item.note, stale.item.evidence) == wanted:
            return stale.item, False
        raise ChecklistConflict(stale.item) from None

"""Findings: recorded with their evidence during the fieldwork (AUD-R3), closed once the report
is issued (AUD-R4)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.citations import citable_revisions
from audits.models import (
    MAX_PHOTOS_PER_FINDING,
    Audit,
    ChecklistItem,
    Finding,
    FindingEvidence,
    FindingGrade,
)
from audits.photos import ProcessedPhoto, process_photo
from audits.services.refusals import AuditRuleError
from ims.workflow import created, lock, refuse, transition

if TYPE_CHECKING:
    from documents.models import Revision
    from ims.models import Clause, OrgUnit, User


def finding_record(
    audit: Audit,
    *,
    actor: User,
    grade: FindingGrade,
    clauses: Iterable[Clause],
    unit: OrgUnit,
    statement: str,
    checklist_item: ChecklistItem | None = None,
    notes: Iterable[str] = (),
    references: Iterable[str] = (),
    revisions: Iterable[Revision | None] = (),
    photos: Iterable[Any] = (),
    finding_id: uuid.UUID | str | None = None,
) -> Finding:
    """Record a finding with its evidence. AUD-R3: at least one clause and one evidence item.

    ``finding_id`` may come from the device (offline capture); sending the same id again returns
    the finding already stored and changes nothing.
    """
    finding_id = _parse_uuid(finding_id) if finding_id else uuid.uuid4()
    existing = Finding.objects.filter(pk=finding_id).first()
    if existing is not None:
        if existing.audit_id != audit.pk:
            raise ValidationError(_("This finding id belongs to another audit."))
        return existing
    photos = [p for p in photos if p]
    fields = clean_finding_fields(
        actor=actor,
        statement=statement,
        clauses=clauses,
        notes=notes,
        references=references,
        revisions=revisions,
        photo_count=len(photos),
    )
    statement, clauses, notes, references, cited = (
        fields.statement,
        fields.clauses,
        fields.notes,
        fields.references,
        fields.revisions,
    )
    processed = [process_photo(p) for p in photos]  # all photos checked before anything is saved
    with FilesRemovedOnFailure() as stored, transaction.atomic():
        audit = lock(audit)
        if not audit.can_record(actor):
            refuse(_("Only the audit team records findings, during the audit."))
        check_finding_place(audit, unit=unit, clauses=clauses, checklist_item=checklist_item)
        # A second send of the same finding waited on the audit's lock: it finds the first one.
        again = Finding.objects.filter(pk=finding_id).first()
        if again is not None:
            if again.audit_id != audit.pk:
                raise ValidationError(_("This finding id belongs to another audit."))
            return again
        finding = Finding.objects.create(
            id=finding_id,
            audit=audit,
            checklist_item=checklist_item,
            grade=grade,
            unit=unit,
            statement=statement,
            created_by=actor,
        )
        finding.clauses.set(clauses)
        add_written_evidence(finding, notes, references, cited, actor)
        for photo in processed:
            _store_photo(finding, photo, actor, stored)
        if checklist_item is not None and grade.is_nonconformity:
            ChecklistItem.objects.filter(pk=checklist_item.pk).update(
                result=ChecklistItem.Result.NONCONFORMING,
                checked_by=actor,
                checked_at=timezone.now(),
            )
        created(finding, "finding_record", actor=actor)
    return finding


@dataclass(frozen=True)
class FindingFields:
    """A finding's fields as recorded: trimmed, empty evidence left out."""

    statement: str
    clauses: list[Clause]
    notes: list[str]
    references: list[str]
    revisions: list[Revision]


def clean_finding_fields(
    *,
    actor: User,
    statement: str,
    clauses: Iterable[Clause],
    notes: Iterable[str] = (),
    references: Iterable[str] = (),
    revisions: Iterable[Revision | None] = (),
    photo_count: int = 0,
) -> FindingFields:
    """AUD-R3 and the checks of a finding's own fields, shared by the page and the sync API:
    a statement, at least one clause, at least one evidence item (a photo counts), citable
    revisions, at most ``MAX_PHOTOS_PER_FINDING`` photos."""
    clauses = list(clauses)
    notes = [n.strip() for n in notes if n and n.strip()]
    references = [r.strip() for r in references if r and r.strip()]
    cited = [r for r in revisions if r is not None]
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError(_("Write the finding's statement."))
    if not clauses:
        raise AuditRuleError(_("AUD-R3: a finding cites at least one clause."))
    if not (notes or references or cited or photo_count):
        raise AuditRuleError(_("AUD-R3: a finding needs at least one evidence item."))
    _check_citable(actor, cited)
    if photo_count > MAX_PHOTOS_PER_FINDING:
        raise ValidationError(
            _("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS_PER_FINDING}
        )
    return FindingFields(statement, clauses, notes, references, cited)


def check_finding_place(
    audit: Audit,
    *,
    unit: OrgUnit,
    clauses: list[Clause],
    checklist_item: ChecklistItem | None,
) -> None:
    """The unit within the audit's scope, the clauses among its criteria, the checklist item
    of this audit."""
    _check_in_scope(audit, unit, clauses)
    if checklist_item is not None and checklist_item.audit_id != audit.pk:
        raise ValidationError(_("This checklist item belongs to another audit."))


def add_written_evidence(
    finding: Finding,
    notes: Iterable[str],
    references: Iterable[str],
    revisions: Iterable[Revision],
    actor: User,
) -> None:
    """Notes, external references and cited revisions, each its own evidence item (with its
    history row), in this order; the caller holds the finding's lock."""
    for text in notes:
        FindingEvidence.objects.create(
            finding=finding, kind=FindingEvidence.Kind.NOTE, text=text, created_by=actor
        )
    for reference in references:
        FindingEvidence.objects.create(
            finding=finding,
            kind=FindingEvidence.Kind.DOCUMENT,
            reference=reference,
            created_by=actor,
        )
    for revision in revisions:
        FindingEvidence.objects.create(
            finding=finding, kind=FindingEvidence.Kind.DOCUMENT, revision=revision, created_by=actor
        )


def _parse_uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(_("The finding id is not valid.")) from None


def _check_citable(actor: User, revisions: list[Revision]) -> None:
    """A cited revision is published and visible to the auditor (documents' access rules)."""
    if not revisions:
        return
    ids = {r.pk for r in revisions}
    if citable_revisions(actor).filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("This document revision does not exist or you may not see it."))


def _check_in_scope(audit: Audit, unit: OrgUnit, clauses: list[Clause]) -> None:
    if not any(unit.is_within(scoped) for scoped in audit.scope_units.all()):
        raise ValidationError(_("The unit is outside the audit's scope."))
    allowed = set(audit.clauses.values_list("pk", flat=True))
    if any(c.pk not in allowed for c in clauses):
        raise ValidationError(_("Cite only clauses among the audit's criteria."))


def _store_photo(
    finding: Finding,
    photo: ProcessedPhoto,
    actor: User,
    stored: list[FieldFile],
    evidence_id: uuid.UUID | None = None,
) -> FindingEvidence:
    """Write the photo and its thumbnail, then the row; ``stored`` collects the file names so
    the caller can remove them if the transaction does not commit. ``evidence_id``: the
    photo's id from the device (sync API)."""
    evidence = FindingEvidence(
        id=evidence_id or uuid.uuid4(),
        finding=finding,
        kind=FindingEvidence.Kind.PHOTO,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        created_by=actor,
    )
    evidence.photo.save("photo.jpg", photo.photo, save=False)
    stored.append(evidence.photo)
    evidence.thumbnail.save("thumb.jpg", photo.thumbnail, save=False)
    stored.append(evidence.thumbnail)
    evidence.save()
    return evidence


class FilesRemovedOnFailure:
    """Context: stored files listed in ``self.files`` are deleted when the block raises, since a
    rolled-back transaction leaves the files it wrote behind."""

    def __enter__(self) -> list[FieldFile]:
        self.files: list[FieldFile] = []
        return self.files

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is not None:
            for field_file in self.files:
                if field_file.name:
                    field_file.storage.delete(field_file.name)
        return False


def evidence_ids(evidence_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """The ids of ``count`` evidence items sent with one form: the form's id, then ids derived
    from it, the same on every send of that form."""
    return [evidence_id, *(uuid.uuid5(evidence_id, str(i)) for i in range(1, count))]


def finding_add_evidence(
    finding: Finding,
    *,
    actor: User,
    kind: str,
    text: str = "",
    reference: str = "",
    revision: Revision | None = None,
    photo: Any = None,
    photos: Iterable[Any] = (),
    evidence_id: uuid.UUID | str | None = None,
) -> FindingEvidence:
    """Add a note, a document or photos to an open finding; the first item added is returned.

    ``evidence_id`` comes from the form (made when it was shown): the same form sent again
    (a retry, a reload) adds nothing and returns what the first send stored. Several photos
    take ids derived from it (``evidence_ids``)."""
    first_id = _parse_uuid(evidence_id) if evidence_id else uuid.uuid4()
    photos = [p for p in [photo, *photos] if p]
    processed: list[ProcessedPhoto] = []
    if kind == FindingEvidence.Kind.PHOTO:
        if not photos:
            raise ValidationError(_("Choose a photo."))
        if len(photos) > MAX_PHOTOS_PER_FINDING:
            raise ValidationError(
                _("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS_PER_FINDING}
            )
    elif kind == FindingEvidence.Kind.NOTE and not text.strip():
        raise ValidationError(_("Write the note."))
    elif kind == FindingEvidence.Kind.DOCUMENT and not (reference.strip() or revision):
        raise ValidationError(_("Choose the document revision, or name the external document."))
    elif kind not in FindingEvidence.Kind.values:
        raise ValidationError(_("Choose a kind of evidence."))
    if kind == FindingEvidence.Kind.PHOTO:
        # every photo checked before anything is stored, outside the finding's lock
        processed = [process_photo(p) for p in photos]
    ids = evidence_ids(first_id, len(processed) or 1)
    with FilesRemovedOnFailure() as stored, transaction.atomic():
        finding = lock(finding, "audit")
        if not finding.can_add_evidence(actor):
            refuse(_("Only the audit team adds evidence, during the audit."))
        # Sent before: the finding's lock made this send wait for the first one to commit.
        again = FindingEvidence.objects.filter(pk=first_id).first()
        if again is not None:
            if again.finding_id != finding.pk:
                raise ValidationError(_("This form was sent for another finding: reload it."))
            return again
        if kind == FindingEvidence.Kind.PHOTO:
            count = finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count()
            if count >= MAX_PHOTOS_PER_FINDING:
                raise ValidationError(
                    _("This finding already has %(n)s photos, the most allowed.")
                    % {"n": MAX_PHOTOS_PER_FINDING}
                )
            if count + len(processed) > MAX_PHOTOS_PER_FINDING:
                raise ValidationError(
                    _("A finding has at most %(n)s photos: add %(left)s more at most.")
                    % {"n": MAX_PHOTOS_PER_FINDING, "left": MAX_PHOTOS_PER_FINDING - count}
                )
            added = [
                _store_photo(finding, one, actor, stored, evidence_id=id_)
                for one, id_ in zip(processed, ids, strict=True)
            ]
            _bump_version(finding)
            return added[0]
        if kind != FindingEvidence.Kind.DOCUMENT:
            revision, reference = None, ""
        _check_citable(actor, [revision] if revision else [])
        evidence = FindingEvidence.objects.create(
            id=first_id,
            finding=finding,
            kind=kind,
            text=text.strip(),
            reference=reference.strip(),
            revision=revision,
            created_by=actor,
        )
        _bump_version(finding)
        return evidence


def _bump_version(finding: Finding) -> None:
    """Evidence added on the page changes the finding a device may hold: its next PUT based on
    the older version is a conflict shown to the auditor (ADR 0006), not a silent overwrite."""
    Finding.objects.filter(pk=finding.pk).update(version=F("version") + 1)


def finding_close(finding: Finding, *, actor: User, reason: str = "") -> Finding:
    """AUD-R4: a finding closes only once its audit's report is issued."""
    with transaction.atomic():
        finding = lock(finding, "audit")
        if finding.status != Finding.Status.OPEN:
            refuse(_("This finding is already closed."))
        if finding.audit.status != Audit.Status.REPORT_ISSUED:
            raise AuditRuleError(
                _("AUD-R4: a finding cannot be closed before its audit report is issued.")
            )
        if not finding.can_close(actor):
            refuse(_("Only the lead auditor or the quality manager closes findings."))
        finding.closed_by, finding.closed_at = actor, timezone.now()
        return transition(
            finding,
            "finding_close",
            actor=actor,
            reason=reason,
            fields=("closed_by", "closed_at"),
            checked=False,
        )

"""Raising a nonconformity and numbering it.

``nonconformity_raise`` is the seam other modules use (audits, surveys): they pass the object the
NC comes from as ``source_object`` and this app stores only a generic reference to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.models import Clause, OrgUnit, User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.workflow import created
from nonconformities.models import Nonconformity, NumberSequence, unit_heads


def _next_number(year: int) -> int:
    """Take the next number of ``year`` under a row lock: unique and without gaps.

    The sequence row is created on first use (a savepoint absorbs a concurrent creation); the
    caller's transaction holds the lock until it commits, so a rolled-back NC frees its number.
    """
    if not NumberSequence.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                NumberSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass
    sequence = NumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def _source_reference(
    source_object: models.Model | None,
) -> tuple[ContentType | None, str | None]:
    if source_object is None:
        return None, None
    if source_object.pk is None:
        raise ValueError("source_object must be saved before an NC is raised from it")
    content_type = ContentType.objects.get_for_model(source_object, for_concrete_model=False)
    return content_type, str(source_object.pk)


def nonconformity_raise(
    *,
    actor: User,
    unit: OrgUnit,
    title: str,
    description: str,
    source: str,
    severity: str | None = None,
    kind: str | None = None,
    source_object: models.Model | None = None,
    clauses: Iterable[Clause] = (),
    due: date | None = None,
    reported_on: date | None = None,
) -> Nonconformity:
    """Open a nonconformity (or opportunity for improvement) and return it.

    ``reported_on`` (default today) is the date the problem was reported, e.g. the date of an
    external audit recorded later; it picks the year the NC is numbered in.

    Idempotent per ``source_object``: raising again from the same object returns the NC already
    raised from it, also when two calls race (the unique constraint decides, the loser reads the
    winner's row). Records a ``TransitionEvent`` and notifies the unit head after commit.
    """
    if source not in Nonconformity.Source.values:
        raise ValueError(f"Unknown nonconformity source: {source!r}")
    severity = severity or Nonconformity.Severity.MINOR
    if severity not in Nonconformity.Severity.values:
        raise ValueError(f"Unknown severity: {severity!r}")
    kind = kind or Nonconformity.Kind.NONCONFORMITY
    if kind not in Nonconformity.Kind.values:
        raise ValueError(f"Unknown kind: {kind!r}")
    today = timezone.localdate()
    reported_on = reported_on or today
    if reported_on > today:
        raise ValidationError(_("The report date cannot be in the future."))
    content_type, object_id = _source_reference(source_object)
    if content_type is not None:
        existing = _raised_from(content_type, object_id)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            nc = _create(
                actor=actor,
                unit=unit,
                title=title,
                description=description,
                source=source,
                severity=severity,
                kind=kind,
                content_type=content_type,
                object_id=object_id,
                clauses=clauses,
                due=due,
                reported_on=reported_on,
            )
    except IntegrityError:
        if content_type is not None:
            existing = _raised_from(content_type, object_id)
            if existing is not None:
                return existing
        raise
    return nc


def _raised_from(content_type: ContentType, object_id: str | None) -> Nonconformity | None:
    return Nonconformity.objects.filter(
        source_content_type=content_type, source_object_id=object_id
    ).first()


def _create(
    *,
    actor: User,
    unit: OrgUnit,
    title: str,
    description: str,
    source: str,
    severity: str,
    kind: str,
    content_type: ContentType | None,
    object_id: str | None,
    clauses: Iterable[Clause],
    due: date | None,
    reported_on: date,
) -> Nonconformity:
    year = reported_on.year
    sequence = _next_number(year)
    nc = Nonconformity(
        number=f"NC-{year}-{sequence:04d}",
        year=year,
        sequence=sequence,
        unit=unit,
        title=str(title)[:255],
        description=description,
        source=source,
        severity=severity,
        kind=kind,
        source_content_type=content_type,
        source_object_id=object_id,
        reported_by=actor,
        reported_on=reported_on,
        due=due,
    )
    nc.save()
    if clauses:
        nc.clauses.set(clauses)
        repeat = nc.find_repeat_of()
        if repeat is not None:
            nc.repeat_of = repeat
            nc.save(update_fields=["repeat_of"])
    return created(nc, "raise", actor=actor, notify=partial(_notify_raised, nc.pk))


def _notify_raised(nc_id: int) -> None:
    nc = Nonconformity.objects.select_related("unit", "reported_by").filter(pk=nc_id).first()
    if nc is None:
        return
    for head in unit_heads(nc.unit):
        if head.pk == nc.reported_by_id:
            continue
        notify(
            head,
            title=lazy_format(
                _("New nonconformity %(number)s: %(title)s"), number=nc.number, title=nc.title
            ),
            body=lazy_format(_("Unit: %(unit)s"), unit=nc.unit.name),
            url=nc.get_absolute_url(),
            kind="nc_raised",
            dedupe_key=f"nc_raised:{nc.pk}:{head.pk}",
        )

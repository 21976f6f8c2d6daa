"""Every write to a nonconformity: one function per step of the loop, each atomic.

``nonconformity_raise`` is the seam other modules use (audits, surveys): they pass the object the
NC comes from as ``source_object`` and this app stores only a generic reference to it.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.notifications import notify
from ims.reminders import lazy_format
from ims.transitions import TransitionError, record_transition
from nonconformities.models import Nonconformity, NumberSequence, unit_heads


def _next_number(year):
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


def _source_reference(source_object):
    if source_object is None:
        return None, None
    if source_object.pk is None:
        raise ValueError("source_object must be saved before an NC is raised from it")
    content_type = ContentType.objects.get_for_model(source_object, for_concrete_model=False)
    return content_type, str(source_object.pk)


def nonconformity_raise(
    *,
    actor,
    unit,
    title,
    description,
    source,
    severity=None,
    kind=None,
    source_object=None,
    clauses=(),
    due=None,
):
    """Open a nonconformity (or opportunity for improvement) and return it.

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
            )
    except IntegrityError:
        if content_type is not None:
            existing = _raised_from(content_type, object_id)
            if existing is not None:
                return existing
        raise
    return nc


def _raised_from(content_type, object_id):
    return Nonconformity.objects.filter(
        source_content_type=content_type, source_object_id=object_id
    ).first()


def _create(
    *,
    actor,
    unit,
    title,
    description,
    source,
    severity,
    kind,
    content_type,
    object_id,
    clauses,
    due,
):
    today = timezone.localdate()
    sequence = _next_number(today.year)
    nc = Nonconformity(
        number=f"NC-{today.year}-{sequence:04d}",
        year=today.year,
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
        reported_on=today,
        due=due,
    )
    nc.save()
    if clauses:
        nc.clauses.set(clauses)
        repeat = nc.find_repeat_of()
        if repeat is not None:
            nc.repeat_of = repeat
            nc.save(update_fields=["repeat_of"])
    record_transition(
        nc, actor=actor, action="raise", from_state="", to_state=Nonconformity.Status.OPEN
    )
    transaction.on_commit(lambda: _notify_raised(nc.pk))
    return nc


def _notify_raised(nc_id):
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


__all__ = ["TransitionError", "nonconformity_raise"]

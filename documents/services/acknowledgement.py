"""Reading an effective revision: opening it, acknowledging it, reminding those who have not."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents import coverage as coverage_rollup
from documents.models import Acknowledgement, Opening, Revision, RevisionStatus
from documents.selectors import managed_paths, recipients
from ims.models import Membership, User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.workflow import lock, refuse, transition

S = RevisionStatus
ACK_NEEDS_OPENING = _(
    "Open the document first (view it in the browser or download it): acknowledging says you "
    "have read it."
)


def revision_opened(revision: Revision, *, actor: User, via: str) -> Opening | None:
    """Record that ``actor`` opened ``revision`` (the first time only). Call after the access
    check, when the file or its viewer is served."""
    if not getattr(actor, "is_authenticated", False):
        return None
    opening, _created = Opening.objects.get_or_create(
        revision_id=revision.pk, user=actor, defaults={"via": via}
    )
    return opening


@transaction.atomic
def revision_acknowledge(revision: Revision, *, actor: User) -> Acknowledgement:
    """The recipient has read this effective revision (and has opened it: viewed or
    downloaded). Acknowledging twice changes nothing."""
    revision = lock(revision)
    if revision.status != S.EFFECTIVE:
        refuse(_("Only an effective revision can be acknowledged."))
    if revision.acknowledgements.filter(user=actor).exists():
        return revision.acknowledgements.get(user=actor)
    if not revision.can_acknowledge(actor):
        refuse(_("This document was not distributed to you."))
    if not revision.opened_by(actor):
        refuse(ACK_NEEDS_OPENING)
    acknowledgement = Acknowledgement.objects.create(revision=revision, user=actor)
    coverage_rollup.acknowledged(revision, actor)
    return acknowledgement


def remind_unread(
    revision: Revision, *, actor: User, today: datetime.date | None = None
) -> tuple[int, int]:
    """ "Remind those who have not read": one notification to each recipient of the effective
    ``revision`` who has not acknowledged it and whom ``actor`` manages (``managed_paths``, as
    coverage names them). At most one reminder per person, revision and day, whoever presses
    the button and however often (the notification's dedupe key; ``ims.reminders`` keys the
    same way). Returns ``(sent, already_reminded_today)``."""
    today = today or timezone.localdate()
    if revision.status != S.EFFECTIVE:
        refuse(_("Only an effective revision has readers to remind."))
    paths = managed_paths(actor)
    if not paths:
        refuse(_("You manage nobody on this distribution list."))
    managed = Q()
    for path in paths:
        managed |= Q(unit__path__startswith=path)
    people = (
        recipients(revision)
        .exclude(pk__in=revision.acknowledgements.values("user_id"))
        .filter(Exists(Membership.objects.active().filter(managed, user=OuterRef("pk"))))
    )
    url = reverse("documents:revision_view", args=[revision.pk])
    title = lazy_format(_("Reminder: please read and acknowledge %(doc)s"), doc=str(revision))
    sent = already = 0
    for person in people:
        created = notify(
            person,
            title=title,
            body=revision.document.title,
            url=url,
            kind="documents.ack_reminder",
            dedupe_key=f"documents.ack_reminder:rev-{revision.pk}:{person.pk}:{today.isoformat()}",
        )
        if created:
            sent += 1
        else:
            already += 1
    if sent:
        # One event however many were reminded; the revision stays effective.
        transition(
            revision,
            "remind",
            actor=actor,
            save=False,
            checked=False,
            reason=str(_("%(n)s reminded") % {"n": sent}),
        )
    return sent, already

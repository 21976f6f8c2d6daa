"""Document reminders for the core's daily pass:

- the owner of an effective document, once when its periodic review falls due within 30 days,
  and once a week while it is overdue;
- each recipient who has not acknowledged an effective revision 7 days after it was distributed
  to them, once a week until they do.

Each is a ``once`` reminder whose item key names its stage (the review date, the week): the core
sends a stage once, on the first pass on or after its day, so a missed day loses nothing.
"""

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ims.models import User
from ims.reminders import Reminder, lazy_format

from .models import REVIEW_DUE_DAYS, Distribution, Document, Revision, RevisionStatus
from .services import recipients

ACK_AFTER_DAYS = 7
REPEAT_EVERY_DAYS = 7

REVIEW_DUE = "documents.review_due"
REVIEW_OVERDUE = "documents.review_overdue"
ACK_OVERDUE = "documents.ack_overdue"


def review_reminders(today: date) -> Iterator[Reminder]:
    documents = Document.objects.filter(
        status=RevisionStatus.EFFECTIVE,
        next_review_date__isnull=False,
        next_review_date__lte=today + timedelta(days=REVIEW_DUE_DAYS),
        owner__is_active=True,
    ).select_related("owner")
    for document in documents:
        url = reverse("documents:document_detail", args=[document.pk])
        due = document.next_review_date
        if due >= today:
            kind, item_key = REVIEW_DUE, f"doc-{document.pk}-{due.isoformat()}"
            title = lazy_format(
                _("Periodic review due on %(date)s: %(doc)s"),
                date=due.strftime("%d/%m/%Y"),
                doc=str(document),
            )
        else:
            week = (today - due).days // REPEAT_EVERY_DAYS
            kind, item_key = REVIEW_OVERDUE, f"doc-{document.pk}-{due.isoformat()}-w{week}"
            title = lazy_format(
                _("Periodic review overdue since %(date)s: %(doc)s"),
                date=due.strftime("%d/%m/%Y"),
                doc=str(document),
            )
        yield Reminder(document.owner, kind, item_key, title, url=url, once=True)


def acknowledgement_reminders(today: date) -> Iterator[Reminder]:
    revisions = Revision.objects.filter(
        status=RevisionStatus.EFFECTIVE,
        effective_date__lte=today - timedelta(days=ACK_AFTER_DAYS),
    ).select_related("document")
    url = reverse("documents:to_acknowledge")
    for revision in revisions:
        acknowledged = set(revision.acknowledgements.values_list("user_id", flat=True))
        distributions = list(revision.distributions.select_related("unit"))
        for user in recipients(revision).prefetch_related("memberships__unit"):
            if user.pk in acknowledged:
                continue
            since = _distributed_on(revision, distributions, user)
            if since is None or (today - since).days < ACK_AFTER_DAYS:
                continue
            week = ((today - since).days - ACK_AFTER_DAYS) // REPEAT_EVERY_DAYS
            item_key = f"rev-{revision.pk}-w{week}"
            yield Reminder(
                user,
                ACK_OVERDUE,
                item_key,
                lazy_format(_("Please read and acknowledge: %(doc)s"), doc=str(revision)),
                body=revision.document.title,
                url=url,
                once=True,
            )


def _distributed_on(
    revision: Revision, distributions: Sequence[Distribution], user: User
) -> date | None:
    """The day ``user`` first received ``revision``: the earliest matching distribution entry,
    never before the revision became effective."""
    from django.utils import timezone

    paths = [m.unit.path for m in user.memberships.all() if m.is_active]
    days = [
        timezone.localtime(d.created_at).date()
        for d in distributions
        if d.user_id == user.pk
        or (d.unit is not None and any(path.startswith(d.unit.path) for path in paths))
    ]
    if not days:
        return None
    effective = revision.effective_date  # set: only effective revisions are reminded of
    return min(days) if effective is None else max(min(days), effective)


def document_reminders(today: date) -> Iterator[Reminder]:
    yield from review_reminders(today)
    yield from acknowledgement_reminders(today)

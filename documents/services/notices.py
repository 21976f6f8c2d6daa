"""What the documents steps tell people: notifications to the signers and the recipients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from documents.models import Revision, RevisionStatus
from documents.selectors import recipients
from ims.models import User
from ims.notifications import notify
from ims.reminders import lazy_format


def document_url(revision: Revision) -> str:
    return reverse("documents:document_detail", args=[revision.document_id])


def tell(users: Iterable[User | None], title: Any, revision: Revision, kind: str) -> None:
    """Notify each active person of ``users`` about ``revision`` (after the step commits)."""
    for user in users:
        if user is not None and user.is_active:
            notify(user, title=title, url=document_url(revision), kind=kind)


def notify_later(revision_id: int) -> None:
    """Hand the recipients' notification of an effective revision to a worker."""
    from documents.tasks import enqueue_notify_recipients

    enqueue_notify_recipients(revision_id)


def notify_recipients(revision_id: int) -> int:
    """Tell every recipient who has not acknowledged an effective revision that it is out."""
    revision = Revision.objects.select_related("document").filter(pk=revision_id).first()
    if revision is None or revision.status != RevisionStatus.EFFECTIVE:
        return 0
    done = set(revision.acknowledgements.values_list("user_id", flat=True))
    url = reverse("documents:to_acknowledge")
    sent = 0
    for user in recipients(revision):
        if user.pk in done:
            continue
        if notify(
            user,
            title=lazy_format(
                _("New document to read and acknowledge: %(doc)s"), doc=str(revision)
            ),
            body=revision.document.title,
            url=url,
            kind="documents.distributed",
            dedupe_key=f"documents.distributed:rev-{revision.pk}:{user.pk}",
        ):
            sent += 1
    return sent

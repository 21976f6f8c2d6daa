"""Thin Celery tasks for documents: load by id, call a service."""

import logging
from collections.abc import Iterable

from celery import shared_task

from ims.tasks import RETRY

logger = logging.getLogger(__name__)


@shared_task(**RETRY)
def notify_recipients_task(revision_id: int) -> int:
    """Tell the recipients of a newly effective revision. Idempotent (one notification per
    revision and person), so a redelivered task sends nothing twice."""
    from .services import notify_recipients

    return notify_recipients(revision_id)


def enqueue_notify_recipients(revision_id: int) -> None:
    """Send to a worker; with the broker down, do it here rather than lose it."""
    from ims.celery import app

    try:
        with app.connection_for_write() as connection:
            notify_recipients_task.apply_async(
                args=[revision_id], retry=False, connection=connection
            )
    except Exception as error:  # noqa: BLE001 — broker failures take many shapes
        logger.warning("Broker unavailable (%s): notifying recipients inline", error)
        from .services import notify_recipients

        notify_recipients(revision_id)


@shared_task(**RETRY)
def recount_coverage_task(
    revision_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    everything: bool = False,
) -> int:
    """Re-count the acknowledgement coverage roll-up after a change (see
    ``documents.coverage``). Idempotent: each run writes the rows from scratch."""
    from .coverage import recount_changes

    return recount_changes(revision_ids, user_ids, unit_ids, everything)


@shared_task(**RETRY)
def rebuild_coverage_task() -> int:
    """Nightly: the whole acknowledgement coverage roll-up from scratch."""
    from .coverage import rebuild

    return rebuild()


@shared_task(**RETRY)
def publish_due_task() -> int:
    """Daily (beat): revisions published with a future date take effect on it. Idempotent: a
    second run finds nothing left to do."""
    from .services import publish_due

    return publish_due()

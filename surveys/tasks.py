"""Thin Celery tasks for surveys."""

from celery import shared_task

from ims.tasks import RETRY


@shared_task(**RETRY)
def fold_staged_task():
    """Every ``SURVEY_FOLD_SECONDS`` (beat): count the responses submitted since the last run
    (``surveys.services.fold_staged``). Several may run at once; each folds other rows."""
    from .services import fold_staged, vacuum_staged

    folded = fold_staged()
    if folded:
        vacuum_staged()
    return folded


@shared_task(**RETRY)
def prune_claims_task():
    """Hourly (beat): drop the claims of answering sessions that can no longer be replayed."""
    from .services import prune_claims

    return prune_claims()

"""A submission stages one row; the fold turns staged rows into responses and counters.

The counters a fold writes are exactly what ``tally_rebuild`` computes from the raw answers,
whatever the batch size; closing, rebuilding and the raw export count every response accepted
before them; concurrent folds and a close racing submissions lose and double nothing.
"""

import threading
import time

import pytest
from django.db import connection, connections

from ims.settings import CELERY_BEAT_SCHEDULE, SURVEY_FOLD_SECONDS
from surveys.models import Campaign, Response, StagedResponse, UnitTally
from surveys.services import (
    CampaignNotOpen,
    campaign_close,
    fold_staged,
    response_submit,
    tally_rebuild,
)
from surveys.tasks import fold_staged_task
from tests.surveys.factories import make_campaign, parent_answers, questions, submit
from tests.surveys.test_tally_upsert import counters

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locking"
)


def submit_varied(campaign, units, n):
    q = questions(campaign)
    for i in range(n):
        answers = parent_answers(campaign, likert=1 + i % 5, grade=1 + i % 3, p7=i % 11)
        if i % 4 == 0:
            answers[str(q["p9"].pk)] = [f"Ý kiến {i}"]  # a text answer: no value counter
        response_submit(
            campaign_id=campaign.pk,
            unit_id=units[i % len(units)].pk,
            answers=answers,
            language="vi",
        )


def test_a_submission_stages_one_row_holding_what_its_response_will(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    answers = parent_answers(campaign)
    answers[str(q["p9"].pk)] = ["Cô giáo rất tận tâm"]
    response = response_submit(
        campaign_id=campaign.pk, unit_id=world.school.pk, answers=answers, language="en"
    )
    staged = StagedResponse.objects.get()
    assert staged.pk == response.pk and staged.unit_id == world.school.pk
    assert (staged.campaign_id, staged.version_id) == (campaign.pk, campaign.version_id)
    assert not Response.objects.exists() and not UnitTally.objects.exists()
    assert fold_staged() == 1
    assert not StagedResponse.objects.exists()
    stored = Response.objects.get()
    assert (stored.pk, stored.language, stored.unit_id) == (response.pk, "en", world.school.pk)
    assert stored.answers == staged.answers
    assert [q["p9"].pk, None, "Cô giáo rất tận tâm"] in stored.answers
    assert [q["p1"].pk, 1, ""] in stored.answers  # parent_answers' first choice


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_folded_counters_equal_a_rebuild_from_raw_answers_whatever_the_batch(
    world, staged_only, batch
):
    campaign = make_campaign(world, units=[world.root])
    submit_varied(campaign, [world.school, world.school2, world.commune], 23)
    assert StagedResponse.objects.count() == 23
    assert fold_staged(batch=batch) == 23
    folded = counters(campaign)
    assert Response.objects.count() == 23
    assert sum(count for _unit, count in folded["units"]) == 23
    tally_rebuild(campaign)
    assert counters(campaign) == folded


def test_folds_add_to_the_counters_of_earlier_folds(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=3)
    fold_staged()
    submit(campaign, world.school, n=2)
    fold_staged()
    assert UnitTally.objects.get(campaign=campaign).count == 5


def test_a_campaign_fold_leaves_other_campaigns_rows_staged(world, staged_only):
    first = make_campaign(world, units=[world.school])
    second = make_campaign(world, units=[world.school])
    submit(first, world.school, n=2)
    submit(second, world.school, n=3)
    assert fold_staged(campaign_id=first.pk) == 2
    assert StagedResponse.objects.filter(campaign=second).count() == 3
    assert not StagedResponse.objects.filter(campaign=first).exists()


def test_closing_counts_every_response_accepted_before(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=4)
    campaign_close(actor=world.iso, campaign=campaign)
    assert UnitTally.objects.get(campaign=campaign).count == 4
    assert not StagedResponse.objects.exists()


def test_rebuild_counts_staged_responses_too(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=3)
    tally_rebuild(campaign)
    assert UnitTally.objects.get(campaign=campaign).count == 3
    assert Response.objects.count() == 3 and not StagedResponse.objects.exists()


def test_a_submission_to_a_closed_campaign_stages_nothing(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    read_earlier = Campaign.objects.select_related("version").get(pk=campaign.pk)
    campaign_close(actor=world.iso, campaign=campaign)
    with pytest.raises(CampaignNotOpen):
        response_submit(
            campaign=read_earlier, unit_id=world.school.pk, answers=parent_answers(campaign),
            language="vi",
        )  # fmt: skip
    assert not StagedResponse.objects.exists()


def test_without_a_broker_the_submission_folds_its_own_response(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    assert not StagedResponse.objects.exists()
    assert UnitTally.objects.get(campaign=campaign).count == 1


def test_beat_runs_the_fold_within_a_minute_and_drops_late_runs(world, staged_only):
    entry = CELERY_BEAT_SCHEDULE["fold-survey-responses"]
    assert entry["task"] == fold_staged_task.name
    assert entry["schedule"] == SURVEY_FOLD_SECONDS <= 60
    assert entry["options"]["expires"] == SURVEY_FOLD_SECONDS
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=2)
    assert fold_staged_task.delay().get() == 2


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_folds_count_every_response_once(staged_only):
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.root])
    submit_varied(campaign, [world.school, world.school2, world.commune], 120)
    barrier = threading.Barrier(3)
    folded = []

    def fold():
        try:
            barrier.wait()
            folded.append(fold_staged(batch=10))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fold) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fold_staged()  # a fold that saw only rows held by others stops early; the next run ends it
    assert sum(folded) <= 120 and len(folded) == 3
    assert Response.objects.count() == 120 and not StagedResponse.objects.exists()
    written = counters(campaign)
    tally_rebuild(campaign)
    assert counters(campaign) == written


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_close_racing_submissions_counts_exactly_those_it_accepted(staged_only):
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    read_earlier = Campaign.objects.select_related("version").get(pk=campaign.pk)
    answers = parent_answers(campaign)
    submit(campaign, world.school)  # the version is frozen: submissions run in autocommit
    outcomes, closed = [], threading.Event()

    def respondent():
        try:
            for _ in range(400):
                try:
                    response_submit(
                        campaign=read_earlier, unit_id=world.school.pk, answers=answers,
                        language="vi",
                    )  # fmt: skip
                    outcomes.append("stored")
                except CampaignNotOpen:
                    outcomes.append("closed")
                    if closed.is_set():
                        return
        finally:
            connections.close_all()

    threads = [threading.Thread(target=respondent) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(1000):  # let some submissions through first
        if outcomes.count("stored") >= 30:
            break
        time.sleep(0.01)
    campaign_close(actor=world.iso, campaign=campaign)
    closed.set()
    counted_at_close = UnitTally.objects.get(campaign=campaign).count
    for thread in threads:
        thread.join()
    stored = outcomes.count("stored") + 1
    assert "closed" in outcomes
    assert counted_at_close == stored  # nothing accepted after the close, nothing left over
    assert not StagedResponse.objects.exists()
    assert Response.objects.count() == stored


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_periodic_fold_leaves_the_staging_table_empty_on_disk(staged_only):
    """The server may run without autovacuum (this machine's does): the task vacuums the
    staging table itself, so a fold never reads pages of rows deleted long ago."""
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=60)

    def pages():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size('surveys_stagedresponse')")
            return cursor.fetchone()[0]

    assert pages() > 0
    assert fold_staged_task.delay().get() == 60
    assert pages() == 0

"""An answering session stores at most one response: its claim is written by the statement that
stages the response, in the database, so it holds across workers, after a fold, concurrently
and with the cache down; it says nothing about the response, and expires with the session."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from ims.settings import CELERY_BEAT_SCHEDULE
from surveys import answering_state
from surveys.models import Campaign, Response, StagedResponse, SubmissionClaim
from surveys.services import (
    AlreadySubmitted,
    CampaignNotOpen,
    campaign_close,
    fold_staged,
    prune_claims,
    response_submit,
)
from surveys.tasks import prune_claims_task
from tests.ims.test_redis_down import dead_cache  # noqa: F401 - a fixture
from tests.surveys.factories import make_campaign, parent_answers, submit
from tests.surveys.test_answering_state import submit_then_replay

pytestmark = pytest.mark.django_db


def submit_claimed(campaign, unit, claim, **kwargs):
    return response_submit(
        campaign=Campaign.objects.select_related("version").get(pk=campaign.pk),
        unit_id=unit.pk,
        answers=parent_answers(campaign),
        language="vi",
        claim=claim,
        **kwargs,
    )


def test_a_claim_stores_one_response_even_after_the_fold(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    claim = answering_state.claim("token-a")
    submit_claimed(campaign, world.school, claim)
    assert fold_staged() == 1
    with pytest.raises(AlreadySubmitted):
        submit_claimed(campaign, world.school, claim)
    assert Response.objects.count() == 1 and not StagedResponse.objects.exists()
    submit_claimed(campaign, world.school, answering_state.claim("token-b"))  # another session
    assert StagedResponse.objects.count() == 1


def test_a_closed_campaign_takes_no_claim(world, staged_only):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)  # frozen: the one-statement path
    read_earlier = Campaign.objects.select_related("version").get(pk=campaign.pk)
    campaign_close(actor=world.iso, campaign=campaign)
    with pytest.raises(CampaignNotOpen):
        response_submit(
            campaign=read_earlier, unit_id=world.school.pk, answers=parent_answers(campaign),
            language="vi", claim=answering_state.claim("token-a"),
        )  # fmt: skip
    assert not SubmissionClaim.objects.exists() and not StagedResponse.objects.exists()


def test_the_claim_key_is_a_keyed_hash_of_the_token(settings):
    key, expires_at = answering_state.claim("token-a")
    assert answering_state.claim("token-a")[0] == key != answering_state.claim("token-b")[0]
    assert "token" not in str(key)
    settings.SECRET_KEY = "another-" + "x" * 50
    assert answering_state.claim("token-a")[0] != key  # unmatchable without the secret key
    # When the session's state cookie has expired, rounded up to the hour: no exact time.
    lifetime = timedelta(seconds=answering_state.MAX_AGE)
    assert timedelta(0) <= expires_at - (timezone.now() + lifetime) <= timedelta(hours=1)
    assert (expires_at.minute, expires_at.second, expires_at.microsecond) == (0, 0, 0)


def test_nothing_in_the_claim_points_to_the_response(world):
    campaign = make_campaign(world, units=[world.school])
    submit_claimed(campaign, world.school, answering_state.claim("token-a"))
    claim = SubmissionClaim.objects.get()
    response = Response.objects.get()
    assert {f.name for f in SubmissionClaim._meta.fields} == {"key", "expires_at"}
    assert claim.key != response.pk
    assert not any(str(claim.key) in str(value) for value in vars(response).values())


def test_expired_claims_are_pruned_hourly_and_live_ones_kept(world):
    campaign = make_campaign(world, units=[world.school])
    now = timezone.now()
    submit_claimed(campaign, world.school, (answering_state.claim("old")[0], now))
    submit_claimed(campaign, world.school, answering_state.claim("live"))
    assert prune_claims_task.delay().get() == 1
    assert list(SubmissionClaim.objects.values_list("key", flat=True)) == [
        answering_state.claim("live")[0]
    ]
    assert prune_claims() == 0
    entry = CELERY_BEAT_SCHEDULE["prune-submission-claims"]
    assert entry["task"] == prune_claims_task.name and entry["schedule"] <= 3600


def test_a_replayed_last_page_stores_one_response_with_the_cache_down(
    world,
    client,
    dead_cache,  # noqa: F811
):
    first, again = submit_then_replay(client, make_campaign(world, units=[world.school]))
    assert "/s/thanks/" in first["Location"]
    assert 'data-kind="already_answered"' in again.content.decode()
    assert Response.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_session_store_one_response(staged_only):
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)  # frozen: each submission is one statement in autocommit
    fold_staged()
    claim = answering_state.claim("double-click")
    barrier, outcomes = threading.Barrier(4), []

    def respondent():
        try:
            barrier.wait()
            submit_claimed(campaign, world.school, claim)
            outcomes.append("stored")
        except AlreadySubmitted:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=respondent) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
    assert StagedResponse.objects.count() == 1 and SubmissionClaim.objects.count() == 1

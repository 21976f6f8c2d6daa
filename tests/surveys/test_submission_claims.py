"""An answering session stores at most one response: its claim is inserted first, in the
transaction that stores the response, so it holds across workers, concurrently and with the
cache down; it says nothing about the response, keeps a date only, and is dropped by later
submissions once the session can no longer be replayed (no beat task)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from ims.settings import CELERY_BEAT_SCHEDULE
from surveys import answering_state
from surveys.models import Campaign, Response, SubmissionClaim, UnitTally
from surveys.services import AlreadySubmitted, CampaignNotOpen, campaign_close, response_submit
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


def test_a_claim_stores_one_response(world):
    campaign = make_campaign(world, units=[world.school])
    claim = answering_state.claim("token-a")
    submit_claimed(campaign, world.school, claim)
    with pytest.raises(AlreadySubmitted):
        submit_claimed(campaign, world.school, claim)
    assert Response.objects.count() == 1
    submit_claimed(campaign, world.school, answering_state.claim("token-b"))  # another session
    assert Response.objects.count() == 2


def test_a_closed_campaign_takes_no_claim(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    read_earlier = Campaign.objects.select_related("version").get(pk=campaign.pk)
    campaign_close(actor=world.iso, campaign=campaign)
    with pytest.raises(CampaignNotOpen):
        response_submit(
            campaign=read_earlier, unit_id=world.school.pk, answers=parent_answers(campaign),
            language="vi", claim=answering_state.claim("token-a"),
        )  # fmt: skip
    assert not SubmissionClaim.objects.exists() and Response.objects.count() == 1


def test_the_claim_key_is_a_keyed_hash_of_the_token(settings):
    key, expires_on = answering_state.claim("token-a")
    assert answering_state.claim("token-a")[0] == key != answering_state.claim("token-b")[0]
    assert "token" not in str(key)
    settings.SECRET_KEY = "another-" + "x" * 50
    assert answering_state.claim("token-a")[0] != key  # unmatchable without the secret key
    # The day the session's state cookie expires: a date, no time.
    lifetime = timedelta(seconds=answering_state.MAX_AGE)
    assert expires_on == (timezone.localtime() + lifetime).date()


def test_nothing_in_the_claim_points_to_the_response(world):
    campaign = make_campaign(world, units=[world.school])
    submit_claimed(campaign, world.school, answering_state.claim("token-a"))
    claim = SubmissionClaim.objects.get()
    response = Response.objects.get()
    assert {f.name for f in SubmissionClaim._meta.fields} == {"key", "expires_on"}
    assert claim.key != response.pk
    assert not any(str(claim.key) in str(value) for value in vars(response).values())


def test_expired_claims_are_dropped_by_later_submissions_without_a_beat_task(world):
    campaign = make_campaign(world, units=[world.school])
    yesterday = timezone.localdate() - timedelta(days=1)
    submit_claimed(campaign, world.school, (answering_state.claim("old")[0], yesterday))
    assert SubmissionClaim.objects.count() == 0  # past already: dropped by its own submission
    submit_claimed(
        campaign, world.school, (answering_state.claim("today")[0], timezone.localdate())
    )
    submit_claimed(campaign, world.school, answering_state.claim("live"))
    assert set(SubmissionClaim.objects.values_list("key", flat=True)) == {
        answering_state.claim("today")[0],
        answering_state.claim("live")[0],
    }
    assert not any("surveys" in entry["task"] for entry in CELERY_BEAT_SCHEDULE.values())


def test_a_replayed_last_page_stores_one_response_with_the_cache_down(
    world,
    client,
    dead_cache,  # noqa: F811
):
    first, again = submit_then_replay(client, make_campaign(world, units=[world.school]))
    assert "/s/thanks/" in first["Location"]
    assert "/s/thanks/" in again["Location"]
    assert Response.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_session_store_one_response():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
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
    assert Response.objects.count() == 2 and SubmissionClaim.objects.count() == 1
    assert sum(UnitTally.objects.values_list("count", flat=True)) == 2

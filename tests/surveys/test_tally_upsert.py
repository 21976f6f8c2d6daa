"""The counters written with each response, in its transaction (spread over shards that readers
sum), are exactly what ``tally_rebuild`` computes from the raw answers."""

import pytest
from django.db.models import Sum

from surveys.models import Campaign, QuestionTally, Response, UnitTally, ValueTally
from surveys.services import CampaignNotOpen, campaign_close, response_submit, tally_rebuild
from tests.surveys.factories import make_campaign, parent_answers, questions

pytestmark = pytest.mark.django_db


def summed(model, campaign, *key):
    rows = model.objects.filter(campaign=campaign).values(*key).annotate(n=Sum("count"))
    return set(rows.values_list(*key, "n"))


def counters(campaign):
    """The counters summed over their shards."""
    return {
        "units": summed(UnitTally, campaign, "unit"),
        "questions": summed(QuestionTally, campaign, "unit", "question"),
        "values": summed(ValueTally, campaign, "unit", "question", "value"),
    }


def test_counters_after_many_submissions_equal_a_rebuild_from_raw_answers(world):
    campaign = make_campaign(world, units=[world.root])
    q = questions(campaign)
    for n in range(23):
        unit = (world.school, world.school2, world.commune)[n % 3]
        answers = parent_answers(campaign, likert=1 + n % 5, grade=1 + n % 3, p7=n % 11)
        if n % 4 == 0:
            answers[str(q["p9"].pk)] = [f"Ý kiến {n}"]  # a text answer: no value counter
        response_submit(campaign_id=campaign.pk, unit_id=unit.pk, answers=answers, language="vi")
    written = counters(campaign)
    assert Response.objects.filter(campaign=campaign).count() == 23
    assert sum(count for _unit, count in written["units"]) == 23
    assert not any(question == q["p9"].pk for _u, question, _v, _c in written["values"])
    tally_rebuild(campaign)
    assert counters(campaign) == written


def test_first_response_freezes_the_version(world):
    campaign = make_campaign(world, units=[world.school])
    assert not campaign.version.has_responses
    response_submit(
        campaign_id=campaign.pk,
        unit_id=world.school.pk,
        answers=parent_answers(campaign),
        language="vi",
    )
    campaign.version.refresh_from_db()
    assert campaign.version.has_responses


def test_campaign_closed_after_it_was_read_stores_nothing(world):
    campaign = make_campaign(world, units=[world.school])
    read_earlier = Campaign.objects.select_related("version").get(pk=campaign.pk)
    campaign_close(actor=world.iso, campaign=campaign)
    with pytest.raises(CampaignNotOpen):
        response_submit(
            campaign=read_earlier,
            unit_id=world.school.pk,
            answers=parent_answers(campaign),
            language="vi",
        )
    assert not Response.objects.exists()
    assert counters(campaign) == {"units": set(), "questions": set(), "values": set()}

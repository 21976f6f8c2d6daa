"""Survey test data: an instrument from a shipped template and a published campaign."""

from datetime import timedelta

from django.utils import timezone

from surveys.models import Campaign, Question
from surveys.services import (
    campaign_create,
    campaign_publish,
    instrument_create_from_template,
    response_submit,
)


def make_campaign(world, template="parents", units=None, owner=None, publish=True, **fields):
    owner = owner or world.root
    instrument = instrument_create_from_template(
        actor=world.iso, owner_unit=owner, template=template
    )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world.iso,
        version=instrument.latest_version(),
        title=fields.pop("title", f"Khảo sát {template} 2026"),
        group=instrument.group,
        owner_unit=owner,
        units=units or [owner],
        opens_on=fields.pop("opens_on", today - timedelta(days=3)),
        closes_on=fields.pop("closes_on", today + timedelta(days=10)),
        **fields,
    )
    if publish:
        # Tests create one-time codes after publishing.
        campaign_publish(actor=world.iso, campaign=campaign, without_codes_ok=True)
    return Campaign.objects.get(pk=campaign.pk)


def questions(campaign):
    return {
        q.code: q
        for q in Question.objects.filter(version=campaign.version).prefetch_related("choices")
    }


def parent_answers(campaign, likert=4, grade=1, **overrides):
    """A complete set of answers for the parents' template (``{question id: [values]}``)."""
    q = questions(campaign)
    answers = {str(q["p1"].pk): [str(grade)]}
    for code in ("p2", "p3", "p4", "p5", "p6"):
        answers[str(q[code].pk)] = [str(overrides.get(code, likert))]
    if "p7" in overrides:
        answers[str(q["p7"].pk)] = [str(overrides["p7"])]
    return answers


def submit(campaign, unit, n=1, **kwargs):
    for _ in range(n):
        response_submit(
            campaign_id=campaign.pk,
            unit_id=unit.pk,
            answers=parent_answers(campaign, **kwargs),
            language="vi",
        )

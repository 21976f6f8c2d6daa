"""The questions of a frozen version are cached per process; an unfrozen one is always re-read."""

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Campaign, Choice, Question
from surveys.questions import version_questions
from surveys.services import question_delete, question_update
from tests.surveys.factories import make_campaign, questions, submit

pytestmark = pytest.mark.django_db


def fresh(campaign):
    return Campaign.objects.select_related("version").get(pk=campaign.pk)


def test_version_edited_before_it_is_frozen_is_reloaded(world):
    campaign = make_campaign(world, units=[world.school])
    assert not campaign.version.has_responses
    p2 = questions(campaign)["p2"]
    before = {q.code: q.text for q in version_questions(fresh(campaign).version)}
    question_update(actor=world.iso, question=p2, text="Thủ tục nhập học đơn giản.")
    after = {q.code: q.text for q in version_questions(fresh(campaign).version)}
    assert before["p2"] != after["p2"] == "Thủ tục nhập học đơn giản."


def test_answering_page_shows_an_edit_made_before_the_first_response(client, world):
    campaign = make_campaign(world, units=[world.school])
    url = client.get(f"/s/{campaign.links.get().code}")["Location"]
    assert "Thủ tục nhập học đơn giản." not in client.get(url).content.decode()
    question_update(
        actor=world.iso, question=questions(campaign)["p2"], text="Thủ tục nhập học đơn giản."
    )
    assert "Thủ tục nhập học đơn giản." in client.get(url).content.decode()


def test_frozen_version_is_read_once_then_served_from_the_process(world, django_assert_num_queries):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    version = fresh(campaign).version
    assert version.has_responses
    with django_assert_num_queries(2):  # questions (with section and area), choices
        first = version_questions(version)
    reread = fresh(campaign).version  # another request reads the campaign again
    with django_assert_num_queries(0):
        again = version_questions(reread)
    assert again is first
    assert [q.code for q in first][:3] == ["p1", "p2", "p3"]


def test_frozen_version_refuses_every_change_to_its_questions(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    q = questions(campaign)
    with pytest.raises(ValidationError):
        question_update(actor=world.iso, question=q["p2"], text="Khác")
    q["p2"].text = "Khác"
    with pytest.raises(ValidationError):  # the model refuses too (shell, scripts)
        q["p2"].save()
    with pytest.raises(ValidationError):
        Choice(question=q["p1"], value=9, label="Lớp 9").save()
    with pytest.raises(ValidationError):
        q["p1"].choices.first().delete()
    with pytest.raises(ValidationError):
        question_delete(actor=world.iso, question=q["p9"])
    assert Question.objects.get(pk=q["p2"].pk).text != "Khác"
    assert Question.objects.filter(pk=q["p9"].pk).exists()
    assert q["p1"].choices.count() == 3

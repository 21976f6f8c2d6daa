"""Instruments: frozen versions, show-if, language fallback."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from surveys.answering import AnswerError, clean_page, clean_response, rules
from surveys.models import Area, Question, QuestionKind
from surveys.services import question_add, question_delete, section_add, version_new
from tests.surveys.factories import make_campaign, parent_answers, questions, submit

pytestmark = pytest.mark.django_db


def test_version_with_responses_refuses_question_edits(world):
    campaign = make_campaign(world, units=[world.school])
    version = campaign.version
    section = version.sections.first()
    question_add(
        actor=world.iso, section=section, code="x1", kind=QuestionKind.SHORT_TEXT, text="Thêm"
    )
    submit(campaign, world.school)
    version.refresh_from_db()
    assert version.is_frozen
    with pytest.raises(ValidationError):
        question_add(
            actor=world.iso, section=section, code="x2", kind=QuestionKind.SHORT_TEXT, text="Nữa"
        )
    with pytest.raises(ValidationError):
        question_delete(actor=world.iso, question=Question.objects.get(code="x1"))
    with pytest.raises(ValidationError):
        section_add(actor=world.iso, version=version, title="Phần mới")
    new = version_new(actor=world.iso, instrument=version.instrument)
    assert new.number == 2 and not new.is_frozen
    assert new.questions.count() == version.questions.count()
    copied = new.questions.get(code="p8")
    assert copied.show_if.version == new and copied.show_if.code == "p4"
    question_add(
        actor=world.iso, section=new.sections.first(), code="x2", kind="short_text", text="Nữa"
    )


def test_frozen_version_view_refuses_question_add(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    version = campaign.version
    response = client_for(world.iso).post(
        f"/surveys/instruments/{version.instrument_id}/v{version.number}/questions/",
        {"section": version.sections.first().pk, "code": "z", "kind": "short_text", "text": "Z"},
    )
    assert response.status_code == 400
    assert not Question.objects.filter(code="z").exists()


def test_show_if_hides_question_and_hidden_questions_are_never_required(world):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    p8 = q["p8"]
    p8.required = True
    p8.save()
    satisfied = parent_answers(campaign, p4=4)
    cleaned = clean_response(rules(Question.objects.filter(version=campaign.version)), satisfied)
    assert p8.pk not in cleaned
    unhappy = parent_answers(campaign, p4=1)
    with pytest.raises(AnswerError):
        clean_response(rules(Question.objects.filter(version=campaign.version)), unhappy)
    unhappy[str(p8.pk)] = ["Nhà vệ sinh chưa sạch"]
    cleaned = clean_response(rules(Question.objects.filter(version=campaign.version)), unhappy)
    assert cleaned[p8.pk] == ["Nhà vệ sinh chưa sạch"]
    # An answer to a hidden question is dropped, never stored.
    satisfied[str(p8.pk)] = ["x"]
    cleaned = clean_response(rules(Question.objects.filter(version=campaign.version)), satisfied)
    assert p8.pk not in cleaned
    _cleaned, errors = clean_page(rules([p8]), {}, {str(q["p4"].pk): ["5"]})
    assert errors == {}


def test_show_if_page_appears_only_when_condition_met(client, world):
    from surveys.models import SurveyLink

    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    link = SurveyLink.objects.get(campaign=campaign)
    url = client.get(f"/s/{link.code}")["Location"]
    data = {
        f"q{q['p1'].pk}": "1",
        f"q{q['p2'].pk}": "4",
        f"q{q['p3'].pk}": "4",
        f"q{q['p4'].pk}": "1",
    }
    page2 = client.post(url, data)["Location"]
    page3 = client.post(page2, {f"q{q['p5'].pk}": "3", f"q{q['p6'].pk}": "3"})["Location"]
    assert f'name="q{q["p8"].pk}"' in client.get(page3).content.decode()
    # Changing p4 to "satisfied" hides p8 again.
    client.post(page3, {"back": "1"})
    client.post(page2, {"back": "1"})
    client.post(url, {**data, f"q{q['p4'].pk}": "5"})
    assert f'name="q{q["p8"].pk}"' not in client.get(page3).content.decode()


def test_show_if_must_point_to_an_earlier_section(world):
    campaign = make_campaign(world, units=[world.school], publish=False)
    first = campaign.version.sections.get(order=1)
    later = Question.objects.get(version=campaign.version, code="p6")
    with pytest.raises(ValidationError):
        question_add(
            actor=world.iso, section=first, code="y", kind="short_text", text="Y",
            show_if=later, show_if_values=[1],
        )  # fmt: skip


def test_likert_needs_an_area(world):
    campaign = make_campaign(world, units=[world.school], publish=False)
    with pytest.raises(ValidationError):
        question_add(
            actor=world.iso, section=campaign.version.sections.first(), code="l", kind="likert",
            text="L",
        )  # fmt: skip
    question_add(
        actor=world.iso, section=campaign.version.sections.first(), code="l", kind="likert",
        text="L", area=Area.objects.get(code="access"),
    )  # fmt: skip


def test_lao_with_missing_translation_falls_back_to_vietnamese(world):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    q["p2"].text_lo = ""
    q["p2"].save()
    with translation.override("lo"):
        assert q["p2"].label == q["p2"].text  # Vietnamese, never blank
        assert q["p3"].label == q["p3"].text_lo


def test_lao_page_shows_vietnamese_for_missing_translation(client, world):
    from surveys.models import SurveyLink

    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    q["p2"].text_lo = ""
    q["p2"].save()
    url = client.get(f"/s/{SurveyLink.objects.get(campaign=campaign).code}")["Location"]
    response = client.post(url, {"lang": "lo"})
    html = client.get(response["Location"]).content.decode()
    assert 'lang="lo"' in html
    assert q["p2"].text in html and q["p3"].text_lo in html


def test_question_add_view_validates_and_adds(client_for, world):
    campaign = make_campaign(world, units=[world.school], publish=False)
    version = campaign.version
    url = f"/surveys/instruments/{version.instrument_id}/v{version.number}/questions/"
    section = version.sections.get(order=2)
    client = client_for(world.iso)
    bad = client.post(
        url,
        {"section": section.pk, "code": "c1", "kind": "single", "text": "Chọn", "choices": "Một"},
    )
    assert bad.status_code == 400 and not Question.objects.filter(code="c1").exists()
    assert "Nhập ít nhất hai phương án" in bad.content.decode()
    good = client.post(
        url,
        {
            "section": section.pk, "code": "c1", "kind": "single", "text": "Con đi học bằng gì?",
            "choices": "Đi bộ | On foot\nXe máy | Motorbike | ລົດຈັກ",
            "show_if": Question.objects.get(version=version, code="p1").pk, "show_if_values": "1, 2",
        },
    )  # fmt: skip
    assert good.status_code == 302
    question = Question.objects.get(code="c1")
    assert [c.label_lo for c in question.choices.all()] == ["", "ລົດຈັກ"]
    assert question.show_if_values == [1, 2]
    assert client_for(world.teacher).post(url, {"section": section.pk}).status_code == 403


def test_question_edit_adds_lao_translation_until_frozen(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    version = campaign.version
    question = Question.objects.get(version=version, code="p9")
    url = f"/surveys/instruments/{version.instrument_id}/v{version.number}/questions/{question.pk}/"
    client = client_for(world.iso)
    data = {"text": question.text, "text_en": "Best thing?", "text_lo": "ດີທີ່ສຸດ?"}
    assert client.post(url, {**data, "text": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.text_lo == "ດີທີ່ສຸດ?" and not question.required
    assert client_for(world.teacher).post(url, data).status_code == 403
    submit(campaign, world.school)
    response = client.post(url, {**data, "text_lo": "ປ່ຽນ"})
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.text_lo == "ດີທີ່ສຸດ?"

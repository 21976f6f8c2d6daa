"""A survey that reaches every parent: posters and pages that say whose survey it
is and that a code is needed, no campaign published with a unit that has no codes, answers
that follow a parent to another browser, and what the quality manager sees while it runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import AnsweringDraft, Campaign, OneTimeCode, Response, SurveyLink
from surveys.services import campaign_publish, codes_generate, free_text_grant
from tests.surveys.factories import make_campaign, questions

pytestmark = pytest.mark.django_db


def _code_campaign(world, n=1):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=n)
    return campaign


def _start_with_code(client, code):
    url = client.post("/s/", {"code": code})["Location"]
    return url


def _first_page(campaign):
    q = questions(campaign)
    return {f"q{q['p1'].pk}": "2", **{f"q{q[c].pk}": "5" for c in ("p2", "p3", "p4")}}


# --- whose survey, and that a code is needed ------------------------------------------------


def test_answering_page_names_the_school_and_the_campaign(client, world):
    campaign = make_campaign(world, units=[world.school])
    link = SurveyLink.objects.get(campaign=campaign)
    html = client.get(client.get(f"/s/{link.code}")["Location"]).content.decode()
    assert 'data-testid="survey-for"' in html
    assert world.school.name in html and campaign.title in html


def test_poster_of_a_code_campaign_says_a_code_is_needed(client_for, world):
    campaign = _code_campaign(world)
    link = SurveyLink.objects.get(campaign=campaign)
    html = client_for(world.iso).get(f"/surveys/{campaign.pk}/links/{link.pk}/sheet/")
    assert 'data-testid="needs-code"' in html.content.decode()
    plain = make_campaign(world, units=[world.school])
    link = SurveyLink.objects.get(campaign=plain)
    html = client_for(world.iso).get(f"/surveys/{plain.pk}/links/{link.pk}/sheet/")
    assert 'data-testid="needs-code"' not in html.content.decode()


def test_publishing_a_code_campaign_with_a_unit_without_codes_is_refused_until_confirmed(
    client_for, world
):
    campaign = make_campaign(world, units=[world.school], requires_code=True, publish=False)
    iso = client_for(world.iso)
    page = iso.get(f"/surveys/{campaign.pk}/").content.decode()
    assert 'data-testid="units-without-codes"' in page and world.school.name in page
    iso.post(f"/surveys/{campaign.pk}/publish/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not SurveyLink.objects.filter(campaign=campaign).exists()
    iso.post(f"/surveys/{campaign.pk}/publish/", {"without_codes": "on"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED


def test_a_code_campaign_with_codes_everywhere_publishes_without_a_warning(client_for, world):
    campaign = make_campaign(world, units=[world.school], requires_code=True, publish=False)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=3)
    page = client_for(world.iso).get(f"/surveys/{campaign.pk}/").content.decode()
    assert 'data-testid="units-without-codes"' not in page
    campaign_publish(actor=world.iso, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.PUBLISHED


# --- another browser --------------------------------------------------------------------------


def test_same_code_in_another_browser_brings_the_answers_back(client, world):
    from django.test import Client

    campaign = _code_campaign(world)
    code = OneTimeCode.objects.get(campaign=campaign).code
    url = _start_with_code(client, code)
    page2 = client.post(url, _first_page(campaign))["Location"]
    assert "p=1" in page2

    other = Client()  # Chrome, after Zalo's in-app browser
    resumed = other.post("/s/", {"code": code})["Location"]
    assert "notice=resumed" in resumed and "p=1" in resumed
    html = other.get(resumed).content.decode()
    assert 'data-testid="resumed"' in html
    back = other.get(resumed.split("?")[0]).content.decode()  # page 1 keeps the answers
    q = questions(campaign)
    assert f'name="q{q["p2"].pk}" value="5" checked' in back

    # Finish there: one response, the code used, and nothing left that joins the two.
    last = other.post(
        resumed.split("?")[0] + "?p=1", {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"}
    )
    final = other.post(last["Location"], {f"q{q['p9'].pk}": "Tốt"})
    assert "/s/thanks/" in final["Location"]
    assert Response.objects.count() == 1
    assert OneTimeCode.objects.get(code=code).is_used
    assert not AnsweringDraft.objects.exists()
    # The first browser's session cannot store a second response with the same code.
    client.post(page2, {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"})
    assert Response.objects.count() == 1


def test_session_link_opened_in_another_browser_goes_on(client, world):
    from django.test import Client

    campaign = make_campaign(world, units=[world.school])
    link = SurveyLink.objects.get(campaign=campaign)
    url = client.get(f"/s/{link.code}")["Location"]
    page2 = client.post(url, _first_page(campaign))["Location"]
    other = Client()
    response = other.get(page2)
    assert response.status_code == 200
    assert 'data-testid="survey-for"' in response.content.decode()


def test_a_session_with_no_answers_yet_keeps_nothing_on_the_server(client, world):
    campaign = _code_campaign(world)
    _start_with_code(client, OneTimeCode.objects.get(campaign=campaign).code)
    assert not AnsweringDraft.objects.exists()


def test_expired_drafts_are_dropped_and_never_resumed(client, world):
    from django.test import Client

    campaign = _code_campaign(world, n=2)
    first, second = OneTimeCode.objects.filter(campaign=campaign).order_by("pk")
    url = _start_with_code(client, first.code)
    client.post(url, _first_page(campaign))
    AnsweringDraft.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "notice=resumed" not in Client().post("/s/", {"code": first.code})["Location"]
    other = Client()
    other.post(_start_with_code(other, second.code), _first_page(campaign))
    assert AnsweringDraft.objects.count() == 1  # the expired one went when another was kept


def test_a_draft_never_reaches_the_response(client, world):
    campaign = _code_campaign(world)
    code = OneTimeCode.objects.get(campaign=campaign)
    url = _start_with_code(client, code.code)
    q = questions(campaign)
    page2 = client.post(url, _first_page(campaign))["Location"]
    page3 = client.post(page2, {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"})["Location"]
    client.post(page3, {f"q{q['p9'].pk}": "Tốt"})
    response = Response.objects.get()
    stored = str(response.answers) + str(response.__dict__)
    assert code.code not in stored and str(AnsweringDraft.key_for_code(code.pk)) not in stored
    assert not AnsweringDraft.objects.exists()


# --- the campaign page while it runs --------------------------------------------------------


def test_campaign_page_shows_the_response_rate_per_school(client_for, world):
    from surveys.services import response_submit
    from tests.surveys.factories import parent_answers

    campaign = _code_campaign(world, n=20)
    codes = list(OneTimeCode.objects.filter(campaign=campaign).values_list("pk", flat=True))

    def answer(code_id):
        response_submit(
            campaign_id=campaign.pk,
            unit_id=world.school.pk,
            answers=parent_answers(campaign),
            language="vi",
            one_time_code_id=code_id,
        )

    for code_id in codes[:5]:
        answer(code_id)
    page = client_for(world.iso).get(f"/surveys/{campaign.pk}/").content.decode()
    assert f'data-testid="rate-{world.school.code}">25%' in page
    # A school's rate moves in steps of 5 responses, as its results (``surveys.results``).
    answer(codes[5])
    page = client_for(world.iso).get(f"/surveys/{campaign.pk}/").content.decode()
    assert f'data-testid="rate-{world.school.code}">25%' in page


def test_campaign_page_offers_copy_share_and_preview(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    page = client_for(world.iso).get(f"/surveys/{campaign.pk}/").content.decode()
    assert "data-copy" in page and "data-share" in page and "surveys/share.js" in page
    assert f"/surveys/{campaign.pk}/preview/" in page


def test_preview_shows_every_part_and_sends_nothing(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    html = client_for(world.iso).get(f"/surveys/{campaign.pk}/preview/").content.decode()
    q = questions(campaign)
    assert 'data-testid="preview-banner"' in html
    assert all(f'name="q{question.pk}"' in html for question in q.values())
    assert 'method="post"' not in html
    assert Response.objects.count() == 0


def test_preview_is_hidden_from_another_school(client_for, world):
    campaign = make_campaign(world, units=[world.school], owner=world.school)
    assert client_for(world.principal2).get(f"/surveys/{campaign.pk}/preview/").status_code in (
        403,
        404,
    )


def test_comments_are_readable_once_five_have_answered(client_for, world):
    from surveys.services import campaign_close, response_submit
    from tests.surveys.factories import parent_answers

    def closed_with(n):
        campaign = make_campaign(world, units=[world.school], title=f"Góp ý {n}")
        q = questions(campaign)
        for i in range(n):
            answers = parent_answers(campaign)
            answers[str(q["p9"].pk)] = [f"Góp ý số {i}"]
            response_submit(
                campaign_id=campaign.pk, unit_id=world.school.pk, answers=answers, language="vi"
            )
        campaign_close(actor=world.iso, campaign=campaign)
        # Reading free text needs its own recorded permission (tests/surveys/test_raw_export.py).
        free_text_grant(actor=world.director, campaign=campaign, person=world.iso, reason="Góp ý")
        url = f"/surveys/{campaign.pk}/results/?unit={world.school.pk}"
        return client_for(world.iso).get(url).content.decode()

    assert "Góp ý số 0" not in closed_with(4)
    html = closed_with(5)
    assert all(f"Góp ý số {i}" in html for i in range(5))


def test_storing_the_response_drops_the_codes_draft_in_the_same_transaction(client, world):
    """Even if the page dies after the response is stored, no draft is left beside the code."""
    from surveys.services import response_submit
    from tests.surveys.factories import parent_answers

    campaign = _code_campaign(world)
    code = OneTimeCode.objects.get(campaign=campaign)
    client.post(_start_with_code(client, code.code), _first_page(campaign))
    assert AnsweringDraft.objects.filter(code_key=AnsweringDraft.key_for_code(code.pk)).exists()
    response_submit(
        campaign_id=campaign.pk,
        unit_id=world.school.pk,
        answers=parent_answers(campaign),
        language="vi",
        one_time_code_id=code.pk,
    )
    assert not AnsweringDraft.objects.exists()

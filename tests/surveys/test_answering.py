"""Answering at /s/: no account, one section per page, answers kept, clear pages, Django's
CSRF check, codes posted and never in a URL."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import Response, SurveyLink
from tests.surveys.factories import make_campaign, questions

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def campaign(world):
    return make_campaign(world, units=[world.school])


def link_of(campaign, unit):
    return SurveyLink.objects.get(campaign=campaign, unit=unit)


def open_survey(client, campaign, unit):
    response = client.get(f"/s/{link_of(campaign, unit).code}")
    assert response.status_code == 302
    url = response["Location"]
    assert link_of(campaign, unit).code not in url
    return url


def post_form(client, url, data):
    """POST as a browser sends a form: URL-encoded (the test client's default is multipart)."""
    return client.post(url, urlencode(data, doseq=True), content_type=FORM)


def answer_all(client, campaign, url, likert="4"):
    q = questions(campaign)
    page1 = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": likert for c in ("p2", "p3", "p4")}}
    response = post_form(client, url, page1)
    assert response.status_code == 302, response.content.decode()[:500]
    response = post_form(
        client, response["Location"], {f"q{q['p5'].pk}": likert, f"q{q['p6'].pk}": likert}
    )
    assert response.status_code == 302
    return post_form(client, response["Location"], {f"q{q['p9'].pk}": "Thầy cô tận tình"})


def test_parent_answers_every_page_and_one_response_is_stored(client, campaign, world):
    url = open_survey(client, campaign, world.school)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phần 1 / 3" in html or "Part 1 of 3" in html
    assert 'lang="vi"' in html
    response = answer_all(client, campaign, url)
    assert response.status_code == 302 and "/s/thanks/" in response["Location"]
    stored = Response.objects.get()
    assert stored.unit == world.school and stored.submitted_on == timezone.localdate()
    assert len(stored.answers) == 7


def test_missing_required_answer_reshows_page_with_answers_kept_and_error_marked(
    client, campaign, world
):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    response = client.post(url, {f"q{q['p1'].pk}": "2", f"q{q['p2'].pk}": "5"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-p3"' in html
    assert re.search(rf'name="q{q["p2"].pk}" value="5" checked', html)
    assert re.search(rf'name="q{q["p1"].pk}" value="2" checked', html)
    assert Response.objects.count() == 0


@pytest.mark.parametrize("code,value", [("p2", "6"), ("p2", "0"), ("p2", "abc")])
def test_out_of_range_likert_is_refused(client, campaign, world, code, value):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    data[f"q{q[code].pk}"] = value
    response = client.post(url, data)
    assert response.status_code == 400
    assert f'data-testid="error-{code}"' in response.content.decode()


def test_out_of_range_number_is_refused(client, world):
    campaign = make_campaign(world, template="staff", units=[world.division])
    q = questions(campaign)
    url = open_survey(client, campaign, world.division)
    data = {f"q{q['s1'].pk}": "99", **{f"q{q[c].pk}": "4" for c in ("s2", "s3", "s4")}}
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'data-testid="error-s1"' in response.content.decode()
    data[f"q{q['s1'].pk}"] = "12"
    assert client.post(url, data).status_code == 302


def test_tampered_question_id_is_refused(client, campaign, world):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    response = client.post(url, {**data, "q999999": "5"})
    assert response.status_code == 400
    # A real question of a later page is refused on this page as well.
    response = client.post(url, {**data, f"q{q['p6'].pk}": "1"})
    assert response.status_code == 400
    assert Response.objects.count() == 0


def test_honeypot_stores_nothing(client, campaign, world):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    response = client.post(url, {**data, "website": "http://spam.example"})
    assert response.status_code == 302 and "/s/thanks/" in response["Location"]
    assert client.get(url).status_code == 404  # the answering session is gone
    assert Response.objects.count() == 0


def test_submit_faster_than_minimum_time_is_not_stored(client, campaign, world, settings):
    settings.SURVEY_MIN_SECONDS = 3600
    url = open_survey(client, campaign, world.school)
    response = answer_all(client, campaign, url)
    assert response.status_code == 302 and "notice=fast" in response["Location"]
    assert Response.objects.count() == 0
    settings.SURVEY_MIN_SECONDS = 0
    q = questions(campaign)
    response = client.post(response["Location"], {f"q{q['p9'].pk}": ""})
    assert response.status_code == 302 and "/s/thanks/" in response["Location"]
    assert Response.objects.count() == 1


def test_open_link_sets_already_answered_cookie(client, campaign, world):
    url = open_survey(client, campaign, world.school)
    answer_all(client, campaign, url)
    again = client.get(f"/s/{link_of(campaign, world.school).code}")
    assert again.status_code == 200
    assert 'data-kind="already_answered"' in again.content.decode()


def test_closed_campaign_shows_clear_page(client, world):
    today = timezone.localdate()
    campaign = make_campaign(
        world,
        units=[world.school],
        opens_on=today - timedelta(days=20),
        closes_on=today - timedelta(days=1),
    )
    response = client.get(f"/s/{link_of(campaign, world.school).code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="closed"' in html
    assert "Phiếu khảo sát đã đóng" in html


def test_not_yet_open_campaign_shows_clear_page(client, world):
    today = timezone.localdate()
    campaign = make_campaign(
        world,
        units=[world.school],
        opens_on=today + timedelta(days=2),
        closes_on=today + timedelta(days=9),
    )
    response = client.get(f"/s/{link_of(campaign, world.school).code}/")
    assert 'data-kind="not_open"' in response.content.decode()


def test_an_unknown_typed_code_is_a_clear_404_and_is_kept_to_correct(client, db):
    response = client.post("/s/?lang=en", {"code": "ZZZZZZZZZZ"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "was not found" in html and 'value="ZZZZZZZZZZ"' in html


def test_a_code_in_a_path_gets_the_entry_page_without_saying_whether_it_is_valid(
    client, campaign, world
):
    from surveys.models import OneTimeCode

    OneTimeCode.objects.create(campaign=campaign, unit=world.school, code="1234567890")
    valid, unknown = client.get("/s/1234567890"), client.get("/s/ZZZZZZZZZZ")
    assert valid.status_code == unknown.status_code == 200
    pages = [r.content.decode().replace("1234567890", "CODE") for r in (valid, unknown)]
    pages[1] = pages[1].replace("ZZZZZZZZZZ", "CODE")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])  # the same page, code filled in
    assert 'id="code-form"' in pages[0]
    assert not client.cookies.get("ims_svy_s_")  # no session opened
    assert OneTimeCode.objects.get().is_used is False


def test_the_entry_form_opens_the_session_without_the_code_in_any_url(client, campaign, world):
    """A typed (or QR-filled) code is posted; the answer goes straight to the session's URL."""
    from surveys.models import OneTimeCode

    OneTimeCode.objects.create(campaign=campaign, unit=world.school, code="ABCDEFGHJK")
    response = client.post("/s/", {"code": "abcd-efghjk"})
    assert response.status_code == 302
    assert re.fullmatch(r"/s/r/[\w-]+/", response["Location"])
    assert "ABCDEFGHJK" not in response["Location"].upper()
    assert client.get(response["Location"]).status_code == 200


def test_enter_code_form_normalises_typed_code(client, campaign, world):
    code = link_of(campaign, world.school).code
    typed = "-".join([code[:4].lower(), code[4:]])
    response = client.post("/s/", {"code": typed})
    assert response.status_code == 302 and re.fullmatch(r"/s/r/[\w-]+/", response["Location"])


def test_fixed_code_with_letter_o_and_typed_confusables_both_work(client, campaign, world):
    link = link_of(campaign, world.school)
    link.code = "DEMO2026"
    link.save()
    assert client.get("/s/DEMO2026").status_code == 302
    assert client.get("/s/demo-2026").status_code == 302
    from surveys.models import OneTimeCode

    OneTimeCode.objects.create(campaign=campaign, unit=world.school, code="1234567890")
    assert client.post("/s/", {"code": "I234567890"}).status_code == 302  # I typed for 1


def test_the_entry_page_fills_the_code_from_the_fragment_with_a_static_script(client, db):
    """A slip's QR code opens ``/s/#CODE`` (``views.codes_generate``): the entry page's own
    script file, no inline script, types the fragment in and sends the form."""
    from django.contrib.staticfiles import finders

    entry = client.get("/s/").content.decode()
    assert re.search(r'<script src="[^"]*/surveys/enter\.js" defer></script>', entry)
    assert 'id="code-form"' in entry and 'id="code"' in entry
    script = Path(finders.find("surveys/enter.js")).read_text(encoding="utf-8")
    assert "location.hash" in script and "replaceState" in script and ".submit()" in script


def test_skipping_pages_by_url_leads_back_to_the_unanswered_page(client, campaign, world):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    client.post(url, data)
    response = client.post(f"{url}?p=2", {f"q{q['p9'].pk}": "Tốt"})
    assert response.status_code == 302 and response["Location"].endswith("?p=1")
    assert Response.objects.count() == 0


def csrf_token_of(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


def test_answering_pages_have_djangos_csrf_check(campaign, world):
    respondent = Client(enforce_csrf_checks=True)
    url = open_survey(respondent, campaign, world.school)
    q = questions(campaign)
    page1 = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    refused = post_form(respondent, url, page1)  # no token
    assert refused.status_code == 403
    assert 'data-kind="csrf"' in refused.content.decode()
    token = csrf_token_of(respondent.get(url))
    page2 = post_form(respondent, url, {**page1, "csrfmiddlewaretoken": token})["Location"]
    token = csrf_token_of(respondent.get(page2))
    data = {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4", "csrfmiddlewaretoken": token}
    page3 = post_form(respondent, page2, data)["Location"]
    token = csrf_token_of(respondent.get(page3))
    thanks = post_form(respondent, page3, {"csrfmiddlewaretoken": token})
    assert "/s/thanks/" in thanks["Location"]
    assert Response.objects.count() == 1


def test_a_csrf_failure_on_an_answering_page_says_so_in_the_respondents_language(campaign, world):
    respondent = Client(enforce_csrf_checks=True)
    url = open_survey(respondent, campaign, world.school)
    respondent.post(url, {"lang": "en", "csrfmiddlewaretoken": csrf_token_of(respondent.get(url))})
    respondent.cookies.pop("csrftoken")  # cookies cleared meanwhile
    response = post_form(respondent, url, {f"q{questions(campaign)['p1'].pk}": "1"})
    assert response.status_code == 403
    html = response.content.decode()
    assert 'lang="en"' in html and "were not sent" in html
    assert f'href="{url}"' in html  # back to the page
    assert respondent.cookies["csrftoken"].value  # a new one: the page opened again can be sent
    assert Response.objects.count() == 0


def test_the_code_form_keeps_its_csrf_check(db):
    response = Client(enforce_csrf_checks=True).post("/s/", {"code": "ABCD2345"})
    assert response.status_code == 403


def test_a_page_with_too_many_fields_is_refused_and_nothing_kept(client, campaign, world, settings):
    url = open_survey(client, campaign, world.school)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = post_form(client, url, {f"x{i}": "1" for i in range(10)})
    assert response.status_code == 400
    assert Response.objects.count() == 0


def test_a_multipart_post_is_read_like_a_url_encoded_one(client, campaign, world):
    q = questions(campaign)
    url = open_survey(client, campaign, world.school)
    page1 = {f"q{q['p1'].pk}": "2", **{f"q{q[c].pk}": "5" for c in ("p2", "p3", "p4")}}
    assert client.post(url, page1).status_code == 302  # the test client's default: multipart
    assert 'value="2" checked' in client.get(url).content.decode()


def test_no_answering_response_may_be_cached(client, campaign, world):
    code = link_of(campaign, world.school).code
    url = open_survey(client, campaign, world.school)
    q = questions(campaign)
    responses = [
        client.get("/s/"),
        client.get(f"/s/{code}"),  # a redirect that sets the state cookie
        client.get(url),  # a page
        post_form(client, url, {f"q{q['p1'].pk}": "1"}),  # a refused page, answers shown
        answer_all(client, campaign, url),  # the redirect after storing
        client.get("/s/thanks/"),
        client.get("/s/ZZZZZZZZZZ"),  # a message
    ]
    for response in responses:
        assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


@pytest.mark.parametrize("typed", ["AB12", "Ä" * 10, "código-ñandú", "²²²²²²²²", "x" * 60])
def test_enter_code_form_refuses_what_is_not_a_code(client, db, typed):
    response = client.post("/s/?lang=en", {"code": typed})
    assert response.status_code == 400
    assert "is not a survey code" in response.content.decode()


def test_an_edited_answered_cookie_is_ignored(client, campaign, world):
    client.cookies["ims_svy_done"] = "²,12"
    assert client.get(f"/s/{link_of(campaign, world.school).code}/").status_code == 302


def test_the_answered_cookie_is_signed_and_a_forged_one_is_ignored(client, campaign, world):
    start = f"/s/{link_of(campaign, world.school).code}"
    client.cookies["ims_svy_done"] = str(campaign.pk)  # written by hand: not signed
    assert client.get(start).status_code == 302
    answer_all(client, campaign, open_survey(client, campaign, world.school))
    signed = client.cookies["ims_svy_done"].value
    assert signed.startswith(f"{campaign.pk}:") and signed != str(campaign.pk)
    assert 'data-kind="already_answered"' in client.get(start).content.decode()
    client.cookies["ims_svy_done"] = f"{campaign.pk + 1}" + signed[len(str(campaign.pk)) :]
    assert client.get(start).status_code == 302  # altered: counts as empty

"""The answering state travels in a signed cookie: no session row, nothing stored on tampering,
one response per answering session, and a lean last page."""

import json
import random

import pytest
from django.core import signing

from surveys.answering_state import COOKIE_PREFIX, SALT, cookie_name
from surveys.models import Response, SurveyLink
from tests.surveys.factories import make_campaign, questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    return make_campaign(world, units=[world.school])


def open_survey(client, campaign):
    link = SurveyLink.objects.get(campaign=campaign)
    url = client.get(f"/s/{link.code}")["Location"]
    return url, url.rstrip("/").rsplit("/", 1)[1]


def first_pages(client, campaign, url):
    q = questions(campaign)
    page1 = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    page2 = client.post(url, page1)["Location"]
    page3 = client.post(page2, {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"})["Location"]
    return page3, {f"q{q['p9'].pk}": "Thầy cô tận tình"}


def test_answering_writes_no_session_row(client, campaign):
    from django.contrib.sessions.models import Session

    url, token = open_survey(client, campaign)
    page3, last = first_pages(client, campaign, url)
    assert client.cookies[cookie_name(token)].value
    assert client.cookies[cookie_name(token)]["path"] == f"/s/r/{token}/"
    assert client.cookies[cookie_name(token)]["httponly"]
    assert "/s/thanks/" in client.post(page3, last)["Location"]
    assert Response.objects.count() == 1
    assert not Session.objects.exists()


def test_tampered_state_cookie_shows_a_clear_message_and_stores_nothing(client, campaign):
    url, token = open_survey(client, campaign)
    page3, last = first_pages(client, campaign, url)
    value = client.cookies[cookie_name(token)].value
    client.cookies[cookie_name(token)] = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    response = client.post(page3, last)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-kind="tampered"' in html and "Chưa có gì được lưu" in html
    assert Response.objects.count() == 0
    assert client.cookies[cookie_name(token)].value == ""  # the bad cookie is dropped


def test_state_cookie_of_another_session_is_refused(client, campaign):
    url, token = open_survey(client, campaign)
    _url2, token2 = open_survey(client, campaign)
    client.cookies[cookie_name(token2)] = client.cookies[cookie_name(token)].value
    response = client.get(f"/s/r/{token2}/")
    assert response.status_code == 400 and 'data-kind="tampered"' in response.content.decode()


def submit_then_replay(client, campaign):
    """Answer every page, then send the last page again with the state it was sent with (from
    a second device, or after clearing cookies): the two responses."""
    url, token = open_survey(client, campaign)
    page3, last = first_pages(client, campaign, url)
    saved = client.cookies[cookie_name(token)].value
    first = client.post(page3, last)
    client.cookies.pop("ims_svy_done")
    client.cookies[cookie_name(token)] = saved
    return first, client.post(page3, last)


def test_replayed_last_page_stores_one_response_and_shows_thanks(client, campaign):
    first, again = submit_then_replay(client, campaign)
    assert "/s/thanks/" in first["Location"]
    assert "/s/thanks/" in again["Location"]  # the same session: thanks, not an error
    assert Response.objects.count() == 1


def test_state_too_large_for_a_cookie_is_kept_in_the_session(client, campaign):
    q = questions(campaign)
    url, token = open_survey(client, campaign)
    page1 = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "2" for c in ("p2", "p3", "p4")}}
    page2 = client.post(url, page1)["Location"]
    page3 = client.post(page2, {f"q{q['p5'].pk}": "2", f"q{q['p6'].pk}": "2"})["Location"]
    rng = random.Random(9)  # text that does not compress: too large for a signed cookie
    long_text = "".join(rng.choice("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạ ") for _ in range(2900))
    long_text = long_text.strip()
    response = client.post(page3, {f"q{q['p8'].pk}": long_text, "back": "1"})
    assert response.status_code == 302
    assert client.cookies[cookie_name(token)].value == ""  # moved to the session
    kept = client.session["surveys_answering"][token]["answers"]
    assert kept[str(q["p8"].pk)] == [long_text]
    response = client.post(page3, {f"q{q['p8'].pk}": long_text})
    assert "/s/thanks/" in response["Location"]
    assert [q["p8"].pk, None, long_text] in Response.objects.get().answers
    assert not client.session["surveys_answering"]


def test_the_last_page_stores_and_counts_the_response_with_no_worker(client, campaign):
    """Production runs a broker; a submission must count its response itself and leave
    nothing for a worker: tasks here are not run, and none may be sent."""
    from unittest import mock

    from django.db.models import Sum

    from ims.celery import app
    from surveys.models import UnitTally
    from surveys.results import campaign_results

    url, token = open_survey(client, campaign)
    page3, last = first_pages(client, campaign, url)
    app.conf.task_always_eager = False  # restored by the ``_eager_tasks`` fixture
    with mock.patch("celery.app.task.Task.apply_async", side_effect=AssertionError("a task")):
        response = client.post(page3, last)
    assert "/s/thanks/" in response["Location"]
    assert Response.objects.count() == 1
    assert UnitTally.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] == 1
    assert campaign_results(campaign, campaign.owner_unit).n == 1  # the Department: live


def test_campaign_closed_while_answering_stores_nothing_and_says_so(client, campaign, world):
    from surveys.services import campaign_close
    from tests.surveys.factories import submit

    submit(campaign, campaign.links.get().unit)
    url, token = open_survey(client, campaign)
    page3, last = first_pages(client, campaign, url)  # the campaign was read while open
    campaign_close(actor=world.iso, campaign=campaign)
    response = client.post(page3, last)
    assert 'data-kind="closed"' in response.content.decode()
    assert Response.objects.count() == 1  # the one before closing
    shown = client.get(page3)
    assert 'data-kind="closed"' in shown.content.decode()


def test_no_answering_state_cookie_names_the_code(client, campaign):
    link = SurveyLink.objects.get(campaign=campaign)
    _url, token = open_survey(client, campaign)
    # The state is in one cookie, named after the session's random token.
    state_cookies = [name for name in client.cookies if name.startswith(COOKIE_PREFIX)]
    assert state_cookies == [cookie_name(token)]
    # Its value is signed and compressed: read it back, then look for the code in it.
    value = client.cookies[state_cookies[0]].value
    decoded = json.dumps(signing.loads(value, salt=f"{SALT}:{token}"), ensure_ascii=False)
    assert link.code.lower() not in decoded.lower()
    for name, morsel in client.cookies.items():
        assert link.code not in name and link.code not in morsel.value

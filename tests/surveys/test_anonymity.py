"""Anonymity is a guarantee: no identifying columns, no other hosts, no code in responses."""

import re

import pytest
from django.db import connection

from surveys.answering_state import COOKIE_PREFIX
from surveys.models import Response, SubmissionClaim, SurveyLink
from tests.surveys.factories import make_campaign, questions

pytestmark = pytest.mark.django_db

IDENTIFYING = re.compile(
    r"user|ip|addr|agent|referr?er|code|token|session|time|created|email|phone|name", re.I
)


@pytest.mark.parametrize("model", [Response, SubmissionClaim])
def test_response_tables_have_no_identifying_columns(model):
    with connection.cursor() as cursor:
        columns = [
            c.name for c in connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
        ]  # fmt: skip
    assert columns, model
    assert [c for c in columns if IDENTIFYING.search(c)] == []
    date_fields = [f for f in model._meta.get_fields() if f.get_internal_type() == "DateTimeField"]
    assert date_fields == []
    assert model._meta.pk.get_internal_type() == "UUIDField"


URL_ATTRS = re.compile(
    r"""(?:src|href|action|srcset|formaction|poster|data)\s*=\s*["']([^"']*)""", re.I
)


def assert_same_host(html):
    for url in URL_ATTRS.findall(html):
        assert not re.match(r"^(https?:)?//", url), url
    # Scripts only from this site's files (the CSP allows no inline script).
    assert not re.search(r"<script(?![^>]*\bsrc=)", html, re.I)
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    assert "@import" not in html and "url(http" not in html


def test_answering_pages_reference_no_other_host(client, world):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    link = SurveyLink.objects.get(campaign=campaign)
    pages = [client.get("/s/"), client.get("/s/ZZZZZZZZZZ")]
    start = client.get(f"/s/{link.code}")
    url = start["Location"]
    pages.append(client.get(url))
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3")}}
    pages.append(client.post(url, data))  # error page
    data[f"q{q['p4'].pk}"] = "4"
    page2 = client.post(url, data)["Location"]
    pages.append(client.get(page2))
    page3 = client.post(page2, {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"})["Location"]
    thanks = client.post(page3, {})["Location"]
    pages.append(client.get(thanks))
    for page in pages:
        html = page.content.decode()
        assert_same_host(html)
        assert link.code not in html or page.status_code == 404
    # The answering pages set no cookies beyond CSRF, the session, "already answered" and the
    # answering state (one per answering session, emptied once the response is stored).
    cookies = {name for name in client.cookies if not name.startswith(COOKIE_PREFIX)}
    assert cookies <= {"csrftoken", "sessionid", "ims_svy_done"}
    assert all(
        not morsel.value
        for name, morsel in client.cookies.items()
        if name.startswith(COOKIE_PREFIX)
    )


def test_code_never_appears_in_later_urls_or_stored_rows(client, world):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    link = SurveyLink.objects.get(campaign=campaign)
    url = client.get(f"/s/{link.code}")["Location"]
    assert link.code not in url
    data = {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}}
    page2 = client.post(url, data)["Location"]
    page3 = client.post(page2, {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"})["Location"]
    thanks = client.post(page3, {f"q{q['p9'].pk}": "Tốt"})["Location"]
    for later in (page2, page3, thanks):
        assert link.code not in later
    assert Response.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM surveys_response")
        assert link.code not in repr(cursor.fetchall())
    # The answering state is forgotten once the response is stored.
    assert not client.session.get("surveys_answering")
    state = [m for name, m in client.cookies.items() if name.startswith(COOKIE_PREFIX)]
    assert len(state) == 1 and state[0].value == ""


def test_anonymity_statement_is_shown(client, world):
    campaign = make_campaign(world, units=[world.school])
    link = SurveyLink.objects.get(campaign=campaign)
    html = client.get(client.get(f"/s/{link.code}")["Location"]).content.decode()
    assert 'data-testid="anonymity"' in html

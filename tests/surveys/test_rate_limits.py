"""Fair survey rate limits: completed submissions per campaign and client address group, per
hour; a parents' meeting on one school Wi-Fi all answers; code holders are never limited; the
limit holds with Redis down; nothing about the address is stored with a response or logged."""

import logging
import os
import threading
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from surveys import ratelimit
from surveys.models import OneTimeCode, Response, SubmissionCount
from surveys.services import codes_generate
from tests.surveys.factories import make_campaign, questions
from tests.surveys.test_answering import answer_all, link_of, open_survey, post_form
from tests.surveys.test_answering_state import submit_then_replay

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"
WIFI = "203.0.113.7"  # the school's one NAT address


@pytest.fixture
def campaign(world):
    return make_campaign(world, units=[world.school])


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "ims.cache.TolerantRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


@pytest.fixture
def redis_cache(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    settings.CACHES = {
        "default": {
            "BACKEND": "ims.cache.TolerantRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-rate-{os.getpid()}",
        }
    }
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def parent(address=WIFI, **headers):
    """A parent's own browser (no cookies shared with the others) behind ``address``."""
    return Client(REMOTE_ADDR=address, **headers)


def submit_as(client, campaign, unit):
    """A whole answering session; the last page's response."""
    return answer_all(client, campaign, open_survey(client, campaign, unit))


def submit_together(n, campaign, unit, address=WIFI):
    """``n`` parents open the survey at once, then each sends it: the last pages' responses."""
    browsers = [parent(address) for _ in range(n)]
    urls = [open_survey(browser, campaign, unit) for browser in browsers]
    return [answer_all(b, campaign, url) for b, url in zip(browsers, urls, strict=True)]


def stored(response):
    return response.status_code == 302 and "/s/thanks/" in response["Location"]


def refused(response):
    return response.status_code == 429 and 'data-kind="rate_limited"' in response.content.decode()


def fill(campaign, address, n):
    """``n`` submissions already counted for ``address`` this hour."""
    request = SimpleNamespace(META={"REMOTE_ADDR": address})
    for _ in range(n):
        with ratelimit.submission(request, campaign, one_time_code=False):
            pass


def test_ipv6_counts_by_its_64_and_ipv4_by_the_address():
    group = ratelimit.address_group
    assert group("2001:db8:1:2:aaaa::1") == group("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert group("2001:db8:1:3::1") != group("2001:db8:1:2::1")
    assert group("198.51.100.1") == "198.51.100.1" != group("198.51.100.2")
    assert group("::ffff:198.51.100.1") == "198.51.100.1"


def test_addresses_of_one_ipv6_64_share_a_limit_and_another_64_has_its_own(
    campaign, world, settings
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    assert stored(submit_as(parent("2001:db8:1:2::1"), campaign, world.school))
    link = f"/s/{link_of(campaign, world.school).code}"
    assert refused(parent("2001:db8:1:2:ffff:ffff:ffff:fffe").get(link))
    assert stored(submit_as(parent("2001:db8:1:3::1"), campaign, world.school))


def test_a_parents_meeting_on_one_wifi_all_answers_and_the_limit_plus_one_is_refused(
    campaign, world, settings
):
    assert settings.SURVEY_RATE_LIMIT_PER_HOUR == 250
    for _ in range(200):
        assert stored(submit_as(parent(), campaign, world.school))
    late = parent()
    url = open_survey(late, campaign, world.school)  # opened before the limit is reached
    fill(campaign, WIFI, 50)  # the limit reached within the hour
    response = answer_all(late, campaign, url)
    assert refused(response)
    assert Response.objects.count() == 200
    # The page says so in the respondent's language.
    assert response["Content-Language"] == "vi"
    # Another /64 and another address are not affected; nor is another campaign from the Wi-Fi.
    assert stored(submit_as(parent("2001:db8:1:2::9"), campaign, world.school))
    assert stored(submit_as(parent("198.51.100.1"), campaign, world.school))
    other = make_campaign(world, units=[world.school], title="Another survey")
    assert stored(submit_as(parent(), other, world.school))
    # Opening a session from the Wi-Fi now says so at once, before any page is answered.
    assert refused(parent().get(f"/s/{link_of(campaign, world.school).code}"))


def test_refused_answers_are_kept_and_can_be_sent_the_next_hour(
    campaign, world, settings, monkeypatch
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    late = parent()
    url = open_survey(late, campaign, world.school)
    assert stored(submit_as(parent(), campaign, world.school))
    response = answer_all(late, campaign, url)
    assert refused(response)
    last_page = f"{url}?p=2"
    assert f'href="{last_page}"' in response.content.decode()  # back to the kept answers
    later = ratelimit.time.time() + 3600
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))
    page = late.get(last_page)
    assert page.status_code == 200 and "Thầy cô tận tình" in page.content.decode()
    q = questions(campaign)
    assert stored(post_form(late, last_page, {f"q{q['p9'].pk}": "Thầy cô tận tình"}))
    assert Response.objects.count() == 2


def test_a_double_tap_on_the_submission_that_reaches_the_limit_shows_thanks(world, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    first, again = submit_then_replay(parent(), make_campaign(world, units=[world.school]))
    assert stored(first) and stored(again)
    assert Response.objects.count() == 1


def test_opening_sessions_and_showing_pages_is_never_counted(campaign, world, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    browsers = [parent() for _ in range(5)]
    urls = [open_survey(b, campaign, world.school) for b in browsers]
    for browser, url in zip(browsers, urls, strict=True):
        assert browser.get(url).status_code == 200
    assert stored(answer_all(browsers[0], campaign, urls[0]))
    assert stored(answer_all(browsers[1], campaign, urls[1]))
    assert refused(answer_all(browsers[2], campaign, urls[2]))
    assert Response.objects.count() == 2
    # Now at the limit: a new session says so at once, before any page is answered.
    assert refused(parent().get(f"/s/{link_of(campaign, world.school).code}"))


def test_a_failed_submission_gives_its_place_back(campaign, world, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    request = SimpleNamespace(META={"REMOTE_ADDR": WIFI})
    with (
        pytest.raises(RuntimeError),
        ratelimit.submission(request, campaign, one_time_code=False),
    ):
        raise RuntimeError("the response was not stored")
    assert stored(submit_as(parent(), campaign, world.school))


def test_a_one_time_code_holder_is_never_limited(world, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=3)
    fill(campaign, WIFI, 1)
    for code in OneTimeCode.objects.all():
        browser = parent()
        response = browser.post("/s/", {"code": code.code})
        assert response.status_code == 302
        assert stored(answer_all(browser, campaign, response["Location"]))
    assert Response.objects.count() == 3


def test_the_address_is_the_trusted_client_address(campaign, world, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    settings.TRUSTED_PROXIES = 1
    proxy = "10.0.0.9"
    assert stored(submit_as(parent(proxy, HTTP_X_FORWARDED_FOR=WIFI), campaign, world.school))
    # Another client behind the proxy counts apart; entries a client writes itself are ignored.
    assert stored(submit_as(parent(proxy, HTTP_X_FORWARDED_FOR="1.2.3.4"), campaign, world.school))
    forged = parent(proxy, HTTP_X_FORWARDED_FOR=f"5.6.7.8, {WIFI}")
    assert refused(forged.get(f"/s/{link_of(campaign, world.school).code}"))


def test_with_redis_counts_under_a_keyed_hash_not_the_address(
    campaign, world, settings, redis_cache
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    first, second, third = submit_together(3, campaign, world.school)
    assert stored(first) and stored(second) and refused(third)
    client = redis_cache._cache.get_client()
    keys = client.keys(f"test-rate-{os.getpid()}:*")
    assert keys and not any(WIFI.encode() in key for key in keys)
    assert [int(client.get(key)) for key in keys if b"surveys:rate:" in key] == [2]
    assert not SubmissionCount.objects.exists()
    other = make_campaign(world, units=[world.school], title="Another survey")
    assert stored(submit_as(parent(), other, world.school))


def test_with_redis_down_the_limit_is_counted_in_the_database_and_holds(
    campaign, world, settings, dead_cache
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    first, second, third = submit_together(3, campaign, world.school)
    assert stored(first) and stored(second) and refused(third)
    assert stored(submit_as(parent("198.51.100.1"), campaign, world.school))
    row = SubmissionCount.objects.get(count=2)
    values = [str(v) for v in SubmissionCount.objects.values_list().get(pk=row.pk)]
    assert not any(WIFI in v for v in values)
    assert {f.name for f in SubmissionCount._meta.fields} == {
        "id", "campaign", "digest", "hour", "count"
    }  # fmt: skip


def test_database_counts_of_earlier_hours_are_deleted_when_a_new_hour_is_written(
    campaign, monkeypatch, dead_cache
):
    fill(campaign, WIFI, 2)
    fill(campaign, "198.51.100.1", 1)
    assert SubmissionCount.objects.count() == 2
    later = ratelimit.time.time() + 3600
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))
    fill(campaign, WIFI, 1)
    assert list(SubmissionCount.objects.values_list("count", "hour")) == [(1, int(later // 3600))]


@pytest.mark.django_db(transaction=True)
def test_the_database_count_is_never_written_in_the_responses_transaction(
    world, settings, dead_cache
):
    """Nothing in the transaction that stores a response points at an address or a time."""
    campaign = make_campaign(world, units=[world.school])
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    # (the outermost transaction's block, SQL): the block itself is kept, not its id(), which
    # Python may give again to a later block once the first is freed.
    statements = []

    def spy(execute, sql, params, many, context):
        blocks = context["connection"].atomic_blocks
        statements.append((blocks[0] if blocks else None, sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        first, second = submit_together(2, campaign, world.school)
    assert stored(first) and refused(second)
    responses = {block for block, sql in statements if 'INTO "surveys_response"' in sql}
    counts = {
        block
        for block, sql in statements
        if "surveys_submissioncount" in sql and not sql.startswith("SELECT")
    }
    assert responses and counts and None not in responses | counts
    assert not responses & counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking")
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_counted_in_the_database_never_pass_the_limit(
    world, settings, dead_cache
):
    campaign = make_campaign(world, units=[world.school])
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 3
    barrier = threading.Barrier(8)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            fill(campaign, WIFI, 1)  # the hour's row created by all at once, the first time
            outcomes.append("counted")
        except ratelimit.RateLimited:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["counted"] * 3 + ["refused"] * 5
    assert SubmissionCount.objects.get().count == 3


def test_nothing_about_the_address_reaches_logs_or_the_response(
    campaign, world, settings, dead_cache, caplog
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    address = "2001:db8:77:88::5"
    caplog.set_level(logging.DEBUG)
    pages = submit_together(2, campaign, world.school, address)
    assert stored(pages[0]) and refused(pages[1])
    digest = SubmissionCount.objects.get().digest
    secrets = (address, "2001:db8:77:88", digest)
    assert "rate limit counted in the database" in caplog.text
    assert not any(s in caplog.text for s in secrets)
    for page in pages:
        sent = page.serialize().decode() + "".join(str(c) for c in page.cookies.values())
        assert not any(s in sent for s in secrets)
    assert not any(s in str(v) for s in secrets for v in Response.objects.values().get().values())

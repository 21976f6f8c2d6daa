"""The plain submission path (storage and duplicates): a campaign edit applies
to the next request of any process, a double tap stores one response and thanks twice, the
stored rows do not tie a one-time code to its response, closing and submitting never overlap,
concurrent submissions lose and duplicate nothing, and the migration keeps staged responses."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from surveys.answering_state import cookie_name
from surveys.models import Campaign, OneTimeCode, Response, SurveyLink, UnitTally
from surveys.services import (
    CampaignNotOpen,
    campaign_close,
    codes_generate,
    response_submit,
    tally_rebuild,
)
from tests.surveys.factories import make_campaign, parent_answers, questions, submit
from tests.surveys.test_tally_upsert import counters

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent connections"
)


def pages(campaign):
    q = questions(campaign)
    return [
        {f"q{q['p1'].pk}": "1", **{f"q{q[c].pk}": "4" for c in ("p2", "p3", "p4")}},
        {f"q{q['p5'].pk}": "4", f"q{q['p6'].pk}": "4"},
        {f"q{q['p9'].pk}": "Tốt"},
    ]


def to_last_page(client, url, campaign):
    """Answer every page but the last: (the last page's URL, its data, the state cookie)."""
    *first, last = pages(campaign)
    for data in first:
        url = client.post(url, data)["Location"]
    token = url.split("/s/r/", 1)[1].split("/", 1)[0]
    return url, last, token


def sum_of_units(campaign):
    return UnitTally.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] or 0


# --- campaign edits apply at once -----------------------------------------------------------


def test_a_changed_closing_date_applies_to_the_next_request(client, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)  # a frozen version, as in a running campaign
    url = client.get(f"/s/{SurveyLink.objects.get(campaign=campaign).code}")["Location"]
    data = pages(campaign)
    page2 = client.post(url, data[0])["Location"]
    yesterday = timezone.localdate() - timedelta(days=1)
    Campaign.objects.filter(pk=campaign.pk).update(closes_on=yesterday)  # another process
    refused = client.post(page2, data[1])
    assert 'data-kind="closed"' in refused.content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(closes_on=yesterday + timedelta(days=10))
    page3 = client.post(page2, data[1])["Location"]
    assert "/s/thanks/" in client.post(page3, data[2])["Location"]
    assert Response.objects.count() == 2


def test_a_code_newly_required_applies_to_sessions_opened_by_the_open_link(client, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    url = client.get(f"/s/{SurveyLink.objects.get(campaign=campaign).code}")["Location"]
    last_url, last, _token = to_last_page(client, url, campaign)
    Campaign.objects.filter(pk=campaign.pk).update(requires_code=True)  # another process
    response = client.post(last_url, last)
    assert 'data-kind="needs_code"' in response.content.decode()
    assert 'data-kind="needs_code"' in client.get(last_url).content.decode()
    assert Response.objects.count() == 1


# --- a double tap on the last page ------------------------------------------------------------


@pytest.mark.parametrize("with_code", [False, True], ids=["open link", "one-time code"])
def test_a_double_tap_on_the_last_page_thanks_twice_and_stores_once(client, world, with_code):
    campaign = make_campaign(world, units=[world.school], requires_code=with_code)
    if with_code:
        codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
        url = client.post("/s/", {"code": OneTimeCode.objects.get().code})["Location"]
    else:
        url = client.get(f"/s/{SurveyLink.objects.get(campaign=campaign).code}")["Location"]
    last_url, last, token = to_last_page(client, url, campaign)
    state = client.cookies[cookie_name(token)].value
    first = client.post(last_url, last)
    client.cookies[cookie_name(token)] = state  # the second tap left with the same cookies
    second = client.post(last_url, last)
    assert "/s/thanks/" in first["Location"] and "/s/thanks/" in second["Location"]
    assert Response.objects.count() == 1 and sum_of_units(campaign) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_tap_with_a_code_thanks_twice_and_stores_once():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
    client = Client()
    url = client.post("/s/", {"code": OneTimeCode.objects.get().code})["Location"]
    last_url, last, _token = to_last_page(client, url, campaign)
    barrier, answers = threading.Barrier(2), []

    def tap():
        tapper = Client()
        tapper.cookies = client.cookies  # the same browser
        try:
            barrier.wait()
            answers.append(tapper.post(last_url, last)["Location"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2 and all("/s/thanks/" in location for location in answers)
    assert Response.objects.count() == 1 and sum_of_units(campaign) == 1


# --- storage: nothing ties a code to its response ----------------------------------------------


def code_submission(campaign, unit, code):
    response_submit(
        campaign_id=campaign.pk,
        unit_id=unit.pk,
        answers=parent_answers(campaign),
        language="vi",
        one_time_code_id=code.pk,
    )


def test_stored_rows_do_not_tell_which_code_went_with_which_response(world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=3)
    first, second, _unused = OneTimeCode.objects.order_by("pk")
    code_submission(campaign, world.school, second)
    code_submission(campaign, world.school, first)
    used = list(OneTimeCode.objects.filter(is_used=True).order_by("pk").values())
    assert [row["id"] for row in used] == [first.pk, second.pk]
    # The used codes differ only by their own key and code: no time, order or reference.
    assert [{**row, "id": 0, "code": ""} for row in used] == [{**used[0], "id": 0, "code": ""}] * 2
    responses = list(Response.objects.values())
    assert len(responses) == 2
    codes = {first.code, second.code, str(first.pk), str(second.pk)}
    for row in responses:
        assert not any(code in repr(row) for code in codes if len(code) > 3)
        assert isinstance(row["id"], uuid.UUID)  # random keys: their order tells nothing


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_every_used_code_carries_the_transaction_of_the_latest_submission():
    """PostgreSQL stamps each row with the transaction that wrote it (``xmin``). Each code
    submission writes all the unit's used codes again, so their ``xmin`` is one value, that of
    the latest submission: it does not say which code went with which response."""
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=4)
    for code in OneTimeCode.objects.order_by("pk")[:3]:
        code_submission(campaign, world.school, code)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT xmin::text FROM surveys_onetimecode WHERE campaign_id = %s "
            "AND unit_id = %s AND is_used",
            [campaign.pk, world.school.pk],
        )
        stamps = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT xmin::text FROM surveys_response WHERE campaign_id = %s", [campaign.pk]
        )
        responses = {row[0] for row in cursor.fetchall()}
    assert len(stamps) == 1 and len(responses) == 3
    assert stamps[0] in responses  # the latest one's


# --- closing and submitting -------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_submission_during_a_close_waits_and_then_stores_nothing():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school)
    read_while_open = Campaign.objects.select_related("version").get(pk=campaign.pk)
    closing, outcome = threading.Event(), []

    def close():
        try:
            with transaction.atomic():
                campaign_close(actor=world.iso, campaign=campaign)
                closing.set()
                time.sleep(1)  # a close still in flight
        finally:
            connections.close_all()

    closer = threading.Thread(target=close)
    closer.start()
    closing.wait(5)
    try:
        response_submit(
            campaign=read_while_open, unit_id=world.school.pk,
            answers=parent_answers(campaign), language="vi",
        )  # fmt: skip
        outcome.append("stored")
    except CampaignNotOpen:
        outcome.append("refused")
    closer.join()
    assert outcome == ["refused"]
    assert Response.objects.count() == 1 and sum_of_units(campaign) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_close_waits_for_a_submission_in_flight_which_is_counted():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school])
    submitted, events = threading.Event(), []

    def submit_slowly():
        try:
            with transaction.atomic():
                submit(campaign, world.school)
                submitted.set()
                time.sleep(1)  # a submission still in flight
                events.append("submission committed")
        finally:
            connections.close_all()

    submitter = threading.Thread(target=submit_slowly)
    submitter.start()
    submitted.wait(5)
    campaign_close(actor=world.iso, campaign=campaign)
    events.append("closed")
    submitter.join()
    assert events == ["submission committed", "closed"]
    assert Response.objects.count() == 1 and sum_of_units(campaign) == 1


# --- many at once -----------------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_lose_and_duplicate_nothing():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school)  # frozen
    units = [world.school, world.school2]
    barrier, errors = threading.Barrier(8), []

    def respondent(i):
        try:
            barrier.wait()
            for n in range(10):
                submit(campaign, units[(i + n) % 2], likert=1 + (i + n) % 5)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=respondent, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Response.objects.count() == 81 and sum_of_units(campaign) == 81
    live = counters(campaign)
    tally_rebuild(campaign)
    assert counters(campaign) == live


# --- the migration keeps every staged response --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_staged_responses_into_counted_responses():
    from django.db.migrations.executor import MigrationExecutor

    before = [("surveys", "0013_free_text_grant")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    try:
        from tests.conftest import build_world

        world = build_world()
        campaign = make_campaign(world, units=[world.school], publish=False)
        Version = old.get_model("surveys", "InstrumentVersion")
        question = (
            old.get_model("surveys", "Question")
            .objects.filter(version_id=campaign.version_id, kind="likert")
            .first()
        )
        Staged = old.get_model("surveys", "StagedResponse")
        for value in (3, 5):
            Staged.objects.create(
                id=uuid.uuid4(), campaign_id=campaign.pk, version_id=campaign.version_id,
                unit_id=world.school.pk, submitted_on=timezone.localdate(), language="vi",
                answers=[[question.pk, value, ""]],
            )  # fmt: skip
        assert not Version.objects.get(pk=campaign.version_id).has_responses
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Response.objects.filter(campaign=campaign).count() == 2
    assert counters(campaign)["units"] == {(world.school.pk, 2)}
    assert counters(campaign)["values"] == {
        (world.school.pk, question.pk, 3, 1),
        (world.school.pk, question.pk, 5, 1),
    }
    campaign.version.refresh_from_db()
    assert campaign.version.has_responses
    assert "surveys_stagedresponse" not in connection.introspection.table_names()

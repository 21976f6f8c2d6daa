"""One-time codes: Crockford base32, used exactly once, even by two concurrent submits."""

import threading

import pytest
from django.db import connection, connections

from surveys.models import OneTimeCode, Response
from surveys.services import (
    CROCKFORD,
    CodeAlreadyUsed,
    codes_generate,
    normalize_code,
    response_submit,
)
from tests.surveys.factories import make_campaign, parent_answers


@pytest.mark.django_db
def test_generated_codes_are_crockford_base32_and_unique(world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    assert (
        codes_generate(actor=world.principal, campaign=campaign, unit=world.school, count=50) == 50
    )
    codes = list(OneTimeCode.objects.values_list("code", flat=True))
    assert len(set(codes)) == 50
    assert all(len(c) >= 10 and set(c) <= set(CROCKFORD) for c in codes)


@pytest.mark.django_db
def test_other_schools_principal_cannot_generate_codes(world):
    from django.core.exceptions import PermissionDenied

    campaign = make_campaign(world, units=[world.commune])
    with pytest.raises(PermissionDenied):
        codes_generate(actor=world.principal2, campaign=campaign, unit=world.school, count=5)


def test_normalize_code_fixes_confusable_letters():
    assert normalize_code(" abcd-efgh-io ") == "ABCDEFGH10"
    assert normalize_code("l0o") == "100"


@pytest.mark.django_db
def test_code_is_used_once_and_reuse_shows_already_used(client, world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
    code = OneTimeCode.objects.get()
    response_submit(
        campaign_id=campaign.pk, unit_id=world.school.pk, answers=parent_answers(campaign),
        language="vi", one_time_code_id=code.pk,
    )  # fmt: skip
    with pytest.raises(CodeAlreadyUsed):
        response_submit(
            campaign_id=campaign.pk, unit_id=world.school.pk, answers=parent_answers(campaign),
            language="vi", one_time_code_id=code.pk,
        )  # fmt: skip
    assert Response.objects.count() == 1
    page = client.get(f"/s/{code.code}")
    assert 'data-kind="used"' in page.content.decode()


@pytest.mark.django_db
def test_campaign_requiring_codes_refuses_open_link(client, world):
    from surveys.models import SurveyLink

    campaign = make_campaign(world, units=[world.school], requires_code=True)
    link = SurveyLink.objects.get(campaign=campaign)
    page = client.get(f"/s/{link.code}")
    html = page.content.decode()
    # No answering session starts: the page asks for the slip's code, naming whose survey it is.
    assert page.status_code == 200 and 'name="code"' in html
    assert world.school.name in html and campaign.title in html
    assert not any(name.startswith("ims_svy_s_") for name in client.cookies)


@pytest.mark.django_db
def test_response_keeps_no_trace_of_the_code(world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
    code = OneTimeCode.objects.get()
    response = response_submit(
        campaign_id=campaign.pk, unit_id=world.school.pk, answers=parent_answers(campaign),
        language="vi", one_time_code_id=code.pk,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM surveys_response")
        dump = repr(cursor.fetchall())
    assert code.code not in dump
    assert f"'{code.pk}'" not in dump
    assert str(response.pk) != str(code.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_code_store_one_response():
    from tests.conftest import build_world

    world = build_world()
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=1)
    code = OneTimeCode.objects.get()
    answers = parent_answers(campaign)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            response_submit(
                campaign_id=campaign.pk, unit_id=world.school.pk, answers=answers,
                language="vi", one_time_code_id=code.pk,
            )  # fmt: skip
            outcomes.append("stored")
        except CodeAlreadyUsed:
            outcomes.append("used")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stored", "used"]
    assert Response.objects.filter(campaign=campaign).count() == 1

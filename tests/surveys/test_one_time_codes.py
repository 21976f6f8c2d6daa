"""One-time codes: Crockford base32, used exactly once, even by two concurrent submits; printed
once, at creation, so no printout ever tells which codes were used."""

import re
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
    created = codes_generate(actor=world.principal, campaign=campaign, unit=world.school, count=50)
    codes = list(OneTimeCode.objects.values_list("code", flat=True))
    assert sorted(created) == sorted(codes) and len(set(codes)) == 50
    assert all(len(c) >= 10 and set(c) <= set(CROCKFORD) for c in codes)


@pytest.mark.django_db
def test_codes_are_printed_once_when_created_with_the_code_in_the_url_fragment(client_for, world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    client = client_for(world.principal)
    codes_generate(actor=world.principal, campaign=campaign, unit=world.school, count=2)
    earlier = set(OneTimeCode.objects.values_list("code", flat=True))
    sheet = client.post(f"/surveys/{campaign.pk}/codes/", {"unit": world.school.pk, "count": 3})
    assert sheet.status_code == 200 and sheet["Cache-Control"] == "no-store"
    html = sheet.content.decode()
    new = set(OneTimeCode.objects.values_list("code", flat=True)) - earlier
    assert len(new) == 3
    # Exactly the codes just created, each behind "#" (never sent to a server), none before.
    assert all(f"/s/#{code}" in html for code in new)
    assert not any(code in html for code in earlier)
    assert f"/s/{sorted(new)[0]}" not in html


@pytest.mark.django_db
def test_no_page_lists_a_units_codes_later_or_tells_which_were_used(client_for, world):
    campaign = make_campaign(world, units=[world.school], requires_code=True)
    created = codes_generate(actor=world.iso, campaign=campaign, unit=world.school, count=3)
    client = client_for(world.principal)
    detail = client.get(f"/surveys/{campaign.pk}/").content.decode()
    assert not any(code in detail for code in created)
    assert (
        client.get(f"/surveys/{campaign.pk}/codes/print/?unit={world.school.pk}").status_code == 404
    )
    codes_cell = re.compile(r'data-testid="codes-TH1">[^<]*<')
    before = codes_cell.search(detail).group()
    assert ">3<" in before  # codes issued: a count, set when they are created
    response_submit(
        campaign_id=campaign.pk, unit_id=world.school.pk, answers=parent_answers(campaign),
        language="vi", one_time_code_id=OneTimeCode.objects.first().pk,
    )  # fmt: skip
    after = client.get(f"/surveys/{campaign.pk}/").content.decode()
    assert codes_cell.search(after).group() == before  # a used code shows nowhere


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
    page = client.post("/s/", {"code": code.code})
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

"""Management pages: owner, member with fewer rights, outsider (404)."""

import pytest
from django.urls import reverse

from surveys.models import Campaign, Instrument, OneTimeCode, SurveyLink
from surveys.services import campaign_close
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    c = make_campaign(world, units=[world.commune], target_responses=40)
    submit(c, world.school, n=6)
    return c


def test_campaign_list_for_owner_member_and_outsider(client_for, world, campaign):
    other = make_campaign(world, owner=world.school2, units=[world.school2], title="Riêng TH2")
    assert client_for(world.iso).get("/surveys/").content.decode().count("Khảo sát parents") >= 1
    html = client_for(world.teacher).get("/surveys/").content.decode()
    assert campaign.title in html and other.title not in html
    html = client_for(world.principal2).get("/surveys/").content.decode()
    assert campaign.title not in html and other.title in html


def test_campaign_list_query_count_is_flat(client_for, world, django_assert_max_num_queries):
    for i in range(12):
        make_campaign(world, units=[world.school], title=f"Đợt {i}")
    client = client_for(world.iso)
    with django_assert_max_num_queries(12):
        response = client.get("/surveys/")
    assert response.status_code == 200 and "Đợt 11" in response.content.decode()


def test_campaign_detail_owner_member_outsider(client_for, world, campaign):
    url = f"/surveys/{campaign.pk}/"
    html = client_for(world.iso).get(url).content.decode()
    assert "Publish" not in html and reverse("surveys:close", args=[campaign.pk]) in html
    assert "6 / 40 (15%)" in html
    member = client_for(world.teacher).get(url)
    assert member.status_code == 200
    page = member.content.decode()
    assert reverse("surveys:close", args=[campaign.pk]) not in page
    assert 'data-testid="results-link"' not in page  # staff: no results
    assert "/ 40" not in page
    assert client_for(world.principal2).get(url).status_code == 404


def test_publish_creates_one_link_per_school(world):
    campaign = make_campaign(world, units=[world.root])
    units = set(SurveyLink.objects.filter(campaign=campaign).values_list("unit__code", flat=True))
    assert units == {"TH1", "TH2"}


def test_member_cannot_close_campaign(client_for, world, campaign):
    response = client_for(world.teacher).post(f"/surveys/{campaign.pk}/close/")
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED
    client_for(world.iso).post(f"/surveys/{campaign.pk}/close/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED


def test_results_owner_member_outsider(client_for, world, campaign):
    url = f"/surveys/{campaign.pk}/results/"
    response = client_for(world.iso).get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "n = 6" in html and 'data-testid="results-index"' in html
    assert client_for(world.principal).get(url).status_code == 200
    assert client_for(world.teacher).get(url).status_code == 403
    assert client_for(world.principal2).get(url).status_code == 404
    # A principal cannot widen the scope to the commune above the school.
    assert client_for(world.principal).get(f"{url}?unit={world.commune.pk}").status_code == 404
    assert client_for(world.principal).get(f"{url}?unit=abc").status_code == 404


def test_results_hide_small_groups(client_for, world):
    campaign = make_campaign(world, units=[world.commune])
    submit(campaign, world.school, n=3)
    html = client_for(world.iso).get(f"/surveys/{campaign.pk}/results/").content.decode()
    assert 'data-testid="results-hidden"' in html and "n = &lt; 5" in html
    assert 'data-testid="results-index"' not in html


def test_results_query_count_is_flat(client_for, world, django_assert_max_num_queries):
    campaign = make_campaign(world, units=[world.commune])
    submit(campaign, world.school, n=30)
    # The first read releases the school's figures (``surveys.results``): 8 queries more.
    with django_assert_max_num_queries(48):
        client_for(world.iso).get(f"/surveys/{campaign.pk}/results/?unit={world.commune.pk}")
    with django_assert_max_num_queries(40):
        client_for(world.iso).get(f"/surveys/{campaign.pk}/results/?unit={world.commune.pk}")


def test_aggregate_export_applies_suppression(client_for, world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=6)
    submit(campaign, world.school2, n=2)
    campaign_close(actor=world.iso, campaign=campaign)  # figures exact below the Department
    response = client_for(world.iso).get(
        f"/surveys/{campaign.pk}/results/export/?what=aggregate&fmt=csv"
    )
    text = b"".join(response.streaming_content).decode()
    assert "TH2" in text
    line = next(line for line in text.splitlines() if "TH2" in line)
    assert ",2," not in line and "<5" in line and line.endswith(",ẩn")
    assert "TH1" in text and next(row for row in text.splitlines() if "TH1" in row).count(",,") >= 1


def test_raw_export_has_no_identifying_columns_and_needs_manager(client_for, world, campaign):
    campaign_close(actor=world.iso, campaign=campaign)
    url = f"/surveys/{campaign.pk}/results/export/?what=raw&fmt=csv"
    response = client_for(world.iso).get(url)
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    headers = next(line for line in lines if line.count(",") > 3)
    assert headers.split(",")[:3] == ["Đơn vị", "Ngày", "Ngôn ngữ"] or headers.startswith("Unit")
    assert len(lines) == 2 + 1 + 6  # two notes (units left out, free text), headers, 6 rows
    assert client_for(world.teacher).get(url).status_code == 403


def test_qr_svg_png_and_sheet(client_for, world, campaign):
    link = SurveyLink.objects.get(campaign=campaign, unit=world.school)
    client = client_for(world.principal)
    svg = client.get(f"/surveys/{campaign.pk}/links/{link.pk}/qr.svg")
    assert svg.status_code == 200 and svg.content.lstrip().startswith(b"<svg")
    png = client.get(f"/surveys/{campaign.pk}/links/{link.pk}/qr.png")
    assert png.content.startswith(b"\x89PNG")
    sheet = client.get(f"/surveys/{campaign.pk}/links/{link.pk}/sheet/").content.decode()
    assert world.school.name in sheet and link.code in sheet
    link2 = SurveyLink.objects.create(campaign=campaign, unit=world.school2, code="ABCDEFGH12")
    assert client.get(f"/surveys/{campaign.pk}/links/{link2.pk}/qr.svg").status_code == 404


def test_codes_generate_and_print(client_for, world, campaign):
    client = client_for(world.principal)
    response = client.post(f"/surveys/{campaign.pk}/codes/", {"unit": world.school.pk, "count": 12})
    assert response.status_code == 200  # the sheet of the new codes, to print now
    assert OneTimeCode.objects.filter(campaign=campaign, unit=world.school).count() == 12
    assert OneTimeCode.objects.first().code in response.content.decode()
    assert 'data-testid="codes-TH1">12<' in client.get(f"/surveys/{campaign.pk}/").content.decode()
    response = client_for(world.teacher).post(
        f"/surveys/{campaign.pk}/codes/", {"unit": world.school.pk, "count": 3}
    )
    assert response.status_code == 302 and OneTimeCode.objects.count() == 12
    bad = client.post(f"/surveys/{campaign.pk}/codes/", {"unit": world.school.pk, "count": 0})
    assert bad.status_code == 302
    assert OneTimeCode.objects.count() == 12


def test_campaign_create_validates_dates_and_units(client_for, world):
    instrument_campaign = make_campaign(world, units=[world.school], publish=False)
    data = {
        "version": instrument_campaign.version.pk,
        "title": "Khảo sát phụ huynh học kỳ II",
        "group": "parents",
        "owner_unit": world.school.pk,
        "units": [world.school.pk],
        "opens_on": "2026-03-10",
        "closes_on": "2026-03-01",
    }
    client = client_for(world.principal)
    response = client.post("/surveys/new/", data)
    assert response.status_code == 200 and Campaign.objects.count() == 1
    data["closes_on"] = "2026-03-31"
    response = client.post("/surveys/new/", data)
    assert response.status_code == 302
    assert Campaign.objects.count() == 2
    assert client_for(world.teacher).get("/surveys/new/").status_code == 403


def test_instrument_pages(client_for, world):
    client = client_for(world.iso)
    response = client.post(
        "/surveys/instruments/new/", {"template": "learners", "owner_unit": world.root.pk}
    )
    instrument = Instrument.objects.get()
    assert response["Location"] == f"/surveys/instruments/{instrument.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Em đến trường dễ dàng và an toàn." in html
    assert client_for(world.teacher).get(response["Location"]).status_code == 200
    assert client_for(world.principal2).get(response["Location"]).status_code == 200  # above
    own = make_campaign(world, owner=world.school, units=[world.school], publish=False)
    url = f"/surveys/instruments/{own.version.instrument_id}/"
    assert client_for(world.principal2).get(url).status_code == 404
    response = client.post(
        f"{url}v1/questions/",
        {"section": own.version.sections.first().pk, "code": "n1", "kind": "number", "text": "Số"},
    )
    assert response.status_code in (403, 200, 400)


def test_overview_by_group_with_suppression(client_for, world):
    parents = make_campaign(world, units=[world.commune])
    submit(parents, world.school, n=6, likert=5)
    learners = make_campaign(world, template="learners", units=[world.commune])
    from surveys.services import response_submit
    from tests.surveys.factories import questions

    q = questions(learners)
    for _ in range(2):
        response_submit(
            campaign_id=learners.pk,
            unit_id=world.school.pk,
            answers={str(q[c].pk): ["1"] for c in ("l1", "l2", "l3", "l4", "l5")},
            language="vi",
        )
    html = client_for(world.iso).get("/surveys/overview/").content.decode()
    assert "Cha mẹ học sinh" in html and "100,0" in html
    assert "Người học" in html and "&lt; 5" in html
    assert client_for(world.teacher).get("/surveys/overview/").status_code == 403
    other = client_for(world.principal2).get(f"/surveys/overview/?unit={world.school.pk}")
    assert other.status_code == 404


def test_instrument_list_query_count_is_flat(client_for, world, django_assert_max_num_queries):
    for _ in range(6):
        make_campaign(world, units=[world.school], publish=False)
    client = client_for(world.iso)
    with django_assert_max_num_queries(12):
        response = client.get("/surveys/instruments/")
    assert response.content.decode().count("/surveys/instruments/") >= 6

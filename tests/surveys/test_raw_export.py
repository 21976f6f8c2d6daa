"""The raw export: streamed, only for the roles the README names, once the campaign is closed,
only units with at least 5 responses, free text only with a separate recorded permission (which
also gates the comments on the results page)."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import QuerySet

from ims.models import TransitionEvent
from surveys import raw_export as raw_export_module
from surveys.models import FreeTextGrant
from surveys.services import (
    campaign_close,
    free_text_grant,
    free_text_revoke,
    response_submit,
)
from tests.surveys.factories import make_campaign, parent_answers, questions, submit

pytestmark = pytest.mark.django_db

COMMENT = "Cô Lan lớp 1A rất tận tình"


def english(client_for, user):
    """A client for ``user``, who reads the pages in English."""
    user.language = "en"
    user.save(update_fields=["language"])
    return client_for(user)


def submit_with_comment(campaign, unit, n):
    q = questions(campaign)
    for _ in range(n):
        answers = parent_answers(campaign)
        answers[str(q["p9"].pk)] = [COMMENT]
        response_submit(campaign_id=campaign.pk, unit_id=unit.pk, answers=answers, language="vi")


@pytest.fixture
def closed(world):
    """A Department campaign: 6 responses at TH1 (with a comment), 2 at TH2; closed."""
    campaign = make_campaign(world, units=[world.root])
    submit_with_comment(campaign, world.school, 6)
    submit(campaign, world.school2, n=2)
    campaign_close(actor=world.iso, campaign=campaign)
    return campaign


def url(campaign, fmt="csv"):
    return f"/surveys/{campaign.pk}/results/export/?what=raw&fmt={fmt}"


def read(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_raw_export_streams_and_reads_the_responses_in_chunks(client_for, world, monkeypatch):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=12)
    campaign_close(actor=world.iso, campaign=campaign)
    monkeypatch.setattr(raw_export_module, "RAW_CHUNK", 5)
    monkeypatch.setattr("ims.exports.CSV_PIECE", 60)
    chunk_sizes = []
    iterator = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    response = client_for(world.iso).get(url(campaign))
    assert response.status_code == 200 and response.streaming
    assert chunk_sizes == []  # no response read yet: rows are read as the file is sent
    pieces = list(response.streaming_content)
    assert chunk_sizes == [5]  # read through a cursor, a few at a time, never all at once
    assert len(pieces) > 3  # sent as it is written, not as one whole file
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(rows) == 2 + 1 + 12  # two notes, the headers, one row per response


def test_only_the_directors_and_quality_managers_of_the_running_unit_export_raw_rows(
    client_for, world, closed
):
    for person in (world.iso, world.director):
        assert client_for(person).get(url(closed)).status_code == 200
    # A principal or unit head reads results, never raw rows; staff neither.
    for person in (world.principal, world.head, world.teacher):
        assert client_for(person).get(url(closed)).status_code == 403
    # A school's own campaign: its principal runs it and still gets no raw rows.
    own = make_campaign(world, owner=world.school, units=[world.school], title="Riêng TH1")
    submit(own, world.school, n=5)
    campaign_close(actor=world.principal, campaign=own)
    assert client_for(world.principal).get(url(own)).status_code == 403
    assert client_for(world.iso).get(url(own)).status_code == 200
    assert client_for(world.principal2).get(url(own)).status_code == 404


def test_the_results_page_offers_raw_rows_only_to_those_roles(client_for, world, closed):
    page = client_for(world.iso).get(f"/surveys/{closed.pk}/results/").content.decode()
    assert 'data-testid="raw-export"' in page
    page = client_for(world.principal).get(f"/surveys/{closed.pk}/results/").content.decode()
    assert 'data-testid="raw-export"' not in page and "what=raw" not in page


def test_raw_rows_wait_until_the_campaign_is_closed(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=6)
    client = english(client_for, world.iso)
    response = client.get(url(campaign), follow=True)
    assert not response.streaming
    assert "Raw responses can be downloaded once the campaign is closed." in (
        response.content.decode()
    )
    assert 'data-testid="raw-export"' not in response.content.decode()


def test_raw_rows_are_csv_only(client_for, world, closed):
    assert client_for(world.iso).get(url(closed, "xlsx")).status_code == 404


def test_units_with_fewer_than_five_responses_are_left_out_and_the_file_says_so(
    client_for, world, closed
):
    rows = read(english(client_for, world.iso).get(url(closed)))
    note, headers, *data = [r for r in rows if len(r) > 1 or not r[0].startswith("Free-text")]
    assert note == [
        "Only units with at least 5 responses are included: 1 units (2 responses) were left out."
    ]
    assert headers[:3] == ["Unit", "Date", "Language"]
    assert [row[0] for row in data] == ["TH1"] * 6  # TH2's two responses stay inside


def test_free_text_needs_a_recorded_permission(client_for, world, closed):
    client = english(client_for, world.iso)
    rows = read(client.get(url(closed)))
    assert "p9" not in rows[2] and COMMENT not in repr(rows)
    assert rows[1] == [
        "Free-text answers are not included: they need a separate, recorded permission."
    ]
    free_text_grant(
        actor=world.director, campaign=closed, person=world.iso, reason="Phân tích góp ý"
    )
    rows = read(client.get(url(closed)))
    assert len(rows) == 1 + 1 + 6 and "p9" in rows[1]
    assert [row[rows[1].index("p9")] for row in rows[2:]] == [COMMENT] * 6


def test_comments_on_the_results_page_need_the_permission_too(client_for, world):
    # Not the ``closed`` fixture: there the Department (8) minus TH1 (6) would give TH2's 2,
    # so TH1's results are hidden (``surveys.results``), comments included.
    closed = make_campaign(world, units=[world.root])
    submit_with_comment(closed, world.school, 6)
    submit(closed, world.school2, n=5)
    campaign_close(actor=world.iso, campaign=closed)
    page_url = f"/surveys/{closed.pk}/results/?unit={world.school.pk}"
    response = client_for(world.principal).get(page_url)
    page = response.content.decode()
    assert COMMENT not in page and 'data-testid="comments-need-permission"' in page
    assert response.context["comments"] is None  # not even read
    grant = free_text_grant(
        actor=world.iso, campaign=closed, person=world.principal, reason="Cải tiến dạy học"
    )
    page = client_for(world.principal).get(page_url).content.decode()
    assert COMMENT in page and 'data-testid="comments-need-permission"' not in page
    free_text_revoke(actor=world.iso, grant=grant)
    assert COMMENT not in client_for(world.principal).get(page_url).content.decode()


def test_comments_wait_until_the_campaign_is_closed(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit_with_comment(campaign, world.school, 6)
    free_text_grant(actor=world.director, campaign=campaign, person=world.iso, reason="Góp ý")
    page_url = f"/surveys/{campaign.pk}/results/?unit={world.school.pk}"
    response = client_for(world.iso).get(page_url)
    assert COMMENT not in response.content.decode() and response.context["comments"] is None
    assert 'data-testid="comments-after-close"' in response.content.decode()
    campaign_close(actor=world.iso, campaign=campaign)
    assert COMMENT in client_for(world.iso).get(page_url).content.decode()


def test_a_grant_is_recorded_with_its_reason_and_stays_on_record_when_withdrawn(world, closed):
    grant = free_text_grant(
        actor=world.director, campaign=closed, person=world.iso, reason="Phân tích góp ý"
    )
    event = TransitionEvent.objects.for_object(closed).get(action="free_text_grant")
    assert event.actor == world.director and "Phân tích góp ý" in event.reason
    free_text_revoke(actor=world.director, grant=grant)
    grant.refresh_from_db()
    assert grant.revoked_by == world.director and grant.revoked_at is not None
    assert TransitionEvent.objects.for_object(closed).filter(action="free_text_revoke").exists()
    assert not closed.can_read_free_text(world.iso)
    assert grant.history.count() == 2
    with pytest.raises(ValidationError):
        free_text_revoke(actor=world.director, grant=grant)


def test_a_grant_needs_a_reason_a_manager_another_person_and_a_results_reader(world, closed):
    with pytest.raises(ValidationError):
        free_text_grant(actor=world.director, campaign=closed, person=world.iso, reason=" ")
    with pytest.raises(ValidationError):
        free_text_grant(actor=world.iso, campaign=closed, person=world.iso, reason="Tự cấp")
    with pytest.raises(ValidationError):  # staff read no results
        free_text_grant(actor=world.iso, campaign=closed, person=world.teacher, reason="Xem")
    with pytest.raises(PermissionDenied):  # a principal does not run the Department's campaign
        free_text_grant(
            actor=world.principal, campaign=closed, person=world.principal2, reason="Xem"
        )
    free_text_grant(actor=world.iso, campaign=closed, person=world.director, reason="Xem")
    with pytest.raises(ValidationError):
        free_text_grant(actor=world.iso, campaign=closed, person=world.director, reason="Lần 2")
    assert FreeTextGrant.objects.count() == 1


def test_the_free_text_page_for_owner_member_and_outsider(client_for, world):
    campaign = make_campaign(world, owner=world.school, units=[world.school])
    page_url = f"/surveys/{campaign.pk}/free-text/"
    owner = english(client_for, world.principal)
    assert owner.get(page_url).status_code == 200
    assert "free-text-link" in owner.get(f"/surveys/{campaign.pk}/").content.decode()
    response = owner.post(page_url, {"person": world.iso.pk, "reason": "Tổng hợp góp ý"})
    assert response.status_code == 302
    grant = FreeTextGrant.objects.get(campaign=campaign)
    assert grant.person == world.iso and grant.granted_by == world.principal
    # Bad input: a clear message, nothing changed.
    response = owner.post(page_url, {"person": world.iso.pk, "reason": "Lần 2"})
    assert response.status_code == 400
    assert "This person already has this permission." in response.content.decode()
    response = owner.post(page_url, {"person": world.director.pk, "reason": ""})
    assert response.status_code == 400 and FreeTextGrant.objects.count() == 1
    revoke_url = f"/surveys/{campaign.pk}/free-text/{grant.pk}/revoke/"
    member = client_for(world.teacher)
    assert member.get(page_url).status_code == 403
    assert member.post(page_url, {"person": world.director.pk, "reason": "x"}).status_code == 403
    assert member.post(revoke_url).status_code == 403
    outsider = client_for(world.principal2)
    assert outsider.get(page_url).status_code == 404
    assert outsider.post(revoke_url).status_code == 404
    assert FreeTextGrant.objects.active().count() == 1
    assert owner.post(revoke_url).status_code == 302
    assert not FreeTextGrant.objects.active().exists()


def test_export_raw_command_writes_the_same_rows(world, closed):
    out = io.StringIO()
    call_command("export_raw", closed.pk, stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    data = [row for row in rows if row and row[0] in ("TH1", "TH2")]
    assert [row[0] for row in data] == ["TH1"] * 6
    assert COMMENT not in out.getvalue()
    out = io.StringIO()
    call_command("export_raw", closed.pk, "--free-text", "--unit", "TH1", stdout=out)
    assert out.getvalue().count(COMMENT) == 6


def test_each_answer_is_listed_under_its_question(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    q = questions(campaign)
    answers = parent_answers(campaign, likert=5, grade=2, p7=9)
    answers[str(q["p9"].pk)] = ["Trường sạch, đẹp"]
    for _ in range(5):
        response_submit(
            campaign_id=campaign.pk, unit_id=world.school.pk, answers=answers, language="vi"
        )
    campaign_close(actor=world.iso, campaign=campaign)
    free_text_grant(actor=world.director, campaign=campaign, person=world.iso, reason="Góp ý")
    rows = read(client_for(world.iso).get(url(campaign)))
    data = [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]
    assert len(data) == 5
    assert [data[0][code] for code in ("p1", "p2", "p6", "p7", "p9")] == [
        "2", "5", "5", "9", "Trường sạch, đẹp",
    ]  # fmt: skip
    assert data[0]["p8"] == ""  # shown only to the dissatisfied: never answered here

"""Where the auditor is: a finding's unit defaults to the auditee unit they are recording at,
never silently to the first unit of the scope; checklist quick taps never overwrite a newer
note (the tap carries the version its page showed)."""

import pytest
from django.urls import reverse

from audits import services
from audits.models import Audit, ChecklistItem
from tests.audits.factories import checklist_item, clauses, grade, make_audit


@pytest.fixture
def two_schools(world):
    return make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.school, world.school2])


def _form(client, audit, query=""):
    response = client.get(reverse("audits:finding_create", args=[audit.pk]) + query)
    assert response.status_code == 200
    return response.context["form"]


def test_no_unit_is_preselected_when_the_scope_has_several(world, client_for, two_schools):
    form = _form(client_for(world.auditor), two_schools)
    assert form.initial.get("unit") is None
    html = str(form["unit"])
    assert 'value="" selected' in html
    assert f'value="{world.school.pk}" selected' not in html


def test_the_unit_named_in_the_link_is_the_default(world, client_for, two_schools):
    form = _form(client_for(world.auditor), two_schools, f"?unit={world.school2.pk}")
    assert form.initial["unit"] == world.school2
    assert f'value="{world.school2.pk}" selected' in str(form["unit"])


def test_a_unit_outside_the_scope_in_the_link_is_ignored(world, client_for, two_schools):
    form = _form(client_for(world.auditor), two_schools, f"?unit={world.division.pk}")
    assert form.initial.get("unit") is None


def test_the_next_finding_defaults_to_the_unit_of_the_last_one(world, client_for, two_schools):
    client = client_for(world.auditor)
    response = client.post(
        reverse("audits:finding_create", args=[two_schools.pk]),
        {
            "finding_id": "0b7e2c4a-1d2f-4e3a-9b8c-7d6e5f4a3b2c",
            "grade": grade("minor_nc").pk,
            "statement": "Sổ điểm lớp 4A chưa ký.",
            "clauses": [clauses("7.5.3")[0].pk],
            "unit": world.school2.pk,
            "note": "Quan sát",
        },
    )
    assert response.status_code == 302
    assert _form(client, two_schools).initial["unit"] == world.school2
    page = client.get(reverse("audits:audit_detail", args=[two_schools.pk])).content.decode()
    assert f"?unit={world.school2.pk}" in page


def test_the_only_unit_of_the_scope_is_the_default(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    assert _form(client_for(world.auditor), audit).initial["unit"] == world.school


# --- checklist quick taps ------------------------------------------------------------------------


@pytest.fixture
def noted(world):
    """An item whose note another auditor wrote after the tapping page was loaded (version 0)."""
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    item = checklist_item(audit)
    services.checklist_item_record(
        item,
        actor=world.leadauditor,
        result="nonconforming",
        note="Ghi chú mới hơn",
        base_version=0,
    )
    return audit, ChecklistItem.objects.get(pk=item.pk)


def _tap(client, audit, item, version, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("audits:checklist_item", args=[audit.pk, item.pk]),
        {"result": "conforming", "note": "", "evidence": "", "version": version},
        headers=headers,
    )


def test_a_stale_tap_changes_nothing_and_shows_the_current_value(world, client_for, noted):
    audit, item = noted
    assert item.version == 1
    response = _tap(client_for(world.auditor), audit, item, version=0)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ghi chú mới hơn" in page and 'data-result="nonconforming"' in page
    assert 'role="alert"' in page and 'name="version" value="1"' in page
    stored = ChecklistItem.objects.get(pk=item.pk)
    assert (stored.result, stored.note, stored.version) == ("nonconforming", "Ghi chú mới hơn", 1)


def test_a_stale_form_without_htmx_changes_nothing(world, client_for, noted):
    audit, item = noted
    response = _tap(client_for(world.auditor), audit, item, version=0, htmx=False)
    assert response.status_code == 200
    assert response.context["form"]["note"].value() == "Ghi chú mới hơn"
    assert ChecklistItem.objects.get(pk=item.pk).note == "Ghi chú mới hơn"


def test_a_tap_on_the_current_version_is_recorded(world, client_for, noted):
    audit, item = noted
    _tap(client_for(world.auditor), audit, item, version=1)
    stored = ChecklistItem.objects.get(pk=item.pk)
    assert (stored.result, stored.version) == ("conforming", 2)


def test_a_tap_without_a_version_changes_nothing(world, client_for, noted):
    audit, item = noted
    response = client_for(world.auditor).post(
        reverse("audits:checklist_item", args=[audit.pk, item.pk]),
        {"result": "conforming", "note": "", "evidence": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert ChecklistItem.objects.get(pk=item.pk).note == "Ghi chú mới hơn"


def test_the_service_refuses_a_stale_version(world, noted):
    _audit, item = noted
    with pytest.raises(services.StaleChecklistItem):
        services.checklist_item_record(
            item, actor=world.auditor, result="conforming", base_version=0
        )
    assert ChecklistItem.objects.get(pk=item.pk).result == "nonconforming"

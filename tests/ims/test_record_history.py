"""Every domain record keeps its history (with the reason a person gave), and the history on a
record's page shows each change as "field: old → new"."""

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from ims import accounts
from ims.history import changes, with_reason
from ims.models import OrgUnit

pytestmark = pytest.mark.django_db

# Models of ims, nonconformities and surveys deliberately without history, and why.
NO_HISTORY = {
    # Append-only: the row is its own record and can never change (ims.immutable).
    "ims.Signature": "append-only",
    "ims.TransitionEvent": "append-only",
    # Operational or derived rows, rewritten by the machine many times; nothing a person edits.
    "ims.Notification": "per-person inbox, high volume",
    "ims.ReportJob": "a render job's status row",
    "ims.WorkerHeartbeat": "a worker's liveness beat, every minute",
    "nonconformities.NumberSequence": "a counter",
    # Anonymous answers and what is derived from them: immutable, high volume, and a history
    # table would keep copies that the anonymity rules forbid.
    "surveys.Response": "immutable anonymous answers",
    "surveys.SubmissionClaim": "transient double-submit guard",
    "surveys.AnsweringDraft": "an unfinished session's answers, deleted when it ends; a copy "
    "would outlive that deletion",
    "surveys.UnitTally": "counter",
    "surveys.QuestionTally": "counter",
    "surveys.ValueTally": "counter",
    "surveys.ReleasedResult": "a copy of the counters, rewritten in steps",
    "surveys.SubmissionCount": "an hour's rate-limit count under a keyed hash, deleted the next "
    "hour; a copy would keep it",
    # Printed slips, thousands per campaign; a history copy would keep every code readable.
    "surveys.OneTimeCode": "one-time codes, high volume",
}


def test_every_domain_model_has_history_or_a_reason_not_to():
    missing = []
    for label in ("ims", "nonconformities", "surveys"):
        for model in apps.get_app_config(label).get_models():
            name = f"{label}.{model.__name__}"
            if model.__name__.startswith("Historical") or name in NO_HISTORY:
                continue
            if not hasattr(model, "history"):
                missing.append(name)
    assert missing == []


def test_changes_lists_field_old_and_new(world):
    unit = OrgUnit.objects.get(pk=world.school.pk)
    unit.name = "Trường Tiểu học Tô Hiệu mới"
    unit.is_active = False
    with_reason(unit, "Sáp nhập theo quyết định 12/QĐ-UBND").save()
    with translation.override("en"):
        newest, *older = changes(unit.history.all())
        assert newest.history_change_reason == "Sáp nhập theo quyết định 12/QĐ-UBND"
        assert {(c["field"], c["old"], c["new"]) for c in newest.changes} == {
            ("Name", "Trường Tiểu học Tô Hiệu", "Trường Tiểu học Tô Hiệu mới"),
            ("Active", "yes", "no"),
        }
    assert older[-1].history_type == "+" and older[-1].changes == []


def test_related_records_are_shown_by_name(world):
    unit = OrgUnit.objects.get(pk=world.school.pk)
    unit.parent = world.commune2
    unit.save()
    with translation.override("en"):
        [change] = changes(unit.history.all())[0].changes
    assert (change["old"], change["new"]) == (str(world.commune), str(world.commune2))


def test_unit_page_shows_each_change(world, client_for):
    world.teacher.language = "en"
    world.teacher.save()
    unit = OrgUnit.objects.get(pk=world.school.pk)
    unit.address = "Số 1 đường Tô Hiệu"
    with_reason(unit, "Cập nhật địa chỉ").save()
    page = client_for(world.teacher).get(reverse("ims:unit_detail", args=[unit.pk]))
    text = page.content.decode()
    assert "<strong>Address:</strong> Số 1 đường Tô Hiệu" in text  # was empty: no "— →"
    assert "Cập nhật địa chỉ" in text


def test_unit_page_query_count_stays_flat_as_history_grows(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.principal)
    url = reverse("ims:unit_detail", args=[world.school.pk])
    unit = OrgUnit.objects.get(pk=world.school.pk)
    for n in range(30):
        unit.address = f"Số {n}"
        unit.save()
    client.get(url)
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert page.content.decode().count("<strong>") >= 19


def test_deactivation_reason_is_kept_in_the_account_history(world):
    accounts.user_deactivate(world.director, world.teacher, "Chuyển công tác")
    latest = world.teacher.history.first()
    assert latest.is_active is False
    assert latest.history_change_reason == "Chuyển công tác"

"""The register's export carries what an office keeps: cause, actions, closure, effectiveness."""

import datetime
from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from nonconformities import services

pytestmark = pytest.mark.django_db


def export(client, **params):
    response = client.get(reverse("nonconformities:register"), {"format": "xlsx", **params})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(load_workbook(BytesIO(body)).active.values)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_xlsx_has_root_cause_actions_closure_and_effectiveness(loop, world, client_for):
    closed = loop.closed()
    open_nc = loop.in_action()
    services.action_redate(
        loop.action,
        actor=world.principal,
        due=timezone.localdate() + timedelta(days=20),
        reason="Chờ kinh phí",
    )
    world.iso.language = "en"
    world.iso.save(update_fields=["language"])
    rows = {row["Number"]: row for row in export(client_for(world.iso))}
    done = rows[closed.number]
    assert done["Root cause"] == closed.root_cause
    action = closed.actions.get()
    assert action.description in done["Corrective actions (owner, due date)"]
    assert world.teacher.display_name in done["Corrective actions (owner, due date)"]
    assert action.due.strftime("%d/%m/%Y") in done["Corrective actions (owner, due date)"]
    assert done["Effectiveness"] == "Effective"
    closed.refresh_from_db()
    assert done["Closed on"] == datetime.datetime.combine(
        timezone.localtime(closed.closed_at).date(), datetime.time()
    )  # a typed date cell
    assert isinstance(done["Verified on"], datetime.datetime)
    still_open = rows[open_nc.number]
    assert still_open["Closed on"] is None and still_open["Effectiveness"] in (None, "")
    assert still_open["Due-date extensions"] == 1
    assert "extended ×1" in still_open["Corrective actions (owner, due date)"]


def test_export_queries_do_not_grow_with_rows(
    loop, world, client_for, django_assert_max_num_queries
):
    client = client_for(world.iso)
    loop.in_action()
    export(client)
    with django_assert_max_num_queries(40) as small:
        export(client)
    for _ in range(12):
        loop.in_action()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(export(client)) == 13


def test_export_lists_only_what_the_user_may_see(loop, world, client_for):
    nc = loop.in_action()
    assert [next(iter(r.values())) for r in export(client_for(world.principal))] == [nc.number]
    assert export(client_for(world.principal2)) == []

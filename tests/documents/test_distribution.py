"""Distribution to units (with subtrees) and people; read-and-acknowledge; coverage."""

import pytest
from django.urls import reverse

from documents import services
from documents.models import Acknowledgement, Distribution
from ims.models import Notification
from tests.documents.factories import (
    draft_of,
    effective_document,
    make_document,
    pdf_upload,
    publish,
)

pytestmark = pytest.mark.django_db


def _to_ack(client):
    response = client.get(reverse("documents:to_acknowledge"))
    assert response.status_code == 200
    return [r.document.code for r in response.context["revisions"]]


def test_recipient_sees_and_acknowledges(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = effective_document(world, code="QT-01", distribute_to=[world.commune])
    assert Notification.objects.filter(user=world.teacher, kind="documents.distributed").exists()
    teacher = client_for(world.teacher)
    assert _to_ack(teacher) == ["QT-01"]
    assert _to_ack(client_for(world.principal2)) == []  # another commune
    revision = document.effective_revision
    response = teacher.post(reverse("documents:acknowledge", args=[revision.pk]))
    assert response.status_code == 302
    assert _to_ack(teacher) == []
    ack = Acknowledgement.objects.get(user=world.teacher)
    assert ack.acknowledged_at is not None
    teacher.post(reverse("documents:acknowledge", args=[revision.pk]))  # twice: still one
    assert Acknowledgement.objects.filter(user=world.teacher).count() == 1


def test_acknowledge_with_htmx_swaps_the_row(world, client_for):
    document = effective_document(world, code="QT-01", users=[world.teacher])
    response = client_for(world.teacher).post(
        reverse("documents:acknowledge", args=[document.effective_revision.pk]),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<html" not in body and 'class="badge ok"' in body
    assert "HX-Request" in response["Vary"]


def test_person_not_on_distribution_cannot_acknowledge(world, client_for):
    document = effective_document(
        world, code="QT-01", users=[world.principal], confidentiality="public"
    )
    response = client_for(world.principal2).post(
        reverse("documents:acknowledge", args=[document.effective_revision.pk])
    )
    assert response.status_code == 302
    assert not Acknowledgement.objects.exists()


def test_new_effective_revision_asks_for_new_acknowledgement(world, client_for):
    document = effective_document(world, code="QT-01", distribute_to=[world.school])
    first = document.effective_revision
    services.revision_acknowledge(first, user=world.teacher)
    assert _to_ack(client_for(world.teacher)) == []
    second = services.revision_create(
        document,
        user=world.iso,
        upload=pdf_upload(),
        change_summary="Lần 2",
        reviewers=[world.head],
        approver=world.director,
    )
    publish(second)
    assert Distribution.objects.filter(revision=second, unit=world.school).exists()  # copied
    assert _to_ack(client_for(world.teacher)) == ["QT-01"]


def test_coverage_per_document_and_unit(world, client_for):
    document = effective_document(
        world, code="QT-01", distribute_to=[world.commune, world.division], users=[world.auditor]
    )
    revision = document.effective_revision
    services.revision_acknowledge(revision, user=world.teacher)
    cover = services.coverage(revision)
    # principal and teacher (school under the commune), head and auditor (division; auditor also
    # named): four people, one acknowledged.
    assert (cover["total"], cover["done"], cover["percent"]) == (4, 1, 25)
    by_unit = {c["unit"].code: (c["done"], c["total"]) for c in cover["units"]}
    assert by_unit == {"XA1": (1, 2), "GDTH": (0, 2)}
    assert world.principal in cover["missing"]
    page = client_for(world.iso).get(reverse("documents:document_detail", args=[document.pk]))
    assert "25%" in page.content.decode()


def test_distribution_form_adds_units_and_people(world, client_for):
    document = make_document(world)
    revision = draft_of(document)
    client = client_for(world.iso)
    response = client.post(
        reverse("documents:distribution_add", args=[revision.pk]),
        {"units": [world.school.pk], "users": [world.principal2.pk]},
    )
    assert response.status_code == 302
    assert Distribution.objects.filter(revision=revision).count() == 2
    client.post(reverse("documents:distribution_add", args=[revision.pk]), {})
    assert Distribution.objects.filter(revision=revision).count() == 2
    entry = Distribution.objects.get(revision=revision, unit=world.school)
    client_for(world.teacher).post(reverse("documents:distribution_remove", args=[entry.pk]))
    assert Distribution.objects.filter(pk=entry.pk).exists()  # teacher cannot see the draft
    client.post(reverse("documents:distribution_remove", args=[entry.pk]))
    assert not Distribution.objects.filter(pk=entry.pk).exists()


def test_coverage_by_unit_page(world, client_for, django_assert_max_num_queries):
    document = effective_document(world, code="QT-01", distribute_to=[world.root])
    services.revision_acknowledge(document.effective_revision, user=world.teacher)
    url = reverse("documents:unit_coverage") + f"?unit={world.school.pk}"
    client = client_for(world.principal)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    rows = response.context["rows"]
    assert [(r["revision"].document.code, r["done"], r["total"]) for r in rows] == [("QT-01", 1, 2)]
    assert rows[0]["missing"] == [world.principal]
    assert world.principal.display_name in response.content.decode()
    # an outsider cannot choose the school: the form refuses it and nothing is shown
    response = client_for(world.principal2).get(url)
    assert response.status_code == 200 and response.context["rows"] == []


def test_recipients_are_notified_even_with_the_broker_down(
    world, django_capture_on_commit_callbacks
):
    from ims.celery import app

    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:1/0"  # dead port
    try:
        with django_capture_on_commit_callbacks(execute=True):
            effective_document(world, code="QT-02", distribute_to=[world.school])
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    notified = set(
        Notification.objects.filter(kind="documents.distributed").values_list(
            "user__username", flat=True
        )
    )
    assert notified == {"principal", "teacher"}


def test_notify_task_twice_notifies_once_and_tolerates_a_missing_row(world):
    from documents.tasks import notify_recipients_task

    document = effective_document(world, code="QT-02", distribute_to=[world.school])
    Notification.objects.all().delete()
    revision_id = document.effective_revision.pk
    assert notify_recipients_task(revision_id) == 2
    assert notify_recipients_task(revision_id) == 0
    assert notify_recipients_task(999999) == 0

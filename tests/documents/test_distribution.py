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
    teacher.get(reverse("documents:revision_download", args=[revision.pk]))  # opened it
    response = teacher.post(reverse("documents:acknowledge", args=[revision.pk]))
    assert response.status_code == 302
    assert _to_ack(teacher) == []
    ack = Acknowledgement.objects.get(user=world.teacher)
    assert ack.acknowledged_at is not None
    teacher.post(reverse("documents:acknowledge", args=[revision.pk]))  # twice: still one
    assert Acknowledgement.objects.filter(user=world.teacher).count() == 1


def test_acknowledge_with_htmx_swaps_the_row(world, client_for):
    document = effective_document(world, code="QT-01", users=[world.teacher])
    services.revision_opened(document.effective_revision, actor=world.teacher, via="view")
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
    services.revision_opened(first, actor=world.teacher, via="download")
    services.revision_acknowledge(first, actor=world.teacher)
    assert _to_ack(client_for(world.teacher)) == []
    second = services.revision_create(
        document,
        actor=world.iso,
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
    services.revision_opened(revision, actor=world.teacher, via="download")
    services.revision_acknowledge(revision, actor=world.teacher)
    cover = services.coverage(revision, viewer=world.iso)
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
    assert not Distribution.objects.filter(pk=entry.pk).exists()  # no longer on the list
    ended = Distribution.all_objects.get(pk=entry.pk)  # but kept, with who ended it and when
    assert ended.ended_by == world.iso and ended.ended_at is not None
    assert client.post(reverse("documents:distribution_remove", args=[entry.pk])).status_code == 404


def test_an_ended_entry_keeps_its_history_and_reaches_nobody(world):
    from documents import services

    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    entry = revision.distributions.get()
    assert world.teacher in services.recipients(revision)
    services.distribution_remove(entry, actor=world.iso)
    assert world.teacher not in services.recipients(revision)
    assert not revision.can_acknowledge(world.teacher)
    history = list(Distribution.history.filter(id=entry.pk).order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[-1].ended_by_id == world.iso.pk and history[-1].history_user == world.iso
    # The same unit can be distributed again; the ended entry stays beside the new one.
    [again] = services.distribution_add(revision, actor=world.iso, units=[world.school])
    assert again.pk != entry.pk
    assert Distribution.history.filter(id=again.pk, history_user=world.iso).exists()
    assert Distribution.all_objects.filter(revision=revision, unit=world.school).count() == 2
    assert world.teacher in services.recipients(revision)


def test_distribution_entries_are_never_deleted(world):
    from django.core.exceptions import PermissionDenied

    document = effective_document(world, distribute_to=[world.school])
    entry = document.effective_revision.distributions.get()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        Distribution.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied):
        Distribution.all_objects.all().delete()
    assert Distribution.objects.filter(pk=entry.pk).exists()


def test_acknowledgements_and_restricted_readers_have_history(world):
    from documents import services
    from documents.models import Acknowledgement

    document = effective_document(world, distribute_to=[world.school])
    services.revision_opened(document.effective_revision, actor=world.teacher, via="download")
    services.revision_acknowledge(document.effective_revision, actor=world.teacher)
    acknowledgement = Acknowledgement.objects.get(user=world.teacher)
    assert acknowledgement.history.get().history_type == "+"
    services.document_update(
        document,
        actor=world.iso,
        data={"confidentiality": "restricted"},
        restricted_to=[world.teacher],
    )
    latest = document.history.latest()
    assert latest.confidentiality == "restricted"
    assert [r.user for r in latest.restricted_to.all()] == [world.teacher]


def test_coverage_by_unit_page(world, client_for, django_assert_max_num_queries):
    document = effective_document(world, code="QT-01", distribute_to=[world.root])
    services.revision_opened(document.effective_revision, actor=world.teacher, via="download")
    services.revision_acknowledge(document.effective_revision, actor=world.teacher)
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

"""One queued or running report job per person, kind and object; a repeat request shows it."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from ims.models import ReportJob
from ims.reports import report_request, report_retry

pytestmark = pytest.mark.django_db


def request_unit(client, unit):
    return client.post(reverse("ims:report_request"), {"kind": "unit", "object_id": unit.pk})


def test_repeat_request_shows_the_running_job(
    world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.director)
    with django_capture_on_commit_callbacks(execute=False):
        first = request_unit(client, world.school)
        second = request_unit(client, world.school)
    job = ReportJob.objects.get()
    assert first["Location"] == second["Location"] == reverse("ims:report_job", args=[job.pk])
    assert job.status == ReportJob.Status.QUEUED


def test_another_person_or_object_gets_a_job_of_its_own(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The test's transaction never commits: the jobs stay queued.
    mine = report_request(world.director, "unit", world.school.pk)
    other_unit = report_request(world.director, "unit", world.school2.pk)
    other_person = report_request(world.principal, "unit", world.school.pk)
    assert len({mine.pk, other_unit.pk, other_person.pk}) == 3


def test_a_finished_job_does_not_block_a_new_one(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = report_request(world.director, "unit", world.school.pk)
    ReportJob.objects.filter(pk=first.pk).update(status=ReportJob.Status.FAILED)
    second = report_request(world.director, "unit", world.school.pk)
    assert second.pk != first.pk and not second.is_repeat


def test_the_database_refuses_a_second_unfinished_job(world):
    ReportJob.objects.create(kind="unit", object_id="1", requested_by=world.director)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(
            kind="unit", object_id="1", requested_by=world.director, status="running"
        )


def test_retry_refused_while_the_same_report_is_queued(world):
    failed = ReportJob.objects.create(
        kind="unit", object_id="1", requested_by=world.director, status="failed"
    )
    ReportJob.objects.create(kind="unit", object_id="1", requested_by=world.director)
    assert report_retry(failed) is False
    failed.refresh_from_db()
    assert failed.status == ReportJob.Status.FAILED

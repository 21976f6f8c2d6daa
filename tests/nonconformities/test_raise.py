import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from ims.models import Clause, Notification, TransitionEvent
from nonconformities.models import Nonconformity
from nonconformities.services import nonconformity_raise
from tests.nonconformities.factories import raise_nc

pytestmark = pytest.mark.django_db


def test_raise_numbers_per_year_and_records_event(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_nc(world.teacher, world.school)
        second = raise_nc(world.teacher, world.school, severity="major")
    year = first.year
    assert first.number == f"NC-{year}-0001"
    assert second.number == f"NC-{year}-0002"
    assert first.status == Nonconformity.Status.OPEN
    assert first.severity == "minor" and first.kind == "nonconformity"
    assert second.severity == "major"
    event = TransitionEvent.objects.for_object(first).get()
    assert (event.action, event.to_state, event.actor) == ("raise", "open", world.teacher)
    # The principal of the school is told; the reporter is not notified of their own NC.
    assert Notification.objects.filter(user=world.principal, kind="nc_raised").count() == 2
    assert not Notification.objects.filter(user=world.teacher).exists()


def test_raise_from_same_source_object_is_idempotent(world):
    source = world.school2  # any saved model instance works as a source
    clause = Clause.objects.first()
    nc = raise_nc(world.iso, world.school, source_object=source, clauses=[clause])
    again = raise_nc(world.iso, world.school, source_object=source, title="Khác")
    assert again.pk == nc.pk
    assert Nonconformity.objects.count() == 1
    assert list(Nonconformity.objects.for_source(source)) == [nc]
    assert nc.source_object == source
    assert list(nc.clauses.all()) == [clause]


def test_database_refuses_two_ncs_for_one_source(world):
    nc = raise_nc(world.iso, world.school, source_object=world.school2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.create(
            number="NC-1999-0001",
            year=1999,
            sequence=1,
            unit=world.school,
            title="x",
            description="x",
            source="complaint",
            reported_by=world.iso,
            source_content_type=ContentType.objects.get_for_model(world.school2),
            source_object_id=nc.source_object_id,
        )


def test_raise_refuses_unknown_source(world):
    with pytest.raises(ValueError):
        nonconformity_raise(
            actor=world.iso, unit=world.school, title="x", description="x", source="rumour"
        )
    assert not Nonconformity.objects.exists()


def test_a_rolled_back_raise_leaves_no_gap(world):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        raise_nc(world.iso, world.school)
        raise Boom
    assert raise_nc(world.iso, world.school).sequence == 1


def test_report_date_in_the_past_numbers_in_its_year_and_future_is_refused(world):
    from datetime import date, timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    nc = raise_nc(world.iso, world.school, reported_on=date(2025, 5, 2))
    assert nc.number == "NC-2025-0001" and nc.reported_on == date(2025, 5, 2)
    with pytest.raises(ValidationError):
        raise_nc(world.iso, world.school, reported_on=timezone.localdate() + timedelta(days=1))


def test_every_source_the_standard_names_can_be_raised_including_other(world):
    for source in Nonconformity.Source.values:
        assert raise_nc(world.teacher, world.school, source=source).source == source
    assert "other" in Nonconformity.Source.values

"""Reminders for documents: owners (review due / overdue), recipients (not acknowledged)."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps as django_apps

from documents import services
from documents.models import Distribution, add_months
from documents.reminders import ACK_OVERDUE, REVIEW_DUE, REVIEW_OVERDUE, document_reminders
from ims.models import Notification
from ims.reminders import send_reminders
from tests.documents.factories import effective_document

pytestmark = pytest.mark.django_db

EFFECTIVE = date(2025, 12, 1)
REVIEW = add_months(EFFECTIVE, 12)  # 2026-12-01


@pytest.fixture
def document(world):
    doc = effective_document(
        world, code="QT-07", effective_date=EFFECTIVE, distribute_to=[world.school]
    )
    Distribution.objects.filter(revision=doc.effective_revision).update(
        created_at=datetime(2025, 12, 1, 8, tzinfo=UTC)
    )
    return doc


def _kinds(user):
    return list(
        Notification.objects.filter(user=user, kind__startswith="documents.")
        .exclude(kind="documents.distributed")
        .values_list("kind", flat=True)
    )


def test_review_not_due_31_days_before(world, document):
    send_reminders(REVIEW - timedelta(days=31))
    assert _kinds(world.iso) == []


def test_review_due_30_days_before_is_sent_once(world, document):
    send_reminders(REVIEW - timedelta(days=30))
    send_reminders(REVIEW - timedelta(days=30))
    send_reminders(REVIEW - timedelta(days=29))
    send_reminders(REVIEW)
    assert _kinds(world.iso) == [REVIEW_DUE]
    title = Notification.objects.get(user=world.iso, kind=REVIEW_DUE).title
    assert "QT-07" in title and "01/12/2026" in title


def test_review_overdue_reminds_weekly(world, document):
    send_reminders(REVIEW + timedelta(days=1))
    send_reminders(REVIEW + timedelta(days=3))
    assert _kinds(world.iso) == [REVIEW_OVERDUE]
    send_reminders(REVIEW + timedelta(days=8))
    assert _kinds(world.iso) == [REVIEW_OVERDUE, REVIEW_OVERDUE]


def test_reviewed_document_is_not_reminded(world, document):
    from django.utils import timezone

    services.document_confirm_review(document, actor=world.iso, note="Còn phù hợp.")
    today = timezone.localdate()
    assert [r for r in document_reminders(today) if r.kind != ACK_OVERDUE] == []


def test_not_acknowledged_after_7_days(world, document):
    send_reminders(EFFECTIVE + timedelta(days=6))
    assert ACK_OVERDUE not in _kinds(world.teacher)
    send_reminders(EFFECTIVE + timedelta(days=7))
    send_reminders(EFFECTIVE + timedelta(days=7))
    assert _kinds(world.teacher) == [ACK_OVERDUE]
    assert _kinds(world.principal) == [ACK_OVERDUE]
    assert (
        Notification.objects.get(user=world.teacher, kind=ACK_OVERDUE).url
        == "/documents/to-acknowledge/"
    )


def test_acknowledged_recipient_is_not_reminded(world, document):
    services.revision_opened(document.effective_revision, actor=world.teacher, via="download")
    services.revision_acknowledge(document.effective_revision, actor=world.teacher)
    send_reminders(EFFECTIVE + timedelta(days=10))
    assert _kinds(world.teacher) == []
    assert _kinds(world.principal) == [ACK_OVERDUE]


def test_late_distribution_counts_from_its_own_date(world, document):
    Distribution.objects.create(
        revision=document.effective_revision,
        user=world.principal2,
        created_by=world.iso,
        created_at=datetime(2026, 1, 10, 8, tzinfo=UTC),
    )
    send_reminders(date(2026, 1, 16))
    assert _kinds(world.principal2) == []
    send_reminders(date(2026, 1, 17))
    assert _kinds(world.principal2) == [ACK_OVERDUE]


def test_reminder_email_in_recipients_language(
    world, document, mailoutbox, django_capture_on_commit_callbacks
):
    world.teacher.language = "en"
    world.teacher.save(update_fields=["language"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(EFFECTIVE + timedelta(days=7))
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[world.teacher.email].startswith("Please read and acknowledge")
    assert subjects[world.principal.email].startswith("Vui lòng đọc và xác nhận: QT-07")


def test_a_stage_sent_on_an_earlier_day_is_not_sent_again(world, document):
    """Stages already in the inbox from an earlier day, under the day keys they were written with
    before reminders became once-only (rewritten by the ims data migration), are not sent again
    on later passes; nor is a stage a pass wrote on an earlier day."""
    migration = importlib.import_module("ims.migrations.0014_reminder_once_keys")
    revision = document.effective_revision
    first_ack = EFFECTIVE + timedelta(days=7)
    first_review = REVIEW - timedelta(days=30)
    for user, kind, item_key, day in [
        (world.teacher, ACK_OVERDUE, f"rev-{revision.pk}-w0", first_ack),
        (world.iso, REVIEW_DUE, f"doc-{document.pk}-{REVIEW}", first_review),
    ]:
        Notification.objects.create(
            user=user, kind=kind, title="QT-07", dedupe_key=f"{kind}:{item_key}:{user.pk}:{day}"
        )
    migration.once_keys(django_apps, None)

    send_reminders(first_ack + timedelta(days=1))
    send_reminders(first_ack + timedelta(days=2))
    assert _kinds(world.teacher) == [ACK_OVERDUE]
    assert _kinds(world.principal) == [ACK_OVERDUE]  # first sent by the pass a day late
    send_reminders(first_review + timedelta(days=1))
    send_reminders(first_review + timedelta(days=2))
    assert _kinds(world.iso) == [REVIEW_DUE]

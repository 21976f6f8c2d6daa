from django.urls import reverse

from ims.models import Notification
from ims.notifications import notify, send_notification_email


def test_inbox_lists_own_notifications_and_unread_count(world, client_for):
    notify(world.teacher, title="Tài liệu mới cần xác nhận", url="/")
    notify(world.principal2, title="Không phải của bạn")
    body = client_for(world.teacher).get(reverse("ims:notification_list")).content.decode()
    assert "Tài liệu mới cần xác nhận" in body
    assert "Không phải của bạn" not in body
    assert 'data-testid="unread-count">1<' in body


def test_opening_marks_read_and_other_users_get_404(world, client_for):
    n = notify(world.teacher, title="Nhắc việc", url="/org/")
    assert (
        client_for(world.principal2).get(reverse("ims:notification_open", args=[n.pk])).status_code
        == 404
    )
    response = client_for(world.teacher).get(reverse("ims:notification_open", args=[n.pk]))
    assert response["Location"] == "/org/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_all_read(world, client_for):
    for i in range(3):
        notify(world.teacher, title=f"Việc {i}")
    client_for(world.teacher).post(reverse("ims:notification_read"))
    assert not Notification.objects.unread().filter(user=world.teacher).exists()


def test_dedupe_key_writes_once(world):
    assert notify(world.teacher, title="A", dedupe_key="k1") is not None
    assert notify(world.teacher, title="A", dedupe_key="k1") is None
    assert Notification.objects.filter(dedupe_key="k1").count() == 1


def test_email_is_sent_once_in_recipients_language(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    world.teacher.language = "en"
    world.teacher.save()
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(world.teacher, title="Hello", body="Body", url="/org/")
    assert len(mailoutbox) == 1
    assert "Open in the system" in mailoutbox[0].alternatives[0][0]
    assert send_notification_email(n.pk) is False
    assert len(mailoutbox) == 1


def test_digest_users_get_no_immediate_email(world, mailoutbox, django_capture_on_commit_callbacks):
    world.teacher.email_delivery = "digest"
    world.teacher.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(world.teacher, title="Later")
    assert mailoutbox == []

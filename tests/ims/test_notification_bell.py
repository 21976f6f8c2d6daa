"""The bell separates "needs you" from "for information"; opening the item marks it read."""

import pytest
from django.urls import reverse

from ims.models import Notification
from ims.notifications import notify, register_action_kinds

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _action_kind():
    register_action_kinds("test.act")


def test_a_kind_registered_as_action_needs_you_and_others_inform(world):
    assert notify(world.teacher, title="Làm", kind="test.act").category == "action"
    assert notify(world.teacher, title="Biết", kind="test.info").category == "info"
    assert notify(world.teacher, title="Không loại").category == "info"


def test_the_bell_counts_what_needs_you_apart(world, client_for):
    notify(world.teacher, title="Làm 1", kind="test.act")
    notify(world.teacher, title="Làm 2", kind="test.act")
    notify(world.teacher, title="Biết", kind="test.info")
    body = client_for(world.teacher).get(reverse("ims:profile")).content.decode()
    assert 'data-testid="unread-action-count">2<' in body
    assert "?category=action" in body


def test_only_information_shows_a_plain_count(world, client_for):
    notify(world.teacher, title="Biết", kind="test.info")
    body = client_for(world.teacher).get(reverse("ims:profile")).content.decode()
    assert 'data-testid="unread-count">1<' in body
    assert "unread-action-count" not in body


def test_the_inbox_filters_by_category(world, client_for):
    notify(world.teacher, title="Việc cần làm", kind="test.act")
    notify(world.teacher, title="Tin để biết", kind="test.info")
    client = client_for(world.teacher)
    action = client.get(reverse("ims:notification_list"), {"category": "action"})
    assert "Việc cần làm" in action.content.decode()
    assert "Tin để biết" not in action.content.decode()
    assert action.context["counts"] == {"action": 1, "info": 1}
    info = client.get(reverse("ims:notification_list"), {"category": "info"}).content.decode()
    assert "Tin để biết" in info and "Việc cần làm" not in info
    both = client.get(reverse("ims:notification_list"), {"category": "bogus"}).content.decode()
    assert "Tin để biết" in both and "Việc cần làm" in both


def test_opening_the_record_marks_its_notifications_read_without_the_bell(world, client_for):
    url = reverse("ims:unit_detail", args=[world.school.pk])
    about = notify(world.principal, title="Về trường", url=url, kind="test.act")
    other = notify(world.principal, title="Việc khác", url="/org/", kind="test.act")
    elsewhere = notify(world.principal2, title="Của người khác", url=url)
    response = client_for(world.principal).get(url)
    assert response.status_code == 200
    about.refresh_from_db(), other.refresh_from_db(), elsewhere.refresh_from_db()
    assert about.read_at is not None
    assert other.read_at is None and elsewhere.read_at is None
    # The bell on that very page already counts it as read.
    assert response.context["unread_action_count"] == 1


def test_a_post_to_the_records_address_does_not_mark_it_read(world, client_for):
    url = reverse("ims:notification_list")
    n = notify(world.principal, title="x", url=url)
    client_for(world.principal).post(url)
    n.refresh_from_db()
    assert n.read_at is None


def test_marking_read_on_open_costs_one_update_and_nothing_when_none_is_unread(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("ims:unit_detail", args=[world.school.pk])
    client = client_for(world.principal)
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as quiet:
        client.get(url)
    notify(world.principal, title="a", url=url)
    notify(world.principal, title="b", url=url)
    with CaptureQueriesContext(connection) as marking:
        client.get(url)

    def updates(queries):
        return [
            q for q in queries.captured_queries if q["sql"].startswith('UPDATE "ims_notification"')
        ]

    assert len(updates(marking)) == 1 and updates(quiet) == []
    assert len(marking) == len(quiet) + 1
    assert Notification.objects.filter(user=world.principal, read_at__isnull=True).count() == 0

"""Shared school computers: an idle timeout, and sessions that end when the browser closes."""

import time

import pytest
from django.urls import reverse

from ims.middleware import LAST_SEEN_KEY
from tests.ims.test_settings_env import _start

pytestmark = pytest.mark.django_db


def idle_for(client, seconds):
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_longer_than_the_limit_is_signed_out(client_for, world, settings):
    settings.SESSION_IDLE_SECONDS = 2 * 3600
    client = client_for(world.teacher)
    idle_for(client, 2 * 3600 + 5)
    response = client.get(reverse("ims:notification_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_session_used_within_the_limit_stays_and_is_renewed(client_for, world, settings):
    settings.SESSION_IDLE_SECONDS = 2 * 3600
    client = client_for(world.teacher)
    idle_for(client, 2 * 3600 - 60)
    assert client.get(reverse("ims:notification_list")).status_code == 200
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 5
    idle_for(client, 2 * 3600 - 60)  # still within the limit from the renewed time
    assert client.get(reverse("ims:notification_list")).status_code == 200


def test_the_limit_is_configurable(client_for, world, settings):
    settings.SESSION_IDLE_SECONDS = 600
    client = client_for(world.teacher)
    idle_for(client, 601)
    assert client.get(reverse("ims:notification_list")).status_code == 302


def test_the_idle_limit_comes_from_the_environment():
    shown = "from django.conf import settings as s; print(s.SESSION_IDLE_SECONDS)"
    result = _start({"DEBUG": "true", "SESSION_IDLE_MINUTES": "30"}, ["shell", "-c", shown])
    assert result.stdout.splitlines()[-1] == "1800", result.stderr
    result = _start({"DEBUG": "true"}, ["shell", "-c", shown])
    assert result.stdout.splitlines()[-1] == "7200", result.stderr


def test_requests_within_a_minute_do_not_write_the_session(client_for, world):
    client = client_for(world.teacher)
    client.get(reverse("ims:notification_list"))
    stamp = client.session[LAST_SEEN_KEY]
    client.get(reverse("ims:notification_list"))
    assert client.session[LAST_SEEN_KEY] == stamp


def sign_in(client, **extra):
    return client.post(reverse("login"), {"username": "teacher", "password": "demo", **extra})


def test_without_keep_me_signed_in_the_cookie_ends_with_the_browser(client, world, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False  # the choice at sign-in decides
    response = sign_in(client)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]


def test_keep_me_signed_in_keeps_the_cookie(client, world, settings):
    response = sign_in(client, remember="on")
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE

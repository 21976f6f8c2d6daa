"""With Redis down, the site keeps working: the cache behaves as empty, reports stay queued."""

import pytest
from django.urls import reverse

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "ims.cache.TolerantRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_sign_in_works_with_the_cache_down(world, client, dead_cache):
    wrong = client.post(reverse("login"), {"username": "director", "password": "nope"})
    assert wrong.status_code == 200 and "không đúng" in wrong.content.decode()
    right = client.post(reverse("login"), {"username": "director", "password": "demo"})
    assert right.status_code == 302
    assert client.get(reverse("home"), follow=True).status_code == 200


def test_account_lockout_still_works_with_the_cache_down(world, client, dead_cache, settings):
    settings.AXES_FAILURE_LIMIT = 2  # django-axes keeps its counts in the database
    for _ in range(2):
        client.post(reverse("login"), {"username": "teacher", "password": "nope"})
    response = client.post(reverse("login"), {"username": "teacher", "password": "demo"})
    assert response.context["form"].has_error("__all__", code="locked")
    assert "_auth_user_id" not in client.session


def test_cache_down_reads_as_a_miss_and_drops_writes(dead_cache):
    from django.core.cache import cache

    cache.set("k", 1)
    assert cache.get("k", "miss") == "miss"
    assert cache.add("k", 1) is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_password_reset_limit_counts_nothing_with_the_cache_down(dead_cache):
    from ims.cache import count

    # Nothing to count with: refuse no one (0 is under any limit). The survey rate limit counts
    # in the database instead (tests/surveys/test_rate_limits.py).
    assert count("password-reset:x", 3600) == 0

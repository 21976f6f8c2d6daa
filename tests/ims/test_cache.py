"""The shared cache helpers: one Redis client per pool, and a claim with a counter in one command
(the survey submission's double-submit guard and rate limit)."""

import os

import pytest
from django.core.cache import caches

from ims.cache import TolerantRedisCache, add_and_count

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "ims.cache.TolerantRedisCache",
            "LOCATION": os.environ.get("REDIS_URL", ""),
            "KEY_PREFIX": f"test-cache-{os.getpid()}",
        }
    }
    cache = caches["default"]
    assert isinstance(cache, TolerantRedisCache)
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    return caches["default"]


def check_add_and_count(cache):
    assert add_and_count("claim-a", 60, "hits", 3600) == (True, 1)
    assert add_and_count("claim-a", 60, "hits", 3600) == (False, 2)  # claimed already
    assert add_and_count("claim-b", 60, "hits", 3600) == (True, 3)
    assert cache.get("hits") == 3 and cache.get("claim-a") == 1


def test_add_and_count_without_redis(local_cache):
    check_add_and_count(local_cache)


@needs_redis
def test_add_and_count_on_redis_is_one_command_with_both_expiries(redis_cache):
    check_add_and_count(redis_cache)
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_key("claim-a")) <= 60
    assert 3500 < client.ttl(redis_cache.make_key("hits")) <= 3600


@needs_redis
def test_redis_client_is_built_once_per_pool(redis_cache):
    first = redis_cache._cache.get_client(write=True)
    redis_cache.set("k", 1)
    assert redis_cache._cache.get_client(write=True) is first
    assert redis_cache.get("k") == 1

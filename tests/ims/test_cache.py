"""The shared cache helpers: one Redis client per pool, and a counter with an expiry in one
command (the password-reset limit)."""

import os

import pytest
from django.core.cache import caches

from ims.cache import TolerantRedisCache, count

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


def check_count(cache):
    assert [count("hits", 3600) for _ in range(3)] == [1, 2, 3]
    assert count("other", 3600) == 1
    assert cache.get("hits") == 3


def test_count_without_redis(local_cache):
    check_count(local_cache)


@needs_redis
def test_count_on_redis_keeps_the_expiry_set_when_created(redis_cache):
    check_count(redis_cache)
    client = redis_cache._cache.get_client()
    ttl = client.ttl(redis_cache.make_and_validate_key("hits"))
    assert 3590 < ttl <= 3600  # set when created, kept by each INCR


@needs_redis
def test_redis_client_is_built_once_per_pool(redis_cache):
    first = redis_cache._cache.get_client(write=True)
    redis_cache.set("k", 1)
    assert redis_cache._cache.get_client(write=True) is first
    assert redis_cache.get("k") == 1

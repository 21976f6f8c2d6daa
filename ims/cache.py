"""The Redis cache, made optional: with Redis down, pages keep working as if the cache were empty.

Django's ``RedisCache`` raises on a lost connection, which would turn a cache outage into a site
outage (the sign-in page reads the cache). Here each call that fails on the connection logs a
warning and behaves as a miss; writes are dropped.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


def _tolerant(name, fallback):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OUTAGE as error:
            logger.warning("Cache unavailable, %s ignored: %s", name, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    call.__name__ = name
    return call


def _missing_default(key, default=None, version=None):
    return default


class TolerantRedisCache(RedisCache):
    get = _tolerant("get", _missing_default)
    get_many = _tolerant("get_many", {})
    set = _tolerant("set", None)
    set_many = _tolerant("set_many", [])
    add = _tolerant("add", False)
    touch = _tolerant("touch", False)
    delete = _tolerant("delete", False)
    delete_many = _tolerant("delete_many", None)
    has_key = _tolerant("has_key", False)
    clear = _tolerant("clear", None)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OUTAGE as error:
            logger.warning("Cache unavailable, incr ignored: %s", error)
            raise ValueError(key) from None  # what callers already handle for a missing key

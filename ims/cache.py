"""The Redis cache, made optional: with Redis down, pages keep working as if the cache were empty.

Django's ``RedisCache`` raises on a lost connection, which would turn a cache outage into a site
outage (the sign-in page reads the cache). Here each call that fails on the connection logs a
warning and behaves as a miss; writes are dropped.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


def _tolerant(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    method = getattr(RedisCache, name)

    def call(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except OUTAGE as error:
            logger.warning("Cache unavailable, %s ignored: %s", name, error)
            return fallback(*args, **kwargs)

    call.__name__ = name
    return call


def _missing_default(key: str, default: Any = None, version: int | None = None) -> Any:
    return default


def _returns(value: Any) -> Callable[..., Any]:
    return lambda *args, **kwargs: value


def _all_keys_failed(data: dict[str, Any], *args: Any, **kwargs: Any) -> list[str]:
    return list(data)


class ReusingRedisCacheClient(RedisCacheClient):
    """One ``redis.Redis`` client per connection pool, kept for the process.

    Django's client builds a new one for every cache call, and building one registers some
    hundred response callbacks, a cost paid on every request that touches the cache. redis-py's
    clients are thread-safe and share the pool's connections, so reusing them changes nothing
    else (the pool itself resets its connections after a fork).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._scripts: dict[str, Any] = {}

    def script(self, source: str) -> Any:
        """A Lua script run on the server that takes writes (``EVALSHA``, loaded on first use)."""
        script = self._scripts.get(source)
        if script is None:
            cache = self._cache  # type: ignore[attr-defined]
            script = self._scripts[source] = cache.get_client(write=True).register_script(source)
        return script

    get = _tolerant("get", _missing_default)
    get_many = _tolerant("get_many", lambda *args, **kwargs: {})
    set = _tolerant("set", _returns(None))
    set_many = _tolerant("set_many", _all_keys_failed)
    add = _tolerant("add", _returns(False))
    touch = _tolerant("touch", _returns(False))
    delete = _tolerant("delete", _returns(False))
    delete_many = _tolerant("delete_many", _returns(None))
    has_key = _tolerant("has_key", _returns(False))
    clear = _tolerant("clear", _returns(None))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except OUTAGE as error:
            logger.warning("Cache unavailable, incr ignored: %s", error)
            raise ValueError(key) from None  # what callers already handle for a missing key


# Create the counter if missing (with its expiry; INCR keeps it), add one: a single command, run
# atomically by Redis.
_COUNT = """
redis.call('SET', KEYS[1], '0', 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""


def count(key: str, timeout: int) -> int:
    """One more on the counter ``key`` (created with ``timeout`` seconds to live); returns the
    count. One command to Redis. With Redis down nothing is counted: 0, as if the cache were
    empty, so nothing is refused for it.
    """
    from django.core.cache import caches

    cache = caches["default"]
    if not isinstance(cache, TolerantRedisCache):
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between the two calls
            return 0
    try:
        return cache.script(_COUNT)([cache.make_and_validate_key(key)], [timeout])
    except OUTAGE as error:
        logger.warning("Cache unavailable, count ignored: %s", error)
        return 0


# --- version tokens ---------------------------------------------------------------------------
# A reader that caches something derived from rows keys it on a *token*; a writer of those rows
# replaces the token, so the next reader computes again. Tokens never expire, and a token missing
# from the cache (evicted, cleared) is replaced by a new random one, so entries written under an
# old token are never read again. They must live in a cache every process shares (Redis whenever
# ``REDIS_URL`` is set).


def tokens(*keys: str) -> tuple[str, ...]:
    """The current tokens of ``keys``, in order (one round trip when they all exist)."""
    from django.core.cache import cache

    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, timeout=None)
            found[key] = cache.get(key)
    return tuple(found[key] for key in keys)


def replace_token(key: str) -> None:
    """Replace ``key``'s token now and again once the current transaction commits: a request
    that read the rows before the commit may have cached them under the first new token."""
    from django.core.cache import cache
    from django.db import transaction

    def replace() -> None:
        cache.set(key, uuid.uuid4().hex, timeout=None)

    replace()
    transaction.on_commit(replace, robust=True)

"""Fair survey rate limits: completed submissions per campaign and client address, per hour.

Parents at a school meeting share the school Wi-Fi's one address, so the limit counts what
matters and nothing else:

- the address is the project's one client address (``ims.proxies.client_address``, from
  ``TRUSTED_PROXIES``); an IPv6 address counts with its /64 (one household or network holds a
  whole /64), an IPv4 address by itself;
- only *completed submissions* count, per campaign and address group and per clock hour:
  ``SURVEY_RATE_LIMIT_PER_HOUR`` (250 by default, so 200 parents behind one address can all
  answer within an hour). Opening a session or showing a page counts nothing; a submission
  that fails (a closed campaign, a skipped page) gives its place back;
- a session opened with a one-time code is never limited: the code is its own limit.

The counts live in the shared cache (Redis), under a keyed hash of the address group and the
campaign, never the address. When Redis is down (or there is no Redis) they are counted in the
database (``SubmissionCount``, the same hash), in a transaction of their own that commits
before the response's transaction begins: nothing in the response's transaction points at an
address or a time. Nothing here logs an address or its hash.
"""

import ipaddress
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from ims.cache import OUTAGE, TolerantRedisCache
from ims.proxies import client_address
from surveys.models import SubmissionCount

logger = logging.getLogger(__name__)
SALT = "surveys.ratelimit"
HOUR = 3600


class RateLimited(Exception):
    """This address has sent as many submissions to this campaign as it may this hour."""


def address_group(address):
    """What one limit counts: an IPv4 address itself, an IPv6 address's /64 ('' if unknown)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _counter(request, campaign_id):
    """(keyed hash of the request's address group and the campaign, current hour)."""
    group = address_group(client_address(request))
    digest = salted_hmac(SALT, f"{campaign_id}:{group}", algorithm="sha256").hexdigest()[:32]
    return digest, int(time.time() // HOUR)


# Redis: one script per call, run atomically. ARGV: [delta (1 take, 0 read, -1 give back),
# limit, seconds to live]. Returns the count after the call, or -1 when a take finds it full.
_REDIS_COUNT = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local delta = tonumber(ARGV[1])
if delta > 0 and n >= tonumber(ARGV[2]) then return -1 end
if delta == 0 or (delta < 0 and n <= 0) then return n end
n = redis.call('INCRBY', KEYS[1], delta)
if n == 1 and delta > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return n
"""


def _in_redis(digest, hour, delta, limit):
    """The script's answer, or None when counting must go to the database."""
    cache = caches["default"]
    if not isinstance(cache, TolerantRedisCache):
        return None
    key = cache.make_and_validate_key(f"surveys:rate:{digest}:{hour}")
    try:
        return cache.script(_REDIS_COUNT)([key], [delta, limit, 2 * HOUR])
    except OUTAGE as error:
        logger.warning("Cache unavailable, survey rate limit counted in the database: %s", error)
        return None


def _rows(campaign_id, digest, hour):
    return SubmissionCount.objects.filter(campaign_id=campaign_id, digest=digest, hour=hour)


def _take_in_database(campaign_id, digest, hour, limit):
    rows = _rows(campaign_id, digest, hour)
    # durable: its own transaction, never the response's (nor any other caller's).
    with transaction.atomic(durable=True):
        if rows.filter(count__lt=limit).update(count=F("count") + 1):
            return True
        # No row yet this hour (or at the limit): earlier hours are done with; start this one.
        SubmissionCount.objects.filter(hour__lt=hour).delete()
        SubmissionCount.objects.bulk_create(
            [SubmissionCount(campaign_id=campaign_id, digest=digest, hour=hour)],
            ignore_conflicts=True,
        )
        return bool(rows.filter(count__lt=limit).update(count=F("count") + 1))


def is_limited(request, campaign):
    """Whether the request's address group has used up this hour's submissions to ``campaign``
    (read only: the page that opens a session says so at once rather than after the last
    page)."""
    digest, hour = _counter(request, campaign.pk)
    limit = settings.SURVEY_RATE_LIMIT_PER_HOUR
    count = _in_redis(digest, hour, 0, limit)
    if count is None:
        return _rows(campaign.pk, digest, hour).filter(count__gte=limit).exists()
    return count >= limit


@contextmanager
def submission(request, campaign, *, one_time_code):
    """Count one submission of the request's address group to ``campaign`` around the block
    that stores it: raises ``RateLimited`` (before the block) when the hour's submissions are
    used up; a block that raises gives its place back. Must be entered outside any transaction:
    the count commits on its own. Sessions of a one-time code are not counted.
    """
    if one_time_code:
        yield
        return
    digest, hour = _counter(request, campaign.pk)
    limit = settings.SURVEY_RATE_LIMIT_PER_HOUR
    taken = _in_redis(digest, hour, 1, limit)
    in_redis = taken is not None
    if not (taken > 0 if in_redis else _take_in_database(campaign.pk, digest, hour, limit)):
        raise RateLimited
    try:
        yield
    except BaseException:
        if in_redis:
            _in_redis(digest, hour, -1, limit)  # with Redis gone meanwhile, it stays counted
        else:
            with transaction.atomic(durable=True):
                _rows(campaign.pk, digest, hour).filter(count__gt=0).update(count=F("count") - 1)
        raise

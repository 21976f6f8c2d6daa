"""Lock an account, or a source address, after repeated failed password checks.

Accounts are locked in the database (so every web process agrees); a source address that keeps
failing on many different usernames is locked through the cache (with Redis down the source
lock is off; account locks still hold). Schools share one address, so the
source limit is several times the account limit.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ims.models import User

SOURCE_FACTOR = 4


class Locked(Exception):
    def __init__(self, until):
        super().__init__(until)
        self.until = until

    @property
    def minutes(self):
        return max(1, int((self.until - timezone.now()).total_seconds() // 60) + 1)


def _source_key(address):
    return f"login-fail:{address}"


def check(username, address=None):
    """Raise ``Locked`` if the account or the source address is locked now."""
    if address:
        until = cache.get(_source_key(address) + ":until")
        if until and until > timezone.now():
            raise Locked(until)
    user = User.objects.filter(username__iexact=username).only("locked_until").first()
    if user and user.is_locked():
        raise Locked(user.locked_until)


def record_failure(username, address=None):
    """Count one failure; lock when the limit is reached. Returns the user, if any.

    A wrong password counts against the account. The source address counts each username it
    fails on once per lock window: one teacher's typos count once, so they never lock a school
    that shares one address, while guessing across many accounts (spraying) or many unknown
    usernames locks the source.
    """
    limit = settings.LOGIN_FAILURE_LIMIT
    lock_for = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username__iexact=username).first()
        if user is not None:
            user.failed_login_count += 1
            if user.failed_login_count >= limit:
                user.locked_until = timezone.now() + lock_for
                user.failed_login_count = 0
            User.objects.filter(pk=user.pk).update(
                failed_login_count=user.failed_login_count, locked_until=user.locked_until
            )
    if address:
        _count_source_failure(address, username, limit, lock_for)
    return user


def _count_source_failure(address, username, limit, lock_for):
    key, seconds = _source_key(address), int(lock_for.total_seconds())
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:16]
    if not cache.add(f"{key}:{digest}", 1, timeout=seconds):
        return  # this username already counted against this source
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count >= limit * SOURCE_FACTOR:
        cache.set(key + ":until", timezone.now() + lock_for, seconds)
        cache.delete(key)


def record_success(user):
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None


def client_address(request):
    return request.META.get("REMOTE_ADDR", "")

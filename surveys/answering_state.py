"""Where an answering session keeps its state between pages: a signed cookie, no server row.

The state of one answering session (campaign, unit, one-time code id, start time, language and
the answers of the pages so far) lives in a cookie named after the session's random token and
scoped to that session's URL (``/s/r/<token>/``), signed with the secret key (salted with the
token, so it cannot be moved to another session) and compressed. Nothing is written on the
server until the response itself, so a page costs no session row and the last page costs
only the response's INSERTs.

A state too large for a cookie (long text answers) falls back to the Django session, which is
also read for a session that began there. A cookie whose signature does not verify is reported as
tampered (the caller shows a message and stores nothing).

Another browser: once a page holds answers, the state is also kept on the server as an
``AnsweringDraft`` (keyed by keyed hashes of the token and of the one-time code), so the same
session URL opened in another browser (Zalo's in-app browser handing over to Chrome) goes on
where it was, and the same one-time code typed on another device brings the answers back.

Anonymity: the cookie stays on the respondent's device; what it holds never reaches the
stored response (see ``surveys.services.response_submit``), and a code's draft is deleted in the
transaction that stores its response.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from surveys.models import AnsweringDraft

SESSION_KEY = "surveys_answering"
COOKIE_PREFIX = "ims_svy_s_"
SALT = "surveys.answering"
CLAIM_SALT = "surveys.claim"
DRAFT_SALT = "surveys.draft"
MAX_AGE = 12 * 3600  # an answering session lasts at most half a day
MAX_COOKIE_BYTES = 3800  # browsers keep cookies up to 4,096 bytes (name and attributes included)


class TamperedState(Exception):
    """The state cookie of this token was altered or signed with another key."""


def cookie_name(token):
    return COOKIE_PREFIX + token


def page_url(request, token):
    """The URL of ``token``'s answering page. On that page it is the request's own path, which
    spares a ``reverse`` on every POST."""
    match = request.resolver_match
    if match and match.view_name == "surveys_public:answer" and match.kwargs["token"] == token:
        return request.path
    return reverse("surveys_public:answer", args=[token])


def claim(token):
    """The claim of ``token``'s session for ``response_submit``: a key (a keyed hash of the
    token) and the day after which it may be dropped, that on which the session's last state
    cookie expires at the latest (a date: the claim tells no time)."""
    key = uuid.UUID(bytes=salted_hmac(CLAIM_SALT, token).digest()[:16])
    return key, (timezone.localtime() + timedelta(seconds=MAX_AGE)).date()


def encode(token, state):
    return signing.dumps(state, salt=f"{SALT}:{token}", compress=True)


def load(request, token):
    """The state of ``token``: from its cookie, else from the session; None when there is none.
    Raises ``TamperedState`` on a cookie that does not verify."""
    value = request.COOKIES.get(cookie_name(token))
    if value:
        try:
            state = signing.loads(value, salt=f"{SALT}:{token}", max_age=MAX_AGE)
        except signing.BadSignature as error:  # SignatureExpired is a BadSignature
            if isinstance(error, signing.SignatureExpired):
                return None
            raise TamperedState from None
        if isinstance(state, dict):
            return state
        raise TamperedState
    state = request.session.get(SESSION_KEY, {}).get(token)
    return state if state is not None else _draft_state(AnsweringDraft.key_for_token(token))


def _draft_state(key=None, code_key=None):
    """The state kept on the server for a session (``key``) or a one-time code (``code_key``)."""
    found = AnsweringDraft.objects.filter(expires_at__gt=timezone.now())
    found = found.filter(key=key) if key else found.filter(code_key=code_key)
    value = found.values_list("state", flat=True).first()
    if value is None:
        return None
    try:
        state = signing.loads(value, salt=DRAFT_SALT)
    except signing.BadSignature:
        return None
    return state if isinstance(state, dict) else None


def draft_of_code(one_time_code_id):
    """The unfinished state of a session opened with this one-time code, or None."""
    return _draft_state(code_key=AnsweringDraft.key_for_code(one_time_code_id))


def _keep_draft(token, state):
    """Keep ``state`` on the server, for another browser (only once it holds answers)."""
    if not state.get("answers"):
        return
    key = AnsweringDraft.key_for_token(token)
    code_key = AnsweringDraft.key_for_code(state["otc"]) if state.get("otc") else None
    now = timezone.now()
    expires_at = (now + timedelta(seconds=MAX_AGE, hours=1)).replace(
        minute=0, second=0, microsecond=0
    )
    with transaction.atomic():
        if code_key:  # the code's session moved here from another browser
            AnsweringDraft.objects.filter(code_key=code_key).exclude(key=key).delete()
        AnsweringDraft.objects.update_or_create(
            key=key,
            defaults={
                "code_key": code_key,
                "state": signing.dumps(state, salt=DRAFT_SALT, compress=True),
                "expires_at": expires_at,
            },
        )
    AnsweringDraft.objects.filter(expires_at__lte=now).delete()


def save(request, response, token, state):
    """Keep ``state`` for the next page, on ``response`` (a redirect or a page)."""
    value = encode(token, state)
    if len(value) + len(cookie_name(token)) <= MAX_COOKIE_BYTES:
        response.set_cookie(
            cookie_name(token),
            value,
            max_age=MAX_AGE,
            path=page_url(request, token),
            secure=request.is_secure() or getattr(settings, "SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
        _drop_from_session(request, token)
        _keep_draft(token, state)
        return
    # Too large for a cookie: keep it in the session (a few sessions per browser at most).
    states = request.session.get(SESSION_KEY, {})
    for old in sorted(states, key=lambda t: states[t]["t0"])[:-3]:
        del states[old]
    states[token] = state
    request.session[SESSION_KEY] = states
    if cookie_name(token) in request.COOKIES:
        response.delete_cookie(cookie_name(token), path=page_url(request, token), samesite="Lax")
    _keep_draft(token, state)


def forget(request, response, token):
    """The session is over (stored, refused or abandoned): drop its state wherever it is."""
    if cookie_name(token) in request.COOKIES:
        response.delete_cookie(cookie_name(token), path=page_url(request, token), samesite="Lax")
    _drop_from_session(request, token)
    AnsweringDraft.objects.filter(key=AnsweringDraft.key_for_token(token)).delete()


def _drop_from_session(request, token):
    # Only touch the session when it may hold this token: reading it costs a query.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    states = request.session.get(SESSION_KEY)
    if states and token in states:
        del states[token]
        request.session[SESSION_KEY] = states

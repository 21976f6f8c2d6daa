"""The answering pages at ``/s/<code>``: no account, no JavaScript, nothing from another host.

``/s/<code>`` checks the code and opens an answering session (a random token whose state is
kept in a signed cookie, see ``surveys.answering_state``), then redirects to ``/s/r/<token>/``,
so the code never appears in later URLs. Each section is one page: a plain HTML form POST keeps
that page's answers in the state; the last page stores the response atomically
(``response_submit``) and forgets the state. A frozen version's questions come from the
process cache (``surveys.questions``), so the last page costs one statement: the INSERT of the
staged response and of the session's claim, which refuses a replay (``response_submit``).

Abuse limits: each address may open ``SURVEY_RATE_LIMIT_PER_HOUR`` answering sessions an hour
(counted in the shared cache when the session opens; each session stores at most one
response, so this bounds the responses an address can send); a honeypot field; a minimum time
from opening to submitting; and the "already answered" cookie for public links.
"""

import functools
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ims.cache import count
from ims.models import OrgUnit
from ims.proxies import client_address
from surveys import answering_state
from surveys.answering import AnswerError, clean_page
from surveys.answering_state import SESSION_KEY  # noqa: F401 - sessions opened before the cookies
from surveys.models import LIKERT_LABELS, Campaign, OneTimeCode, SurveyLink
from surveys.questions import version_rules
from surveys.services import (
    AlreadySubmitted,
    CampaignNotOpen,
    CodeAlreadyUsed,
    code_candidates,
    plain_code,
    response_submit,
)

DONE_COOKIE = "ims_svy_done"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
HONEYPOT = "website"
NOTICES = {"fast", "resumed"}


def _no_store(view):
    """Every response of these pages, redirects included, is ``private, no-store``: no cache,
    shared or the browser's, keeps a page that shows answers or carries the answering state.
    (Django's ``never_cache`` says as much with more words, parsing the header again and
    formatting an ``Expires`` date on every response: a tenth of a submission's CPU.)"""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapped


def min_seconds():
    return getattr(settings, "SURVEY_MIN_SECONDS", 8)


def rate_limit():
    return getattr(settings, "SURVEY_RATE_LIMIT_PER_HOUR", 300)


def _language(request, state=None):
    if state and state.get("lang") in LANGUAGES:
        return state["lang"]
    asked = request.GET.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in LANGUAGES else settings.LANGUAGE_CODE


def render_public(request, template, context, language, status=200):
    with translation.override(language):
        response = render(
            request,
            f"surveys/public/{template}",
            {**context, "lang": language, "languages": settings.LANGUAGES},
            status=status,
        )
    response["Content-Language"] = language
    return response


def _message(request, kind, language, status=200, campaign=None):
    return render_public(
        request, "message.html", {"kind": kind, "campaign": campaign}, language, status
    )


def _answered(request):
    """The campaigns this browser answered through a public link (at most the last 50).

    A courtesy to the respondent (the "already answered" message), not a control: clearing
    cookies or another browser gets round it, and the controls are the one-time codes, the
    claim of the answering session and the rate limit. So the cookie is not signed: editing it
    can only hide or show that message to oneself. A value written signed before
    (``1,2:<timestamp>:<signature>``) is read up to its first colon.
    """
    value = request.COOKIES.get(DONE_COOKIE, "").split(":", 1)[0]
    return {int(v) for v in value.split(",") if v.isdecimal()}


# What ``public_urls.start`` accepts (ASCII letters and digits only, 8 to 48 of them).
CODE_SHAPE = re.compile(r"[0-9A-Za-z]{8,48}")


@_no_store
@require_http_methods(["GET", "POST"])
def enter(request):
    """Type the code printed on a slip."""
    language = _language(request)
    error = None
    if request.method == "POST":
        code = plain_code(request.POST.get("code", ""))
        if CODE_SHAPE.fullmatch(code):
            return redirect("surveys_public:start", code=code)
        with translation.override(language):
            if code:
                error = _("This is not a survey code: a code has 8 or more letters and digits.")
            else:
                error = _("Please type the code printed on your slip.")
    return render_public(request, "enter.html", {"error": error}, language)


@_no_store
def start(request, code):
    language = _language(request)
    candidates = code_candidates(code)
    today = timezone.localdate()
    link = (
        SurveyLink.objects.filter(code__in=candidates, is_active=True)
        .select_related("campaign", "unit")
        .first()
    )
    one_time = None
    if link is None:
        one_time = (
            OneTimeCode.objects.filter(code__in=candidates).select_related("campaign").first()
        )
        if one_time is None:
            return _message(request, "unknown", language, status=404)
        campaign, unit_id = one_time.campaign, one_time.unit_id
    else:
        campaign, unit_id = link.campaign, link.unit_id
        if campaign.requires_code and campaign.phase(today) == "open":
            # The school's poster of a campaign that needs codes: type the slip's code here.
            return render_public(
                request, "enter.html", {"campaign": campaign, "unit": link.unit}, language
            )
    phase = campaign.phase(today)
    if phase in ("draft", "upcoming"):
        return _message(request, "not_open", language, campaign=campaign)
    if phase == "closed":
        return _message(request, "closed", language, campaign=campaign)
    if one_time is not None and one_time.is_used:
        return _message(request, "used", language, campaign=campaign)
    if link is not None and campaign.pk in _answered(request):
        return _message(request, "already_answered", language, campaign=campaign)
    if count(_client_key(request), 3600) > rate_limit():
        return _message(request, "rate_limited", language, status=429, campaign=campaign)
    token = secrets.token_urlsafe(18)
    earlier = answering_state.draft_of_code(one_time.pk) if one_time is not None else None
    if earlier is not None:
        # The same code, half answered in another browser: go on where it was.
        result = redirect(
            answering_state.page_url(request, token) + f"?p={earlier.get('p', 0)}&notice=resumed"
        )
        answering_state.save(request, result, token, earlier)
        return result
    state = {
        "c": campaign.pk,
        "ct": campaign.created_at.timestamp(),  # with "c", the key of the process's copy
        "u": unit_id,
        "otc": one_time.pk if one_time else None,
        "t0": time.time(),
        "lang": language,
        "answers": {},
    }
    result = redirect("surveys_public:answer", token=token)
    answering_state.save(request, result, token, state)
    return result


_campaigns = {}  # (pk, created_at) → Campaign with a frozen version: POSTs of this process
MAX_CACHED_CAMPAIGNS = 256


def _answering_campaign(state, fresh):
    """The campaign of an answering session, with its version.

    A page that is shown (``fresh``) reads it from the database, so a closed campaign shows
    its message at once. A POST may use the copy this process read last: what it relies on
    does not change (the version, which is frozen, and the code requirement), and the status
    is checked again by the response's INSERT itself (``response_submit``), so a campaign
    closed meanwhile stores nothing; a POST that is not the last page only redirects to a
    page, which is read fresh.
    """
    key = (state["c"], state.get("ct"))
    if not fresh and key[1] is not None:
        campaign = _campaigns.get(key)
        if campaign is not None:
            return campaign
    campaign = Campaign.objects.select_related("version").filter(pk=state["c"]).first()
    frozen = campaign is not None and campaign.version.has_responses
    if frozen and campaign.created_at.timestamp() == key[1]:
        if len(_campaigns) >= MAX_CACHED_CAMPAIGNS:
            _campaigns.clear()
        _campaigns[key] = campaign
    return campaign


def _pages(rules, answers):
    """Sections that have a question to show, given the answers so far: [(section, [rule])]."""
    pages, section_id = [], None
    for rule in rules:
        if not rule.is_shown(answers):
            continue
        if rule.section_id != section_id:
            section_id = rule.section_id
            pages.append((rule.question.section, []))
        pages[-1][1].append(rule)
    return pages


def _posted(form, rules):
    return {rule.key: form.getlist(rule.name) for rule in rules}


def _form(request):
    """The posted fields of an answering page, like ``request.POST``.

    Nothing has parsed the body yet (the page is exempt from the CSRF check, see ``answer``),
    so a URL-encoded body is parsed here straight into a ``MultiValueDict``: a third of the
    cost of ``QueryDict``, which checks and converts each of a page's dozens of fields one call
    at a time. The same limits apply (``DATA_UPLOAD_MAX_MEMORY_SIZE`` through ``request.body``,
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` here); any other body goes through ``request.POST``.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        return request.POST
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    charset = request.encoding or settings.DEFAULT_CHARSET
    fields = {}
    try:
        for name, value in parse_qsl(
            request.body.decode(charset, "replace"),
            keep_blank_values=True,
            encoding=charset,
            max_num_fields=limit,
        ):
            fields.setdefault(name, []).append(value)
    except ValueError:
        raise TooManyFieldsSent(
            f"More than {limit} fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)."
        ) from None
    return MultiValueDict(fields)


def _client_key(request):
    """The rate-limit counter of the request's address this hour (the address hashed with the
    secret key: the cache never holds addresses)."""
    address = client_address(request)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]
    return f"surveys:rate:{digest}:{int(time.time() // 3600)}"


@_no_store
@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request, token):
    """One page of an answering session; the last page's POST stores the response.

    Exempt from the CSRF check, which would guard nothing here: a POST acts only with the
    session's state cookie, which is ``SameSite=Lax`` (a browser does not send it with a POST
    from another site) and scoped to a URL holding the session's random token (which another
    site cannot know). A forged POST finds no state and stores nothing (tested).
    """
    try:
        state = answering_state.load(request, token)
    except answering_state.TamperedState:
        result = _message(request, "tampered", _language(request), status=400)
        answering_state.forget(request, result, token)
        return result
    if state is None:
        return _message(request, "expired", _language(request), status=404)
    language = _language(request, state)
    campaign = _answering_campaign(state, fresh=request.method != "POST")
    today = timezone.localdate()
    if campaign is None or not campaign.is_answerable(today):
        return _message(request, "closed", language, campaign=campaign)
    rules = version_rules(campaign.version)
    answers = state["answers"]
    pages = _pages(rules, answers)
    try:
        index = min(max(int(request.GET.get("p", 0)), 0), len(pages) - 1)
    except ValueError:
        index = 0
    section, page_rules = pages[index]
    errors = {}
    notice = request.GET.get("notice") if request.GET.get("notice") in NOTICES else None
    values = answers

    def to_page(i):
        state["p"] = max(i, 0)  # where another browser goes on (``start``)
        result = HttpResponseRedirect(
            answering_state.page_url(request, token) + (f"?p={i}" if i else "")
        )
        answering_state.save(request, result, token, state)
        return result

    if request.method == "POST":
        form = _form(request)
        if form.get(HONEYPOT):
            # A form filler bot: store nothing, and give it nothing to learn from.
            result = redirect("surveys_public:thanks")
            answering_state.forget(request, result, token)
            return result
        on_page = {rule.name for rule in page_rules}
        if any(key.startswith("q") and key not in on_page for key in form):
            # A question of another page or of no page: the form was altered.
            return _message(request, "tampered", language, status=400, campaign=campaign)
        posted = _posted(form, page_rules)
        cleaned, errors = clean_page(page_rules, posted, answers)
        if form.get("lang") in LANGUAGES or "back" in form:
            # Keep what was typed (even incomplete) and switch language or go back.
            answers.update(cleaned)
            if form.get("lang") in LANGUAGES:
                state["lang"] = form["lang"]
            return to_page(index - 1 if "back" in form else index)
        answers.update(cleaned)
        if not errors:
            pages = _pages(rules, answers)
            position = next((i for i, (s, _r) in enumerate(pages) if s.pk == section.pk), index)
            if position + 1 < len(pages):
                return to_page(position + 1)
            return _submit(request, token, state, campaign, rules, language, today)
        values = answers
    result = render_public(
        request,
        "answer.html",
        {
            "campaign": campaign,
            "unit": OrgUnit.objects.filter(pk=state["u"]).first(),
            "version": campaign.version,
            "section": section,
            "items": [
                question_item(rule.question, values.get(rule.key, []), errors.get(rule.key))
                for rule in page_rules
            ],
            "errors": errors,
            "notice": notice,
            "index": index,
            "count": len(pages),
            "percent": round((index + 1) * 100 / len(pages)),
            "is_last": index == len(pages) - 1,
            "token": token,
            "honeypot": HONEYPOT,
        },
        language,
        status=400 if errors else 200,
    )
    if request.method == "POST":
        # The answers typed on a refused page are kept (the page shows them again).
        answering_state.save(request, result, token, state)
    return result


def question_item(question, values, error):
    with_values = {str(v) for v in values}
    if question.kind == "likert":
        options = [(str(v), str(label)) for v, label in LIKERT_LABELS.items()]
    elif question.kind == "nps":
        options = [(str(v), str(v)) for v in range(0, 11)]
    else:
        options = [(str(c.value), c.text) for c in question.choices.all()]
    return {
        "question": question,
        "name": f"q{question.id}",
        "options": [(v, label, v in with_values) for v, label in options],
        "value": values[0] if values else "",
        "error": error,
    }


@functools.lru_cache(maxsize=8)
def _thanks_url(prefix, urlconf):
    """The thanks page's URL under a script prefix and URL conf (``reverse`` once, not on every
    submission)."""
    return reverse("surveys_public:thanks", urlconf=urlconf)


def _submit(request, token, state, campaign, rules, language, today):
    def retry(kind):
        pages = _pages(rules, state["answers"])
        result = HttpResponseRedirect(
            answering_state.page_url(request, token) + f"?p={len(pages) - 1}&notice={kind}"
        )
        answering_state.save(request, result, token, state)
        return result

    if time.time() - state["t0"] < min_seconds():
        return retry("fast")
    if state["otc"] is None and campaign.pk in _answered(request):
        return _message(request, "already_answered", language, campaign=campaign)
    try:
        response_submit(
            campaign=campaign,
            rules=rules,
            unit_id=state["u"],
            answers=state["answers"],
            language=language,
            one_time_code_id=state["otc"],
            claim=answering_state.claim(token),
            today=today,
        )
    except (CodeAlreadyUsed, AlreadySubmitted) as error:
        kind = "used" if isinstance(error, CodeAlreadyUsed) else "already_answered"
        result = _message(request, kind, language, campaign=campaign)
        answering_state.forget(request, result, token)
        return result
    except CampaignNotOpen:
        return _message(request, "closed", language, campaign=campaign)
    except AnswerError:
        # A page was skipped (e.g. by editing ?p=): send the respondent back to it.
        answers = state["answers"]
        for i, (_section, page_rules) in enumerate(_pages(rules, answers)):
            data = {rule.key: answers.get(rule.key, []) for rule in page_rules}
            if clean_page(page_rules, data, answers)[1]:
                result = HttpResponseRedirect(answering_state.page_url(request, token) + f"?p={i}")
                answering_state.save(request, result, token, state)
                return result
        return _message(request, "tampered", language, status=400, campaign=campaign)
    result = HttpResponseRedirect(
        _thanks_url(get_script_prefix(), get_urlconf()) + f"?lang={language}"
    )
    answering_state.forget(request, result, token)
    if state["otc"] is None:
        done = sorted(_answered(request) | {campaign.pk})[-50:]
        result.set_cookie(
            DONE_COOKIE,
            ",".join(str(pk) for pk in done),
            max_age=180 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return result


@_no_store
def thanks(request):
    return _message(request, "thanks", _language(request))

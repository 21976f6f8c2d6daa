"""The answering pages at ``/s/``: no account, no JavaScript needed, nothing from another host.

A person opens a campaign's open link ``/s/<link code>`` (a school's poster or QR code), or
types the one-time code printed on a slip into the entry page ``/s/`` (a form POST; the slip's
QR code carries ``/s/#CODE``, a fragment no browser sends, which the page's script types in).
Either opens an answering session (a random token whose state is kept in a signed cookie, see
``surveys.answering_state``) and redirects to ``/s/r/<token>/``: no one-time code is ever in a
URL that a server or proxy could log. A one-time code put in a path (``/s/<code>``) only gets
the entry page, which does not say whether it is valid.

Each section is one page, a plain Django form POST (with the CSRF check) that keeps the page's
answers in the state; the last page stores and counts the response atomically
(``response_submit``) and forgets the state. A second POST of the last page (a double tap)
shows the thanks page and stores nothing more.

Abuse limits: each client address (IPv6: each /64) may send ``SURVEY_RATE_LIMIT_PER_HOUR``
completed submissions to a campaign an hour, one-time-code holders excepted
(``surveys.ratelimit``); a honeypot field; a minimum time from opening to submitting; and the
(signed) "already answered" cookie for public links.
"""

import re
import secrets
import time

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ims.models import OrgUnit
from surveys import answering_state, ratelimit
from surveys.answering import AnswerError, clean_page
from surveys.models import LIKERT_LABELS, Campaign, OneTimeCode, SubmissionClaim, SurveyLink
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
DONE_SALT = "surveys.done"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
HONEYPOT = "website"
NOTICES = {"fast", "resumed"}


def min_seconds():
    return getattr(settings, "SURVEY_MIN_SECONDS", 8)


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
    claim of the answering session and the rate limit. The cookie is signed, so only this
    server writes it; an unsigned (older) or altered value counts as empty.
    """
    value = request.get_signed_cookie(DONE_COOKIE, default="", salt=DONE_SALT)
    return {int(v) for v in value.split(",") if v.isdecimal()}


# What a code looks like (ASCII letters and digits only, 8 to 48 of them).
CODE_SHAPE = re.compile(r"[0-9A-Za-z]{8,48}")


def _enter_page(request, language, status=200, **context):
    return render_public(request, "enter.html", context, language, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def enter(request):
    """Type the code printed on a slip; a valid code opens the answering session at once.

    The code is posted, never put in a URL. A slip's QR code opens ``/s/#CODE``: the page's
    script (``surveys/enter.js``) copies the fragment into the field and sends the form;
    without JavaScript the person types the code printed under it.
    """
    language = _language(request)
    if request.method != "POST":
        return _enter_page(request, language)
    code = plain_code(request.POST.get("code", ""))
    with translation.override(language):
        if not code:
            error = _("Please type the code printed on your slip.")
        elif not CODE_SHAPE.fullmatch(code):
            error = _("This is not a survey code: a code has 8 or more letters and digits.")
        else:
            return _open(request, code, language)
    return _enter_page(request, language, status=400, error=error, code=code)


@never_cache
@require_safe
def start(request, code):
    """A campaign's open link. Any other code in a path (a one-time code, an unknown or
    mistyped one) gets the entry page, filled in, which does not tell whether it is valid."""
    language = _language(request)
    link = _link(code)
    if link is None:
        return _enter_page(request, language, code=plain_code(code))
    return _open(request, code, language, link=link)


def _link(code):
    return (
        SurveyLink.objects.filter(code__in=code_candidates(code), is_active=True)
        .select_related("campaign", "unit")
        .first()
    )


def _open(request, code, language, link=None):
    """Open an answering session for ``code`` (an open link's, or a typed one-time code)."""
    link = link or _link(code)
    one_time = None
    today = timezone.localdate()
    if link is None:
        one_time = (
            OneTimeCode.objects.filter(code__in=code_candidates(code))
            .select_related("campaign")
            .first()
        )
        if one_time is None:
            with translation.override(language):
                error = _("This code was not found. Please check it and try again.")
            return _enter_page(request, language, status=404, error=error, code=code)
        campaign, unit_id = one_time.campaign, one_time.unit_id
    else:
        campaign, unit_id = link.campaign, link.unit_id
        if campaign.requires_code and campaign.phase(today) == "open":
            # The school's poster of a campaign that needs codes: type the slip's code here.
            return _enter_page(request, language, campaign=campaign, unit=link.unit)
    phase = campaign.phase(today)
    if phase in ("draft", "upcoming"):
        return _message(request, "not_open", language, campaign=campaign)
    if phase == "closed":
        return _message(request, "closed", language, campaign=campaign)
    if one_time is not None and one_time.is_used:
        return _message(request, "used", language, campaign=campaign)
    if link is not None and campaign.pk in _answered(request):
        return _message(request, "already_answered", language, campaign=campaign)
    if one_time is None and ratelimit.is_limited(request, campaign):
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
        "u": unit_id,
        "otc": one_time.pk if one_time else None,
        "t0": time.time(),
        "lang": language,
        "answers": {},
    }
    result = redirect("surveys_public:answer", token=token)
    answering_state.save(request, result, token, state)
    return result


def _answering_campaign(state):
    """The campaign of an answering session, with its version, as it is now in the database:
    a manager's edit (a later closing date, a code now required) applies to the next page."""
    return Campaign.objects.select_related("version").filter(pk=state["c"]).first()


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


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request, token):
    """One page of an answering session; the last page's POST stores the response."""
    try:
        state = answering_state.load(request, token)
    except answering_state.TamperedState:
        result = _message(request, "tampered", _language(request), status=400)
        answering_state.forget(request, result, token)
        return result
    if state is None:
        return _message(request, "expired", _language(request), status=404)
    language = _language(request, state)
    campaign = _answering_campaign(state)
    today = timezone.localdate()
    if campaign is None or not campaign.is_answerable(today):
        return _message(request, "closed", language, campaign=campaign)
    if campaign.requires_code and state["otc"] is None:
        # Opened through the open link before the campaign was set to need codes.
        return _message(request, "needs_code", language, campaign=campaign)
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
        form = request.POST
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
    claim = answering_state.claim(token)
    if state["otc"] is None and campaign.pk in _answered(request):
        if SubmissionClaim.objects.filter(key=claim[0]).exists():
            return _thanks(request, token, language)  # this very session, sent twice
        return _message(request, "already_answered", language, campaign=campaign)
    try:
        with ratelimit.submission(request, campaign, one_time_code=state["otc"] is not None):
            response_submit(
                campaign=campaign,
                rules=rules,
                unit_id=state["u"],
                answers=state["answers"],
                language=language,
                one_time_code_id=state["otc"],
                claim=claim,
                today=today,
            )
    except AlreadySubmitted:
        # The same session sent twice (a double tap): its response is stored, once.
        return _thanks(request, token, language)
    except CodeAlreadyUsed:
        result = _message(request, "used", language, campaign=campaign)
        answering_state.forget(request, result, token)
        return result
    except CampaignNotOpen:
        return _message(request, "closed", language, campaign=campaign)
    except ratelimit.RateLimited:
        if SubmissionClaim.objects.filter(key=claim[0]).exists():
            return _thanks(request, token, language)  # this very session, sent twice
        # The answers stay on this device; the page links back to the last page, to send later.
        last = len(_pages(rules, state["answers"])) - 1
        back = answering_state.page_url(request, token) + f"?p={last}"
        context = {"kind": "rate_limited", "campaign": campaign, "back": back}
        result = render_public(request, "message.html", context, language, status=429)
        answering_state.save(request, result, token, state)
        return result
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
    result = _thanks(request, token, language)
    if state["otc"] is None:
        done = sorted(_answered(request) | {campaign.pk})[-50:]
        result.set_signed_cookie(
            DONE_COOKIE,
            ",".join(str(pk) for pk in done),
            salt=DONE_SALT,
            max_age=180 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return result


def _thanks(request, token, language):
    """To the thanks page; the session is over."""
    result = HttpResponseRedirect(reverse("surveys_public:thanks") + f"?lang={language}")
    answering_state.forget(request, result, token)
    return result


@never_cache
def thanks(request):
    return _message(request, "thanks", _language(request))


def csrf_failure(request):
    """An answering page's form failed Django's CSRF check (``ims.views.csrf_failure``): this
    browser did not send back the cookie the page was given (cookies cleared or blocked
    meanwhile). Nothing was saved; say so in the respondent's language and lead back to the
    page, whose earlier pages' answers are kept. The answer carries a new CSRF cookie, so the
    page opened again can be sent."""
    from django.middleware.csrf import get_token

    get_token(request)
    token = request.resolver_match.kwargs.get("token")
    state = None
    if token:
        try:
            state = answering_state.load(request, token)
        except answering_state.TamperedState:
            state = None
    back = request.get_full_path() if state is not None else reverse("surveys_public:enter")
    return render_public(
        request, "message.html", {"kind": "csrf", "back": back}, _language(request, state), 403
    )

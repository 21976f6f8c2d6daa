"""Every write in the surveys app: one function per step, each atomic."""

import random
import secrets
import uuid
from collections import Counter
from itertools import batched

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.history import with_reason
from ims.models import OrgUnit
from ims.transitions import TransitionError, check_transition, record_transition
from surveys.answering import AnswerError, clean_response
from surveys.data import INTRO, TEMPLATES
from surveys.models import (
    CHOICE_KINDS,
    TALLY_SHARDS,
    AnsweringDraft,
    Area,
    Campaign,
    CampaignUnit,
    Choice,
    Instrument,
    InstrumentVersion,
    OneTimeCode,
    Question,
    QuestionKind,
    QuestionTally,
    Response,
    ResultAction,
    Section,
    SubmissionClaim,
    SurveyLink,
    UnitTally,
    ValueTally,
)
from surveys.questions import version_rules

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_FIX = str.maketrans({"I": "1", "L": "1", "O": "0"})
ONE_TIME_CODE_LENGTH = 10
LINK_CODE_LENGTH = 8
MAX_CODES_PER_BATCH = 2000


class CodeAlreadyUsed(Exception):
    pass


class CampaignNotOpen(Exception):
    pass


class AlreadySubmitted(Exception):
    """The answering session's claim is taken: its response is stored already."""


def new_code(length):
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalize_code(raw):
    """A typed or scanned code in canonical form: upper case, no spaces or dashes, I/L→1, O→0."""
    return plain_code(raw).translate(_CROCKFORD_FIX)


def plain_code(raw):
    """Upper case, without spaces or dashes (a fixed code such as ``DEMO2026`` keeps its O)."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t")


def code_candidates(raw):
    """The codes a typed ``raw`` may mean: as typed, then with Crockford's confusables fixed."""
    return list(dict.fromkeys([plain_code(raw), normalize_code(raw)]))


def _unused_code(length):
    while True:
        code = new_code(length)
        if not (
            SurveyLink.objects.filter(code=code).exists()
            or OneTimeCode.objects.filter(code=code).exists()
        ):
            return code


def _require(allowed, message=None):
    if not allowed:
        raise PermissionDenied(message or _("You may not do this."))


# --- instruments ------------------------------------------------------------------------------


@transaction.atomic
def instrument_create_from_template(*, actor, owner_unit, template):
    """A new instrument (version 1) for ``owner_unit`` from one of the shipped templates."""
    from ims.access import has_role
    from surveys.models import MANAGE_ROLES

    _require(has_role(actor, owner_unit, MANAGE_ROLES))
    spec = TEMPLATES[template]
    title, title_en, title_lo = spec["title"]
    instrument = Instrument.objects.create(
        owner_unit=owner_unit,
        title=title,
        title_en=title_en,
        title_lo=title_lo,
        group=spec["group"],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=1, intro=INTRO[0], intro_en=INTRO[1], intro_lo=INTRO[2]
    )
    areas = {a.code: a for a in Area.objects.all()}
    by_code = {}
    for s_order, (s_titles, questions) in enumerate(spec["sections"], start=1):
        section = Section.objects.create(
            version=version,
            order=s_order,
            title=s_titles[0],
            title_en=s_titles[1],
            title_lo=s_titles[2],
        )
        for q_order, (code, kind, texts, options) in enumerate(questions, start=1):
            show_if = options.get("show_if")
            question = Question.objects.create(
                version=version,
                section=section,
                order=q_order,
                code=code,
                kind=kind,
                text=texts[0],
                text_en=texts[1],
                text_lo=texts[2],
                required=options.get("required", False),
                area=areas.get(options.get("area")),
                min_value=options.get("min"),
                max_value=options.get("max"),
                show_if=by_code[show_if[0]] if show_if else None,
                show_if_values=list(show_if[1]) if show_if else [],
            )
            for value, labels in options.get("choices", []):
                Choice.objects.create(
                    question=question,
                    value=value,
                    label=labels[0],
                    label_en=labels[1],
                    label_lo=labels[2],
                )
            by_code[code] = question
    record_transition(
        instrument, actor=actor, action="create", from_state="", to_state="v1", reason=template
    )
    return instrument


def _locked_version(version):
    version = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_frozen:
        raise ValidationError(
            _(
                "This version already has responses, so its questions are frozen. Make a new version."
            )
        )
    return version


@transaction.atomic
def version_new(*, actor, instrument):
    """Copy the latest version into a new, editable one."""
    instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
    _require(instrument.can_manage(actor))
    source = instrument.latest_version()
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=source.number + 1,
        intro=source.intro,
        intro_en=source.intro_en,
        intro_lo=source.intro_lo,
    )
    question_map = {}
    for section in source.sections.all():
        new_section = Section.objects.create(
            version=version,
            order=section.order,
            title=section.title,
            title_en=section.title_en,
            title_lo=section.title_lo,
        )
        for question in section.questions.order_by("order").prefetch_related("choices"):
            choices = list(question.choices.all())
            old_pk = question.pk
            question.pk = None
            question.version, question.section = version, new_section
            question.show_if = question_map.get(question.show_if_id)
            question.save()
            question_map[old_pk] = question
            Choice.objects.bulk_create(
                Choice(
                    question=question,
                    value=c.value,
                    label=c.label,
                    label_en=c.label_en,
                    label_lo=c.label_lo,
                )
                for c in choices
            )
    record_transition(
        instrument,
        actor=actor,
        action="new_version",
        from_state=f"v{source.number}",
        to_state=f"v{version.number}",
    )
    return version


@transaction.atomic
def section_add(*, actor, version, title, title_en="", title_lo=""):
    version = _locked_version(version)
    _require(version.instrument.can_manage(actor))
    order = (version.sections.aggregate(m=Max("order"))["m"] or 0) + 1
    return Section.objects.create(
        version=version, order=order, title=title, title_en=title_en, title_lo=title_lo
    )


@transaction.atomic
def question_add(*, actor, section, choices=(), **fields):
    """Add a question to an unfrozen version. ``choices`` is a list of (value, vi, en, lo)."""
    version = _locked_version(section.version)
    _require(version.instrument.can_manage(actor))
    kind = fields.get("kind")
    if kind == QuestionKind.LIKERT and not fields.get("area"):
        raise ValidationError({"area": _("A Likert question needs an area.")})
    if kind in CHOICE_KINDS and len(choices) < 2:
        raise ValidationError({"choices": _("Give at least two options, one per line.")})
    show_if = fields.get("show_if")
    if show_if is not None and (
        show_if.version_id != version.pk or show_if.section.order >= section.order
    ):
        raise ValidationError(
            {"show_if": _("Show-if must depend on a question in an earlier section.")}
        )
    if Question.objects.filter(version=version, code=fields.get("code")).exists():
        raise ValidationError({"code": _("Another question of this version has this code.")})
    order = (section.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    question = Question.objects.create(version=version, section=section, order=order, **fields)
    Choice.objects.bulk_create(
        Choice(question=question, value=v, label=vi, label_en=en, label_lo=lo)
        for v, vi, en, lo in choices
    )
    return question


EDITABLE_QUESTION_FIELDS = ("text", "text_en", "text_lo", "required")


@transaction.atomic
def question_update(*, actor, question, **fields):
    """Change the wording (in each language) or the required flag of an unfrozen question."""
    version = _locked_version(question.version)
    _require(version.instrument.can_manage(actor))
    unknown = set(fields) - set(EDITABLE_QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if not (fields.get("text", question.text) or "").strip():
        raise ValidationError({"text": _("The Vietnamese wording is required.")})
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    return question


@transaction.atomic
def question_delete(*, actor, question):
    version = _locked_version(question.version)
    _require(version.instrument.can_manage(actor))
    if question.dependents.exists():
        raise ValidationError(_("Another question's show-if depends on this one."))
    question.delete()


# --- campaigns ------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, version, title, group, owner_unit, units, opens_on, closes_on,
                    requires_code=False, target_responses=None):  # fmt: skip
    from ims.access import has_role
    from surveys.models import MANAGE_ROLES

    _require(has_role(actor, owner_unit, MANAGE_ROLES))
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("The closing date is before the opening date.")})
    units = list(units)
    if not units:
        raise ValidationError({"units": _("Choose at least one unit.")})
    if any(not unit.is_within(owner_unit) for unit in units):
        raise ValidationError({"units": _("Every unit must be within the owner unit.")})
    campaign = Campaign.objects.create(
        version=version,
        title=title,
        group=group,
        owner_unit=owner_unit,
        opens_on=opens_on,
        closes_on=closes_on,
        requires_code=requires_code,
        target_responses=target_responses,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    CampaignUnit.objects.bulk_create(CampaignUnit(campaign=campaign, unit=u) for u in units)
    record_transition(campaign, actor=actor, action="create", from_state="", to_state="draft")
    return campaign


def answering_units(campaign):
    """The units that get a link: each school in the targets' subtrees, else the target itself."""
    units = {}
    targets = OrgUnit.objects.filter(pk__in=campaign.targets.values("unit"))
    for target in targets:
        schools = list(
            OrgUnit.objects.subtree_of(target).filter(kind__is_school=True, is_active=True)
        )
        for unit in schools or [target]:
            units[unit.pk] = unit
    return sorted(units.values(), key=lambda u: u.path)


def units_without_codes(campaign):
    """The answering units of a campaign that needs one-time codes and that have none."""
    if not campaign.requires_code:
        return []
    with_codes = set(
        OneTimeCode.objects.filter(campaign=campaign).values_list("unit", flat=True).distinct()
    )
    return [unit for unit in answering_units(campaign) if unit.pk not in with_codes]


TRANSITIONS = {"draft": ("published",), "published": ("closed",)}


@transaction.atomic
def campaign_publish(*, actor, campaign, without_codes_ok=False):
    """Publish: one open link (and QR code) per answering unit; answers count from the open date.

    A campaign that needs one-time codes is refused while an answering unit has none (its
    parents could not answer), unless the publisher confirms (``without_codes_ok``).
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_transition(campaign.status, Campaign.Status.PUBLISHED, TRANSITIONS)
    _require(campaign.can_manage(actor))
    missing = units_without_codes(campaign)
    if missing and not without_codes_ok:
        raise TransitionError(
            _(
                "These units have no one-time codes yet, so nobody there could answer: "
                "%(units)s. Create their codes first, or confirm that you publish anyway."
            )
            % {"units": ", ".join(unit.label for unit in missing)}
        )
    for unit in answering_units(campaign):
        if not SurveyLink.objects.filter(campaign=campaign, unit=unit).exists():
            SurveyLink.objects.create(
                campaign=campaign, unit=unit, code=_unused_code(LINK_CODE_LENGTH)
            )
    previous = campaign.status
    campaign.status = Campaign.Status.PUBLISHED
    campaign.save(update_fields=["status"])
    record_transition(
        campaign, actor=actor, action="publish", from_state=previous, to_state=campaign.status
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign, reason=""):
    """Close a campaign; every response it accepted is stored and counted when this commits.

    The row lock (``FOR UPDATE``) conflicts with the key-share lock each response's INSERT
    takes on the campaign (its foreign-key check): closing waits for submissions in flight,
    and a submission that comes after finds the campaign closed and stores nothing
    (``response_submit``).
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_transition(campaign.status, Campaign.Status.CLOSED, TRANSITIONS)
    _require(campaign.can_manage(actor))
    previous = campaign.status
    campaign.status = Campaign.Status.CLOSED
    with_reason(campaign, reason).save(update_fields=["status"])
    record_transition(
        campaign,
        actor=actor,
        action="close",
        from_state=previous,
        to_state=campaign.status,
        reason=reason,
    )
    return campaign


@transaction.atomic
def codes_generate(*, actor, campaign, unit, count):
    """``count`` new one-time codes for ``unit`` (Crockford base32, 10 characters), returned
    once, to be printed at once: no page lists a unit's codes later (two printouts would show
    which codes were used in between)."""
    from ims.access import has_role
    from surveys.models import MANAGE_ROLES

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require(has_role(actor, unit, MANAGE_ROLES))
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ValidationError(
            _("Give a number of codes from 1 to %(max)d.") % {"max": MAX_CODES_PER_BATCH}
        )
    if unit.pk not in {u.pk for u in answering_units(campaign)}:
        raise ValidationError(_("This unit does not answer this campaign."))
    codes = set()
    while len(codes) < count:
        fresh = {new_code(ONE_TIME_CODE_LENGTH) for _ in range(count - len(codes))} - codes
        fresh -= set(OneTimeCode.objects.filter(code__in=fresh).values_list("code", flat=True))
        fresh -= set(SurveyLink.objects.filter(code__in=fresh).values_list("code", flat=True))
        codes |= fresh
    codes = sorted(codes)
    OneTimeCode.objects.bulk_create(
        OneTimeCode(campaign=campaign, unit=unit, code=code) for code in codes
    )
    record_transition(
        campaign,
        actor=actor,
        action="codes",
        from_state=campaign.status,
        to_state=campaign.status,
        reason=f"{len(codes)} × {unit.code}",
        unit=unit,
    )
    return codes


# --- responses ------------------------------------------------------------------------------
# A submission is one transaction: the answering session's claim, the one-time code (if any),
# the response itself and its counts. Counter rows are split into ``TALLY_SHARDS`` shards per
# key (``surveys.models``): a submission adds to one shard, chosen at random, so concurrent
# submissions of one school seldom wait for the same row; readers sum the shards. So the
# counters always equal the stored responses, with no worker and nothing left to fold.


def response_submit(
    *,
    unit_id,
    answers,
    language,
    campaign_id=None,
    campaign=None,
    rules=None,
    one_time_code_id=None,
    claim=None,
    today=None,
):
    """Store one anonymous response and count it, atomically; returns the stored response.

    ``claim`` (the answering pages pass their session's, ``answering_state.claim``) is a
    ``(key, expires_on)`` inserted first: a second submission of the same session (a double
    tap, a replay), even concurrent, stores nothing and raises ``AlreadySubmitted``.

    ``campaign`` (with its version loaded) and its version's ``rules`` may be passed by a caller
    that already holds them (the answering page); otherwise they are read here, the rules from
    the frozen-version cache (``surveys.questions``).

    The one-time code (if any) is claimed by a conditional UPDATE (of two submissions with one
    code, exactly one stores a response: the other raises ``CodeAlreadyUsed``), and every used
    code of the same campaign and unit is written again by this transaction, so no code row's
    transaction points at this response alone; the code's unfinished answers are deleted.
    Nothing about the code, the person or the time (beyond the date) reaches the response.

    After the response's INSERT, its foreign keys are checked at once (Django defers them to
    the commit) and the campaign is read again. On PostgreSQL that check takes a key-share lock
    on the campaign row, which waits for a ``campaign_close`` in flight (it holds the row ``FOR
    UPDATE``): a campaign closed meanwhile is seen by the read and nothing is stored
    (``CampaignNotOpen``); and a close started after the check waits for this commit. (SQLite
    runs one writer at a time, so a close is either before or after the whole submission.)
    """
    today = today or timezone.localdate()
    if campaign is None:
        campaign = Campaign.objects.select_related("version").get(pk=campaign_id)
    if not campaign.is_answerable(today):
        raise CampaignNotOpen
    if rules is None:
        rules = version_rules(campaign.version)
    cleaned = clean_response(rules, answers)
    if campaign.requires_code and one_time_code_id is None:
        raise AnswerError(_("This survey needs a one-time code."))
    response = Response(
        id=uuid.uuid4(),
        campaign=campaign,
        version_id=campaign.version_id,
        unit_id=unit_id,
        submitted_on=today,
        language=language,
        answers=[
            [question_id, None, value] if isinstance(value, str) else [question_id, value, ""]
            for question_id, values in cleaned.items()
            for value in values
        ],
    )
    with transaction.atomic():
        if claim is not None:
            key, expires_on = claim
            try:
                with transaction.atomic():
                    SubmissionClaim.objects.create(key=key, expires_on=expires_on)
            except IntegrityError:
                raise AlreadySubmitted from None
        if one_time_code_id is not None:
            _use_code(campaign, unit_id, one_time_code_id)
        response.save(force_insert=True)
        if connection.features.has_select_for_update:  # row locks (PostgreSQL; not SQLite)
            # Django's foreign keys are checked at commit: check the response's now, so that
            # its key-share lock on the campaign row is taken here (see below).
            connection.check_constraints(table_names=[Response._meta.db_table])
        if not Campaign.objects.filter(
            pk=campaign.pk,
            status=Campaign.Status.PUBLISHED,
            opens_on__lte=today,
            closes_on__gte=today,
        ).exists():
            raise CampaignNotOpen  # closed while this was in flight: roll everything back
        _add_counts([response], shard=random.randrange(TALLY_SHARDS))
        if not campaign.version.has_responses:
            InstrumentVersion.objects.filter(pk=campaign.version_id, has_responses=False).update(
                has_responses=True
            )
    SubmissionClaim.objects.filter(expires_on__lt=today).delete()  # replays no longer possible
    return response


def _use_code(campaign, unit_id, one_time_code_id):
    """Mark the one-time code used (``CodeAlreadyUsed`` if it was) and write every used code
    of its campaign and unit again. The unit's codes are locked first (in key order), so
    submissions with codes of one unit run one after the other and each sees the codes used
    before it: all used codes then carry the transaction of the latest submission."""
    codes = OneTimeCode.objects.filter(campaign=campaign, unit_id=unit_id)
    list(codes.select_for_update().order_by("pk").values_list("pk", flat=True))
    if codes.filter(pk=one_time_code_id, is_used=False).update(is_used=True) != 1:
        raise CodeAlreadyUsed
    codes.filter(is_used=True).update(is_used=True)
    # The code's unfinished answers go with it: no row joins the code to them.
    AnsweringDraft.objects.filter(code_key=AnsweringDraft.key_for_code(one_time_code_id)).delete()


def _add_counts(responses, shard=0):
    """Add ``responses`` (anything with ``campaign_id``, ``unit_id`` and ``answers``) to the
    three counters, in counter rows of ``shard``."""
    units, questions, values = Counter(), Counter(), Counter()
    for response in responses:
        where = (response.campaign_id, response.unit_id)
        units[(*where, shard)] += 1
        for question in {question for question, _value, _text in response.answers}:
            questions[(*where, question, shard)] += 1
        for question, value, _text in response.answers:
            if value is not None:
                values[(*where, question, value, shard)] += 1
    _upsert_counts(UnitTally, ["campaign", "unit", "shard"], units)
    _upsert_counts(QuestionTally, ["campaign", "unit", "question", "shard"], questions)
    _upsert_counts(ValueTally, ["campaign", "unit", "question", "value", "shard"], values)


def _upsert_counts(model, key_fields, counts, rows_per_statement=200):
    """Add ``counts`` ({key tuple: n}) to counter rows keyed by ``key_fields``: ``INSERT ... ON
    CONFLICT DO UPDATE`` (SQLite and PostgreSQL), in key order, so that concurrent submissions
    lock the rows they share in one order (no deadlock)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(f).column for f in key_fields] + ["count"]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Identifiers come from model metadata (quoted); every value is a bound parameter.
    column_list = ", ".join(quote(c) for c in columns)
    key_list = ", ".join(quote(c) for c in columns[:-1])
    count = quote("count")
    with connection.cursor() as cursor:
        for chunk in batched(sorted(counts.items()), rows_per_statement):
            values = ", ".join([placeholders] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({key_list}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}",
                [value for key, n in chunk for value in (*key, n)],
            )


@transaction.atomic
def tally_rebuild(campaign):
    """Recompute a campaign's counters from its responses (after a restore or an import), into
    shard 0. On PostgreSQL the counter tables are locked until the rebuild commits: a
    submission meanwhile waits to count its response, so it is counted once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE surveys_unittally, surveys_questiontally, surveys_valuetally "
                "IN EXCLUSIVE MODE"
            )
    for model in (UnitTally, QuestionTally, ValueTally):
        model.objects.filter(campaign=campaign).delete()
    responses = Response.objects.filter(campaign=campaign).only("campaign", "unit", "answers")
    for chunk in batched(responses.order_by("pk").iterator(chunk_size=2000), 20_000):
        _add_counts(chunk)


# --- from a low result to a nonconformity -------------------------------------------------


def result_raise(*, actor, campaign, unit, area, index, n, kind, title, description):
    """Raise a nonconformity or improvement opportunity from a low index (idempotent per
    campaign, unit and area) through the nonconformities service."""
    from ims.access import has_role
    from nonconformities.services import nonconformity_raise
    from surveys.models import MANAGE_ROLES

    _require(has_role(actor, unit, MANAGE_ROLES))
    with transaction.atomic():
        lookup = {"campaign": campaign, "unit": unit, "area": area}
        action = ResultAction.objects.filter(**lookup).first()
        if action is None:
            try:
                with transaction.atomic():
                    action = ResultAction.objects.create(
                        **lookup, index=round(index, 1), n=n, raised_by=actor
                    )
            except IntegrityError:
                action = ResultAction.objects.get(**lookup)
        nc = nonconformity_raise(
            actor=actor,
            unit=unit,
            title=title,
            description=description,
            source="survey",
            kind=kind,
            source_object=action,
        )
        record_transition(
            campaign,
            actor=actor,
            action="raise_nc",
            from_state=campaign.status,
            to_state=campaign.status,
            reason=f"{nc} · {unit.code}" + (f" · {area.code}" if area else ""),
            unit=unit,
        )
    return nc


# --- free-text answers: a separate, recorded permission ----------------------------------------


@transaction.atomic
def free_text_grant(*, actor, campaign, person, reason):
    """Let ``person`` read ``campaign``'s free-text answers (comments, the raw export's text
    columns). Given by someone who manages the campaign, with a reason, never to oneself, only
    to someone who may read the campaign's results."""
    from surveys.models import FreeTextGrant

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require(campaign.can_manage(actor))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this permission.")})
    if person.pk == actor.pk:
        raise ValidationError(
            {"person": _("Nobody can give themselves this permission: ask another manager.")}
        )
    if not campaign.result_readers().people().filter(pk=person.pk).exists():
        raise ValidationError({"person": _("This person cannot read this campaign's results.")})
    if FreeTextGrant.objects.active().filter(campaign=campaign, person=person).exists():
        raise ValidationError({"person": _("This person already has this permission.")})
    grant = FreeTextGrant.objects.create(
        campaign=campaign, person=person, reason=reason, granted_by=actor
    )
    record_transition(
        campaign,
        actor=actor,
        action="free_text_grant",
        from_state=campaign.status,
        to_state=campaign.status,
        reason=f"{person.display_name}: {reason}",
    )
    return grant


@transaction.atomic
def free_text_revoke(*, actor, grant):
    """Withdraw a free-text permission; the grant stays on record, marked revoked."""
    from surveys.models import FreeTextGrant

    grant = (
        FreeTextGrant.objects.select_for_update(of=("self",))
        .select_related("campaign", "person")
        .get(pk=grant.pk)
    )
    _require(grant.campaign.can_manage(actor))
    if grant.revoked_at is not None:
        raise ValidationError(_("This permission was already withdrawn."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record_transition(
        grant.campaign,
        actor=actor,
        action="free_text_revoke",
        from_state=grant.campaign.status,
        to_state=grant.campaign.status,
        reason=grant.person.display_name,
    )
    return grant

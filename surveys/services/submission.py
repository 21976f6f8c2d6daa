"""Submission: storing one anonymous response and counting it.

This is the path every parent, learner and member of staff takes, at the peaks of a parents'
meeting, so it is written for few statements and short row locks, and for anonymity:

- **One transaction** stores the answering session's claim, uses the one-time code (if any),
  inserts the response and adds it to the counters. The counters therefore always equal the
  stored responses: no worker folds anything later, and a failure stores nothing.
- **The claim first.** A ``SubmissionClaim`` row keyed by the answering session is inserted
  before anything else: a second submission of the same session (a double tap, a replay, even
  concurrent) hits the unique key and stores nothing.
- **The code by a conditional UPDATE.** Of two submissions with one code exactly one stores a
  response. Every used code of the same campaign and unit is written again by the same
  transaction, so no code row's last write points at this response alone; nothing about the
  code, the person or the time (beyond the date) reaches the response.
- **Counters in shards.** Each counter key (campaign, unit, ...) is split into
  ``TALLY_SHARDS`` rows; a submission adds to one shard chosen at random, rows in key order
  (``INSERT ... ON CONFLICT DO UPDATE``), so concurrent submissions of one school seldom wait
  for the same row and never deadlock. Readers sum the shards.
- **A close in flight.** The response's foreign keys are checked at once and the campaign is
  read again, so a campaign closed meanwhile stores nothing (see ``response_submit``).

Keep the statements and their order: tests pin this path's query counts.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import batched
from typing import Any, Protocol, cast

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.answering import AnswerError, clean_response
from surveys.models import (
    TALLY_SHARDS,
    AnsweringDraft,
    Campaign,
    InstrumentVersion,
    OneTimeCode,
    QuestionTally,
    Response,
    SubmissionClaim,
    UnitTally,
    ValueTally,
)
from surveys.questions import version_rules


class CodeAlreadyUsed(Exception):
    """The one-time code was used by another submission."""


class CampaignNotOpen(Exception):
    """The campaign takes no answers today (not published, not yet open, closed)."""


class AlreadySubmitted(Exception):
    """The answering session's claim is taken: its response is stored already."""


class Countable(Protocol):
    """What the counters read of a response."""

    campaign_id: Any
    unit_id: Any
    answers: Any


def response_submit(
    *,
    unit_id: int,
    answers: Mapping[str, Sequence[str]],
    language: str,
    campaign_id: int | None = None,
    campaign: Campaign | None = None,
    rules: Sequence[Any] | None = None,
    one_time_code_id: int | None = None,
    claim: tuple[str, datetime.date] | None = None,
    today: datetime.date | None = None,
) -> Response:
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
            # its key-share lock on the campaign row is taken here (see above).
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


def _use_code(campaign: Campaign, unit_id: int, one_time_code_id: int) -> None:
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


def _add_counts(responses: Iterable[Countable], shard: int = 0) -> None:
    """Add ``responses`` (anything with ``campaign_id``, ``unit_id`` and ``answers``) to the
    three counters, in counter rows of ``shard``."""
    units: Counter[tuple[Any, ...]] = Counter()
    questions: Counter[tuple[Any, ...]] = Counter()
    values: Counter[tuple[Any, ...]] = Counter()
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


def _upsert_counts(
    model: type[models.Model],
    key_fields: Sequence[str],
    counts: Mapping[tuple[Any, ...], int],
    rows_per_statement: int = 200,
) -> None:
    """Add ``counts`` ({key tuple: n}) to counter rows keyed by ``key_fields``: ``INSERT ... ON
    CONFLICT DO UPDATE`` (SQLite and PostgreSQL), in key order, so that concurrent submissions
    lock the rows they share in one order (no deadlock)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(f)) for f in key_fields]
    columns = [field.column for field in fields] + ["count"]
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
def tally_rebuild(campaign: Campaign) -> None:
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


@transaction.atomic
def responses_import(campaign: Campaign, responses: Iterable[Response]) -> int:
    """Store responses made elsewhere (a restore, the demo's generated answers) in bulk and
    count them: the campaign's version is frozen and its counters rebuilt. Returns how many
    were stored. Not for respondents: their answers go through ``response_submit``."""
    stored = Response.objects.bulk_create(list(responses), batch_size=1000)
    InstrumentVersion.objects.filter(pk=campaign.version_id).update(has_responses=True)
    tally_rebuild(campaign)
    return len(stored)

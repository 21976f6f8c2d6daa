"""The raw export: one row per stored response, streamed, never held whole.

What leaves the system this way (the view adds who and when: ``Campaign.can_export_raw``, a
closed campaign):

- only the responses of units with at least ``SURVEY_MIN_GROUP_SIZE`` (5) of them; the file's
  first line says how many units and responses were left out;
- free-text answers only for someone the campaign's managers gave the recorded permission
  (``FreeTextGrant``); otherwise the text questions have no column;
- rows in the order of their random keys, with the unit's code, the date and the language:
  nothing that tells who answered, or when beyond the date.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from ims.exports import csv_cell
from ims.models import OrgUnit
from surveys.models import TEXT_KINDS, Question, Response
from surveys.results import min_group_size

# Responses read per round trip (a server-side cursor on PostgreSQL): memory stays flat.
RAW_CHUNK = 2000


@dataclass
class RawExport:
    preamble: list
    headers: list
    rows: Iterable


def raw_export(campaign, scope, *, free_text):
    """The raw rows of ``campaign`` over ``scope``'s subtree; ``rows`` is a generator that reads
    the responses in chunks as the file is written."""
    k = min_group_size()
    in_scope = Response.objects.filter(campaign=campaign, unit__path__startswith=scope.path)
    per_unit = in_scope.order_by().values("unit").annotate(n=Count("pk"))
    counts = {row["unit"]: row["n"] for row in per_unit}
    small = [n for n in counts.values() if n < k]
    units = dict(
        OrgUnit.objects.filter(pk__in=[u for u, n in counts.items() if n >= k]).values_list(
            "pk", "code"
        )
    )
    questions = list(
        Question.objects.filter(version=campaign.version).order_by("section__order", "order")
    )
    has_text = any(q.kind in TEXT_KINDS for q in questions)
    if not free_text:
        questions = [q for q in questions if q.kind not in TEXT_KINDS]
    index = {q.pk: i for i, q in enumerate(questions)}
    text_ids = {q.pk for q in questions if q.kind in TEXT_KINDS}

    preamble = [
        _(
            "Only units with at least %(k)d responses are included: %(units)d units "
            "(%(n)d responses) were left out."
        )
        % {"k": k, "units": len(small), "n": sum(small)}
    ]
    if has_text and not free_text:
        preamble.append(
            _("Free-text answers are not included: they need a separate, recorded permission.")
        )
    headers = [_("Unit"), _("Date"), _("Language")] + [q.code for q in questions]

    dates = {}  # a campaign spans a few weeks: each date is written out once

    def rows():
        kept = (
            in_scope.filter(unit__in=list(units))  # the units the first line counted
            .order_by("id")
            .values_list("unit_id", "submitted_on", "language", "answers")
        )
        for unit_id, submitted_on, language, answers in kept.iterator(chunk_size=RAW_CHUNK):
            cells = [""] * len(questions)
            for question_id, value, text in answers:
                i = index.get(question_id)
                if i is None:
                    continue
                value = text if question_id in text_ids else str(value)
                cells[i] = f"{cells[i]},{value}" if cells[i] else value
            if submitted_on not in dates:
                dates[submitted_on] = csv_cell(submitted_on)
            yield [units[unit_id], dates[submitted_on], language, *cells]

    return RawExport(preamble, headers, rows())

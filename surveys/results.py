"""Results of a campaign for a unit's subtree, computed from the counter tables only.

Per question: n, distribution, mean, index = (mean − 1) / 4 × 100 and top-2-box (Likert); the
Net Promoter Score for 0–10 questions. Roll-ups by area, by school of the chosen unit's subtree, by
campaign (overall) and across campaigns of the same instrument (trend).

Anonymity (no figure may single out a respondent):

- **Released figures below the Department.** The Department (a unit without a parent) reads the
  live counters. Every figure about a unit below it (its n, response rate, distribution,
  indices, its row on a wider page, the dashboard's cells) is the sum of the *released* figures
  (``ReleasedResult``) of the units of its subtree. A unit's released figures are copied from
  its own live counters only once they have grown by ``SURVEY_MIN_GROUP_SIZE`` (5) or more, or
  when the campaign is closed (then exactly): a page read before and after one response shows
  the same figures. Readers refresh them lazily (``releases``), no worker is involved.
- **One suppression decision per campaign**, over its whole unit tree, used by every page
  (results at any scope, exports, dashboard, task list, campaign page). At each unit: a child
  with 0 < n < 5 is hidden; while the hidden children plus the unit's own direct responses (what
  the unit's figure minus its visible children's would reveal) hold 1 to 4 responses, the next
  smallest child is hidden too; a hidden unit hides everything below it. A unit's own direct
  responses are a cell beside its children. While a campaign is open, released figures are 0
  or at least 5, so cells are hidden mostly once it closes, when every figure is exact. Figures pooled over campaigns (trend, groups,
  dashboard) are hidden when one of their parts is, or when they hold fewer than 5 responses.
- **The same decision per question**, over each unit's released respondents to it (a root's
  own respondents are its live view and are not weighed). A figure pooling questions (an area,
  the overall index, a unit's row, the dashboard's cells, trend and groups) is shown at a scope
  only where every question it pools is shown there (or unanswered): it is then a sum of
  per-question figures that the decision protects, so no difference of shown figures
  isolates a hidden question's answers.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.models import OrgUnit
from ims.models.org import ancestor_paths
from surveys.models import (
    LIKERT_LABELS,
    TEXT_KINDS,
    Campaign,
    QuestionKind,
    QuestionTally,
    ReleasedResult,
    Response,
    UnitTally,
    ValueTally,
)
from surveys.questions import frozen_questions, version_questions


def min_group_size():
    return getattr(settings, "SURVEY_MIN_GROUP_SIZE", 5)


def nc_threshold():
    """An index below this offers "raise a nonconformity / improvement opportunity"."""
    return getattr(settings, "SURVEY_NC_INDEX_THRESHOLD", 60)


def likert_index(mean):
    return None if mean is None else (mean - 1) / 4 * 100


# --- released figures and the suppression decision ---------------------------------------------

OWN = "="  # appended to a unit's path: the cell of its own direct responses, beside its children


def is_root(path):
    return path.count("/") == 1


def _parent_path(path):
    return path[: path.rstrip("/").rfind("/") + 1]


def cell_key(path, release):
    """The key of the cell of a unit's own responses: ``path + OWN`` at a root or when units
    below it have responses too, else its path."""
    return path + OWN if path + OWN in release.totals else path


@dataclass
class Release:
    """The figures of one campaign that pages show, and which of them are hidden.

    ``own`` maps a unit's path to its own responses (live at a root, released below);
    ``totals`` maps a unit's path to its subtree's responses (live for a root, the sum of the
    released figures below it otherwise) and ``path + OWN`` to the unit's own responses when
    units below it have some; ``hidden`` holds the keys hidden by the decision."""

    campaign_id: int
    k: int
    own: dict
    totals: dict
    hidden: set
    questions: dict = field(default_factory=dict)  # question id -> (totals, hidden) likewise
    version: tuple = ()  # its version's (id, creation time) once it has responses
    likert: dict = field(default_factory=dict)  # released unit path -> [(value, answers)]

    def n(self, key):
        return self.totals.get(key, 0)

    def is_hidden(self, key):
        """Whether the figure at ``key`` may not be shown: fewer than k responses, hidden to
        protect another cell, or below a hidden unit."""
        if self.n(key) < self.k or key in self.hidden:
            return True
        return _below(key, self.hidden)

    def question_hidden(self, question_id, key):
        """Whether the question's figures at ``key`` may not be shown: 1 to k − 1
        respondents, hidden to protect another cell, or below a unit hidden for it."""
        totals, hidden = self.questions.get(question_id, ({}, set()))
        return 0 < totals.get(key, 0) < self.k or key in hidden or _below(key, hidden)

    def any_hidden(self, question_ids, key):
        """Whether a figure pooling ``question_ids`` at ``key`` may not be shown."""
        return any(self.question_hidden(q, key) for q in question_ids)

    def pooled_hidden(self, key):
        """Whether the index pooling every Likert question at ``key`` may not be shown."""
        if self.is_hidden(key):
            return True
        likert = frozen_questions(*self.version) if self.version else ()
        return self.any_hidden([q.pk for q in likert if q.kind == QuestionKind.LIKERT], key)


def _below(key, hidden):
    path = key[: -len(OWN)] if key.endswith(OWN) else key
    return any(a in hidden for a in ancestor_paths(path))


def decide(own, root_totals, k):
    """(totals, hidden) from the own responses per unit path (see ``Release``).

    A root's figure is live, its children's released: the live responses not released yet
    are the Department's live figure minus its children's, as its live figure read before
    and after them would show. That is the Department's (accepted) live view, so the rule
    weighs only released cells, and stays put while those responses come in."""
    totals = defaultdict(int)
    for path, n in own.items():
        if n:
            for ancestor in ancestor_paths(path):
                totals[ancestor] += n
    children = defaultdict(list)
    for path in list(totals):
        if not is_root(path):
            children[_parent_path(path)].append(path)
    for path, n in own.items():
        # A unit's own responses are a cell beside its children.
        if n and (path in children or is_root(path)):
            totals[path + OWN] = n
            children[path].append(path + OWN)
    hidden = set()
    for path, kids in children.items():
        small = {c for c in kids if totals[c] < k}
        shown = sorted((totals[c], c) for c in kids if c not in small)
        # What the unit's figure minus its visible children's reveals.
        rest = totals[path] - sum(n for n, _c in shown)
        while 0 < rest < k and shown:
            n, c = shown.pop(0)
            small.add(c)
            rest += n
        hidden |= small
    totals.update(root_totals)
    hidden |= {path for path in root_totals if 0 < root_totals[path] < k}
    return dict(totals), hidden


def _closed(status, closes_on, today):
    """Whether a campaign's figures are final (as ``Campaign.phase`` says "closed")."""
    return status == Campaign.Status.CLOSED or closes_on < today


def _due(live, released, closed, k):
    return live >= released + k or live < released or (closed and live != released)


def releases(campaigns):
    """``{campaign id: Release}`` for ``campaigns``, after refreshing the released figures that
    are due: two queries, and a short transaction when some are due."""
    campaigns = list(campaigns)
    if not campaigns:
        return {}
    ids = [c.pk for c in campaigns]
    k = min_group_size()
    today = timezone.localdate()
    closed = {c.pk: _closed(c.status, c.closes_on, today) for c in campaigns}
    live = defaultdict(dict)  # campaign -> unit path -> (unit id, n)
    versions = {}  # campaign -> its version (frozen: it has responses), as (id, created at)
    version = ("campaign__version", "campaign__version__created_at")
    for campaign_id, unit_id, path, status, closes_on, *version_key, n in (
        UnitTally.objects.filter(campaign__in=ids)
        .values(
            "campaign", "unit", "unit__path", "campaign__status", "campaign__closes_on", *version
        )
        .annotate(n=Sum("count"))
        .values_list(
            "campaign",
            "unit",
            "unit__path",
            "campaign__status",
            "campaign__closes_on",
            *version,
            "n",
        )
    ):
        live[campaign_id][path] = (unit_id, n)
        versions[campaign_id] = version_key
        # As stored now (the caller's copy may be older than a close).
        closed[campaign_id] = _closed(status, closes_on, today)
    released = defaultdict(dict)
    respondents = defaultdict(lambda: defaultdict(dict))  # campaign -> question -> path -> n
    likert = defaultdict(dict)  # campaign -> path -> Likert answers per value
    for campaign_id, unit_id, path, n, by_question, by_value in ReleasedResult.objects.filter(
        campaign__in=ids
    ).values_list("campaign", "unit", "unit__path", "n", "counts__q", "counts__l"):
        released[campaign_id][path] = (unit_id, n)
        likert[campaign_id][path] = by_value or []
        for question, count in by_question or ():
            respondents[campaign_id][question][path] = count
    due = defaultdict(dict)
    for campaign_id in ids:
        for path in live[campaign_id].keys() | released[campaign_id].keys():
            unit_id, now = live[campaign_id].get(path, (None, 0))
            unit_id, then = released[campaign_id].get(path, (unit_id, 0))
            if not is_root(path) and _due(now, then, closed[campaign_id], k):
                due[campaign_id][unit_id] = path
    if due:
        for (campaign_id, unit_id), (n, by_question, by_value) in _refresh(due, k, today).items():
            path = due[campaign_id][unit_id]
            released[campaign_id][path] = (unit_id, n)
            likert[campaign_id][path] = by_value
            for by_path in respondents[campaign_id].values():
                by_path.pop(path, None)
            for question, count in by_question:
                respondents[campaign_id][question][path] = count
    result = {}
    for campaign_id in ids:
        own = {p: n for p, (_u, n) in released[campaign_id].items() if not is_root(p)}
        root_totals = defaultdict(int)
        for path, (_u, n) in live[campaign_id].items():
            if is_root(path):
                own[path] = n
            root_totals[ancestor_paths(path)[0]] += n
        totals, hidden = decide(own, root_totals, k)
        # The same decision per question, over its respondents per unit (released figures;
        # a root's own respondents are its live view and are not weighed).
        questions = {
            question: decide(by_path, {}, k)
            for question, by_path in respondents[campaign_id].items()
        }
        version = tuple(versions.get(campaign_id, ()))
        result[campaign_id] = Release(
            campaign_id, k, own, totals, hidden, questions, version, likert[campaign_id]
        )
    return result


def _refresh(due, k, today):
    """Copy the live counters of the ``due`` units ({campaign id: {unit id: path}}) that are
    still due into their released figures; returns {(campaign id, unit id): (n, [[question,
    respondents]], [(Likert value, answers)])} written.

    The campaigns are locked (FOR NO KEY UPDATE, which submissions do not wait for) so that two
    readers refreshing at once cannot write an older copy over a newer one."""
    units = {unit_id for by_unit in due.values() for unit_id in by_unit}
    with transaction.atomic():
        closed = {
            row.pk: _closed(row.status, row.closes_on, today)
            for row in Campaign.objects.select_for_update(no_key=True)
            .filter(pk__in=list(due))
            .order_by("pk")
            .only("pk", "status", "closes_on")
        }
        in_due = {"campaign__in": list(due), "unit__in": units}
        live = {
            (c, u): n
            for c, u, n in UnitTally.objects.filter(**in_due)
            .values("campaign", "unit")
            .annotate(n=Sum("count"))
            .values_list("campaign", "unit", "n")
        }
        before = {
            (c, u): n
            for c, u, n in ReleasedResult.objects.filter(**in_due).values_list(
                "campaign", "unit", "n"
            )
        }
        pairs = {
            (c, u)
            for c, by_unit in due.items()
            for u in by_unit
            if _due(live.get((c, u), 0), before.get((c, u), 0), closed.get(c, False), k)
        }
        if not pairs:
            return {}
        counts = {pair: {"q": [], "v": [], "l": defaultdict(int)} for pair in pairs}
        for c, u, question, n in (
            QuestionTally.objects.filter(**in_due)
            .values("campaign", "unit", "question")
            .annotate(n=Sum("count"))
            .values_list("campaign", "unit", "question", "n")
        ):
            if (c, u) in counts:
                counts[(c, u)]["q"].append([question, n])
        for c, u, question, kind, value, n in (
            ValueTally.objects.filter(**in_due)
            .values("campaign", "unit", "question", "question__kind", "value")
            .annotate(n=Sum("count"))
            .values_list("campaign", "unit", "question", "question__kind", "value", "n")
        ):
            if (c, u) in counts:
                counts[(c, u)]["v"].append([question, value, n])
                if kind == QuestionKind.LIKERT:
                    counts[(c, u)]["l"][value] += n
        for data in counts.values():
            data["l"] = sorted(data["l"].items())
        ReleasedResult.objects.bulk_create(
            [
                ReleasedResult(campaign_id=c, unit_id=u, n=live.get((c, u), 0), counts=counts[c, u])
                for c, u in sorted(pairs)
            ],
            update_conflicts=True,
            unique_fields=["campaign", "unit"],
            update_fields=["n", "counts"],
        )
    return {pair: (live.get(pair, 0), counts[pair]["q"], counts[pair]["l"]) for pair in pairs}


class Counts:
    """Respondents per question and answers per question and value, summed."""

    def __init__(self):
        self.respondents = defaultdict(int)
        self.values = defaultdict(lambda: defaultdict(int))

    def add(self, stored):
        for question, n in stored.get("q", ()):
            self.respondents[question] += n
        for question, value, n in stored.get("v", ()):
            self.values[question][value] += n


def released_counts(campaign_ids, scope):
    """{campaign id: {unit path: the released counts}} of the units of ``scope``'s subtree."""
    found = defaultdict(dict)
    for campaign_id, path, value in ReleasedResult.objects.filter(
        campaign__in=campaign_ids, unit__path__startswith=scope.path
    ).values_list("campaign", "unit__path", "counts"):
        found[campaign_id][path] = value
    return found


def _live_counts(campaign, scope):
    counts = Counts()
    for question, n in (
        _scoped(QuestionTally, campaign, scope)
        .values("question")
        .annotate(n=Sum("count"))
        .values_list("question", "n")
    ):
        counts.respondents[question] = n
    for question, value, n in (
        _scoped(ValueTally, campaign, scope)
        .values("question", "value")
        .annotate(n=Sum("count"))
        .values_list("question", "value", "n")
    ):
        counts.values[question][value] = n
    return counts


@dataclass
class Summary:
    """A campaign's figures over a scope: n, pooled Likert answers [(value, n)], hidden."""

    n: int
    likert: list
    hidden: bool


def scope_summaries(campaigns, scope, found=None):
    """{campaign id: Summary} over ``scope`` (live at a root, released below); ``found`` is
    ``releases(campaigns)`` when the caller holds it."""
    campaigns = list(campaigns)
    found = releases(campaigns) if found is None else found
    ids = [c.pk for c in campaigns]
    k = min_group_size()
    likert = defaultdict(lambda: defaultdict(int))
    # The pooled index is hidden where one of its questions is (see the module docstring).
    hidden = {c: found[c].pooled_hidden(scope.path) for c in ids}
    if is_root(scope.path):
        respondents = defaultdict(int)
        for campaign_id, question, value, n in (
            ValueTally.objects.filter(
                campaign__in=ids,
                unit__path__startswith=scope.path,
                question__kind=QuestionKind.LIKERT,
            )
            .values("campaign", "question", "value")
            .annotate(n=Sum("count"))
            .values_list("campaign", "question", "value", "n")
        ):
            likert[campaign_id][value] += n
            respondents[campaign_id, question] += n  # one answer per respondent
        for (campaign_id, _question), n in respondents.items():
            hidden[campaign_id] |= n < k
    else:
        for campaign_id in ids:
            for path, pairs in found[campaign_id].likert.items():
                if path.startswith(scope.path):
                    for value, n in pairs:
                        likert[campaign_id][value] += n
    return {c: Summary(found[c].n(scope.path), sorted(likert[c].items()), hidden[c]) for c in ids}


@dataclass
class Stats:
    n: int = 0
    distribution: list = field(default_factory=list)  # (value, label, count, percent)
    mean: float | None = None
    index: float | None = None
    top2: float | None = None
    nps: float | None = None
    hidden: bool = False


def _stats(question, counts, respondents, k):
    stats = Stats(n=respondents)
    if respondents < k:
        stats.hidden = True
        return stats
    if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        return stats
    if question.kind == QuestionKind.LIKERT:
        labels = {v: str(label) for v, label in LIKERT_LABELS.items()}
        values = range(1, 6)
    elif question.kind == QuestionKind.NPS:
        labels, values = {}, range(0, 11)
    elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        labels = {c.value: c.text for c in question.choices.all()}
        values = sorted(labels)
    else:
        labels, values = {}, sorted(counts)
    total_answers = sum(counts.values())
    stats.distribution = [
        (
            v,
            labels.get(v, str(v)),
            counts.get(v, 0),
            counts.get(v, 0) * 100 / respondents if respondents else 0,
        )
        for v in values
    ]
    numeric = (QuestionKind.LIKERT, QuestionKind.NPS, QuestionKind.NUMBER)
    if question.kind in numeric and total_answers:
        stats.mean = sum(v * c for v, c in counts.items()) / total_answers
    if question.kind == QuestionKind.LIKERT and total_answers:
        stats.index = likert_index(stats.mean)
        stats.top2 = (counts.get(4, 0) + counts.get(5, 0)) * 100 / total_answers
    if question.kind == QuestionKind.NPS and total_answers:
        promoters = counts.get(9, 0) + counts.get(10, 0)
        detractors = sum(counts.get(v, 0) for v in range(0, 7))
        stats.nps = (promoters - detractors) * 100 / total_answers
    return stats


def pooled_index(rows):
    """Index of pooled Likert answers ``rows`` = [(value, count)], or None."""
    total = sum(c for _v, c in rows)
    if not total:
        return None
    return likert_index(sum(v * c for v, c in rows) / total)


@dataclass
class Row:
    label: str
    n: int
    index: float | None
    unit: object = None
    area: object = None
    hidden: bool = False
    index_hidden: bool = False  # the index only (the unit's n shown)


@dataclass
class Results:
    campaign: Campaign
    scope: OrgUnit
    n: int
    k: int
    index: float | None
    hidden: bool
    questions: list  # (section, [(question, Stats)])
    areas: list  # [Row]
    units: list  # [Row]
    threshold: float
    index_hidden: bool = False  # the overall index only: it pools a hidden question

    @property
    def low_areas(self):
        return [
            r
            for r in self.areas
            if not r.hidden and r.index is not None and r.index < self.threshold
        ]

    @property
    def is_low(self):
        return not self.hidden and self.index is not None and self.index < self.threshold


def _scoped(model, campaign, scope):
    return model.objects.filter(campaign=campaign, unit__path__startswith=scope.path)


def campaign_results(campaign, scope, found=None):
    """The results of ``campaign`` over ``scope`` (a unit and its subtree); ``found`` is
    ``releases(...)`` of a list holding ``campaign`` when the caller holds it."""
    k = min_group_size()
    questions = version_questions(campaign.version)
    likert = [q for q in questions if q.kind == QuestionKind.LIKERT]
    release = (found or releases([campaign]))[campaign.pk]
    released = released_counts([campaign.pk], scope)[campaign.pk]
    if is_root(scope.path):
        counts = _live_counts(campaign, scope)
    else:
        counts = Counts()
        for stored in released.values():
            counts.add(stored)
    n = release.n(scope.path)
    hidden = release.is_hidden(scope.path)
    units = unit_breakdown(campaign, scope, release, released, [q.pk for q in likert])
    respondents, values = counts.respondents, counts.values
    sections = []
    for question in questions:
        stats = _stats(question, values[question.pk], respondents.get(question.pk, 0), k)
        if hidden or release.question_hidden(question.pk, scope.path):
            stats.hidden = True
        if not sections or sections[-1][0] != question.section:
            sections.append((question.section, []))
        sections[-1][1].append((question, stats))

    # A figure pooling questions is shown only where each of them is (see the docstring).
    shown = {q.pk for _s, items in sections for q, stats in items if not stats.hidden}
    overall = [(v, c) for q in likert for v, c in values[q.pk].items()]
    overall_hidden = hidden or any(q.pk not in shown and respondents.get(q.pk, 0) for q in likert)
    areas = {q.area.pk: q.area for q in likert}
    area_rows = []
    for area in sorted(areas.values(), key=lambda a: (a.order, a.code)):
        in_area = [q for q in likert if q.area_id == area.pk]
        rows = [(v, c) for q in in_area for v, c in values[q.pk].items()]
        area_n = max((respondents.get(q.pk, 0) for q in in_area), default=0)
        area_hidden = (
            hidden
            or area_n < k
            or any(q.pk not in shown and respondents.get(q.pk, 0) for q in in_area)
        )
        area_rows.append(
            Row(
                area.label,
                area_n,
                None if area_hidden else pooled_index(rows),
                area=area,
                hidden=area_hidden,
            )
        )
    return Results(
        campaign=campaign,
        scope=scope,
        n=n,
        k=k,
        index=None if overall_hidden else pooled_index(overall),
        index_hidden=overall_hidden,
        hidden=hidden,
        questions=sections,
        areas=area_rows,
        units=units,
        threshold=nc_threshold(),
    )


def unit_breakdown(campaign, scope, release, released, likert_ids):
    """One row per school of ``scope``'s subtree that has answers (a school counts the units
    below it, if any), hidden as ``release`` decided; its index (pooled over ``likert_ids``)
    also where one of those questions is hidden.

    A commune or ward is not a row of its own: its schools are. Answers recorded at a unit
    that is neither a school nor inside one (a division's staff, say) give that unit its own
    row (the cell of its own responses). ``released`` holds the released counters of the units
    of the subtree; a root's own responses are read live."""
    own = {p: release.own.get(p, 0) for p in released}
    if is_root(scope.path):
        own[scope.path] = release.own.get(scope.path, 0)
    own = {p: n for p, n in own.items() if n}
    within = {a for path in own for a in ancestor_paths(path) if a.startswith(scope.path)}
    units = {u.path: u for u in OrgUnit.objects.filter(path__in=within).select_related("kind")}

    def school_of(path):
        # The school at or above ``path`` nearest to the scope (a school's own sub-units
        # count for it); else the unit itself.
        for ancestor in ancestor_paths(path):
            unit = units.get(ancestor)
            if unit is not None and unit.kind.is_school:
                return unit
        return units[path]

    cells = {}
    for path in own:
        unit = school_of(path)
        key = unit.path if unit.kind.is_school else cell_key(path, release)
        cell = cells.setdefault(key, (unit, defaultdict(int)))[1]
        if path in released:
            for value, count in released[path].get("l", ()):
                cell[value] += count
        else:  # a root's own responses
            for value, count in (
                ValueTally.objects.filter(
                    campaign=campaign, unit=unit, question__kind=QuestionKind.LIKERT
                )
                .values("value")
                .annotate(n=Sum("count"))
                .values_list("value", "n")
            ):
                cell[value] += count
    rows = []
    for key, (unit, values) in sorted(cells.items(), key=lambda i: (i[1][0].name, i[1][0].pk)):
        hidden = release.is_hidden(key)
        index_hidden = hidden or release.any_hidden(likert_ids, key)
        rows.append(
            Row(
                unit.label,
                release.n(key),
                None if index_hidden else pooled_index(list(values.items())),
                unit=unit,
                hidden=hidden,
                index_hidden=index_hidden,
            )
        )
    return rows


def _campaigns_of(campaign, user):
    campaigns = Campaign.objects.filter(version__instrument=campaign.version.instrument_id)
    if user is not None:
        campaigns = campaigns.for_user(user)
    return list(campaigns.exclude(status=Campaign.Status.DRAFT).order_by("opens_on", "pk"))


def results_with_trend(campaign, scope, user=None):
    """``(campaign_results, trend)`` of one page, the released figures read once for both."""
    campaigns = _campaigns_of(campaign, user)
    found = releases({c.pk: c for c in [*campaigns, campaign]}.values())
    return campaign_results(campaign, scope, found), trend(campaign, scope, user, campaigns, found)


def trend(campaign, scope, user=None, campaigns=None, found=None):
    """Index and n of each campaign of the same instrument over ``scope``, oldest first
    (``campaigns`` and their ``found`` releases when the caller holds them)."""
    if campaigns is None:
        campaigns = _campaigns_of(campaign, user)
    summaries = scope_summaries(campaigns, scope, found)
    rows = []
    for c in campaigns:
        summary = summaries[c.pk]
        rows.append(
            Row(
                c.title,
                summary.n,
                None if summary.hidden else pooled_index(summary.likert),
                hidden=summary.hidden,
            )
        )
        rows[-1].campaign = c
    return rows


def group_summary(campaigns, scope):
    """Index and n per respondent group, pooled over ``campaigns``, within ``scope``: hidden
    when the campaign of one of its parts hides the scope, or with fewer than k answers."""
    from surveys.models import RespondentGroup

    k = min_group_size()
    groups = defaultdict(lambda: {"n": 0, "values": defaultdict(int), "hidden": False})
    summaries = scope_summaries(campaigns, scope)
    for c in campaigns:
        summary = summaries[c.pk]
        if not summary.n:
            continue
        group = groups[c.group]
        group["n"] += summary.n
        group["hidden"] |= summary.hidden
        for value, n in summary.likert:
            group["values"][value] += n
    return [
        Row(
            str(RespondentGroup(g).label),
            data["n"],
            None if data["hidden"] or data["n"] < k else pooled_index(list(data["values"].items())),
            hidden=data["hidden"] or data["n"] < k,
        )
        for g, data in sorted(groups.items())
    ]


EMPTY = _("Hidden: fewer than %(k)d answers")


def _allowed(campaign, user, allowed):
    if allowed is not None:
        return allowed
    return campaign.result_units(user) if user is not None else OrgUnit.objects.all()


def default_scope(campaign, user, allowed=None):
    """The widest unit of ``campaign`` whose results ``user`` may read, or None. ``allowed``
    is ``campaign.result_units(user)`` when the caller already holds it."""
    from ims.models import Membership
    from surveys.models import RESULT_ROLES

    allowed = _allowed(campaign, user, allowed)
    if allowed.filter(pk=campaign.owner_unit_id).exists():
        return campaign.owner_unit
    targets = OrgUnit.objects.filter(pk__in=campaign.targets.values("unit"))
    target = allowed.filter(pk__in=targets.values("pk")).order_by("path").first()
    if target is not None:
        return target
    target_paths = list(targets.values_list("path", flat=True))
    own = (
        Membership.objects.active()
        .filter(user=user, role__in=list(RESULT_ROLES))
        .select_related("unit")
        .order_by("unit__path")
    )
    for membership in own:
        if any(membership.unit.path.startswith(p) for p in target_paths):
            return membership.unit
    return None


def scope_for(campaign, user, unit_id, allowed=None):
    """The unit ``unit_id`` if ``user`` may read its results, else None (the view 404s)."""
    allowed = _allowed(campaign, user, allowed)
    if not unit_id:
        return default_scope(campaign, user, allowed)
    try:
        return allowed.get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        return None


COMMENT_SAMPLE = 200  # responses read for the comments of one page, whatever the scope's size


def comments(campaign, scope, n, k=None):
    """The free-text answers over ``scope``, by question: readable once the scope holds ``k``
    (5) or more responses, else None. At most ``COMMENT_SAMPLE`` responses are read, in no
    particular order (the raw export has them all); returns (question, [text], sampled)."""
    k = k or min_group_size()
    if n < k:
        return None
    questions = {q.pk: q for q in version_questions(campaign.version) if q.kind in TEXT_KINDS}
    if not questions:
        return []
    texts = defaultdict(list)
    read = 0
    for answers in Response.objects.filter(
        campaign=campaign, unit__path__startswith=scope.path
    ).values_list("answers", flat=True)[:COMMENT_SAMPLE]:
        read += 1
        for question_id, _value, text in answers:
            if question_id in questions and text and text.strip():
                texts[question_id].append(text.strip())
    sampled = read == COMMENT_SAMPLE and n > COMMENT_SAMPLE
    return [(questions[pk], texts[pk], sampled) for pk in questions if texts[pk]]

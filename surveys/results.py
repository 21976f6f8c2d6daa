"""Results of a campaign for a unit's subtree, computed from the counter tables only.

Per question: n, distribution, mean, index = (mean − 1) / 4 × 100 and top-2-box (Likert); the
Net Promoter Score for 0–10 questions. Roll-ups by area, by school of the chosen unit's subtree, by
campaign (overall) and across campaigns of the same instrument (trend).

Small groups are protected: any aggregate over fewer than ``SURVEY_MIN_GROUP_SIZE`` (5)
respondents is hidden, and so are enough further cells of a breakdown that "total minus the
shown cells" cannot reveal a hidden one.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ims.models import OrgUnit
from ims.models.org import ancestor_paths
from surveys.models import (
    LIKERT_LABELS,
    TEXT_KINDS,
    Campaign,
    QuestionKind,
    QuestionTally,
    Response,
    UnitTally,
    ValueTally,
)
from surveys.questions import version_questions


def min_group_size():
    return getattr(settings, "SURVEY_MIN_GROUP_SIZE", 5)


def nc_threshold():
    """An index below this offers "raise a nonconformity / improvement opportunity"."""
    return getattr(settings, "SURVEY_NC_INDEX_THRESHOLD", 60)


def suppress(counts, total=None, k=None):
    """Indices of ``counts`` (a breakdown's n per cell) that must be hidden.

    Primary: every cell with 0 < n < k. Complementary: while the hidden cells together hold
    fewer than k respondents (so ``total`` minus the shown cells would reveal them), hide the
    smallest shown cell too. With ``total`` below k everything is hidden.
    """
    k = k or min_group_size()
    total = sum(counts) if total is None else total
    if total < k:
        return {i for i, n in enumerate(counts)}
    hidden = {i for i, n in enumerate(counts) if 0 < n < k}
    # Respondents outside the listed cells are also unknown to the reader.
    outside = total - sum(counts)
    while hidden and 0 < sum(counts[i] for i in hidden) + outside < k:
        shown = sorted((n, i) for i, n in enumerate(counts) if i not in hidden and n > 0)
        if not shown:
            break
        hidden.add(shown[0][1])
    return hidden


def likert_index(mean):
    return None if mean is None else (mean - 1) / 4 * 100


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


def _likert_index(rows):
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


def campaign_results(campaign, scope):
    """The results of ``campaign`` over ``scope`` (a unit and its subtree)."""
    k = min_group_size()
    questions = version_questions(campaign.version)
    likert = [q for q in questions if q.kind == QuestionKind.LIKERT]
    units, n = unit_breakdown(campaign, scope, likert, k)
    hidden = n < k
    respondents = dict(
        _scoped(QuestionTally, campaign, scope)
        .values("question")
        .annotate(n=Sum("count"))
        .values_list("question", "n")
    )
    counts = defaultdict(dict)
    for question_id, value, count in (
        _scoped(ValueTally, campaign, scope)
        .values("question", "value")
        .annotate(n=Sum("count"))
        .values_list("question", "value", "n")
    ):
        counts[question_id][value] = count
    sections = []
    for question in questions:
        stats = _stats(question, counts[question.pk], respondents.get(question.pk, 0), k)
        if hidden:
            stats.hidden = True
        if not sections or sections[-1][0] != question.section:
            sections.append((question.section, []))
        sections[-1][1].append((question, stats))

    overall = [(v, c) for q in likert for v, c in counts[q.pk].items()]
    areas = {q.area.pk: q.area for q in likert}
    area_rows = []
    for area in sorted(areas.values(), key=lambda a: (a.order, a.code)):
        rows = [(v, c) for q in likert if q.area_id == area.pk for v, c in counts[q.pk].items()]
        area_n = max((respondents.get(q.pk, 0) for q in likert if q.area_id == area.pk), default=0)
        area_rows.append(
            Row(area.label, area_n, _likert_index(rows), area=area, hidden=hidden or area_n < k)
        )
    return Results(
        campaign=campaign,
        scope=scope,
        n=n,
        k=k,
        index=None if hidden else _likert_index(overall),
        hidden=hidden,
        questions=sections,
        areas=area_rows,
        units=units,
        threshold=nc_threshold(),
    )


def unit_breakdown(campaign, scope, likert, k):
    """One row per school of ``scope``'s subtree that has answers (a school counts the units
    below it, if any), with suppression; returns ``(rows, respondents over the whole scope)``.

    A commune or ward is not a row of its own: its schools are. Answers recorded at a unit
    that is neither a school nor inside one (a division's staff, say) give that unit its own
    row. Counters are summed in SQL per unit (one row per unit that has answers, a few hundred
    at province scale), then placed under their school with one query for the units.
    """
    by_path = defaultdict(lambda: {"n": 0, "values": defaultdict(int)})
    for path, count in (
        _scoped(UnitTally, campaign, scope)
        .values("unit__path")
        .annotate(n=Sum("count"))
        .values_list("unit__path", "n")
    ):
        by_path[path]["n"] += count
    if likert:
        for path, value, count in (
            _scoped(ValueTally, campaign, scope)
            .filter(question__in=[q.pk for q in likert])
            .values("unit__path", "value")
            .annotate(n=Sum("count"))
            .values_list("unit__path", "value", "n")
        ):
            by_path[path]["values"][value] += count
    total = sum(data["n"] for data in by_path.values())
    within = {a for path in by_path for a in ancestor_paths(path) if a.startswith(scope.path)}
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
    for path, data in by_path.items():
        if not data["n"]:
            continue
        unit = school_of(path)
        cell = cells.setdefault(unit.pk, (unit, {"n": 0, "values": defaultdict(int)}))[1]
        cell["n"] += data["n"]
        for value, count in data["values"].items():
            cell["values"][value] += count
    ordered = sorted(cells.values(), key=lambda item: (item[0].name, item[0].pk))
    hidden = suppress([data["n"] for _u, data in ordered], total=total, k=k)
    rows = [
        Row(
            unit.label,
            data["n"],
            None if i in hidden else _likert_index(list(data["values"].items())),
            unit=unit,
            hidden=i in hidden,
        )
        for i, (unit, data) in enumerate(ordered)
    ]
    return rows, total


def trend(campaign, scope, user=None):
    """Index and n of each campaign of the same instrument over ``scope``, oldest first."""
    k = min_group_size()
    campaigns = Campaign.objects.filter(version__instrument=campaign.version.instrument_id)
    if user is not None:
        campaigns = campaigns.for_user(user)
    campaigns = list(campaigns.exclude(status=Campaign.Status.DRAFT).order_by("opens_on", "pk"))
    totals = dict(
        UnitTally.objects.filter(campaign__in=campaigns, unit__path__startswith=scope.path)
        .values("campaign")
        .annotate(n=Sum("count"))
        .values_list("campaign", "n")
    )
    values = defaultdict(list)
    for campaign_id, value, count in (
        ValueTally.objects.filter(
            campaign__in=campaigns,
            unit__path__startswith=scope.path,
            question__kind=QuestionKind.LIKERT,
        )
        .values("campaign", "value")
        .annotate(n=Sum("count"))
        .values_list("campaign", "value", "n")
    ):
        values[campaign_id].append((value, count))
    rows = []
    for c in campaigns:
        n = totals.get(c.pk, 0)
        rows.append(
            Row(
                c.title,
                n,
                None if n < k else _likert_index(values[c.pk]),
                hidden=n < k,
            )
        )
        rows[-1].campaign = c
    return rows


def group_summary(campaigns, scope):
    """Index and n per respondent group, pooled over ``campaigns``, within ``scope``."""
    k = min_group_size()
    groups = defaultdict(lambda: {"n": 0, "values": defaultdict(int)})
    group_of = {c.pk: c.group for c in campaigns}
    for campaign_id, n in (
        UnitTally.objects.filter(campaign__in=campaigns, unit__path__startswith=scope.path)
        .values("campaign")
        .annotate(n=Sum("count"))
        .values_list("campaign", "n")
    ):
        groups[group_of[campaign_id]]["n"] += n
    for campaign_id, value, count in (
        ValueTally.objects.filter(
            campaign__in=campaigns,
            unit__path__startswith=scope.path,
            question__kind=QuestionKind.LIKERT,
        )
        .values("campaign", "value")
        .annotate(n=Sum("count"))
        .values_list("campaign", "value", "n")
    ):
        groups[group_of[campaign_id]]["values"][value] += count
    from surveys.models import RespondentGroup

    return [
        Row(
            str(RespondentGroup(g).label),
            data["n"],
            None if data["n"] < k else _likert_index(list(data["values"].items())),
            hidden=data["n"] < k,
        )
        for g, data in sorted(groups.items())
        if data["n"]
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

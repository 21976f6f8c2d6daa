"""The dashboard's numbers, computed in SQL.

Each domain is read with one grouped query (``GROUP BY`` unit or child unit, with conditional
``COUNT ... FILTER``); Python only adds up those aggregated rows (one per unit, never one per
record) into the scope's totals, its child units and the units needing attention. The number of
queries is fixed, whatever the amount of data.

A unit's subtree is a prefix of the materialised path, so "the child unit a row belongs to" is
the first ``len(scope.path) + 9`` characters of the row's unit path.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import get_language

from audits.models import Audit, Finding
from dashboard import caching
from documents.coverage import subtree_totals as coverage_totals
from documents.models import REVIEW_DUE_DAYS, Document, Revision, RevisionStatus
from ims.access import MANAGER_ROLES, roles_for
from ims.models import OrgUnit
from ims.models.i18n import localized
from ims.models.org import PATH_SEGMENT_WIDTH
from ims.schoolyear import SchoolYear
from nonconformities.models import AGE_BUCKETS, CorrectiveAction, Nonconformity
from surveys.models import (
    Campaign,
    CampaignUnit,
    Question,
    QuestionKind,
    QuestionTally,
    ReleasedResult,
    RespondentGroup,
    UnitTally,
    ValueTally,
    title_with_year,
)
from surveys.results import OWN, is_root, likert_index, min_group_size, released_counts, releases

SEGMENT = PATH_SEGMENT_WIDTH + 1
TREND_YEARS = 5
TOP_UNITS = 5
AUDIT_DONE = (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED)
AUDIT_RECORDING = (Audit.Status.IN_PROGRESS, Audit.Status.REPORTING)
REGISTER_FIELDS = ("nc", "nc_trend", "audits", "grades", "documents")
AREA_NAMES = ("name", "name_en", "name_lo")
ATTENTION_FIELDS = ("nc_open", "nc_major", "nc_overdue", "doc_overdue", "findings_open")


class _Count(Func):
    """``COUNT(*)`` of a correlated subquery, usable inside ``Subquery``."""

    function = "COUNT"
    template = "%(function)s(*)"
    output_field = IntegerField()


class _SumOf(Func):
    """``SUM(expression)`` over a correlated subquery's rows, usable inside ``Subquery``."""

    function = "SUM"
    output_field = IntegerField()


def _count_subquery(queryset):
    return Coalesce(
        Subquery(queryset.order_by().annotate(n=_Count()).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


@dataclass
class UnitRow:
    """Indicators of one unit's subtree (a child of the scope, or the scope itself)."""

    unit: object
    nc_open: int = 0
    nc_major: int = 0
    nc_overdue: int = 0
    doc_due: int = 0
    doc_overdue: int = 0
    audit_overdue: int = 0
    findings_open: int = 0
    satisfaction_n: int = 0
    satisfaction_index: float | None = None
    satisfaction_hidden: bool = False
    ack_expected: int = 0
    ack_done: int = 0
    is_scope: bool = False

    @property
    def ack_coverage(self):
        return round(100 * self.ack_done / self.ack_expected) if self.ack_expected else None

    @property
    def attention(self):
        return self.nc_open + self.nc_overdue + self.doc_overdue + self.audit_overdue


@dataclass
class Dashboard:
    scope: object
    year: SchoolYear
    today: object
    nc: dict = field(default_factory=dict)
    nc_trend: list = field(default_factory=list)  # [(SchoolYear, opened, closed)]
    audits: dict = field(default_factory=dict)
    grades: list = field(default_factory=list)  # [{label, severity, total, open}]
    documents: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)  # latest vs previous per respondent group
    areas: list = field(default_factory=list)
    satisfaction_trend: list = field(default_factory=list)  # [(group label, [(n, index)])]
    trend_years: list = field(default_factory=list)
    units: list = field(default_factory=list)  # [UnitRow] child units (+ scope's own records)
    attention: list = field(default_factory=list)  # [UnitRow] leaf units, most items first
    ancestors: list = field(default_factory=list)
    k: int = 5


def _child_key(path, scope_path):
    return path[: len(scope_path) + SEGMENT]


def _aware(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def build(scope, year, *, user=None, root=None, today=None):
    """Every indicator of ``scope``'s subtree for ``year``, as ``user`` may see it (``user``
    None: everything, for operators' command-line reports)."""
    today = today or timezone.localdate()
    root = root or scope
    user = _unwrapped(user)
    years = [SchoolYear(year.start_year - i) for i in range(TREND_YEARS - 1, -1, -1)]
    board = Dashboard(scope=scope, year=year, today=today, trend_years=years, k=min_group_size())
    registers_version, coverage_version = caching.versions()
    registers = _registers(board, user, years, (registers_version, coverage_version))
    for name in REGISTER_FIELDS:
        setattr(board, name, registers[name])
    per_child = defaultdict(dict, {key: dict(v) for key, v in registers["per_child"].items()})
    viewer = user if registers["filter_campaigns"] else None
    _satisfaction(board, viewer, years, per_child)
    _units(board, root, per_child, registers["attention"], registers["coverage"])
    return board


def _unwrapped(user):
    """``request.user`` is a lazy proxy. Filters copy their values as they are combined, and
    copying the proxy copies the user it wraps each time: pass the user itself."""
    if not isinstance(user, LazyObject):
        return user
    if user._wrapped is empty:
        user._setup()
    return user._wrapped


def _registers(board, user, years, versions):
    """The register indicators (nonconformities, audits, documents, coverage) with their per
    child and per unit figures, from the cache when nothing they read changed since
    (``dashboard.caching``; ``versions``: the registers' and coverage tokens), else computed
    (6 queries) and cached."""
    registers_version, coverage_version = versions
    key = ":".join(
        str(part)
        for part in (
            "dashboard:registers",
            board.scope.pk,
            board.year.start_year,
            board.today.isoformat(),
            "all" if user is None else user.pk,
            get_language(),
            registers_version,
            coverage_version,
        )
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    viewers = _viewers(board.scope, user)
    per_child = defaultdict(dict)
    per_unit = defaultdict(lambda: defaultdict(int))  # unit path -> indicator -> n
    unit_ids = {}
    _nonconformities(board, viewers["nonconformities"], years, per_child, per_unit, unit_ids)
    _audits(board, user, per_child, per_unit, unit_ids)
    _documents(board, viewers["documents"], per_child, per_unit, unit_ids)
    coverage = _coverage(board, user)
    registers = {name: getattr(board, name) for name in REGISTER_FIELDS}
    registers.update(
        per_child={key: dict(v) for key, v in per_child.items()},
        attention=_attention(board.scope, per_unit, unit_ids),
        # Whether campaigns need the viewer's filter (a membership change replaces the token).
        filter_campaigns=viewers["campaigns"] is not None,
        coverage=coverage,
    )
    cache.set(key, registers, caching.REGISTERS_SECONDS)
    return registers


def _viewers(scope, user):
    """Per register, the user whose ``for_user`` filter applies, or None where it cannot change
    a number of the scope's subtree (one query). ``ims.access`` lets a member of a unit see every
    nonconformity of its subtree, and a director or quality manager every document owned in
    it; for them the filter only costs time (tests/dashboard/test_scope_shortcut.py checks
    that the numbers are the same)."""
    if user is None:
        return {"nonconformities": None, "documents": None, "campaigns": None}
    roles = roles_for(user, scope)
    return {
        "nonconformities": None if roles else user,
        "documents": None if roles & MANAGER_ROLES else user,
        # Answers in the subtree come from campaigns aimed at a unit above or inside it, which
        # a member at or above the scope sees; other campaigns add nothing to the sums.
        "campaigns": None if roles else user,
    }


# --- nonconformities --------------------------------------------------------------------------


def _nonconformities(board, user, years, per_child, per_unit, unit_ids):
    scope, today = board.scope, board.today
    ncs = Nonconformity.objects.filter(unit__path__startswith=scope.path)
    if user is not None:
        ncs = ncs.for_user(user)
    is_open = ~Q(status=Nonconformity.Status.CLOSED)
    late = Q(actions__status=CorrectiveAction.Status.OPEN, actions__due__lt=today)
    counts = {
        "open": Count("pk", filter=is_open, distinct=True),
        "major": Count("pk", filter=is_open & Q(severity="major"), distinct=True),
        "minor": Count("pk", filter=is_open & Q(severity="minor"), distinct=True),
        "age_recent": Count(
            "pk", filter=is_open & AGE_BUCKETS.condition("lt30", today), distinct=True
        ),
        "age_middle": Count(
            "pk", filter=is_open & AGE_BUCKETS.condition("30-90", today), distinct=True
        ),
        "age_old": Count(
            "pk", filter=is_open & AGE_BUCKETS.condition("gt90", today), distinct=True
        ),
        "overdue": Count("pk", filter=late, distinct=True),
        "overdue_actions": Count("actions", filter=late, distinct=True),
    }
    for y in years:
        counts[f"opened_{y.start_year}"] = Count(
            "pk", filter=Q(reported_on__gte=y.first_day, reported_on__lte=y.last_day), distinct=True
        )
        counts[f"closed_{y.start_year}"] = Count(
            "pk",
            filter=Q(
                status=Nonconformity.Status.CLOSED,
                closed_at__gte=_aware(y.first_day),
                closed_at__lt=_aware(y.last_day + timedelta(days=1)),
            ),
            distinct=True,
        )
    rows = ncs.order_by().values("unit_id", "unit__path").annotate(**counts)
    totals = defaultdict(int)
    for row in rows:
        for name in counts:
            totals[name] += row[name]
        child = per_child[_child_key(row["unit__path"], scope.path)]
        child["nc_open"] = child.get("nc_open", 0) + row["open"]
        child["nc_major"] = child.get("nc_major", 0) + row["major"]
        child["nc_overdue"] = child.get("nc_overdue", 0) + row["overdue"]
        unit_ids[row["unit__path"]] = row["unit_id"]
        per_unit[row["unit__path"]]["nc_open"] += row["open"]
        per_unit[row["unit__path"]]["nc_major"] += row["major"]
        per_unit[row["unit__path"]]["nc_overdue"] += row["overdue"]
    board.nc = {
        name: totals[name] for name in counts if not name.startswith(("opened_", "closed_"))
    }
    board.nc_trend = [
        (y, totals[f"opened_{y.start_year}"], totals[f"closed_{y.start_year}"]) for y in years
    ]


# --- audits -----------------------------------------------------------------------------------


def _audits(board, user, per_child, per_unit, unit_ids):
    scope, today = board.scope, board.today
    year_audits = Audit.objects.filter(programme__start_year=board.year.start_year)
    if user is not None:
        year_audits = year_audits.for_user(user)
    through = Audit.scope_units.through
    audits = year_audits.filter(
        Exists(through.objects.filter(audit=OuterRef("pk"), orgunit__path__startswith=scope.path))
        | Q(programme__unit__path__startswith=scope.path)
    )
    overdue = Q(status__in=AUDIT_RECORDING, report_due__lt=today)
    board.audits = audits.aggregate(
        planned=Count("pk"),
        due=Count("pk", filter=Q(planned_end__lt=today)),
        done=Count("pk", filter=Q(status__in=AUDIT_DONE)),
        done_due=Count("pk", filter=Q(status__in=AUDIT_DONE, planned_end__lt=today)),
        in_progress=Count("pk", filter=Q(status__in=AUDIT_RECORDING)),
        overdue=Count("pk", filter=overdue),
    )
    due = board.audits["due"]
    board.audits["adherence"] = round(100 * board.audits["done_due"] / due) if due else None
    # Per child unit, the audit list's condition for that unit: an overdue audit counts in each
    # child holding one of its scope units or its programme's unit (once per child). Pairs of
    # (child, overdue audit): a handful, whatever the amount of data.
    width = len(scope.path) + SEGMENT
    late = audits.filter(overdue)
    pairs = set(
        through.objects.filter(audit__in=late.values("pk"), orgunit__path__startswith=scope.path)
        .annotate(key=Substr("orgunit__path", 1, width))
        .values_list("key", "audit_id")
        .distinct()
    ) | set(
        late.filter(programme__unit__path__startswith=scope.path)
        .annotate(key=Substr("programme__unit__path", 1, width))
        .values_list("key", "pk")
    )
    for key, _audit_id in pairs:
        per_child[key]["audit_overdue"] = per_child[key].get("audit_overdue", 0) + 1
    # Findings about the scope's units, by unit and grade, whatever the audit's own scope: a
    # province-wide audit's finding at a school counts on that school's dashboard. Read through
    # the findings' own access rule, as the findings register does.
    findings = Finding.objects.filter(
        audit__programme__start_year=board.year.start_year, unit__path__startswith=scope.path
    )
    if user is not None:
        findings = findings.for_user(user)
    grades = {}
    for row in (
        findings.order_by()
        .values(
            "unit_id",
            "unit__path",
            "grade_id",
            "grade__name",
            "grade__name_en",
            "grade__name_lo",
            "grade__order",
            "grade__code",
            "grade__severity",
        )
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(status=Finding.Status.OPEN)))
    ):
        grade = grades.setdefault(
            row["grade_id"],
            {
                "label": _label(row, "grade__name"),
                "severity": row["grade__severity"],
                "order": (row["grade__order"], row["grade__code"]),
                "total": 0,
                "open": 0,
            },
        )
        grade["total"] += row["total"]
        grade["open"] += row["open"]
        child = per_child[_child_key(row["unit__path"], scope.path)]
        child["findings_open"] = child.get("findings_open", 0) + row["open"]
        unit_ids[row["unit__path"]] = row["unit_id"]
        per_unit[row["unit__path"]]["findings_open"] += row["open"]
    board.grades = sorted(grades.values(), key=lambda g: g["order"])
    board.audits["findings"] = sum(g["total"] for g in board.grades)
    board.audits["findings_open"] = sum(g["open"] for g in board.grades)


def _label(row, prefix):
    class _Names:
        pass

    names = _Names()
    names.name = row[prefix]
    names.name_en = row.get(f"{prefix}_en") or ""
    names.name_lo = row.get(f"{prefix}_lo") or ""
    return localized(names, "name")


# --- documents --------------------------------------------------------------------------------


def _documents(board, user, per_child, per_unit, unit_ids):
    scope, today = board.scope, board.today
    documents = Document.objects.filter(owner_unit__path__startswith=scope.path).exclude(
        status=RevisionStatus.OBSOLETE
    )
    if user is not None:
        documents = documents.for_user(user)
    effective = Q(status=RevisionStatus.EFFECTIVE)
    counts = {
        "effective": Count("pk", filter=effective),
        "due": Count(
            "pk",
            filter=effective
            & Q(
                next_review_date__gte=today,
                next_review_date__lte=today + timedelta(days=REVIEW_DUE_DAYS),
            ),
        ),
        "overdue": Count("pk", filter=effective & Q(next_review_date__lt=today)),
    }
    totals = defaultdict(int)
    for row in documents.order_by().values("owner_unit_id", "owner_unit__path").annotate(**counts):
        for name in counts:
            totals[name] += row[name]
        path = row["owner_unit__path"]
        child = per_child[_child_key(path, scope.path)]
        child["doc_due"] = child.get("doc_due", 0) + row["due"]
        child["doc_overdue"] = child.get("doc_overdue", 0) + row["overdue"]
        unit_ids[path] = row["owner_unit_id"]
        per_unit[path]["doc_overdue"] += row["overdue"]
    board.documents = dict(totals)
    for name in counts:
        board.documents.setdefault(name, 0)


def _coverage(board, user):
    """Read-and-acknowledge coverage of the people of the scope's subtree, and of each child
    unit's, over the effective revisions ``user`` may see: sums of the roll-up kept by
    ``documents.coverage`` (its docstring has the definition; the documents app's coverage page
    for a unit uses the same). One query. Returns {child path: (expected, acknowledged)}."""
    visible = None if user is None else Revision.objects.for_user(user)
    by_child = coverage_totals(board.scope, visible)
    expected = sum(e for e, _d in by_child.values())
    done = sum(d for _e, d in by_child.values())
    board.documents.update(
        expected=expected,
        acknowledged=done,
        coverage=round(100 * done / expected) if expected else None,
    )
    return by_child


# --- satisfaction -----------------------------------------------------------------------------


def _index(values):
    """Index of pooled Likert answers ``values`` = {value: count}, or None."""
    total = sum(values.values())
    if not total:
        return None
    return likert_index(sum(v * c for v, c in values.items()) / total)


def _summed(model, name):
    """A campaign's ``name`` summed over ``model``'s rows, as a subquery."""
    return Coalesce(
        Subquery(
            model.objects.filter(campaign=OuterRef("pk"))
            .order_by()
            .values("campaign")
            .annotate(total=Sum(name))
            .values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def _satisfaction(board, user, years, per_child):
    scope, k = board.scope, board.k
    today = board.today
    campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).filter(
        opens_on__gte=years[0].first_day, opens_on__lte=board.year.last_day
    )
    if user is not None:
        campaigns = campaigns.for_user(user)
    # A campaign covers the scope when it is aimed at the scope or at a unit above it: only
    # those give the scope's figures, so that a survey of a few units below never stands for
    # the whole subtree (like is compared with like).
    covers = Exists(
        CampaignUnit.objects.filter(campaign=OuterRef("pk"), unit__path__in=scope.ancestor_paths())
    )
    # What the figures shown depend on (``surveys.results``): each campaign's live responses
    # and its released ones (both only grow), and whether it is closed (by its status or its
    # dates). They key the cached card, so a new response or a release is shown at once.
    info = {
        row["pk"]: row
        for row in campaigns.order_by()
        .annotate(
            covers=covers,
            live_n=_summed(UnitTally, "count"),
            released_n=_summed(ReleasedResult, "n"),
        )
        .values(
            "pk",
            "status",
            "closes_on",
            "group",
            "opens_on",
            "title",
            "covers",
            "live_n",
            "released_n",
        )  # fmt: skip
    }
    for row in info.values():
        row["counters"] = (row.pop("live_n"), row.pop("released_n"), row["closes_on"] < today)
    # The result depends only on these campaigns' sums (cached as described in
    # ``dashboard.caching``) and their rows: kept as long as the sums are.
    key = (
        "dashboard:satisfaction-board:2:"  # 2: cells hidden per question as well as per unit
        + hashlib.sha256(
            repr(
                (scope.path, board.year.start_year, k, get_language(), sorted(info.items()))
            ).encode()
        ).hexdigest()
    )
    result = cache.get(key)
    if result is None:
        # The figures shown and hidden, refreshed where due; their digest keys each
        # campaign's cached sums.
        found = releases(
            Campaign(pk=pk, status=row["status"], closes_on=row["closes_on"])
            for pk, row in info.items()
        )
        for pk, row in info.items():
            row["counters"] = _release_digest(found[pk], scope)
        result = _satisfaction_result(board, info, years, found)
        live = any(row["status"] != Campaign.Status.CLOSED for row in info.values())
        cache.set(key, result, caching.REGISTERS_SECONDS if live else None)
    board.groups, board.areas, board.satisfaction_trend = (
        result["groups"],
        result["areas"],
        result["trend"],
    )
    for child_key, values in result["per_child"].items():
        per_child[child_key].update(values)


def _satisfaction_result(board, info, years, found):
    """Groups, areas, trend and per child unit figures of ``board``'s satisfaction card."""
    scope, k = board.scope, board.k
    board.groups, board.areas, board.satisfaction_trend = [], [], []
    per_child = defaultdict(dict)
    sums = _campaign_sums(scope, info, found)
    n_by_campaign = {c: sums[c]["n"] for c in info}
    hidden = {c: sums[c]["hidden"] for c in info}
    # Per group, only the campaigns covering the scope, oldest first: "latest" and "previous"
    # are two of them, and the trend pools them per school year, weighted by responses. A group
    # that no campaign covers (a staff survey of some divisions and schools, viewed from the
    # province) shows the campaigns aimed inside the scope, marked as covering part of it.
    answered = sorted(
        (c for c in info if n_by_campaign[c]),
        key=lambda c: (info[c]["opens_on"], c),
    )
    by_group, partial = defaultdict(list), set()
    for c in answered:
        by_group[info[c]["group"]].append(c)
    for group, ids in by_group.items():
        covering = [c for c in ids if info[c]["covers"]]
        if covering:
            by_group[group] = covering
        else:
            partial.add(group)
    values = {c: sums[c]["values"] for c in info}  # c -> area -> value -> n
    area_n = {(c, area): n for c in info for area, n in sums[c]["area_n"].items()}
    areas = {}
    for c in info:
        for area_id, (order, *names) in sums[c]["areas"].items():
            areas[area_id] = (order, _label(dict(zip(AREA_NAMES, names, strict=True)), "name"))

    def pooled(campaign_id):
        merged = defaultdict(int)
        for area_values in values[campaign_id].values():
            for v, n in area_values.items():
                merged[v] += n
        return merged

    def cell(n, index, campaign_ids):
        # Pooled over campaigns: hidden when one of them hides the scope, or below k.
        hide = n < k or any(hidden[c] for c in campaign_ids)
        return {"n": n, "index": None if hide else index, "hidden": hide}

    latest, previous, compared = [], [], []
    for group in RespondentGroup:
        ids = by_group.get(group.value, [])
        if not ids:
            continue
        last = ids[-1]
        before = ids[-2] if len(ids) > 1 else None
        latest.append(last)
        if before:
            previous.append(before)
            compared.append(last)
        now = cell(n_by_campaign[last], _index(pooled(last)), [last])
        then = cell(n_by_campaign[before], _index(pooled(before)), [before]) if before else None
        board.groups.append(
            {
                "group": group.label,
                "campaign_id": last,
                "campaign": title_with_year(info[last]["title"], info[last]["opens_on"]),
                "latest": now,
                "previous_id": before,
                "previous_campaign": (
                    title_with_year(info[before]["title"], info[before]["opens_on"])
                    if before
                    else ""
                ),
                "previous": then,
                "change": _change(now, then),
                "partial": group.value in partial,
            }
        )
    # By area: the latest campaign of each group, pooled; the change only over the groups that
    # have a previous campaign, each against its own (the same groups on both sides).
    for area_id, (_order, label) in sorted(areas.items(), key=lambda item: item[1]):
        now = _area_cell(latest, area_id, values, area_n, cell)
        then = _area_cell(previous, area_id, values, area_n, cell) if previous else None
        same = _area_cell(compared, area_id, values, area_n, cell) if previous else None
        board.areas.append(
            {"label": label, "latest": now, "previous": then, "change": _change(same, then)}
        )
    # Trend: index per school year and group, pooled over that year's campaigns.
    for group in RespondentGroup:
        ids = by_group.get(group.value, [])
        if not ids:
            continue
        points = []
        for y in years:
            in_year = [c for c in ids if info[c]["opens_on"] in y]
            n = sum(n_by_campaign[c] for c in in_year)
            merged = defaultdict(int)
            for c in in_year:
                for v, count in pooled(c).items():
                    merged[v] += count
            points.append(cell(n, _index(merged), in_year) if in_year else None)
        board.satisfaction_trend.append((group.label, points))
    _satisfaction_by_child(board, latest, sums, per_child)
    return {
        "groups": board.groups,
        "areas": board.areas,
        "trend": board.satisfaction_trend,
        "per_child": dict(per_child),
    }


def _area_cell(campaign_ids, area_id, values, area_n, cell):
    merged = defaultdict(int)
    n = 0
    for c in campaign_ids:
        for v, count in values[c].get(area_id, {}).items():
            merged[v] += count
        n += area_n.get((c, area_id), 0)
    return cell(n, _index(merged), campaign_ids)


def _change(now, then):
    if not then or now["index"] is None or then["index"] is None:
        return None
    return now["index"] - then["index"]


def _satisfaction_by_child(board, latest, sums, per_child):
    """The latest campaign of every group, pooled, per child unit: hidden where one of those
    campaigns hides the child (``surveys.results`` decides once, for every page), or below k."""
    if not latest:
        return
    n_by_key = defaultdict(int)
    hidden = defaultdict(bool)
    values = defaultdict(lambda: defaultdict(int))
    for c in latest:
        for key, n in sums[c]["child_n"].items():
            n_by_key[key] += n
            hidden[key] |= sums[c]["child_hidden"][key]
        for key, counts in sums[c]["child_values"].items():
            for v, n in counts.items():
                values[key][v] += n
    for key, n in n_by_key.items():
        hide = hidden[key] or n < board.k
        child = per_child[key]
        child["satisfaction_n"] = n
        child["satisfaction_hidden"] = hide
        child["satisfaction_index"] = None if hide else _index(values[key])


def _release_digest(release, scope):
    """What a campaign's figures over ``scope`` depend on: its figures and hidden cells there."""
    inside = sorted(
        (key, n, release.is_hidden(key))
        for key, n in release.totals.items()
        if key.startswith(scope.path)
    )
    return hashlib.sha256(repr((release.is_hidden(scope.path), inside)).encode()).hexdigest()


def _campaign_sums(scope, info, found):
    """Per campaign of ``info``, its figures over ``scope``'s subtree as ``found`` (its
    ``surveys.results.releases``) shows them: ``n`` and ``hidden`` of the scope, ``child_n``
    {child key: respondents} and ``child_hidden`` {child key: hidden}, ``values`` {area: {value:
    n}} and ``child_values`` {child key: {value: n}} of the Likert answers, ``area_n`` {area:
    respondents of its most answered question}, ``areas`` {area: (order, name, name_en,
    name_lo)}. From the cache where kept (``dashboard.caching``), else a few queries for all the
    missing campaigns together."""
    keys = {c: _campaign_key(scope, row) for c, row in info.items()}
    found_sums = cache.get_many(list(keys.values())) if keys else {}
    sums = {c: found_sums[key] for c, key in keys.items() if key in found_sums}
    missing = [c for c in info if c not in sums]
    if not missing:
        return sums
    width = len(scope.path) + SEGMENT
    root = is_root(scope.path)
    areas = {}
    area_of = {}
    for row in Question.objects.filter(
        version__campaigns__in=missing, kind=QuestionKind.LIKERT
    ).values("pk", "area_id", "area__order", *(f"area__{name}" for name in AREA_NAMES)):
        area_of[row["pk"]] = row["area_id"]
        areas[row["area_id"]] = (row["area__order"], *(row[f"area__{n}"] for n in AREA_NAMES))
    fresh = {}
    for c in missing:
        release = found[c]
        # A pooled index is hidden where one of its questions is (``surveys.results``): each
        # cell here pools every Likert question.
        likert = [q for q in release.questions if q in area_of]

        def is_hidden(key, release=release, likert=likert):
            return release.is_hidden(key) or release.any_hidden(likert, key)

        child_n, child_hidden = {}, {}
        for key, n in release.totals.items():
            if key.startswith(scope.path) and (
                key == scope.path + OWN or (len(key) == width and key.endswith("/"))
            ):
                child = scope.path if key.endswith(OWN) else key
                child_n[child], child_hidden[child] = n, is_hidden(key)
        if not child_n and release.own.get(scope.path):  # a unit with no unit below it
            child_n[scope.path] = release.n(scope.path)
            child_hidden[scope.path] = is_hidden(scope.path)
        fresh[c] = {
            "n": release.n(scope.path),
            "hidden": is_hidden(scope.path),
            "child_n": child_n,
            "child_hidden": child_hidden,
            "values": {},
            "child_values": {},
            "area_n": {},
            "areas": {},
        }
    released = released_counts(missing, scope)
    respondents = defaultdict(lambda: defaultdict(int))  # campaign -> question -> n
    for c in missing:
        sums_c = fresh[c]
        for path, stored in released[c].items():
            key = path[:width]
            for value, n in stored.get("l", ()):
                by_child = sums_c["child_values"].setdefault(key, {})
                by_child[value] = by_child.get(value, 0) + n
            if root:
                continue
            for question, n in stored.get("q", ()):
                respondents[c][question] += n
            for question, value, n in stored.get("v", ()):
                if question in area_of:
                    by_value = sums_c["values"].setdefault(area_of[question], {})
                    by_value[value] = by_value.get(value, 0) + n
    if root:  # the Department reads its live counters (its own responses as a child too)
        in_scope = {"campaign_id__in": missing, "unit__path__startswith": scope.path}
        for row in (
            ValueTally.objects.filter(**in_scope, question__kind=QuestionKind.LIKERT)
            .annotate(own=ExpressionWrapper(Q(unit=scope), output_field=BooleanField()))
            .values("campaign_id", "question__area_id", "value", "own")
            .annotate(n=Sum("count"))
        ):
            sums_c = fresh[row["campaign_id"]]
            by_value = sums_c["values"].setdefault(row["question__area_id"], {})
            by_value[row["value"]] = by_value.get(row["value"], 0) + row["n"]
            if row["own"]:
                by_child = sums_c["child_values"].setdefault(scope.path, {})
                by_child[row["value"]] = by_child.get(row["value"], 0) + row["n"]
        for c, question, n in (
            QuestionTally.objects.filter(**in_scope, question__kind=QuestionKind.LIKERT)
            .values("campaign_id", "question_id")
            .annotate(n=Sum("count"))
            .values_list("campaign_id", "question_id", "n")
        ):
            respondents[c][question] += n
            fresh[c]["hidden"] |= 0 < n < min_group_size()
    for c in missing:
        sums_c = fresh[c]
        for question, n in respondents[c].items():
            if question in area_of:
                area = area_of[question]
                sums_c["area_n"][area] = max(sums_c["area_n"].get(area, 0), n)
                sums_c["areas"][area] = areas[area]
        for area in sums_c["values"]:
            sums_c["areas"][area] = areas[area]
    closed = {keys[c]: fresh[c] for c in missing if info[c]["status"] == Campaign.Status.CLOSED}
    live = {keys[c]: fresh[c] for c in missing if keys[c] not in closed}
    if closed:
        cache.set_many(closed, timeout=None)
    if live:
        cache.set_many(live, timeout=caching.REGISTERS_SECONDS)
    return {**sums, **fresh}


def _campaign_key(scope, row):
    return (
        f"dashboard:satisfaction:2:{row['pk']}:{row['status']}:{row['closes_on'].isoformat()}"
        f":{row['counters']}:{scope.path}"
    )


# --- units ------------------------------------------------------------------------------------


def _attention(scope, per_unit, unit_ids):
    """The units needing attention, most items first: [(path, unit id, counts)].

    They are where the open and overdue items are recorded (units with no unit below them
    holding items), so each number equals its register filtered by unit."""
    paths = {p for p, v in per_unit.items() if any(v.values()) and p != scope.path}
    # A unit holding items is a leaf when no unit below it holds any: mark every proper
    # ancestor path of each path (a few per path, not every pair of paths).
    above = {ancestor for p in paths for ancestor in _proper_ancestors(p)}
    leaves = [p for p in paths if p not in above]

    def score(path):
        v = per_unit[path]
        return v["nc_open"] + v["nc_overdue"] + v["doc_overdue"] + v["findings_open"]

    top = sorted(leaves, key=lambda p: (-score(p), p))[:TOP_UNITS]
    return [
        (p, unit_ids[p], {name: per_unit[p][name] for name in ATTENTION_FIELDS})
        for p in top
        if score(p)
    ]


def _proper_ancestors(path):
    segments = path.rstrip("/").split("/")
    return ("".join(f"{s}/" for s in segments[:i]) for i in range(1, len(segments)))


def _units(board, root, per_child, attention, coverage):
    """Child units (with the scope's own records), the breadcrumb, and the units needing
    attention; one query for all the unit rows."""
    scope = board.scope
    ancestor_paths = [p for p in scope.ancestor_paths() if p.startswith(root.path)]
    top_ids = [unit_id for _path, unit_id, _counts in attention]
    units = {
        u.path: u
        for u in OrgUnit.objects.filter(
            Q(path__in=ancestor_paths) | Q(parent=scope) | Q(pk__in=top_ids)
        ).select_related("kind")
    }
    board.ancestors = [units[p] for p in ancestor_paths if p in units and p != scope.path]
    # Closed-down units stay listed only while they still hold records.
    children = sorted(
        (
            u
            for u in units.values()
            if u.parent_id == scope.pk and (u.is_active or u.path in per_child)
        ),
        key=lambda u: u.name,
    )
    rows = [UnitRow(unit=child, **per_child.get(child.path, {})) for child in children]
    for row in rows:
        row.ack_expected, row.ack_done = coverage.get(row.unit.path, (0, 0))
    if scope.path in per_child:
        rows.append(UnitRow(unit=scope, is_scope=True, **per_child[scope.path]))
    board.units = rows
    board.attention = [
        UnitRow(unit=units[path], **counts) for path, _id, counts in attention if path in units
    ]

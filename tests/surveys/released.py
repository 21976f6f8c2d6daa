"""What a curious reader who opens every page can work out by subtraction."""

from collections import defaultdict

from django.db.models import Sum

from dashboard.indicators import build
from ims.models import OrgUnit
from ims.schoolyear import SchoolYear
from surveys.models import QuestionTally, ReleasedResult, UnitTally
from surveys.results import campaign_results, min_group_size


def visible_figures(campaign, world, user=None):
    """{unit path: n} of every subtree figure ``user`` (the director) can read about
    ``campaign``: each unit's results page (its total, its rows of schools and of units with
    no unit below), and each unit's dashboard (the card and the per-unit satisfaction cells).
    Fails when two pages show one unit with different figures."""
    user = user or world.director
    units = list(OrgUnit.objects.filter(path__startswith=world.root.path))
    parents = {u.parent_id for u in units}
    year = SchoolYear.of(campaign.opens_on)
    seen = {}
    questions = defaultdict(dict)  # question -> {unit path: respondents shown}
    pooled = []  # (where, unit path, [the Likert questions a shown index pools there])

    def see(path, n, where):
        assert seen.setdefault(path, n) == n, f"{path}: {seen[path]} elsewhere, {n} on {where}"

    for unit in units:
        results = campaign_results(campaign, unit)
        if not results.hidden:
            see(unit.path, results.n, f"the results of {unit.code}")
        likert = []
        for _section, items in results.questions:
            for question, stats in items:
                if not stats.hidden:
                    questions[question.pk][unit.path] = stats.n
                if question.kind == "likert":
                    likert.append(question)
        if results.index is not None:
            pooled.append((f"the index of {unit.code}", unit.path, likert))
        for row in results.areas:
            if row.index is not None:
                in_area = [q for q in likert if q.area_id == row.area.pk]
                pooled.append((f"area {row.area.code} of {unit.code}", unit.path, in_area))
        for row in results.units:
            if not row.hidden and (row.unit.kind.is_school or row.unit.pk not in parents):
                see(row.unit.path, row.n, f"a row of the results of {unit.code}")
                if row.index is not None:
                    pooled.append((f"a row of {unit.code}", row.unit.path, likert))
        board = build(unit, year, user=user)
        if any(group["campaign_id"] != campaign.pk for group in board.groups):
            continue  # the dashboard shows (and pools) other campaigns too
        for group in board.groups:
            if not group["latest"]["hidden"]:
                see(unit.path, group["latest"]["n"], f"the dashboard of {unit.code}")
        for row in board.units:
            if not row.is_scope and not row.satisfaction_hidden and row.satisfaction_n:
                see(row.unit.path, row.satisfaction_n, f"a row of the dashboard of {unit.code}")
                if row.satisfaction_index is not None:
                    pooled.append((f"the dashboard of {unit.code}", row.unit.path, likert))
        if any(group["latest"]["index"] is not None for group in board.groups) or any(
            area["latest"]["index"] is not None for area in board.areas
        ):
            pooled.append((f"the dashboard of {unit.code}", unit.path, likert))
    return seen, units, questions, pooled


def assert_no_hidden_cell_recoverable(campaign, world):
    """No figure shown, minus the figures shown below it, leaves 1 to 4 responses: a hidden
    cell (or responses not released yet) cannot be read back, on any page or across pages."""
    k = min_group_size()
    seen, units, questions, pooled = visible_figures(campaign, world)
    by_pk = {u.pk: u for u in units}
    children = defaultdict(list)
    for unit in units:
        if unit.parent_id in by_pk:
            children[by_pk[unit.parent_id].path].append(unit.path)

    def shown_below(path, seen=seen):
        return sum(seen[c] if c in seen else shown_below(c, seen) for c in children[path])

    # The Department's live figure also holds the responses not released yet below it: its
    # live view shows them anyway (read before and after they came), so leave them out.
    live = dict(
        UnitTally.objects.filter(campaign=campaign)
        .values("unit")
        .annotate(n=Sum("count"))
        .values_list("unit", "n")
    )
    released = dict(ReleasedResult.objects.filter(campaign=campaign).values_list("unit", "n"))
    unreleased = sum(n - released.get(u, 0) for u, n in live.items() if u != world.root.pk)
    for path, n in seen.items():
        rest = n - shown_below(path) - (unreleased if path == world.root.path else 0)
        assert not 0 < rest < k, f"{path}: {n} minus the figures shown below it leaves {rest}"
    # Per question likewise (its respondents; the Department's figure is live: leave out the
    # respondents not released yet, and its own respondents, as above).
    released_q = defaultdict(int)
    for counts in ReleasedResult.objects.filter(campaign=campaign).values_list("counts", flat=True):
        for question, n in counts.get("q", ()):
            released_q[question] += n
    for question, shown in questions.items():
        for path, n in shown.items():
            if path == world.root.path:
                n = released_q[question]
            rest = n - shown_below(path, shown)
            assert not 0 < rest < k, f"question {question} at {path}: {n} leaves {rest}"
    # A pooled figure is shown only where every question it pools is shown (or unanswered): it
    # is then a sum of figures checked above.
    for where, path, likert in pooled:
        for question in likert:
            assert path in questions[question.pk] or not _respondents(campaign, question, path), (
                f"{where} pools {question.code}, hidden at {path}"
            )
    return seen


def _respondents(campaign, question, path):
    return QuestionTally.objects.filter(
        campaign=campaign, question=question, unit__path__startswith=path
    ).exists()

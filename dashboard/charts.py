"""The dashboard's trend charts: server-side SVG (``ims.charts``) with a title, a description
and, on the page, the same numbers as a table."""

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ims.charts import line_chart


def _own_ids(svg, prefix):
    """``ims.charts`` names every chart's title and description ``t`` and ``d``; two charts on
    one page (or PDF) need their own ids for ``aria-labelledby`` to point at the right text."""
    return mark_safe(  # noqa: S308 — the SVG is already escaped by ims.charts
        str(svg)
        .replace('aria-labelledby="t d"', f'aria-labelledby="{prefix}-t {prefix}-d"', 1)
        .replace('<title id="t">', f'<title id="{prefix}-t">', 1)
        .replace('<desc id="d">', f'<desc id="{prefix}-d">', 1)
    )


def dashboard_charts(board):
    years = [y.label for y in board.trend_years]
    nc = line_chart(
        years,
        [
            (_("Opened"), [opened for _y, opened, _c in board.nc_trend]),
            (_("Closed"), [closed for _y, _o, closed in board.nc_trend]),
        ],
        title=_("Nonconformities opened and closed per school year"),
        desc=_("%(unit)s, school years %(first)s to %(last)s: ")
        % {"unit": board.scope.label, "first": years[0], "last": years[-1]}
        + "; ".join(
            _("%(year)s: %(opened)d opened, %(closed)d closed")
            % {"year": y.label, "opened": opened, "closed": closed}
            for y, opened, closed in board.nc_trend
        ),
    )
    satisfaction = None
    if board.satisfaction_trend:
        series = [
            (
                group,
                [
                    None if point is None or point["index"] is None else round(point["index"], 1)
                    for point in points
                ],
            )
            for group, points in board.satisfaction_trend
        ]
        satisfaction = line_chart(
            years,
            series,
            maximum=100,
            title=_("Satisfaction index per school year and respondent group"),
            desc=_(
                "Index from 0 to 100 of the Likert answers of each group's campaigns in %(unit)s; "
                "years with fewer than %(k)d respondents are not shown."
            )
            % {"unit": board.scope.label, "k": board.k},
        )
    return {
        "nc": _own_ids(nc, "chart-nc-trend"),
        "satisfaction": _own_ids(satisfaction, "chart-satisfaction-trend")
        if satisfaction
        else None,
    }

"""The dashboard's trend charts: server-side SVG (``ims.charts``) with a title, a description
and, on the page, the same numbers as a table."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ims.charts import line_chart


def dashboard_charts(board):
    years = [y.label for y in board.trend_years]
    nc = line_chart(
        years,
        [
            (
                pgettext("nonconformities per year", "Opened"),
                [opened for _y, opened, _c in board.nc_trend],
            ),
            (
                pgettext("nonconformities per year", "Closed"),
                [closed for _y, _o, closed in board.nc_trend],
            ),
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
    return {"nc": nc, "satisfaction": satisfaction}

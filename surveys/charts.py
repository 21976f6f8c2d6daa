"""The charts of a results page, drawn on the server by ``ims.charts`` (SVG): the same picture
on screen, on paper and in the PDF. Hidden (suppressed) cells are drawn as "—"."""

from django.utils.translation import gettext as _

from ims.charts import bar_chart, line_chart


def results_charts(results, history):
    charts = {}
    if results.areas:
        charts["areas"] = bar_chart(
            [(row.label, None if row.hidden else round(row.index, 1)) for row in results.areas],
            title=_("Satisfaction index by area"),
            desc=_("Index from 0 to 100 per area; hidden areas have fewer than %(k)d answers.")
            % {"k": results.k},
            maximum=100,
        )
    if results.units:
        charts["units"] = bar_chart(
            [
                (row.label, None if row.hidden or row.index is None else round(row.index, 1))
                for row in results.units
            ],
            title=_("Satisfaction index by unit"),
            desc=_("Index from 0 to 100 per unit; hidden units have too few answers."),
            maximum=100,
        )
    points = [row for row in history if not row.hidden and row.index is not None]
    if len(points) > 1:
        charts["trend"] = line_chart(
            [row.label[:18] for row in history],
            [(_("Index"), [None if row.hidden else round(row.index, 1) for row in history])],
            title=_("Trend across campaigns"),
            desc=_("Satisfaction index of each campaign of this instrument."),
            maximum=100,
        )
    return charts

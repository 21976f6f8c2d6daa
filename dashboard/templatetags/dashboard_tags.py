from django import template
from django.utils.formats import number_format
from django.utils.html import escape, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.filter
def index(value):
    """A satisfaction index (0–100) with one decimal, in the active language's format."""
    if value is None:
        return "—"
    return number_format(round(value, 1), 1)


@register.filter
def signed(value):
    """A change of index with its sign (+2.5, −1.0)."""
    if value is None:
        return "—"
    text = number_format(abs(round(value, 1)), 1)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


@register.simple_tag
def compare_rows(board):
    """The comparison table's rows. Built here rather than in the template: the province has
    some two hundred child units, and the template engine took most of the page's time on
    them. Same markup; every text is escaped, numbers are integers."""
    hidden = escape(gettext("hidden"))
    own = escape(gettext("own records"))
    year = escape(board.year.slug)
    return mark_safe("".join(_compare_row(row, year, own, hidden) for row in board.units))  # noqa: S308


def _count_link(link, n, exact=None):
    exact = ("1" if link.exact else "0") if exact is None else exact
    return f'<a href="{escape(link.url)}" data-count="{n}" data-exact="{exact}">{n}</a>'


def _compare_row(row, year, own, hidden):
    unit, links = row.unit, row.links
    if row.is_scope:
        name = f'{escape(unit.label)} <span class="muted small">({own})</span>'
    else:
        name = (
            f'<a href="?unit={unit.pk}&amp;year={year}" data-testid="drill-{escape(unit.code)}">'
            f'{escape(unit.label)}</a> <span class="muted small">{escape(unit.kind.label)}</span>'
        )

    if row.ack_expected:
        ack = (
            f'<a href="{escape(links["ack"].url)}" data-count="{row.ack_expected}" data-exact="1"'
            f' data-kind="coverage">{row.ack_coverage}%</a>'
            f' <span class="muted small">({row.ack_done}/{row.ack_expected})</span>'
        )
    else:
        ack = '<span class="muted">—</span>'
    if row.satisfaction_hidden:
        satisfaction = f'<span class="muted">{hidden}</span>'
    elif row.satisfaction_index is None:
        satisfaction = '<span class="muted">—</span>'
    else:
        satisfaction = (
            f"{escape(index(row.satisfaction_index))}"
            f' <span class="muted small">(n = {row.satisfaction_n})</span>'
        )
    cells = (
        _count_link(links["nc_open"], row.nc_open),
        _count_link(links["nc_major"], row.nc_major),
        _count_link(links["nc_overdue"], row.nc_overdue),
        _count_link(links["doc_overdue"], row.doc_overdue),
        _count_link(links["doc_due"], row.doc_due),
        _count_link(links["audit_overdue"], row.audit_overdue),
        _count_link(links["findings"], row.findings_open),
        ack,
        satisfaction,
    )
    tds = "".join(f"\n      <td>{cell}</td>" for cell in cells)
    scope_row = ' data-scope-row="1"' if row.is_scope else ""
    return (
        f'<tr data-unit="{escape(unit.code)}"{scope_row}>\n'
        f'      <th scope="row">{name}</th>{tds}\n    </tr>'
    )

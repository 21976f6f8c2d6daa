"""Server-side SVG charts: readable without JavaScript, printable, identical in PDFs.

Each chart has a <title> and <desc>, and pages show the data table beside it; colours are not
the only carrier of meaning (values are written on the bars and points).
"""

import hashlib
from collections.abc import Sequence

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0b5cad", "#e07b00", "#1f7a3a", "#b3261e", "#6a3fb5", "#00838f"]


def _svg(width: int, height: int, title: object, desc: object, body: str) -> SafeString:
    # Ids unique per chart (from its content), so a page or PDF can hold several charts.
    uid = "chart-" + hashlib.sha1(f"{title}|{desc}|{body}".encode()).hexdigest()[:10]  # noqa: S324
    return mark_safe(  # noqa: S308 — every interpolated text is escaped below
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-labelledby="{uid}-t {uid}-d">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def bar_chart(
    items: Sequence[tuple[object, float | None]],
    *,
    title: object,
    desc: object = "",
    maximum: float | None = None,
    width: int = 640,
    unit: str = "",
) -> SafeString:
    """Horizontal bars. ``items`` is a list of (label, value or None); None shows as "—"."""
    row, label_width, pad = 28, 190, 8
    height = max(row * len(items) + pad * 2, 40)
    top = maximum or max([v for _l, v in items if v is not None] or [1]) or 1
    scale = (width - label_width - 70) / top
    parts = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 18}" text-anchor="end" font-size="13">{escape(str(label)[:32])}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + 18}" font-size="13" fill="#666">—</text>'
            )
            continue
        length = max(value * scale, 1)
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" fill="{PALETTE[0]}" rx="2"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 5:.1f}" y="{y + 18}" font-size="13">{_number(value)}{escape(unit)}</text>'
        )
    return _svg(width, height, title, desc, "".join(parts))


def line_chart(
    categories: Sequence[object],
    series: Sequence[tuple[object, Sequence[float | None]]],
    *,
    title: object,
    desc: object = "",
    width: int = 640,
    height: int = 260,
    maximum: float | None = None,
) -> SafeString:
    """Lines over ``categories`` (x labels). ``series`` is a list of (name, [value or None, ...])."""
    left, right, top_pad, bottom = 50, 50, 20, 60  # room for centred labels at both ends
    values = [v for _n, vals in series for v in vals if v is not None]
    top = maximum or (max(values) if values else 1) or 1
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(len(categories) - 1, 1)
    parts = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}" stroke="#999"/>'
    ]
    for i, category in enumerate(categories):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{top_pad + plot_h + 18}" text-anchor="middle" font-size="12">{escape(str(category))}</text>'
        )
    for s, (name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [
            (left + i * step, top_pad + plot_h - (v / top) * plot_h, v)
            for i, v in enumerate(vals)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _v in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
            )
        for x, y, v in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">{_number(v)}</text>'
            )
        legend_y = height - 18
        parts.append(
            f'<rect x="{left + s * 170}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{left + s * 170 + 16}" y="{legend_y}" font-size="12">{escape(str(name)[:24])}</text>'
        )
    return _svg(width, height, title, desc, "".join(parts))


def _number(value: float) -> str:
    """``value`` with at most one decimal, in the user's locale (a decimal comma in Vietnamese)."""
    if isinstance(value, float):
        value = round(value, 1)
        if value == int(value):
            value = int(value)
    return formats.number_format(value, decimal_pos=None, use_l10n=True)

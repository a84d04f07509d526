"""Grouped vertical bars and 100% mix bars for the HTML report, as static SVG.

Both tell their series apart by fill pattern as well as colour (see
:mod:`svg_parts`), label every bar with its value (grouped bars) or share (mix bars,
when the part is wide enough to hold it; every part's count and share are on hover),
and write numbers through the report's formatter, so axis ticks and labels are in the
report's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clientwise.plugins.reports.svg_parts import (
    WIDTH,
    css_class,
    escape,
    fill,
    nice_ticks,
    num,
    open_svg,
    patterns,
    short,
)

#: Writes a value (an axis tick, a bar's value) in the report's locale.
Show = Callable[[float], str]


def grouped_bars(chart: str, categories: Sequence[str], series: Sequence[tuple[str, str]],
                 values: Sequence[Sequence[float | None]], *, label: str, show: Show,
                 value_title: str = "", category_title: str = "") -> str:
    """Per category one bar per series ((label, tone) each) from a zero line; ``chart``
    is the chart's id (its fill patterns' ids start with it)."""
    left, right, top, bottom = 92, 12, 24, 58 + 18 * (-(-len(series) // 3))
    height = 300 + bottom
    known = [v for row in values for v in row if v is not None]
    ticks = nice_ticks(min([0.0, *known]), max([0.0, *known]))
    low, high = ticks[0], ticks[-1]
    plot_h = height - top - bottom

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    band = (WIDTH - left - right) / max(len(categories), 1)
    bar = min(band * 0.8 / max(len(series), 1), 90.0)
    out = [open_svg(label, height), patterns(chart, [tone for _, tone in series])]
    for tick in ticks:
        out.append(f'<line class="grid" x1="{left}" y1="{num(y(tick))}" x2="{WIDTH - right}" y2="{num(y(tick))}"/>'
                   f'<text class="tick" x="{left - 6}" y="{num(y(tick) + 4)}" text-anchor="end">{escape(show(tick))}</text>')
    for i, (category, row) in enumerate(zip(categories, values)):
        start = left + i * band + (band - bar * len(series)) / 2
        for j, value in enumerate(row):
            if value is None:
                continue
            x, y0, y1 = start + j * bar, y(max(value, 0.0)), y(min(value, 0.0))
            text = escape(show(value))
            out.append(f'<rect class="gbar" {fill(chart, j)} x="{num(x + 1)}" y="{num(y0)}" width="{num(bar - 2)}" '
                       f'height="{num(y1 - y0)}"><title>{escape(series[j][0])}, {escape(category)}: {text}</title></rect>')
            if bar >= 40:
                ty = y0 - 4 if value >= 0 else y1 + 11
                out.append(f'<text class="bar-value" x="{num(x + bar / 2)}" y="{num(ty)}" text-anchor="middle">{text}</text>')
        out.append(f'<text class="bar-label" x="{num(left + (i + 0.5) * band)}" y="{num(y(low) + 15)}" '
                   f'text-anchor="middle">{escape(short(category, int(band / 6.5)))}</text>')
    out.append(f'<line class="axis" x1="{left}" y1="{num(y(0))}" x2="{WIDTH - right}" y2="{num(y(0))}"/>')
    if category_title:
        out.append(f'<text class="axis-title" x="{num(left + (WIDTH - left - right) / 2)}" y="{num(y(low) + 32)}" '
                   f'text-anchor="middle">{escape(category_title)}</text>')
    if value_title:
        middle = top + plot_h / 2
        out.append(f'<text class="axis-title" x="14" y="{num(middle)}" text-anchor="middle" '
                   f'transform="rotate(-90 14 {num(middle)})">{escape(value_title)}</text>')
    out.append(_legend(chart, [name for name, _ in series], height - bottom + 44))
    out.append("</svg>")
    return "".join(out)


def mix_bars(chart: str, rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]], *,
             label: str, percent: Show, whole: Show) -> str:
    """One full-width bar per row split into its parts' shares (series (label, tone) in
    order, ``rows`` giving each row's count per series); the row's total on the right."""
    row_h, left, right, top = 30, 172, 80, 12
    legend_rows = -(-len(series) // 3)
    height = top + row_h * len(rows) + 18 * legend_rows + 20
    width = WIDTH - left - right
    out = [open_svg(label, height), patterns(chart, [tone for _, tone in series])]
    for index, (name, counts) in enumerate(rows):
        y = top + index * row_h
        total = sum(max(c, 0.0) for c in counts)
        out.append(f'<text class="bar-label" x="{left - 8}" y="{y + 19}" text-anchor="end">{escape(short(name))}</text>'
                   f'<text class="bar-value" x="{WIDTH - right + 6}" y="{y + 19}">n = {escape(whole(total))}</text>')
        start = 0.0
        for j, count in enumerate(counts):
            if total <= 0 or count <= 0:
                continue
            share = count / total
            w = share * width
            out.append(f'<rect class="seg-mix" {fill(chart, j)} x="{num(left + start)}" y="{y + 4}" width="{num(w)}" '
                       f'height="{row_h - 8}"><title>{escape(series[j][0])}: {escape(whole(count))} '
                       f'({escape(percent(share))})</title></rect>')
            if w >= 38:
                out.append(f'<text class="seg-label" x="{num(left + start + w / 2)}" y="{y + 19}" '
                           f'text-anchor="middle">{escape(percent(share))}</text>')
            start += w
    out.append(_legend(chart, [name for name, _ in series], top + row_h * len(rows) + 18))
    out.append("</svg>")
    return "".join(out)


def _legend(chart: str, names: Sequence[str], y: float) -> str:
    """Swatches with each series' fill and name, three to a line."""
    out = []
    for index, name in enumerate(names):
        lx, ly = 20 + (index % 3) * 205, y + (index // 3) * 18
        out.append(f'<rect class="swatch-box" {fill(chart, index)} x="{lx}" y="{num(ly - 10)}" width="12" height="12"/>'
                   f'<text class="legend" x="{lx + 17}" y="{num(ly)}">{escape(short(name, 30))}</text>')
    return "".join(out)


def chart_id(item_id: str, title: str) -> str:
    """The id a chart's patterns are named after: its block's id, else one made from its title."""
    return css_class(item_id or title, "c-")

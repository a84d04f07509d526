"""Small static SVG charts for the HTML report, written by hand.

A plotting library would add tens of megabytes for three chart shapes (a cumulative
curve, horizontal bars, stacked bars). These functions return complete ``<svg>``
elements with every label escaped, coordinates rounded to 0.1 so the same data always
gives the same bytes, and curves thinned to at most :data:`MAX_POINTS` points so a
million-customer portfolio still gives a small file. Colours are tone classes
(``t-good``, ``t-bad``, ...) the report's stylesheet defines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from clientwise.output.blocks import Point
from clientwise.plugins.reports.svg_parts import HEIGHT, WIDTH, css_class as _css, escape, num as _n, open_svg as _open
from clientwise.plugins.reports.svg_parts import short as _short

#: Most points drawn per curve; the first, last and every n-th point are kept.
MAX_POINTS = 400

_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 40


def thin(points: Sequence[Point], limit: int = MAX_POINTS) -> list[Point]:
    """At most ``limit`` points: every n-th, always keeping the last and each group's first."""
    if len(points) <= limit:
        return list(points)
    step = -(-len(points) // limit)
    kept = [p for i, p in enumerate(points) if i % step == 0 or i == len(points) - 1
            or (i and points[i - 1].group != p.group)]
    return kept


def curve_chart(
    series: Sequence[Point],
    *,
    label: str,
    x_title: str,
    y_title: str,
    hlines: Sequence[tuple[float, str]] = (),
    vlines: Sequence[tuple[float, str]] = (),
    marker: tuple[Point, str] | None = None,
    tones: Mapping[str, str] | None = None,
    percent: Callable[[float], str] = lambda value: f"{value:.0%}",
) -> str:
    """A cumulative-share curve from (0, 0); one path per run of the same group, coloured by
    its tone; ``percent`` writes the axes' ticks (in the report's locale)."""
    points = [Point(0.0, 0.0, series[0].group if series else ""), *thin(series)]
    top = max([1.0, *(p.y for p in points), *(y for y, _ in hlines)])
    bottom = min([0.0, *(p.y for p in points)])
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(v: float) -> float:
        return _LEFT + v * plot_w

    def y(v: float) -> float:
        return _TOP + (top - v) / (top - bottom) * plot_h

    parts = [_open(label), _axes(x, y, bottom, top, x_title, y_title, percent)]
    for value, text in hlines:
        parts.append(f'<line class="ref" x1="{_n(x(0))}" y1="{_n(y(value))}" x2="{_n(x(1))}" y2="{_n(y(value))}"/>'
                     f'<text class="ref-label" x="{_n(x(0) + 4)}" y="{_n(y(value) - 4)}">{escape(text)}</text>')
    for value, text in vlines:
        parts.append(f'<line class="cut" x1="{_n(x(value))}" y1="{_n(y(top))}" x2="{_n(x(value))}" y2="{_n(y(bottom))}"/>'
                     f'<text class="cut-label" x="{_n(x(value) + 3)}" y="{_n(y(top) + 12)}">{escape(text)}</text>')
    runs: list[tuple[str, list[Point]]] = []
    for previous, point in zip(points, points[1:]):
        if not runs or runs[-1][0] != point.group:
            runs.append((point.group, [previous]))
        runs[-1][1].append(point)
    for group, run in runs:
        path = " ".join(f"{'M' if i == 0 else 'L'}{_n(x(p.x))} {_n(y(p.y))}" for i, p in enumerate(run))
        tone = (tones or {}).get(group)
        classes = _css(group) + (f" {_css(tone, 't-')}" if tone else "")
        parts.append(f'<path class="curve {escape(classes)}" d="{path}"/>')
    if marker is not None:
        point, text = marker
        parts.append(f'<circle class="marker" cx="{_n(x(point.x))}" cy="{_n(y(point.y))}" r="4"/>'
                     f'<text class="marker-label" x="{_n(x(point.x) - 6)}" y="{_n(y(point.y) - 8)}" '
                     f'text-anchor="end">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Sequence[tuple[str, float, str, str | None]], *, label: str) -> str:
    """Horizontal bars: (label, value, value text, tone) per bar, scaled to the largest."""
    row = 28
    height = _TOP + row * len(bars) + 8
    biggest = max([0.0, *(value for _, value, _, _ in bars)]) or 1.0
    left, width = 150, WIDTH - 150 - 80
    parts = [_open(label, height)]
    for index, (name, value, text, tone) in enumerate(bars):
        top = _TOP + index * row
        classes = "bar" + (f" {_css(tone, 't-')}" if tone else "")
        parts.append(
            f'<text class="bar-label" x="{left - 8}" y="{top + 17}" text-anchor="end">{escape(_short(name))}</text>'
            f'<rect class="{escape(classes)}" x="{left}" y="{top + 4}" width="{_n(max(value, 0) / biggest * width)}" height="{row - 8}"/>'
            f'<text class="bar-value" x="{_n(left + max(value, 0) / biggest * width + 6)}" y="{top + 17}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: Sequence[tuple[str, Sequence[tuple[str, float]]]], *, label: str,
                 number: Callable[[float], str] = lambda value: f"{value:,.0f}") -> str:
    """One horizontal bar per row split into its parts (each part's value shown by
    ``number`` on hover), with a legend of the parts."""
    row_h = 26
    names = list(dict.fromkeys(name for _, parts in rows for name, _ in parts))
    legend_rows = -(-len(names) // 3)
    height = _TOP + row_h * len(rows) + 18 * legend_rows + 16
    biggest = max([0.0, *(sum(max(v, 0) for _, v in parts) for _, parts in rows)]) or 1.0
    left, width = 172, WIDTH - 172 - 20  # room for a key and the start of a name
    out = [_open(label, height)]
    for index, (name, parts) in enumerate(rows):
        top = _TOP + index * row_h
        out.append(f'<text class="bar-label" x="{left - 8}" y="{top + 16}" text-anchor="end">{escape(_short(name))}</text>')
        start = 0.0
        for part, value in parts:
            w = max(value, 0) / biggest * width
            out.append(f'<rect class="seg s{names.index(part) % 8}" x="{_n(left + start)}" y="{top + 4}" '
                       f'width="{_n(w)}" height="{row_h - 8}"><title>{escape(part)}: {escape(number(value))}</title></rect>')
            start += w
    base = _TOP + row_h * len(rows) + 12
    for index, name in enumerate(names):
        lx, ly = 20 + (index % 3) * 205, base + (index // 3) * 18
        out.append(f'<rect class="seg s{index % 8}" x="{lx}" y="{ly - 9}" width="10" height="10"/>'
                   f'<text class="legend" x="{lx + 14}" y="{ly}">{escape(_short(name, 30))}</text>')
    out.append("</svg>")
    return "".join(out)


def _axes(x: Callable[[float], float], y: Callable[[float], float], bottom: float, top: float,
          x_title: str, y_title: str, percent: Callable[[float], str]) -> str:
    parts = [f'<line class="axis" x1="{_n(x(0))}" y1="{_n(y(bottom))}" x2="{_n(x(1))}" y2="{_n(y(bottom))}"/>',
             f'<line class="axis" x1="{_n(x(0))}" y1="{_n(y(bottom))}" x2="{_n(x(0))}" y2="{_n(y(top))}"/>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text class="tick" x="{_n(x(tick))}" y="{_n(y(bottom) + 14)}" text-anchor="middle">{escape(percent(tick))}</text>')
        if bottom <= tick <= top:
            parts.append(f'<text class="tick" x="{_n(x(0) - 6)}" y="{_n(y(tick) + 4)}" text-anchor="end">{escape(percent(tick))}</text>')
    parts.append(f'<text class="axis-title" x="{_n(x(0.5))}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_title)}</text>')
    parts.append(f'<text class="axis-title" x="14" y="{_n(y((top + bottom) / 2))}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {_n(y((top + bottom) / 2))})">{escape(y_title)}</text>')
    return "".join(parts)

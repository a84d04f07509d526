"""A scatter on logarithmic axes for the HTML report, as static SVG.

Amounts per customer (revenue, cost to serve) span several powers of ten, so both axes
are logarithmic, ticked at powers of ten in the report's locale. Each series has its
own mark shape and tone (the highlighted series drawn last, on top), so it reads in
greyscale. A binned scatter (:func:`clientwise.output.charts.scatter_dots`) draws a
cell of many customers as a larger mark, and its legend says how large is how many.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from clientwise.output.charts import Dot
from clientwise.plugins.reports.svg_parts import (
    WIDTH,
    css_class,
    escape,
    log_ticks,
    num,
    open_svg,
    shape,
    short,
)

#: Writes a value (an axis tick, a count) in the report's locale.
Show = Callable[[float], str]

_LEFT, _RIGHT, _TOP, _PLOT_H = 96, 40, 14, 300


def radius(count: int) -> float:
    """A mark's size: one customer 2.5, growing with the logarithm of the count."""
    return min(2.5 + 2.0 * math.log10(max(count, 1)), 10.0)


def scatter(dots: Sequence[Dot], series: Sequence[tuple[str, str, str]], *, label: str,
            x_range: tuple[float, float], y_range: tuple[float, float], x_title: str, y_title: str,
            x_show: Show, y_show: Show, whole: Show, binned: bool, customers: str) -> str:
    """Marks per series ((name, label, tone) each, drawn in order) on log-log axes;
    ``customers`` is the word for one or more customers in the size legend ("customers")."""
    names = {name: index for index, (name, _, _) in enumerate(series)}
    plot_w = WIDTH - _LEFT - _RIGHT
    sizes = _sizes(max((d.count for d in dots), default=1)) if binned else []
    height = _TOP + _PLOT_H + 44 + 20 * (1 + (1 if sizes else 0))
    (x0, x1), (y0, y1) = (math.log10(v) for v in x_range), (math.log10(v) for v in y_range)

    def x(value: float) -> float:
        return _LEFT + (math.log10(value) - x0) / (x1 - x0) * plot_w

    def y(value: float) -> float:
        return _TOP + (y1 - math.log10(value)) / (y1 - y0) * _PLOT_H

    bottom = _TOP + _PLOT_H
    out = [open_svg(label, height)]
    for tick in log_ticks(*x_range):
        out.append(f'<line class="grid" x1="{num(x(tick))}" y1="{_TOP}" x2="{num(x(tick))}" y2="{bottom}"/>'
                   f'<text class="tick" x="{num(x(tick))}" y="{bottom + 14}" text-anchor="middle">{escape(x_show(tick))}</text>')
    for tick in log_ticks(*y_range):
        out.append(f'<line class="grid" x1="{_LEFT}" y1="{num(y(tick))}" x2="{WIDTH - _RIGHT}" y2="{num(y(tick))}"/>'
                   f'<text class="tick" x="{_LEFT - 6}" y="{num(y(tick) + 4)}" text-anchor="end">{escape(y_show(tick))}</text>')
    out.append(f'<line class="axis" x1="{_LEFT}" y1="{bottom}" x2="{WIDTH - _RIGHT}" y2="{bottom}"/>'
               f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}"/>')
    for name, _, tone in series:
        index = names[name]
        classes = f"mark {css_class(tone, 'k-')} {css_class(name)}"
        out += [shape(index, x(d.x), y(d.y), radius(d.count), classes) for d in dots if d.group == name]
    out.append(f'<text class="axis-title" x="{num(_LEFT + plot_w / 2)}" y="{bottom + 32}" '
               f'text-anchor="middle">{escape(x_title)}</text>')
    middle = _TOP + _PLOT_H / 2
    out.append(f'<text class="axis-title" x="14" y="{num(middle)}" text-anchor="middle" '
               f'transform="rotate(-90 14 {num(middle)})">{escape(y_title)}</text>')
    line = bottom + 56
    for index, (name, text, tone) in enumerate(series):
        lx = 20 + index * 205
        out.append(shape(index, lx + 5, line - 4, 4.5, f"mark {css_class(tone, 'k-')} {css_class(name)}")
                   + f'<text class="legend" x="{lx + 15}" y="{line}">{escape(short(text, 30))}</text>')
    lx = 20.0
    for count in sizes:
        r = radius(count)
        out.append(f'<circle class="mark size" cx="{num(lx + r)}" cy="{line + 16}" r="{num(r)}"/>'
                   f'<text class="legend" x="{num(lx + 2 * r + 5)}" y="{line + 20}">'
                   f'{escape(whole(count))} {escape(customers)}</text>')
        lx += 2 * r + 110
    out.append("</svg>")
    return "".join(out)


def _sizes(largest: int) -> list[int]:
    """The counts the size legend shows: 1, 10, 100 ... up to the largest mark's."""
    return [10 ** p for p in range(0, int(math.log10(largest)) + 1)] if largest > 1 else [1]

"""The two charts of "since the last review": the tier migration matrix and the health sparkline.

Like :mod:`clientwise.plugins.reports.svg`, complete ``<svg>`` elements written by
hand, every label escaped and coordinates rounded, so the same data gives the same
bytes. Both are readable without colour: the matrix prints each cell's count, marks
the diagonal (customers who kept their tier) with a heavy border and shades the rest
by a single grey-blue ramp that stays distinct in greyscale, with dark text on light
cells and light text on dark ones; a sparkline is one dark line with its last point
as a dot, and its values are its accessible name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clientwise.plugins.reports.svg import escape

#: Shades of the matrix cells, light to dark (the last three take white text).
SHADES = ("#f0f4f8", "#d9e2ec", "#bcccdc", "#9fb3c8", "#627d98", "#486581", "#243b53")
_CELL, _HEAD, _SIDE = 84, 58, 150
SPARK_W, SPARK_H = 96, 24


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def migration_matrix(order: Sequence[str], counts: Sequence[Sequence[int]], *, label: str, then_title: str,
                     now_title: str, name: Callable[[str], str] = str,
                     number: Callable[[int], str] = str) -> str:
    """Rows: the class at the last review, columns: now; ``counts[i][j]`` customers went from
    ``order[i]`` to ``order[j]``. ``name`` shows a class, ``number`` a count."""
    size = len(order)
    width = _SIDE + _CELL * size + 12
    height = _HEAD + _CELL // 2 * size + 12
    row_h = _CELL // 2
    biggest = max([1, *(c for row in counts for c in row)])
    out = [f'<svg class="chart matrix" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>',
           f'<text class="axis-title" x="{_n(_SIDE + _CELL * size / 2)}" y="14" text-anchor="middle">'
           f'{escape(now_title)} →</text>',
           f'<text class="axis-title" x="4" y="{_HEAD - 8}">{escape(then_title)} ↓</text>']
    for j, value in enumerate(order):
        out.append(f'<text class="bar-label" x="{_n(_SIDE + _CELL * j + _CELL / 2)}" y="{_HEAD - 8}" '
                   f'text-anchor="middle">{escape(_short(name(value), 12))}</text>')
    for i, before in enumerate(order):
        top = _HEAD + row_h * i
        out.append(f'<text class="bar-label" x="{_SIDE - 8}" y="{_n(top + row_h / 2 + 4)}" text-anchor="end">'
                   f'{escape(_short(name(before), 20))}</text>')
        for j, after in enumerate(order):
            count = counts[i][j]
            shade = 0 if not count else 1 + min(len(SHADES) - 2, int(count / biggest * (len(SHADES) - 1)))
            kept = " kept" if i == j else ""
            light = " on-dark" if shade >= len(SHADES) - 3 else ""
            x = _SIDE + _CELL * j
            out.append(f'<rect class="cell{kept}" x="{x + 1}" y="{top + 1}" width="{_CELL - 2}" height="{row_h - 2}" '
                       f'fill="{SHADES[shade]}"><title>{escape(name(before))} → {escape(name(after))}: '
                       f'{escape(number(count))}</title></rect>'
                       f'<text class="count{light}" x="{_n(x + _CELL / 2)}" y="{_n(top + row_h / 2 + 5)}" '
                       f'text-anchor="middle">{escape(number(count))}</text>')
    out.append("</svg>")
    return "".join(out)


def sparkline(values: Sequence[float | None], *, label: str, low: float = 0.0, high: float = 100.0) -> str:
    """A small line of ``values`` (oldest first; None leaves a gap) on a ``low``-``high`` scale
    (widened to the values), its last known point as a dot; ``label`` is its accessible name."""
    known = [v for v in values if v is not None]
    low, high = min([low, *known]), max([high, *known])
    span = (high - low) or 1.0
    step = (SPARK_W - 6) / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[str, str]:
        return _n(3 + index * step), _n(SPARK_H - 3 - (value - low) / span * (SPARK_H - 6))

    runs: list[list[tuple[str, str]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(point(index, value))
    out = [f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_W} {SPARK_H}" '
           f'width="{SPARK_W}" height="{SPARK_H}" role="img" aria-label="{escape(label)}">'
           f'<title>{escape(label)}</title>',
           f'<line class="spark-base" x1="3" y1="{SPARK_H - 3}" x2="{SPARK_W - 3}" y2="{SPARK_H - 3}"/>']
    for run in runs:
        if len(run) > 1:
            out.append(f'<polyline class="spark-line" points="{" ".join(f"{x},{y}" for x, y in run)}"/>')
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if last is not None:
        x, y = point(*last)
        out.append(f'<circle class="spark-dot" cx="{x}" cy="{y}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)

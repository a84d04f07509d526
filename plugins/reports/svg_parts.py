"""What every hand-written SVG chart of the HTML report shares.

Coordinates are rounded to 0.1 (:func:`num`) so the same data gives the same bytes;
text is escaped (:func:`escape`); class names made from data are reduced to safe
characters (:func:`css_class`). Series are told apart by more than colour, so a chart
printed in greyscale still reads: :func:`patterns` defines one fill per series (solid,
hatched, dotted, cross-hatched: a series' tone colours it, the pattern names it) and
:func:`shape` one mark shape per series.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from clientwise.output.escape import show_bidi

WIDTH, HEIGHT = 640, 320
#: The fills the series of a chart get in turn (the pattern drawn over the tone's colour).
FILLS = ("solid", "hatch", "dots", "cross")
#: The mark shapes the series of a scatter get in turn.
SHAPES = ("circle", "triangle", "square", "diamond")


def escape(text: str) -> str:
    """Text for SVG: markup escaped, bidirectional controls shown as code points (SVG has no <bdi>)."""
    return html.escape(show_bidi(text))


def num(value: float) -> str:
    """A coordinate rounded to 0.1, without a trailing ``.0`` (and never ``-0``)."""
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def open_svg(label: str, height: int = HEIGHT, width: int = WIDTH) -> str:
    """The ``<svg>`` start tag with its accessible name."""
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>')


def css_class(name: str, prefix: str = "g-") -> str:
    """A class name from a group id or a tone (customer text never reaches a class attribute unescaped)."""
    return prefix + "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def patterns(chart: str, tones: Sequence[str]) -> str:
    """``<defs>`` with one fill per series (ids ``<chart>-f0``, ``-f1`` ...), unique per chart
    because the report holds many charts in one document."""
    out = ["<defs>"]
    for index, tone in enumerate(tones):
        fill = FILLS[index % len(FILLS)]
        base = f'<rect class="{css_class(tone, "k-")}" width="6" height="6"/>'
        over = {"solid": "",
                "hatch": '<path class="hatch" d="M0 6L6 0M-1 1L1 -1M5 7L7 5"/>',
                "dots": '<circle class="dot" cx="3" cy="3" r="1.2"/>',
                "cross": '<path class="hatch" d="M0 6L6 0M0 0L6 6"/>'}[fill]
        out.append(f'<pattern id="{chart}-f{index}" patternUnits="userSpaceOnUse" width="6" height="6">{base}{over}</pattern>')
    out.append("</defs>")
    return "".join(out)


def fill(chart: str, index: int) -> str:
    """The ``fill`` attribute of series ``index`` (see :func:`patterns`)."""
    return f'fill="url(#{chart}-f{index})"'


def shape(index: int, x: float, y: float, r: float, classes: str) -> str:
    """Series ``index``'s mark centred on (x, y), about ``r`` in radius."""
    kind = SHAPES[index % len(SHAPES)]
    if kind == "circle":
        return f'<circle class="{classes}" cx="{num(x)}" cy="{num(y)}" r="{num(r)}"/>'
    if kind == "square":
        return f'<rect class="{classes}" x="{num(x - r)}" y="{num(y - r)}" width="{num(2 * r)}" height="{num(2 * r)}"/>'
    if kind == "triangle":
        h = r * 1.2
        d = f"M{num(x)} {num(y - h)}L{num(x + h)} {num(y + h * 0.8)}L{num(x - h)} {num(y + h * 0.8)}Z"
    else:
        h = r * 1.3
        d = f"M{num(x)} {num(y - h)}L{num(x + h)} {num(y)}L{num(x)} {num(y + h)}L{num(x - h)} {num(y)}Z"
    return f'<path class="{classes}" d="{d}"/>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering ``low``..``high``."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step * 0.999:
        ticks.append(round(value, 10) + 0.0)
        value += step
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Ticks on a logarithmic axis from ``low`` to ``high`` (powers of ten): each power
    of ten, and 2 and 5 times it when the axis spans fewer than three decades."""
    decades = range(round(math.log10(low)), round(math.log10(high)) + 1)
    steps = (1, 2, 5) if len(decades) <= 3 else (1,)
    return [m * 10.0 ** d for d in decades for m in steps if m * 10.0 ** d <= high * 1.0001]

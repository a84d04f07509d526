"""More chart blocks a section can return: grouped bars, a mix of shares, a scatter.

These extend :mod:`clientwise.output.blocks` (where the chart base class, the curve
and the horizontal bars are): bars of several series side by side per category
(revenue and profit per tier, where profit may be negative), each row's parts as
shares of the row (the health band mix per tier: tiers differ a hundredfold in size,
so counts would hide the small tier's mix), and a scatter of two amounts with a group
highlighted (value destroyers among the customers).

Every series has a ``tone`` for its colour and an index the HTML report turns into a
fill pattern or a mark shape, so a chart still reads printed in greyscale.

A scatter over a large portfolio is binned, not sampled: :func:`scatter_dots` puts the
customers in a grid of cells (per group) and the chart draws one mark per non-empty
cell, larger for more customers, so every customer is represented, outliers included,
and a million customers cost at most a few thousand marks. The chart says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from clientwise.compiler.plan import Tone
from clientwise.output.blocks import Chart, Kind, Stack

#: Up to this many customers a scatter draws each one; above, it bins them.
SCATTER_POINTS = 1000
#: The grid a larger scatter bins customers into (columns x rows).
SCATTER_GRID = (60, 36)


@dataclass(frozen=True)
class Series:
    """One series of a chart: ``name`` identifies it, ``label`` names it in the legend."""

    name: str
    label: str
    tone: Tone = "neutral"


@dataclass(frozen=True, kw_only=True)
class GroupedBarChart(Chart):
    """Vertical bars from a zero line, one per series within each category (negative
    values go below the line); ``values[i][j]`` is category ``i``'s value of series ``j``
    (None: unknown, no bar). ``value_title`` titles the value axis, ``kind`` formats it."""

    categories: Sequence[str]
    series: Sequence[Series]
    values: Sequence[Sequence[float | None]]
    kind: Kind = "number"
    value_title: str = ""
    category_title: str = ""


@dataclass(frozen=True, kw_only=True)
class MixChart(Chart):
    """Horizontal bars of equal length, one per row, split into the row's parts as shares
    of the row (each part's count is shown on hover and the row's total beside it).
    ``stacks`` give the counts by series name; ``series`` name, order and colour them."""

    stacks: Sequence[Stack]
    series: Sequence[Series]


@dataclass(frozen=True)
class Dot:
    """One mark of a scatter: a customer, or ``count`` customers binned into one cell."""

    x: float
    y: float
    group: str
    count: int = 1


@dataclass(frozen=True, kw_only=True)
class ScatterChart(Chart):
    """Marks at (x, y) on logarithmic axes spanning ``x_range`` and ``y_range``; one
    shape and tone per ``series`` (drawn in that order, so the last is on top: put the
    highlighted group last). ``binned``: the marks are grid cells (see :func:`scatter_dots`)."""

    dots: Sequence[Dot]
    series: Sequence[Series]
    x_title: str
    y_title: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_kind: Kind = "number"
    y_kind: Kind = "number"
    binned: bool = False
    #: Customers not drawn because a value is unknown or not above zero (a log axis has no zero).
    left_out: int = 0
    #: What a mark counts, for the legend of a binned scatter's mark sizes.
    unit: str = "customers"


@dataclass(frozen=True)
class Scatter:
    """What :func:`scatter_dots` found: the marks, the axes' ranges and what was left out."""

    dots: list[Dot]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    binned: bool
    left_out: int


def scatter_dots(frame: pl.DataFrame, x: str, y: str, group: str, order: str, *,
                 limit: int = SCATTER_POINTS, grid: tuple[int, int] = SCATTER_GRID) -> Scatter:
    """The marks of a log-log scatter of ``x`` against ``y`` grouped by ``group``.

    Up to ``limit`` customers each is a mark (in ``order``, a unique column such as the
    key, so reruns give the same marks); above, each group's customers are counted per
    cell of a ``grid`` evenly spaced on the log axes and each non-empty cell is a mark
    at its centre. Ranges are whole decades around the data.
    """
    drawn = frame.select(pl.col(x).cast(pl.Float64), pl.col(y).cast(pl.Float64),
                         pl.col(group).cast(pl.String).fill_null(""), pl.col(order)
                         ).filter((pl.col(x) > 0) & (pl.col(y) > 0) & pl.col(x).is_finite() & pl.col(y).is_finite())
    left_out = frame.height - drawn.height
    if not drawn.height:
        return Scatter([], (1.0, 10.0), (1.0, 10.0), False, left_out)
    x_range = _decades(drawn.get_column(x))
    y_range = _decades(drawn.get_column(y))
    if drawn.height <= limit:
        rows = drawn.sort(order).select(x, y, group).iter_rows()
        return Scatter([Dot(a, b, g) for a, b, g in rows], x_range, y_range, False, left_out)
    columns, rows_ = grid

    def cell(name: str, span: tuple[float, float], cells: int) -> pl.Expr:
        low, high = math.log10(span[0]), math.log10(span[1])
        return ((pl.col(name).log10() - low) / (high - low) * cells).floor().clip(0, cells - 1).cast(pl.Int64)

    counts = (drawn.select(pl.col(group), cell(x, x_range, columns).alias("cx"), cell(y, y_range, rows_).alias("cy"))
              .group_by(group, "cx", "cy").len().sort(group, "cx", "cy"))

    def centre(index: int, span: tuple[float, float], cells: int) -> float:
        low, high = math.log10(span[0]), math.log10(span[1])
        return 10 ** (low + (index + 0.5) / cells * (high - low))

    dots = [Dot(centre(cx, x_range, columns), centre(cy, y_range, rows_), g, int(n))
            for g, cx, cy, n in counts.iter_rows()]
    return Scatter(dots, x_range, y_range, True, left_out)


def _decades(values: pl.Series) -> tuple[float, float]:
    """The powers of ten just below the smallest and just above the largest value."""
    low = math.floor(math.log10(float(values.min())))  # type: ignore[arg-type]
    high = math.ceil(math.log10(float(values.max())))  # type: ignore[arg-type]
    return 10.0 ** low, 10.0 ** max(high, low + 1)

"""What a section shows in the reports for people, described as data.

A section plugin returns a list of these blocks from ``SectionHandler.report``; the
HTML, Markdown and xlsx writers (and any third-party writer) lay them out, each its
own way: a chart is an SVG drawing in the HTML report and, where nothing can be
drawn (Markdown, the workbook), its one-sentence summary and its data. Values stay
typed (numbers, dates, booleans) with a ``kind`` saying how to show them, and
colours are ``tones`` (good, bad, ...), so every format shows a value the same way
and a locale or a palette is applied in one place, by the writer.

Every block may be ``detail``: the HTML report shows it, summaries (the Markdown
summary, the workbook's Summary sheet) leave it out, as the terminal leaves out
detail columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import polars as pl

from clientwise.compiler.plan import SectionSummary, Tone, ValueKind

#: How a block's value is shown: the output-column kinds, and ``customer`` for a customer
#: key (linked to the customer's detail block; the report adds the customer's name and
#: group columns, such as the tier, after it).
Kind = ValueKind | Literal["customer"]

#: Rows of a summary table the default report shows (the JSON output has them all).
SUMMARY_ROWS = 50
#: Points a curve needs at most: a chart is a few hundred pixels wide.
CURVE_POINTS = 1000


@dataclass(frozen=True)
class Range:
    """A range of values shown as one cell: ``5.0% – 10.0%``, ``≥ 40.0%`` (either end may be open)."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class Cell:
    """A table value with its own tone or kind, where its column's cannot say it (a
    required role that is not covered; a footer's share under a column of yes/no answers)."""

    value: Any
    tone: Tone | None = None
    kind: Kind | None = None


@dataclass(frozen=True, kw_only=True)
class Block:
    """What every block has: ``detail`` blocks are shown by the HTML report only."""

    detail: bool = False


@dataclass(frozen=True)
class Figure:
    """One value with its label; ``name`` identifies it (a headline figure's name is its
    identity across sections, see :class:`Figures`)."""

    label: str
    value: Any
    kind: Kind = "text"
    name: str = ""


@dataclass(frozen=True)
class Figures(Block):
    """A group of figures, shown as a two-column table.

    ``headline`` figures are shown among the portfolio overview's figures at the top of
    the report instead of in the section; when two sections give a headline figure of
    the same ``name``, the later section's value is shown (in the earlier one's place).
    """

    figures: Sequence[Figure]
    title: str = ""
    headline: bool = False


@dataclass(frozen=True)
class Note(Block):
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class Column:
    """A table column: ``name`` identifies it, ``label`` heads it, ``kind`` formats its values.

    ``tones`` colours known values (a cell can also carry its own, see :class:`Cell`);
    ``marks`` shows yes/no values as ✓, ✗ and – (not applicable), coloured good, bad and
    neutral; ``description`` is a longer text (the HTML report shows it on hover);
    ``detail`` columns are left out of the Markdown summary.
    """

    name: str
    label: str
    kind: Kind = "text"
    detail: bool = False
    tones: Mapping[Any, Tone] = field(default_factory=dict)
    marks: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table(Block):
    """Rows of values, one entry per column (a value or a :class:`Cell`).

    ``id`` is a stable anchor for the HTML report; ``note`` explains the table;
    ``footer`` is a closing row (totals); ``total_rows`` says how many rows there are
    when the section passes only the first ones. A detail table with a ``sheet`` name
    gets a sheet of its own in the workbook (with all its rows); other detail tables
    are left out of the workbook.
    """

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    id: str = ""
    note: str = ""
    footer: Sequence[Any] | None = None
    total_rows: int | None = None
    sheet: str = ""

    @property
    def total(self) -> int:
        """Rows in all, shown or not."""
        return len(self.rows) if self.total_rows is None else max(self.total_rows, len(self.rows))


@dataclass(frozen=True, kw_only=True)
class Chart(Block):
    """What every chart has. ``summary`` says in a sentence what the chart shows: it is
    the chart's text for readers who cannot see it, and its stand-in where a chart
    cannot be drawn. A writer that does not know a kind of chart shows title and summary.
    """

    title: str
    id: str = ""
    caption: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Point:
    """One point of a curve; ``group`` names the part of the curve it belongs to."""

    x: float
    y: float
    group: str = ""


@dataclass(frozen=True)
class Line:
    """A reference line across a chart at ``value``, labelled."""

    value: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A labelled point (a curve's peak)."""

    point: Point
    label: str


@dataclass(frozen=True)
class Legend:
    """How a group of a curve is named and coloured."""

    group: str
    label: str
    tone: Tone


@dataclass(frozen=True, kw_only=True)
class CurveChart(Chart):
    """A cumulative curve from (0, 0), x and y as shares (Pareto curve, whale curve).

    Consecutive points of the same ``group`` are drawn as one coloured run (coloured by
    ``legend``); ``hlines`` are reference levels, ``vlines`` cut-offs along x.
    """

    points: Sequence[Point]
    x_title: str
    y_title: str
    hlines: Sequence[Line] = ()
    vlines: Sequence[Line] = ()
    marker: Marker | None = None
    legend: Sequence[Legend] = ()


@dataclass(frozen=True)
class Bar:
    """One bar: its value, optionally its share of the whole (shown beside the value)."""

    label: str
    value: float
    share: float | None = None
    tone: Tone | None = None


@dataclass(frozen=True, kw_only=True)
class BarChart(Chart):
    """Horizontal bars scaled to the largest; ``kind`` formats the values."""

    bars: Sequence[Bar]
    kind: Kind = "number"


@dataclass(frozen=True)
class Stack:
    """One stacked bar: its parts as (name, value), in the order they are drawn."""

    label: str
    parts: Sequence[tuple[str, float]]


@dataclass(frozen=True, kw_only=True)
class StackedBarChart(Chart):
    """Horizontal bars split into parts, with a legend of the parts."""

    stacks: Sequence[Stack]
    kind: Kind = "number"


@dataclass(frozen=True)
class SectionReport:
    """One section's part of a report: its title and blocks, or the error that replaced them.

    ``messages`` translates the section's texts into the report's language (the
    plugin's catalogues, see ``SectionHandler.messages``): a callable from the English
    text to the translation, or None to leave them as they are.
    """

    section: str
    title: str
    blocks: tuple[Block, ...] = ()
    error: str | None = None
    messages: Callable[[str], str] | None = field(default=None, compare=False)


def summary_blocks(summary: SectionSummary) -> list[Block]:
    """The default report of a section: its summary's figures, then each of its tables
    (the first :data:`SUMMARY_ROWS` rows), labelled by their names."""
    blocks: list[Block] = []
    if summary.figures:
        blocks.append(Figures([Figure(str(name), _plain(value), kind_of_value(value), str(name))
                               for name, value in summary.figures.items()]))
    blocks += [table_of(frame, str(name), limit=SUMMARY_ROWS) for name, frame in summary.tables.items()]
    return blocks


def table_of(frame: pl.DataFrame, title: str, *, limit: int | None = None, id: str = "",
             labels: Mapping[str, str] | None = None, kinds: Mapping[str, Kind] | None = None,
             detail: bool = False) -> Table:
    """A polars frame as a table: columns labelled by ``labels`` (default: their names),
    kinds from ``kinds`` or the column types; ``limit`` keeps the first rows."""
    labels, kinds = labels or {}, kinds or {}
    columns = [Column(name, labels.get(name, name), kinds.get(name) or kind_of_dtype(dtype))
               for name, dtype in frame.schema.items()]
    shown = frame if limit is None else frame.head(limit)
    return Table(title, columns, shown.rows(), id=id, total_rows=frame.height, detail=detail)


def curve_points(frame: pl.DataFrame, x: str, y: str, group: str | None = None, *,
                 limit: int = CURVE_POINTS) -> list[Point]:
    """A curve's points from two columns of ``frame`` (in drawing order), thinned to about
    ``limit``: every n-th row, the last, and the first of each run of a ``group``, so a
    curve over a million customers costs a thousand points."""
    step = max(1, -(-frame.height // limit))
    index = pl.int_range(pl.len())
    keep = (index % step == 0) | (index == frame.height - 1)
    if group is not None:
        keep = keep | pl.col(group).ne_missing(pl.col(group).shift(1))
    label = pl.col(group).cast(pl.String).fill_null("") if group is not None else pl.lit("")
    return [Point(a, b, g) for a, b, g in frame.filter(keep).select(pl.col(x), pl.col(y), label).iter_rows()]


def graded(values: Sequence[Any], tones: tuple[Tone, Tone, Tone]) -> dict[Any, Tone]:
    """Tones for ordered values: the first gets ``tones[0]``, the last ``tones[2]``, the
    ones between ``tones[1]`` (health bands from low to high: ``("bad", "warn", "good")``)."""
    if len(values) == 1:
        return {values[0]: tones[0]}
    return {value: tones[0] if index == 0 else tones[2] if index == len(values) - 1 else tones[1]
            for index, value in enumerate(values)}


def kind_of_dtype(dtype: pl.DataType) -> ValueKind:
    """The kind a column of this type is shown as, when nothing declares one."""
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_numeric():
        return "number"
    if dtype.is_temporal():
        return "date"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "list"
    return "text"


def kind_of_value(value: Any) -> ValueKind:
    """The kind a single value (a summary figure) is shown as."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, (list, tuple)):
        return "list"
    return "date" if hasattr(value, "isoformat") else "text"


def _plain(value: Any) -> Any:
    """A figure as a value every writer can show: decimals as floats, mappings as text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value

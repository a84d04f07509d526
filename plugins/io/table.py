"""The ``table`` format: a readable report for the terminal (part of the writers plugin).

On a terminal it uses colour (unless ``NO_COLOR`` is set) and the terminal's width;
anywhere else (a pipe, a file) it is plain text at a fixed width, so the same
result always gives the same bytes. Customer text is printed literally: rich markup
and terminal control codes in a CRM export never reach the terminal.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar

import polars as pl
from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from clientwise.compiler.plan import SectionSummary
from clientwise.host.contracts import Writer
from clientwise.output.blocks import kind_of_dtype
from clientwise.output.escape import clean
from clientwise.plugins.io.values import column_kinds, finite
from clientwise.runtime.result import Result

_NUMERIC_KINDS = frozenset({"number", "integer", "percent", "money"})
_MISSING = "—"
#: Text columns wider than this wrap instead of pushing other columns off the line.
_WIDEST_TEXT = 32


def format_cell(value: Any, kind: str = "text") -> str:
    """A value as the table view shows it: grouped digits, percents as percents, dashes for null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return _MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_cell(v) for v in value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        number = float(value) + 0.0
        if kind == "percent":
            return f"{number:.0%}"
        if kind == "money" or (kind == "integer" and number.is_integer()):
            return f"{number:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return f"{number:,.2f}"
    return clean(str(value))


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class TableWriter(Writer):
    """The customers in key order (the first ``max_rows``), actions by priority, section views.

    Each list of actions and each portfolio table shows its first ``max_table_rows``
    rows; the machine-readable formats have everything.
    """

    format: ClassVar[str] = "table"
    suffix: ClassVar[str] = ".txt"
    escape_formulas: ClassVar[bool] = False  # the terminal: clean() removes control codes
    description: ClassVar[str] = "A readable report for the terminal (the default)."

    def __init__(self, max_rows: int = 50, width: int = 120, max_table_rows: int = 20):
        self.max_rows = max_rows
        self.width = width
        self.max_table_rows = max_table_rows

    def write(self, result: Result, stream: BinaryIO) -> None:
        terminal = _isatty(stream)
        text = io.StringIO()
        console = Console(
            file=text,
            force_terminal=terminal,
            force_jupyter=False,
            force_interactive=False,
            color_system="auto" if terminal else None,
            width=None if terminal else self.width,
            markup=False,
            emoji=False,
            highlight=False,
            legacy_windows=False,
        )
        for index, part in enumerate(self.render(result, console.width)):
            if index:
                console.print()
            console.print(part)
        output = text.getvalue()
        if not terminal:  # rich pads lines to the full width; files get diffed
            output = "".join(line.rstrip() + "\n" for line in output.splitlines())
        stream.write(output.encode("utf-8"))

    def render(self, result: Result, width: int) -> Iterator[RenderableType]:
        yield _header(result)
        yield from self._customers(result, width)
        yield from self._actions(result)
        shown: set[str] = set()
        for summary in result.summaries:
            yield from self._section(summary)
            origin = result.provenance.get(summary.section)
            if origin and origin.get("plugin"):
                yield Text(clean(_produced_by(origin)), style="dim")
            shown.update(summary.warnings)
        remaining = [w for w in result.warnings if w not in shown]
        if remaining:
            yield Rule("Warnings", style="yellow")
            yield _warnings(remaining)

    def _customers(self, result: Result, width: int) -> Iterator[RenderableType]:
        """The customers table, split into several when its columns do not fit the width.

        Every part repeats the key and name so each line can be read on its own.
        Columns a section marks as ``detail`` (one per checklist question, say) are
        left to the machine-readable formats.
        """
        if result.customers.is_empty():
            yield Text("No customers.")
            return
        details = [c.name for c in result.columns if getattr(c, "detail", False) and c.name in result.customers.columns]
        frame = finite(result.customers.drop(details)).head(self.max_rows)
        kinds = column_kinds(result)
        labels = {c.name: c.label for c in result.columns}
        fixed = [result.key] + ([result.name] if result.name in frame.columns and result.name != result.key else [])
        cells = {name: [format_cell(v, kinds[name]) for v in frame.get_column(name).to_list()] for name in frame.columns}
        if "actions" in cells:  # the ids are listed under the actions; a count is enough here
            cells["actions"] = [str(len(v or [])) for v in frame.get_column("actions").to_list()]
            kinds = {**kinds, "actions": "integer"}
        headers = {name: clean(labels.get(name) or label(name)) for name in frame.columns}
        widest = {name: min(max(map(len, cells[name]), default=1), _WIDEST_TEXT) for name in frame.columns}
        natural = {name: _natural_width(headers[name], widest[name]) + 3 for name in frame.columns}
        room = width - sum(natural[name] for name in fixed)
        parts = _pack([name for name in frame.columns if name not in fixed], natural, room)
        total = result.customers.height
        for number, part in enumerate(parts):
            title = "Customers" if number == 0 else "Customers (continued)"
            if number == 0 and total > frame.height:
                title += f" (first {frame.height:,} of {total:,}, in key order)"
            table = _table(title)
            for name in (*fixed, *part):
                numeric = kinds[name] in _NUMERIC_KINDS
                table.add_column(
                    headers[name], justify="right" if numeric else "left", overflow="fold",
                    min_width=widest[name], max_width=None if numeric else _WIDEST_TEXT,
                )
            for row in range(frame.height):
                table.add_row(*(Text(cells[name][row]) for name in (*fixed, *part)))
            yield table
        hidden = total - frame.height
        notes = []
        if hidden:
            notes.append(f"... {hidden:,} more customer{'s' if hidden != 1 else ''}; use --format csv (or json) to see all")
        if details:
            notes.append(f"... {len(details)} detail column{'s' if len(details) != 1 else ''} not shown "
                         f"({', '.join(details[:3])}{', ...' if len(details) > 3 else ''}); see --format csv or json")
        if notes:
            yield Text("\n".join(notes))

    def _actions(self, result: Result) -> Iterator[RenderableType]:
        actions = result.actions
        yield Rule(f"Recommended actions ({actions.height:,})")
        if actions.is_empty():
            yield Text("No actions recommended.")
            return
        overview = (
            actions.group_by("priority", "rule", "action", maintain_order=True)
            .agg(pl.len().alias("customers"))
            .sort(["priority", "customers", "rule"], descending=[False, True, False])
        )
        table = _table("By action")
        for heading, numeric in (("Priority", True), ("Action", False), ("Customers", True)):
            table.add_column(heading, justify="right" if numeric else "left", overflow="fold")
        for priority, _rule, action, count in overview.iter_rows():
            table.add_row(Text(str(priority)), Text(clean(action)), Text(f"{count:,}"))
        yield table
        key, name = result.key, result.name
        with_name = name in actions.columns and name != key
        for (priority,), group in actions.sort("priority", maintain_order=True).group_by(
            "priority", maintain_order=True
        ):
            table = _table(f"Priority {priority}: {group.height:,} action{'s' if group.height != 1 else ''}")
            table.add_column(label(key), no_wrap=True)
            if with_name:
                table.add_column(label(name), overflow="fold", max_width=_WIDEST_TEXT)
            table.add_column("Action", overflow="fold")
            table.add_column("Because", overflow="fold")
            for row in group.head(self.max_table_rows).iter_rows(named=True):
                cells = [row[key], *([row[name]] if with_name else []), row["action"], row["because"]]
                table.add_row(*(Text(format_cell(c)) for c in cells))
            hidden = group.height - min(group.height, self.max_table_rows)
            more = Text(f"... {hidden:,} more priority {priority} action{'s' if hidden != 1 else ''}; see --format json")
            yield Group(table, more) if hidden else table

    def _section(self, summary: SectionSummary) -> Iterator[RenderableType]:
        yield Rule(clean(summary.title))
        if summary.error:
            yield Text("error: " + clean(summary.error), style="bold red")
        if summary.figures:
            grid = Table.grid(padding=(0, 2))
            grid.add_column()
            grid.add_column(justify="right")
            for name, value in summary.figures.items():
                grid.add_row(Text(clean(label(str(name)))), Text(format_cell(value)))
            yield grid
        for name, frame in summary.tables.items():
            yield self._frame(label(str(name)), frame)
        if summary.warnings:
            yield _warnings(summary.warnings)

    def _frame(self, title: str, frame: pl.DataFrame) -> RenderableType:
        shown = finite(frame).head(self.max_table_rows)
        table = _table(title)
        kinds = {name: kind_of_dtype(dtype) for name, dtype in frame.schema.items()}
        for name in frame.columns:
            numeric = kinds[name] in _NUMERIC_KINDS
            table.add_column(clean(label(name)), justify="right" if numeric else "left", overflow="fold")
        for row in shown.iter_rows():
            table.add_row(*(Text(format_cell(v, kinds[n])) for n, v in zip(frame.columns, row)))
        hidden = frame.height - shown.height
        return Group(table, Text(f"... {hidden:,} more row{'s' if hidden != 1 else ''}; see --format json")) if hidden else table


def _pack(columns: list[str], widths: dict[str, int], room: int) -> list[list[str]]:
    """Columns in order, cut into groups that each fit in ``room`` (at least one column each)."""
    parts: list[list[str]] = [[]]
    used = 0
    for name in columns:
        if parts[-1] and used + widths[name] > room:
            parts.append([])
            used = 0
        parts[-1].append(name)
        used += widths[name]
    return parts


def _natural_width(header: str, widest_cell: int) -> int:
    """Room a column needs: its cells, and its header wrapped onto a few lines if long."""
    longest_word = max((len(word) for word in header.split()), default=0)
    return min(max(widest_cell, longest_word, min(len(header), 16)), _WIDEST_TEXT)


def _table(title: str) -> Table:
    return Table(
        title=clean(title), title_justify="left", box=box.SIMPLE_HEAD, header_style="bold",
        pad_edge=False, show_edge=False,
    )


def _header(result: Result) -> RenderableType:
    identity = result.ruleset
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows = [
        ("Ruleset", f"{identity.name} {identity.version} (hash {identity.hash[:12]})"),
        ("As of", result.as_of.isoformat()),
        ("Engine", result.engine),
        ("Customers", f"{result.customers.height:,}"),
    ]
    for name, value in rows:
        grid.add_row(Text(name), Text(clean(value)))
    return Panel(grid, title="clientwise result", title_align="left", box=box.ROUNDED, expand=False)


def _produced_by(origin: dict[str, str | None]) -> str:
    """'by plugin nps (clientwise-nps 0.1.0)': the provenance line under each section."""
    package = " ".join(part for part in (origin.get("distribution"), origin.get("version")) if part)
    return f"by plugin {origin['plugin']}" + (f" ({package})" if package else " (registered in code)")


def _warnings(warnings: Iterable[str]) -> Text:
    return Text("\n".join("! " + clean(w) for w in warnings), style="yellow")


def _isatty(stream: BinaryIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False

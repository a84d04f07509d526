"""The built-in output formats: a terminal table, CSV, JSON and JSON Lines.

Every writer turns the same :class:`~clientwise.result.Result` into bytes, and the
same result always gives the same bytes, so a re-run can be diffed against the last
quarter's. The machine-readable layouts are documented (and versioned) in
``docs/output-schema.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar

import polars as pl
from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule as RichRule
from rich.table import Table
from rich.text import Text

from clientwise.escape import escape_formula, escape_formulas
from clientwise.explain import Explanation
from clientwise.hookspecs import hookimpl
from clientwise.result import Result

#: How list cells are joined in CSV.
LIST_SEPARATOR = "; "

#: Output-column kinds that are numbers (right-aligned in the table view).
_NUMERIC_KINDS = frozenset({"number", "integer", "percent", "money"})


# --------------------------------------------------------------------------- values


def _finite(frame: pl.DataFrame) -> pl.DataFrame:
    """NaN and infinities become null and -0.0 becomes 0.0, so every writer agrees."""
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not floats:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).is_finite()).then(pl.col(name) + 0.0).otherwise(None).alias(name) for name in floats
    )


def plain(value: Any) -> Any:
    """A JSON-ready copy: ISO dates, null for NaN and infinity, plain containers."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value + 0.0 if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(float(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, pl.DataFrame):
        return _records(value)
    if isinstance(value, pl.Series):
        return plain(value.to_list())
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    item = getattr(value, "item", None)  # numpy scalars
    return plain(item()) if callable(item) else str(value)


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [plain(row) for row in _finite(frame).iter_rows(named=True)]


def _column_kinds(result: Result) -> dict[str, str]:
    """Each customers column's kind: the section's declaration, else guessed from its type."""
    declared = {column.name: column.kind for column in result.columns}
    kinds = {}
    for name, dtype in result.customers.schema.items():
        kinds[name] = declared.get(name) or _kind_of_dtype(dtype)
    return kinds


def _kind_of_dtype(dtype: pl.DataType) -> str:
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


# --------------------------------------------------------------------------- JSON shape


def header(result: Result) -> dict[str, Any]:
    """The run's identity; ``customer_count`` because ``customers`` is the list itself."""
    head = dict(result.header())
    count = head.pop("customers", result.customers.height)
    ordered = {name: head.pop(name) for name in ("schema", "ruleset", "as_of", "engine") if name in head}
    return plain({**ordered, "customer_count": count, **head})


def portfolio_section(summary: Any) -> dict[str, Any]:
    return {
        "title": summary.title,
        "figures": plain(summary.figures),
        "tables": {str(name): _records(frame) for name, frame in summary.tables.items()},
        "warnings": plain(summary.warnings),
    }


class _Explanations:
    """Explanations matched to customers by key; cheap when both come in key order."""

    def __init__(self, explanations: Iterable[Explanation]):
        self._source = iter(explanations)
        self._early: dict[str, Explanation] = {}

    def get(self, key: str) -> Explanation | None:
        if key in self._early:
            return self._early.pop(key)
        for explanation in self._source:
            if explanation.key == key:
                return explanation
            self._early[explanation.key] = explanation
        return None


def customer_records(result: Result) -> Iterator[dict[str, Any]]:
    """One JSON object per customer, in the customers table's (key) order."""
    key, name = result.key, result.name
    actions: dict[Any, list[dict[str, Any]]] = {}
    for row in result.actions.iter_rows(named=True):
        actions.setdefault(row[key], []).append(
            {"id": row["rule"], "action": row["action"], "priority": row["priority"], "because": row["because"]}
        )
    explanations = _Explanations(result.explanations()) if result.tracer is not None else None
    outputs = [c for c in result.customers.columns if c not in (key, name, "actions")]
    for row in _finite(result.customers).iter_rows(named=True):
        record: dict[str, Any] = {"key": row[key], "name": row.get(name) if name != key else None}
        record.update((column, row[column]) for column in outputs)
        record["actions"] = actions.get(row[key], [])
        explanation = explanations.get(str(row[key])) if explanations is not None else None
        if explanation is not None:
            trace = explanation.to_dict()
            trace.pop("key", None)
            record["explanation"] = trace
        else:
            record["explanation"] = None
        yield plain(record)


#: Characters JSON allows raw in strings but ``str.splitlines`` (and old JavaScript)
#: treat as line breaks; escaped so every JSON Lines record stays on one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _dumps(value: Any, *, indent: int | None = None) -> str:
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators)
    return text.translate(_LINE_BREAKS)


class JsonWriter:
    format: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"
    description: ClassVar[str] = "One JSON document: run header, portfolio views, customers with actions and explanations."

    def write(self, result: Result, stream: BinaryIO) -> None:
        document = header(result)
        document["portfolio"] = {s.section: portfolio_section(s) for s in result.summaries}
        document["customers"] = list(customer_records(result))
        stream.write((_dumps(document, indent=2) + "\n").encode("utf-8"))


class JsonLinesWriter:
    format: ClassVar[str] = "jsonl"
    suffix: ClassVar[str] = ".jsonl"
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    description: ClassVar[str] = "JSON Lines: a header line, one line per customer, one line per portfolio section."

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(_line({"record": "header", **header(result)}))
        for record in customer_records(result):
            stream.write(_line({"record": "customer", **record}))
        for summary in result.summaries:
            stream.write(_line({"record": "portfolio", "section": summary.section, **portfolio_section(summary)}))


def _line(value: dict[str, Any]) -> bytes:
    return (_dumps(value) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- CSV


def csv_frame(result: Result) -> pl.DataFrame:
    """The customers table as it goes into CSV: lists joined, text escaped, floats finite."""
    frame = _finite(result.customers)
    texts: list[str] = []
    converted = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, (pl.List, pl.Array)):
            column = pl.col(name)
            if isinstance(dtype, pl.Array):
                column = column.arr.to_list()
            converted.append(column.list.eval(pl.element().cast(pl.String)).list.join(LIST_SEPARATOR).alias(name))
            texts.append(name)
        elif dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
            converted.append(pl.col(name).cast(pl.String))
            texts.append(name)
    if converted:
        frame = frame.with_columns(converted)
    frame = escape_formulas(frame, texts)
    return frame.rename({name: escape_formula(name) for name in frame.columns if escape_formula(name) != name})


class CsvWriter:
    format: ClassVar[str] = "csv"
    suffix: ClassVar[str] = ".csv"
    description: ClassVar[str] = "The customers table, one row per customer (UTF-8, formula-safe for spreadsheets)."

    def write(self, result: Result, stream: BinaryIO) -> None:
        csv_frame(result).write_csv(
            stream,
            include_bom=False,
            line_terminator="\n",
            date_format="%Y-%m-%d",
            datetime_format="%Y-%m-%dT%H:%M:%S%.f",
            quote_style="necessary",
        )


# --------------------------------------------------------------------------- table


_CONTROL = {c: "\ufffd" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {0x09: " ", 0x0A: " ", 0x0D: " "}
_MISSING = "—"


def _clean(text: str) -> str:
    """No terminal control codes from customer data reach the terminal."""
    return text.translate(_CONTROL)


def format_cell(value: Any, kind: str = "text") -> str:
    """A value as the table view shows it (numbers grouped, percents as percents)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_cell(v) for v in value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        if math.isinf(number):
            return "∞" if number > 0 else "-∞"
        if kind == "percent":
            return f"{number:.0%}"
        if kind == "money" or (kind == "integer" and number.is_integer()):
            return f"{number:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return f"{number:,.2f}"
    return _clean(str(value))


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class TableWriter:
    """A readable report for the terminal; deterministic (no colour, fixed width) elsewhere."""

    format: ClassVar[str] = "table"
    suffix: ClassVar[str] = ".txt"
    description: ClassVar[str] = "A readable report for the terminal (the default)."

    def __init__(self, max_rows: int = 50, width: int = 120):
        self.max_rows = max_rows
        self.width = width

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
            soft_wrap=False,
        )
        for index, part in enumerate(self.render(result)):
            if index:
                console.print()
            console.print(part)
        output = text.getvalue()
        if not terminal:  # rich pads every line to the width; files are diffed
            output = "".join(line.rstrip() + "\n" for line in output.splitlines())
        stream.write(output.encode("utf-8"))

    def render(self, result: Result) -> Iterator[RenderableType]:
        yield _header_panel(result)
        yield self._customers(result)
        yield from self._actions(result)
        shown: set[str] = set()
        for summary in result.summaries:
            yield from self._section(summary)
            shown.update(summary.warnings)
        remaining = [w for w in result.warnings if w not in shown]
        if remaining:
            yield RichRule("Warnings", style="yellow")
            yield _warnings(remaining)

    def _customers(self, result: Result) -> RenderableType:
        frame = result.customers
        kinds = _column_kinds(result)
        labels = {c.name: c.label for c in result.columns}
        labels.setdefault(result.key, _label(result.key))
        labels.setdefault(result.name, _label(result.name))
        labels.setdefault("actions", "Actions")
        shown = frame.head(self.max_rows)
        title = "Customers"
        if frame.height > shown.height:
            title += f" (first {shown.height:,} of {frame.height:,}, in key order)"
        table = _table(title)
        for name in frame.columns:
            numeric = kinds[name] in _NUMERIC_KINDS
            table.add_column(
                _clean(labels.get(name) or _label(name)),
                justify="right" if numeric else "left",
                no_wrap=numeric,
                overflow="fold",
            )
        for row in shown.iter_rows():
            table.add_row(*(Text(format_cell(v, kinds[n])) for n, v in zip(frame.columns, row)))
        hidden = frame.height - shown.height
        if not hidden:
            return table
        more = Text(f"... {hidden:,} more customer{'s' if hidden != 1 else ''}; use --format csv (or json) to see all")
        return Group(table, more)

    def _actions(self, result: Result) -> Iterator[RenderableType]:
        actions = result.actions
        if actions.is_empty():
            yield RichRule("Recommended actions")
            yield Text("No actions recommended.")
            return
        yield RichRule(f"Recommended actions ({actions.height:,})")
        overview = (
            actions.group_by("priority", "rule", "action", maintain_order=True)
            .agg(pl.len().alias("customers"))
            .sort(["priority", "customers", "rule"], descending=[False, True, False])
        )
        table = _table("By action")
        for heading, numeric in (("Priority", True), ("Action", False), ("Customers", True)):
            table.add_column(heading, justify="right" if numeric else "left", overflow="fold")
        for priority, _rule, action, count in overview.iter_rows():
            table.add_row(Text(str(priority)), Text(_clean(action)), Text(f"{count:,}"))
        yield table
        key, name = result.key, result.name
        with_name = name in actions.columns and name != key
        for (priority,), group in actions.sort("priority", maintain_order=True).group_by(
            "priority", maintain_order=True
        ):
            table = _table(f"Priority {priority}: {group.height:,} action{'s' if group.height != 1 else ''}")
            table.add_column(_label(key), overflow="fold")
            if with_name:
                table.add_column(_label(name), overflow="fold")
            table.add_column("Action", overflow="fold")
            table.add_column("Because", overflow="fold")
            for row in group.head(self.max_rows).iter_rows(named=True):
                cells = [row[key], *([row[name]] if with_name else []), row["action"], row["because"]]
                table.add_row(*(Text(format_cell(c)) for c in cells))
            hidden = group.height - min(group.height, self.max_rows)
            yield Group(table, Text(f"... {hidden:,} more priority {priority} actions")) if hidden else table

    def _section(self, summary: Any) -> Iterator[RenderableType]:
        yield RichRule(_clean(summary.title))
        if summary.figures:
            grid = Table.grid(padding=(0, 2))
            grid.add_column()
            grid.add_column(justify="right")
            for name, value in summary.figures.items():
                grid.add_row(Text(_label(str(name))), Text(format_cell(value)))
            yield grid
        for name, frame in summary.tables.items():
            yield self._frame(_label(str(name)), frame)
        if summary.warnings:
            yield _warnings(summary.warnings)

    def _frame(self, title: str, frame: pl.DataFrame) -> RenderableType:
        shown = frame.head(self.max_rows)
        table = _table(title)
        kinds = {name: _kind_of_dtype(dtype) for name, dtype in frame.schema.items()}
        for name in frame.columns:
            numeric = kinds[name] in _NUMERIC_KINDS
            table.add_column(_clean(_label(name)), justify="right" if numeric else "left", overflow="fold")
        for row in shown.iter_rows():
            table.add_row(*(Text(format_cell(v, kinds[n])) for n, v in zip(frame.columns, row)))
        hidden = frame.height - shown.height
        return Group(table, Text(f"... {hidden:,} more rows; use --format json to see all")) if hidden else table


def _table(title: str) -> Table:
    return Table(title=_clean(title), title_justify="left", box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)


def _header_panel(result: Result) -> RenderableType:
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
    for label, value in rows:
        grid.add_row(Text(label), Text(_clean(value)))
    return Panel(grid, title="clientwise result", title_align="left", box=box.ROUNDED, expand=False)


def _warnings(warnings: Iterable[str]) -> Text:
    return Text("\n".join("! " + _clean(w) for w in warnings), style="yellow")


def _isatty(stream: BinaryIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@hookimpl
def clientwise_writers() -> list[Any]:
    return [TableWriter(), CsvWriter(), JsonWriter(), JsonLinesWriter()]

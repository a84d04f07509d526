"""The built-in output formats: a terminal table, CSV, JSON and JSON Lines.

This module is the ``writers`` plugin; the table view lives in
:mod:`clientwise.plugins.io.table` and builds on the helpers here. Every writer turns the same :class:`~clientwise.runtime.result.Result` into bytes, and the
same result always gives the same bytes, so a re-run can be diffed against the last
quarter's. The machine-readable layouts are documented (and versioned) in
``docs/output-schema.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, ClassVar

import polars as pl

from clientwise.compiler.plan import SectionSummary
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.output.escape import escape_formula, escape_formulas
from clientwise.plugins.io.csv_dialects import PLAIN, CsvDialect, csv_dialect
from clientwise.plugins.io.table import TableWriter
from clientwise.plugins.io.values import finite, plain, records
from clientwise.runtime.explain import Explanation
from clientwise.runtime.result import Result

#: How list cells are joined in CSV.
LIST_SEPARATOR = "; "


# --------------------------------------------------------------------------- JSON shape


def header(result: Result) -> dict[str, Any]:
    """The run's identity; ``customer_count`` because ``customers`` is the list itself."""
    head = dict(result.header())
    count = head.pop("customers", result.customers.height)
    ordered = {name: head.pop(name) for name in ("schema", "ruleset", "as_of", "engine") if name in head}
    return plain({**ordered, "customer_count": count, **head})


def portfolio_section(summary: SectionSummary) -> dict[str, Any]:
    section = {
        "title": summary.title,
        "figures": plain(summary.figures),
        "tables": {str(name): records(frame) for name, frame in summary.tables.items()},
        "warnings": plain(summary.warnings),
    }
    if summary.error is not None:
        section["error"] = summary.error
    return section


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
    for row in finite(result.customers).iter_rows(named=True):
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
#: treat as line breaks; escaped so every record stays on its line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _dumps(value: Any) -> str:
    """Compact JSON on one line (the C encoder: an indented dump is several times slower)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in _LINE_BREAKS.items():
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _block(lines: list[str], opening: str, closing: str) -> str:
    return f"{opening}\n" + ",\n".join(lines) + f"\n  {closing}" if lines else opening + closing


class JsonWriter(Writer):
    """One document with one line per header key, portfolio section and customer.

    That layout keeps the file readable and diffable line by line (a changed customer
    is a changed line) while each line is encoded by the fast C encoder.
    """

    format: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"
    description: ClassVar[str] = "One JSON document: run header, portfolio views, customers with actions and explanations."

    def write(self, result: Result, stream: BinaryIO) -> None:
        sections = [f"    {_dumps(s.section)}:{_dumps(portfolio_section(s))}" for s in result.summaries]
        customers = ["    " + _dumps(record) for record in customer_records(result)]
        members = [f"  {_dumps(name)}:{_dumps(value)}" for name, value in header(result).items()]
        members.append('  "portfolio":' + _block(sections, "{", "}"))
        members.append('  "customers":' + _block(customers, "[", "]"))
        stream.write(("{\n" + ",\n".join(members) + "\n}\n").encode("utf-8"))


class JsonLinesWriter(Writer):
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
    frame = finite(result.customers)
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


class CsvWriter(Writer):
    """The customers table; ``dialect`` lays it out for a machine (the default) or for a
    locale's spreadsheet program (``--csv-dialect excel-de``)."""

    format: ClassVar[str] = "csv"
    suffix: ClassVar[str] = ".csv"
    description: ClassVar[str] = "The customers table, one row per customer (UTF-8, formula-safe for spreadsheets)."
    options: ClassVar[frozenset[str]] = frozenset({"csv_dialect"})

    def __init__(self, dialect: CsvDialect = PLAIN):
        self.dialect = dialect

    def configure(self, **options: str) -> CsvWriter:
        return CsvWriter(csv_dialect(options["csv_dialect"])) if "csv_dialect" in options else self

    def write(self, result: Result, stream: BinaryIO) -> None:
        dialect = self.dialect
        csv_frame(result).write_csv(
            stream,
            include_bom=dialect.bom,
            separator=dialect.separator,
            decimal_comma=dialect.decimal_comma,
            line_terminator=dialect.line_terminator,
            date_format="%Y-%m-%d",
            datetime_format=dialect.datetime_format,
            quote_style="necessary",
        )


@hookimpl
def clientwise_writers() -> list[Any]:
    return [TableWriter(), CsvWriter(), JsonWriter(), JsonLinesWriter()]

"""The built-in output formats: a terminal table, CSV, JSON and JSON Lines.

This module is the ``writers`` plugin; the table view lives in
:mod:`clientwise.plugins.io.table` and builds on the helpers here. Every writer turns the same :class:`~clientwise.runtime.result.Result` into bytes, and the
same result always gives the same bytes, so a re-run can be diffed against the last
quarter's. The machine-readable layouts are documented (and versioned) in
``docs/output-schema.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, ClassVar

import polars as pl

from clientwise.compiler.plan import SectionSummary
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.output.escape import escape_formula, escape_formulas
from clientwise.plugins.io.csv_dialects import PLAIN, CsvDialect, csv_dialect
from clientwise.plugins.io.json_records import customer_blocks, table_json_parts
from clientwise.plugins.io.json_records import dumps as _dumps
from clientwise.plugins.io.table import TableWriter
from clientwise.plugins.io.values import finite, plain
from clientwise.runtime.result import Result

#: How list cells are joined in CSV.
LIST_SEPARATOR = "; "
#: Customers per batch written to CSV (see :func:`write_csv_batches`).
CSV_BATCH = 100_000


# --------------------------------------------------------------------------- JSON shape


def header(result: Result) -> dict[str, Any]:
    """The run's identity; ``customer_count`` because ``customers`` is the list itself."""
    head = dict(result.header())
    count = head.pop("customers", result.customers.height)
    ordered = {name: head.pop(name) for name in ("schema", "ruleset", "as_of", "engine") if name in head}
    return plain({**ordered, "customer_count": count, **head})


def portfolio_json(summary: SectionSummary, **first: Any) -> bytes:
    """A section's portfolio entry (UTF-8, after the ``first`` members): title, figures,
    tables (as arrays of row objects, encoded by polars: a Pareto table has a row per
    customer), warnings and, when its plugin failed, the error."""
    return b"".join(portfolio_parts(summary, **first))


def portfolio_parts(summary: SectionSummary, **first: Any) -> Iterator[bytes | memoryview]:
    """:func:`portfolio_json` in pieces, written one after another: the long tables'
    chunks go to the file as they are encoded, never copied into one string."""
    members = [f"{_dumps(name)}:{_dumps(value)}," for name, value in first.items()]
    figures = _dumps(plain(summary.figures))
    yield f'{{{"".join(members)}"title":{_dumps(summary.title)},"figures":{figures},"tables":{{'.encode("utf-8")
    separator = b""
    for name, frame in summary.tables.items():
        yield separator + _dumps(str(name)).encode("utf-8") + b":"
        yield from table_json_parts(frame)
        separator = b","
    error = f',"error":{_dumps(summary.error)}' if summary.error is not None else ""
    yield f'}},"warnings":{_dumps(plain(summary.warnings))}{error}}}'.encode("utf-8")


class JsonWriter(Writer):
    """One document with one line per header key, portfolio section and customer.

    That layout keeps the file readable and diffable line by line (a changed customer
    is a changed line) while each line is encoded by a fast encoder (polars for the
    customers, see :mod:`clientwise.plugins.io.json_records`). Customers are written as
    they are encoded, so memory stays bounded by the result. ``traces=True`` embeds
    every customer's explanation (``--explain-all``); otherwise ``explanation`` is null.
    """

    format: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"
    description: ClassVar[str] = ("One JSON document: run header, portfolio views, customers with actions "
                                  "(explanations with --explain-all).")
    escape_formulas: ClassVar[bool] = False  # JSON keeps values exact; no spreadsheet runs it

    options: ClassVar[frozenset[str]] = frozenset({"traces"})

    def __init__(self, *, traces: bool = False):
        self.traces = traces

    def configure(self, **options: str) -> JsonWriter:
        return type(self)(traces=options["traces"] == "true") if "traces" in options else self

    def write(self, result: Result, stream: BinaryIO) -> None:
        members = [f"  {_dumps(name)}:{_dumps(value)}" for name, value in header(result).items()]
        stream.write(("{\n" + ",\n".join(members) + ',\n  "portfolio":{').encode("utf-8"))
        separator = b"\n    "
        for summary in result.summaries:  # a section's line is written as soon as it is encoded
            stream.write(separator + _dumps(summary.section).encode("utf-8") + b":")
            stream.writelines(portfolio_parts(summary))
            separator = b",\n    "
        stream.write(b"\n  }" if result.summaries else b"}")
        stream.write(b',\n  "customers":')
        separator = b"[\n    "
        for block in customer_blocks(result, traces=self.traces, indent=b"    "):  # raw newlines only end lines
            stream.write(separator)
            stream.write(block)
            separator = b",\n    "
        stream.write((b"[]" if separator == b"[\n    " else b"\n  ]") + b"\n}\n")


class JsonLinesWriter(Writer):
    """A header line, one line per customer, one per portfolio section; streamed like
    :class:`JsonWriter`, with explanations only when ``traces=True``."""

    format: ClassVar[str] = "jsonl"
    suffix: ClassVar[str] = ".jsonl"
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    description: ClassVar[str] = ("JSON Lines: a header line, one line per customer (explanations with "
                                  "--explain-all), one line per portfolio section.")
    escape_formulas: ClassVar[bool] = False  # JSON keeps values exact; no spreadsheet runs it

    options: ClassVar[frozenset[str]] = frozenset({"traces"})

    def __init__(self, *, traces: bool = False):
        self.traces = traces

    def configure(self, **options: str) -> JsonLinesWriter:
        return type(self)(traces=options["traces"] == "true") if "traces" in options else self

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(_line({"record": "header", **header(result)}))
        for block in customer_blocks(result, traces=self.traces, record="customer"):
            stream.write(block)
        for summary in result.summaries:
            stream.writelines(portfolio_parts(summary, record="portfolio", section=summary.section))
            stream.write(b"\n")


def _line(value: dict[str, Any]) -> bytes:
    return (_dumps(value) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- CSV


def csv_frame(result: Result) -> pl.DataFrame:
    """The customers table as it goes into CSV: lists joined, text escaped, floats finite."""
    return csv_table(result.customers)


def csv_table(customers: pl.DataFrame) -> pl.DataFrame:
    """:func:`csv_frame` for any run of customers rows: cell by cell, so a table written
    in batches (the DuckDB backend's) gives the same bytes as one written whole."""
    frame = finite(customers)
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
    escape_formulas: ClassVar[bool] = False  # csv_frame escapes (after joining lists)
    options: ClassVar[frozenset[str]] = frozenset({"csv_dialect"})

    def __init__(self, dialect: CsvDialect = PLAIN):
        self.dialect = dialect

    def configure(self, **options: str) -> CsvWriter:
        return CsvWriter(csv_dialect(options["csv_dialect"])) if "csv_dialect" in options else self

    def write(self, result: Result, stream: BinaryIO) -> None:
        customers = result.customers
        batches = (customers.slice(start, CSV_BATCH) for start in range(0, customers.height, CSV_BATCH))
        write_csv_batches(batches, lambda: customers, self.dialect, stream)


def write_csv_batches(batches: Iterable[pl.DataFrame], empty: Callable[[], pl.DataFrame], dialect: CsvDialect,
                      stream: BinaryIO) -> None:
    """Customers rows batch after batch through :func:`csv_table`, the header (and BOM)
    once: the text of one batch at a time is in memory, not that of the whole table,
    and the bytes are those of the table written whole. ``empty`` gives the (empty)
    frame whose header is written when there is no batch."""
    options: dict[str, Any] = {"separator": dialect.separator, "decimal_comma": dialect.decimal_comma,
                               "line_terminator": dialect.line_terminator, "date_format": "%Y-%m-%d",
                               "datetime_format": dialect.datetime_format, "quote_style": "necessary"}
    first = True
    for batch in batches:
        csv_table(batch).write_csv(stream, include_header=first, include_bom=dialect.bom and first, **options)
        first = False
    if first:  # no customers: the header alone
        csv_table(empty()).write_csv(stream, include_bom=dialect.bom, **options)


class ParquetWriter(Writer):
    """The customers table as Parquet (zstd), typed as the result holds it: ``actions`` a
    list of text, dates as dates; values exact, so no formula escaping."""

    format: ClassVar[str] = "parquet"
    suffix: ClassVar[str] = ".parquet"
    description: ClassVar[str] = "The customers table as Parquet, typed (for pipelines, DuckDB, Spark)."
    escape_formulas: ClassVar[bool] = False  # a typed file for programs; no spreadsheet runs it

    def write(self, result: Result, stream: BinaryIO) -> None:
        finite(result.customers).write_parquet(stream, compression="zstd")


@hookimpl
def clientwise_writers() -> list[Any]:
    return [TableWriter(), CsvWriter(), JsonWriter(), JsonLinesWriter(), ParquetWriter()]

"""What leaves DuckDB after an out-of-core run: the output file, and what summaries read.

The customers table a writer would get (key, name, every output column, ``actions``)
is a query over the run's last table. Parquet is written by DuckDB's ``COPY``; CSV is
streamed in batches of :data:`BATCH` rows through the CSV writer's own formatting
(:func:`clientwise.plugins.io.writers.csv_table`: list joining, formula escaping,
finite floats, the dialect), so the file is byte-identical to the polars backend's
while only one batch is in memory. (DuckDB's CSV ``COPY`` writes floats, quotes and
escapes its own way, so it cannot give the same bytes.)

``actions`` is the list of the rules that fired, highest priority first and in rule
order within a priority, as :func:`clientwise.runtime.outputs.actions_table` orders
them. The sections' portfolio summaries read a narrow frame: the key, the name, each
section's own fields and outputs and the fields they read (:func:`summary_columns`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import duckdb
import polars as pl

from clientwise.compiler.program import Program
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DerivedStep
from clientwise.expr import walk
from clientwise.expr.backends.sql import ident, quote
from clientwise.expr.nodes import Field
from clientwise.plugins.backends.duckdb.session import ROW
from clientwise.plugins.io.csv_dialects import CsvDialect
from clientwise.plugins.io.writers import write_csv_batches
from clientwise.runtime.loop import expressions
from clientwise.runtime.outputs import RULE_SUFFIX

#: Rows per CSV batch: a few hundred MB at the default ruleset's width.
BATCH = 500_000
ACTIONS = "actions"


def output_columns(program: Program, present: Sequence[str], key: str, name: str) -> list[str]:
    """The customers table's columns as :func:`clientwise.runtime.assemble.assemble` picks them."""
    ids = [key, *([name] if name in present and name != key else [])]
    return [*ids, *(column.name for column in program.outputs if column.name in present)]


def actions_sql(step: ActionsStep | None) -> str:
    """Each customer's fired action rules, by priority then rule order."""
    rules = sorted(enumerate(zip(step.rules, step.decision.rules)), key=lambda item: (item[1][0].priority, item[0])) \
        if step else []
    if not rules:
        return f"CAST([] AS VARCHAR[]) AS {ACTIONS}"
    fired = ", ".join(f"CASE WHEN {ident(compiled.id)} = 'fired' THEN {quote(rule.id)} END"
                      for _, (rule, compiled) in rules)
    return f"list_filter([{fired}], lambda x: x IS NOT NULL) AS {ACTIONS}"


def customers_query(current: str, columns: Sequence[str], step: ActionsStep | None,
                    floats: Sequence[str] = ()) -> str:
    """The customers table in key order; ``floats`` are cleaned as every writer cleans them
    (:func:`clientwise.plugins.io.values.finite`: NaN and infinities null, -0.0 as 0.0)."""
    def cell(column: str) -> str:
        if column in floats:
            return (f"CASE WHEN {ident(column)} = 0 THEN 0.0 WHEN isfinite({ident(column)}) THEN {ident(column)} "
                    f"END AS {ident(column)}")
        return ident(column)
    return (f"SELECT {', '.join(cell(c) for c in columns)}, {actions_sql(step)} FROM {current} "
            f"ORDER BY {ident(ROW)}")


def write_parquet(connection: duckdb.DuckDBPyConnection, query: str, spill: Path, stream: BinaryIO) -> None:
    """``COPY`` into the spill folder, then into ``stream`` (the atomic output file)."""
    staged = spill / "customers.parquet"
    connection.execute(f"COPY ({query}) TO {quote(str(staged))} (FORMAT parquet, COMPRESSION zstd)")
    with staged.open("rb") as source:
        shutil.copyfileobj(source, stream, 1 << 20)
    staged.unlink()


def write_csv(connection: duckdb.DuckDBPyConnection, query: str, dialect: CsvDialect, stream: BinaryIO,
              typed: list[pl.Expr]) -> None:
    """Batch after batch through the CSV writer's formatting; the header (and BOM) once."""
    reader = connection.sql(query).to_arrow_reader(BATCH)

    def batches() -> Iterator[pl.DataFrame]:
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield frame.with_columns([cast for cast in typed if cast.meta.output_name() in frame.columns])

    def empty() -> pl.DataFrame:
        frame = pl.from_arrow(reader.schema.empty_table())
        assert isinstance(frame, pl.DataFrame)
        return frame

    write_csv_batches(batches(), empty, dialect, stream)


def summary_columns(program: Program, present: Sequence[str], key: str, name: str) -> list[str]:
    """What the sections' summaries read: each section's fields and outputs and the
    fields those read, with the key and the name."""
    sections = {entry.name for entry in program.sections}
    wanted: dict[str, None] = dict.fromkeys([key, name])
    for entry in program.sections:
        wanted.update(dict.fromkeys(column.name for column in entry.plan.outputs))
    steps = [step for step in program.steps() if _section(step) in sections]
    for step in steps:
        if isinstance(step, DerivedStep):
            wanted[step.name] = None
            wanted.update(dict.fromkeys(step.reads))
        elif isinstance(step, ClassificationStep):
            wanted.update(dict.fromkeys([step.output, step.output + RULE_SUFFIX]))
    for node, _ in expressions(steps):
        wanted.update(dict.fromkeys(sub.name for sub in walk(node) if isinstance(sub, Field) and sub.table is None))
    return [column for column in wanted if column in present]


def _section(step: object) -> str:
    if isinstance(step, DerivedStep):
        return step.section
    if isinstance(step, ClassificationStep):
        return step.classification.source.path.split(".")[0].split("[")[0]
    return ""

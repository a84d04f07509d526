"""The DuckDB backend plugin: the program's schedule run as SQL in one DuckDB connection.

DATA in Parquet files or a DuckDB database is read and validated by DuckDB itself
(:meth:`DuckDBBackend.open_input`, :mod:`.read`), so the input never has to fit in
memory; other data (CSV, Excel, JSON, ``[data]`` sources and value maps) is read by the
project's loaders and handed to DuckDB as Arrow without a copy. Everything after that
runs in DuckDB under ``memory_limit``, spilling to ``spill_dir``: aggregates over
related tables, population functions, derived fields, rule statuses and
classifications. The computed columns come back to polars in key order; the actions
table (with its ``because`` texts) is built from the statuses by the same code as on
polars (:func:`clientwise.runtime.outputs.actions_table`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import duckdb
import polars as pl

from clientwise.compiler.program import DeriveStratum, Program
from clientwise.compiler.steps import ClassificationStep, DerivedStep
from clientwise.errors import InputError, Problem
from clientwise.expr import EvalContext, FunctionRegistry, dtype_of
from clientwise.expr.backends.sql import ident, overflow_of
from clientwise.host.backend_input import BackendInput
from clientwise.host.contracts import RULE_STATUS, Backend, BackendJob, BackendOptions, Decided, Refusal
from clientwise.host.spec import hookimpl
from clientwise.plugins.backends.duckdb.decide import decide
from clientwise.plugins.backends.duckdb.derive import SqlDeriver
from clientwise.plugins.backends.duckdb.export import (
    customers_query,
    output_columns,
    summary_columns,
    write_csv,
    write_parquet,
)
from clientwise.plugins.backends.duckdb.inputs import attach, is_database, plan_input, present_tables
from clientwise.plugins.backends.duckdb.read import FILE_ROW, NotReadable, ReadInput, read_input
from clientwise.plugins.backends.duckdb.refuse import refusals
from clientwise.plugins.backends.duckdb.session import RELATED_ROW, ROW, Chain, connect, spill_directory
from clientwise.plugins.io.writers import CsvWriter, ParquetWriter
from clientwise.runtime.loop import located
from clientwise.runtime.outputs import RULE_SUFFIX, actions_table

if TYPE_CHECKING:
    from clientwise.ruleset.data import DataConfig


class DuckDBBackend(Backend):
    name: ClassVar[str] = "duckdb"
    description: ClassVar[str] = "DuckDB SQL, out of core: --memory-limit and --spill-dir bound the memory it uses."

    def __init__(self, options: BackendOptions | None = None):
        self.options = options or BackendOptions()

    def configure(self, options: BackendOptions) -> DuckDBBackend:
        return DuckDBBackend(options)

    def refusals(self, program: Any, functions: FunctionRegistry) -> list[Refusal]:
        return refusals(program, functions)

    def open_input(self, data: Path, config: DataConfig) -> DuckDBInput | None:
        """Parquet files or a DuckDB database, read and validated in DuckDB; None for data
        only the polars loaders read (see :func:`.inputs.plan_input`)."""
        tables = dict(self.options.tables)
        scans = plan_input(data, config, tables)
        if isinstance(scans, str):
            if is_database(data) or tables:
                raise InputError(Problem(f"the DuckDB backend cannot read this database: {scans}",
                                         file=str(data), hint="a database's tables are typed by their own column "
                                         "types: leave value maps and sources out of [data], or export the tables "
                                         "to CSV or Parquet"))
            return None
        spill = spill_directory(self.options)
        connection = connect(self.options, Path(spill.name))
        try:
            if is_database(data):
                attach(connection, data)
                scans = present_tables(connection, scans, data, tables)
            return DuckDBInput(connection, spill, read_input(connection, scans, config))
        except NotReadable:
            connection.close()
            spill.cleanup()
            return None
        except BaseException:
            connection.close()
            spill.cleanup()
            raise

    def run(self, job: BackendJob) -> Decided:
        program: Program = job.program
        context = job.context
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        if isinstance(job.input, DuckDBInput):
            frame = _located_run(job.input.connection, program, job, ctx, job.input.read)
        else:
            with spill_directory(self.options) as spill:
                connection = connect(self.options, Path(spill))
                try:
                    frame = _located_run(connection, program, job, ctx, None)
                finally:
                    connection.close()
        return Decided(frame, actions_table(frame, program.actions(), ctx))


class DuckDBInput(BackendInput):
    """The input DuckDB read: its tables live in the run's connection until :meth:`close`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, spill: tempfile.TemporaryDirectory[str],
                 read: ReadInput):
        self.connection, self.spill, self.read = connection, spill, read
        self.files, self.columns, self.findings = read.files, read.columns, read.findings

    def keys(self, key: str) -> pl.DataFrame:
        frame = self.connection.sql(f"SELECT {ident(key)} FROM {self.read.tables['customers']} "
                                    f"ORDER BY {ident(key)}").pl()
        return frame

    def filled(self, table: str, column: str) -> tuple[int, int]:
        rows, filled = self.connection.sql(f"SELECT count(*), count({ident(column)}) "
                                           f"FROM {self.read.tables[table]}").fetchall()[0]
        return int(rows), int(filled)

    def value_counts(self, table: str, column: str) -> pl.DataFrame:
        return self.connection.sql(f"SELECT {ident(column)}, count(*) AS count FROM {self.read.tables[table]} "
                                   f"WHERE {ident(column)} IS NOT NULL GROUP BY ALL").pl()

    def streams(self, writer: Any) -> bool:
        return isinstance(writer, (CsvWriter, ParquetWriter))

    def write_run(self, job: Any, writer: Any, stream: BinaryIO) -> pl.DataFrame:
        """The run, its customers table written from DuckDB (see :mod:`.export`)."""
        program: Program = job.program
        context = job.context
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        name = program.ruleset.core.data.name
        with _overflow_located(program):
            chain, _ = _compute(self.connection, program, job, ctx, self.read)
            present = chain.columns()
            columns = output_columns(program, present, ctx.key, name)
            floats = [row[0] for row in self.connection.execute(f"DESCRIBE {chain.current}").fetchall()
                      if row[1] in ("DOUBLE", "FLOAT")]
            query = customers_query(chain.current, columns, program.actions(), floats)
            if isinstance(writer, ParquetWriter):
                write_parquet(self.connection, query, Path(self.spill.name), stream)
            else:
                write_csv(self.connection, query, writer.dialect, stream, _dtypes(program, columns))
            summarized = summary_columns(program, present, ctx.key, name)
            return chain.fetch(summarized).with_columns(_dtypes(program, summarized))

    def close(self) -> None:
        self.connection.close()
        self.spill.cleanup()


def _located_run(connection: duckdb.DuckDBPyConnection, program: Program, job: BackendJob, ctx: EvalContext,
                 read: ReadInput | None) -> pl.DataFrame:
    with _overflow_located(program):
        chain, inputs = _compute(connection, program, job, ctx, read)
        added = [name for name in chain.columns() if name not in inputs and not name.startswith("__cw_")]
        computed = chain.fetch(added).with_columns(_dtypes(program, added))
    if read is None:
        return job.customers.hstack(computed)
    return chain.fetch(inputs).hstack(computed)


@contextmanager
def _overflow_located(program: Program) -> Iterator[None]:
    """An overflow inside a query as the polars backend reports it: field, value, customer."""
    try:
        yield
    except duckdb.Error as error:
        overflow = overflow_of(str(error))
        if overflow is None:
            raise
        raise located(overflow, program.steps()) from None


def _compute(connection: duckdb.DuckDBPyConnection, program: Program, job: BackendJob, ctx: EvalContext,
             read: ReadInput | None) -> tuple[Chain, list[str]]:
    """The run's chain of tables up to its last, and the input columns in it."""
    chain = Chain(connection)
    key = ident(ctx.key)
    if read is not None:  # DuckDB's own tables: numbered here as the polars frames are
        customers = read.tables["customers"]
        kinds = connection.execute(f"SELECT typeof({key}) FROM {customers} LIMIT 1").fetchall()
        kind = kinds[0] if kinds else None
        related = {name: chain.table(f"SELECT * EXCLUDE ({FILE_ROW}{', ' + key if kind else ''}), "
                                     f"{f'CAST({key} AS {kind[0]}) AS {key}, ' if kind else ''}"
                                     f"row_number() OVER (ORDER BY {FILE_ROW}) - 1 AS {RELATED_ROW} FROM {table}",
                                     name) for name, table in read.tables.items() if name != "customers"}
        joined = customers
        if job.customers.width > 1:  # columns computed outside (trend values), joined by key
            extra = chain.register(job.customers, "joined")
            joined = f"(SELECT c.*, j.* EXCLUDE ({key}) FROM {customers} c LEFT JOIN {extra} j ON c.{key} = j.{key})"
        chain.start(chain.table(f"SELECT * EXCLUDE ({FILE_ROW}), row_number() OVER (ORDER BY {key}) - 1 AS {ROW} "
                                f"FROM {joined} ORDER BY {ROW}", "customers"))
        inputs = [c for c in chain.columns() if c != ROW]
    else:
        related = {}
        for name, rows in job.related.items():
            if rows.schema.get(ctx.key) != job.customers.schema.get(ctx.key):
                rows = rows.with_columns(pl.col(ctx.key).cast(job.customers.schema[ctx.key]))
            related[name] = chain.register(rows.with_row_index(RELATED_ROW), name)
        chain.start(chain.register(job.customers.with_row_index(ROW), "customers"))
        inputs = job.customers.columns
    deriver = SqlDeriver(chain, related, ctx, job.guard)
    for run in program.runs(False):
        if isinstance(run, DeriveStratum):
            deriver.stratum(run)
        else:
            for stratum in run.strata:
                decide(chain, stratum, ctx)
    return chain, inputs


def _dtypes(program: Program, columns: list[str]) -> list[pl.Expr]:
    """The dtypes the polars backend gives: rule statuses as :data:`RULE_STATUS`, fields
    and classifications as their types' (``dtype_of``)."""
    present = set(columns)
    casts: list[pl.Expr] = []
    for step in program.steps():
        if isinstance(step, DerivedStep):
            if step.node is not None and step.node.type is not None and not step.node.type.is_null:
                casts.append(pl.col(step.name).cast(dtype_of(step.node.type)))
            continue
        casts += [pl.col(rule.id).cast(RULE_STATUS) for rule in step.decision.rules]
        if isinstance(step, ClassificationStep):
            if not step.type.is_null:
                casts.append(pl.col(step.output).cast(dtype_of(step.type)))
            casts.append(pl.col(step.output + RULE_SUFFIX).cast(pl.String))
    return [cast for cast in casts if cast.meta.output_name() in present]


@hookimpl
def clientwise_backends() -> list[DuckDBBackend]:
    return [DuckDBBackend()]


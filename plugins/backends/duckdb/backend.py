"""The DuckDB backend plugin: the program's schedule run as SQL in one DuckDB connection.

The validated input arrives as polars frames (read by the project's loaders, so the
data mapping of ``[data]`` is exactly the polars backend's) and is handed to DuckDB as
Arrow without a copy. Everything after that runs in DuckDB under ``memory_limit``,
spilling to ``spill_dir``: aggregates over related tables, population functions,
derived fields, rule statuses and classifications. The computed columns come back to
polars in key order; the actions table (with its ``because`` texts) is built from the
statuses by the same code as on polars (:func:`clientwise.runtime.outputs.actions_table`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import duckdb
import polars as pl

from clientwise.compiler.program import DeriveStratum, Program
from clientwise.compiler.steps import ClassificationStep, DerivedStep
from clientwise.expr import EvalContext, FunctionRegistry, dtype_of
from clientwise.expr.backends.sql import overflow_of
from clientwise.host.contracts import RULE_STATUS, Backend, BackendJob, BackendOptions, Decided, Refusal
from clientwise.host.spec import hookimpl
from clientwise.plugins.backends.duckdb.decide import decide
from clientwise.plugins.backends.duckdb.derive import SqlDeriver
from clientwise.plugins.backends.duckdb.refuse import refusals
from clientwise.plugins.backends.duckdb.session import RELATED_ROW, ROW, Chain, connect, spill_directory
from clientwise.runtime.loop import located
from clientwise.runtime.outputs import RULE_SUFFIX, actions_table


class DuckDBBackend(Backend):
    name: ClassVar[str] = "duckdb"
    description: ClassVar[str] = "DuckDB SQL, out of core: --memory-limit and --spill-dir bound the memory it uses."

    def __init__(self, options: BackendOptions | None = None):
        self.options = options or BackendOptions()

    def configure(self, options: BackendOptions) -> DuckDBBackend:
        return DuckDBBackend(options)

    def refusals(self, program: Any, functions: FunctionRegistry) -> list[Refusal]:
        return refusals(program, functions)

    def run(self, job: BackendJob) -> Decided:
        program: Program = job.program
        context = job.context
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        with spill_directory(self.options) as spill:
            connection = connect(self.options, spill)  # type: ignore[arg-type]
            try:
                frame = _run(connection, program, job, ctx)
            except duckdb.Error as error:
                overflow = overflow_of(str(error))
                if overflow is None:
                    raise
                raise located(overflow, program.steps()) from None
            finally:
                connection.close()
        return Decided(frame, actions_table(frame, program.actions(), ctx))


def _run(connection: duckdb.DuckDBPyConnection, program: Program, job: BackendJob, ctx: EvalContext) -> pl.DataFrame:
    chain = Chain(connection)
    key = ctx.key
    related = {}
    for name, rows in job.related.items():
        if rows.schema.get(key) != job.customers.schema.get(key):
            rows = rows.with_columns(pl.col(key).cast(job.customers.schema[key]))
        related[name] = chain.register(rows.with_row_index(RELATED_ROW), name)
    chain.start(chain.register(job.customers.with_row_index(ROW), "customers"))
    deriver = SqlDeriver(chain, related, ctx, job.guard)
    for run in program.runs(False):
        if isinstance(run, DeriveStratum):
            deriver.stratum(run)
        else:
            for stratum in run.strata:
                decide(chain, stratum, ctx)
    added = [name for name in chain.columns() if name not in job.customers.columns and not name.startswith("__cw_")]
    computed = chain.fetch(added).with_columns(_dtypes(program, added))
    return job.customers.hstack(computed)


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


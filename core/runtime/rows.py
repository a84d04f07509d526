"""Small inputs derived in plain Python, with the reference evaluator.

Planning a polars query costs about a millisecond whatever the number of rows, and a
compiled program runs dozens of them; for a handful of customers (a ``clientwise
test`` case, :meth:`Evaluator.evaluate_one`) that planning is nearly all the time.
The reference evaluator (:mod:`clientwise.expr.backends.python`) computes the same
values with the same semantics (population functions see every row given, ties by
key, sums in row order, overflow checked): the property tests hold it to the polars
compiler, and ``tests/test_small_inputs.py`` holds whole small portfolios derived here
to the polars path, column by column. So the polars backend derives an input of at
most :data:`SMALL_ROWS` customers here; plugin-computed fields still run on polars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from clientwise.compiler.program import DeriveStratum, ExpressionLevels
from clientwise.compiler.steps import DerivedStep
from clientwise.errors import DataError
from clientwise.expr import KNOWN_TABLES, EvalContext, dtype_of, tables_used
from clientwise.expr.backends.closures import row_columns

#: Up to this many customers (and :data:`SMALL_RELATED` related rows) an input is small.
SMALL_ROWS = 64
SMALL_RELATED = 4096

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class RowWise:
    """When an input is small enough to derive row by row (``limit`` customers at most;
    0 sends everything to polars, as the equality tests do for their reference)."""

    limit: int = SMALL_ROWS
    related_limit: int = SMALL_RELATED

    def applies(self, frame: pl.DataFrame, related: Mapping[str, pl.DataFrame]) -> bool:
        return frame.height <= self.limit and sum(t.height for t in related.values()) <= self.related_limit


def derive_stratum_rows(frame: pl.DataFrame, stratum: DeriveStratum, related: Mapping[str, pl.DataFrame],
                        related_rows: Rows, ctx: EvalContext) -> pl.DataFrame:
    """:func:`clientwise.runtime.derive.derive_stratum` for a small ``frame``: each run of
    expression fields in Python, population functions over ``frame``'s rows."""
    for part in stratum.parts:
        if isinstance(part, ExpressionLevels):
            _check_tables(part.steps, related, ctx)
            frame = derive_rows(frame, part.steps, related_rows, ctx)
        else:
            assert part.computed is not None
            frame = frame.with_columns(part.computed.build().alias(part.name))
    return frame


def derive_rows(frame: pl.DataFrame, steps: Sequence[DerivedStep], related_rows: Rows, ctx: EvalContext,
                schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """``frame`` with each expression field of ``steps`` (in dependency order) added, the
    dtype its type promises (or ``schema``'s, a portfolio's the record must match)."""
    rows = frame.to_dicts()
    column = row_columns(ctx, related_rows)
    dtypes: dict[str, pl.DataType] = {}
    for step in steps:
        node = step.node
        assert node is not None and node.type is not None  # plugin-computed fields run on polars
        values = column(node, rows)
        for row, value in zip(rows, values):
            row[step.name] = value
        wanted = (schema or {}).get(step.name)
        if wanted is None:
            wanted = pl.Null() if node.type.is_null else dtype_of(node.type)
        dtypes[step.name] = wanted
    if not dtypes:
        return frame
    # one frame from the rows: building a Series per field cost more than computing it
    added = pl.DataFrame([tuple(row[name] for name in dtypes) for row in rows], schema=dtypes, orient="row",
                         strict=False)
    return add_columns(frame, added.get_columns())


def add_columns(frame: pl.DataFrame, columns: Sequence[pl.Series]) -> pl.DataFrame:
    """``frame`` with ``columns`` added (or replaced): new columns are stacked on, as
    ``with_columns`` would plan a query over every column of the frame (a third of a
    millisecond at 150 columns, whatever the rows)."""
    if any(column.name in frame.columns for column in columns):
        return frame.with_columns(columns)
    return frame.hstack(columns)


def _check_tables(steps: Sequence[DerivedStep], related: Mapping[str, pl.DataFrame], ctx: EvalContext) -> None:
    """The polars path's error for an aggregate over a table no data was loaded for."""
    if set(KNOWN_TABLES) <= set(related):
        return  # every table an aggregate may read is there: no need to walk the expressions
    for step in steps:
        assert step.node is not None
        for table in sorted(tables_used(step.node, ctx.functions) - set(related)):
            raise DataError(f"the ruleset aggregates over the '{table}' table, but no {table} data was loaded")

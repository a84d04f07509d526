"""The derive stage: add checked derived fields to the customers frame.

Aggregates over a related table are computed in one ``group_by`` per table (each
filter lives inside its aggregation) and left-joined on the customer key; population
functions see every customer of ``frame``; plain expressions are batched so that
fields that do not depend on each other share one ``with_columns``. Everything runs
as one lazy polars query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from clientwise.compiler.program import DeriveStratum, ExpressionLevels, depth_levels
from clientwise.errors import DataError
from clientwise.expr import (
    Call,
    EvalContext,
    Node,
    aggregate_parts,
    aggregate_to_polars,
    dtype_of,
    fields_used,
    to_polars,
    to_text,
    walk,
)

_PREFIX = "__clientwise_agg_"
_ROW = "__clientwise_row"


def aggregate_calls(node: Node, ctx: EvalContext) -> list[Call]:
    """The aggregate calls inside a checked expression, outermost first."""
    return [s for s in walk(node) if isinstance(s, Call) and ctx.functions[s.name].kind == "aggregate"]


def derive(
    frame: pl.DataFrame,
    fields: Sequence[tuple[str, Node]],
    related: Mapping[str, pl.DataFrame],
    ctx: EvalContext,
) -> pl.DataFrame:
    """``frame`` with one new column per derived field, in the given (dependency) order.

    ``fields`` are ``(name, checked node)`` pairs, each reading only ``frame``'s columns
    and earlier fields. ``related`` maps table names (``contacts``, ...) to frames
    keyed by ``ctx.key``. A customer without related rows counts 0 and sums 0; its
    mean, min and max are null.
    """
    if not fields:
        return frame
    return derive_lazy(frame, levels(fields), related, ctx).collect()


def levels(fields: Sequence[tuple[str, Node]]) -> list[list[tuple[str, Node]]]:
    """The fields grouped by depth (:func:`clientwise.compiler.program.depth_levels`)."""
    groups = depth_levels([(name, fields_used(node)) for name, node in fields])
    return [[fields[i] for i in group] for group in groups]


def derive_lazy(
    frame: pl.DataFrame,
    levels: Sequence[Sequence[tuple[str, Node]]],
    related: Mapping[str, pl.DataFrame],
    ctx: EvalContext,
) -> pl.LazyFrame:
    """The query :func:`derive` runs, level by level (each level one ``with_columns``),
    for callers that want to add to it before collecting."""
    fields = [field for level in levels for field in level]
    query, columns = _aggregates(frame.lazy(), frame.schema, fields, related, ctx)
    for level in levels:
        query = query.with_columns(_column(name, node, ctx, columns) for name, node in level)
    if columns:
        query = query.drop(list(columns.values()))
    return query


def _column(name: str, node: Node, ctx: EvalContext, columns: Mapping[str, str]) -> pl.Expr:
    """The field as a column of the dtype its type promises (Int64 for integer numbers...)."""
    expr = to_polars(node, ctx, columns=columns)
    if node.type is not None and not node.type.is_null:
        expr = expr.cast(dtype_of(node.type))
    return expr.alias(name)


def _aggregates(
    query: pl.LazyFrame,
    schema: pl.Schema,
    fields: Sequence[tuple[str, Node]],
    related: Mapping[str, pl.DataFrame],
    ctx: EvalContext,
) -> tuple[pl.LazyFrame, dict[str, str]]:
    """Join the aggregated related tables onto the customers; return each call's column.

    Related rows are grouped by the customer's row number rather than by the (text)
    key: one join maps keys to row numbers, and grouping by an integer is several
    times faster. Aggregates that work per group (distinct counts, per-day maxima) are
    marked ``own_query``: their rows are filtered first and grouped on their own, which
    keeps the shared group-by on polars' fast path.
    """
    columns: dict[str, str] = {}
    by_table: dict[str, list[tuple[str, Call]]] = {}
    for _, node in fields:
        for call in aggregate_calls(node, ctx):
            key = to_text(call)
            if key in columns:
                continue
            columns[key] = f"{_PREFIX}{len(columns)}"
            table = call.args[0].type.table if call.args[0].type else None
            by_table.setdefault(str(table), []).append((columns[key], call))
    if not by_table:
        return query, columns
    index = query.select(ctx.key).with_row_index(_ROW)
    query = query.with_row_index(_ROW)
    for table, calls in by_table.items():
        if table not in related:
            raise DataError(f"the ruleset aggregates over the '{table}' table, but no {table} data was loaded")
        rows = related[table].lazy()
        if related[table].schema.get(ctx.key) != schema.get(ctx.key):
            rows = rows.with_columns(pl.col(ctx.key).cast(schema[ctx.key]))
        rows = rows.join(index, on=ctx.key, how="inner").drop(ctx.key)
        shared = [(col, call) for col, call in calls if not ctx.functions[call.name].own_query]
        if shared:
            grouped = rows.group_by(_ROW).agg(aggregate_to_polars(call, ctx).alias(col) for col, call in shared)
            query = query.join(grouped, on=_ROW, how="left", maintain_order="left")
        for col, call in calls:
            if ctx.functions[call.name].own_query:
                keep, value = aggregate_parts(call, ctx)
                selected = rows.filter(keep) if keep is not None else rows
                grouped = selected.group_by(_ROW).agg(value.alias(col))
                query = query.join(grouped, on=_ROW, how="left", maintain_order="left")
        fills = [pl.col(col).fill_null(ctx.functions[call.name].empty)
                 for col, call in calls if ctx.functions[call.name].empty is not None]
        if fills:
            query = query.with_columns(fills)
    return query.drop(_ROW), columns


def derive_stratum(frame: pl.DataFrame, stratum: DeriveStratum, related: Mapping[str, pl.DataFrame],
                   ctx: EvalContext) -> pl.DataFrame:
    """A compiled derive stratum over a whole portfolio: each run of expression fields as
    one query (levels precomputed by the compiler), plugin-computed fields in between."""
    for part in stratum.parts:
        if isinstance(part, ExpressionLevels):
            levels = [[(step.name, step.node) for step in level] for level in part.levels]
            frame = derive_lazy(frame, levels, related, ctx).collect()  # type: ignore[arg-type]
        else:
            assert part.computed is not None
            frame = frame.with_columns(part.computed.build().alias(part.name))
    return frame

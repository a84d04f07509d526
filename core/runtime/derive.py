"""The derive stage: add checked derived fields to the customers frame.

Aggregates over a related table are computed in one ``group_by`` per table (each
filter and value argument first computed as a column of the related rows) and
left-joined on the customer's row; sums and means add the rows in table order
(:mod:`clientwise.expr.summation`); population functions see every customer of
``frame``; plain expressions are batched so that fields that do not depend on each
other share one ``with_columns``. Each run of expression fields is one lazy polars
query that returns only the new columns; they are attached to the customers frame
without copying its other columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from clientwise.compiler.program import DeriveStratum, ExpressionLevels, depth_levels
from clientwise.errors import DataError
from clientwise.expr import (
    Call,
    EvalContext,
    FunctionSpec,
    Node,
    aggregate_columns,
    dtype_of,
    fields_used,
    to_polars,
    to_text,
    walk,
)
from clientwise.expr.numbers import check_column
from clientwise.runtime.related_rows import CustomerRows, customer_rows

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
    aggregates, columns = _aggregates(frame, fields, related, ctx, {})
    query = frame.lazy() if aggregates is None else pl.concat([frame.lazy(), aggregates], how="horizontal")
    for level in levels:
        query = query.with_columns(field_column(name, node, ctx, columns) for name, node in level)
    return query.drop(list(columns.values()))


def derive_columns(
    frame: pl.DataFrame,
    levels: Sequence[Sequence[tuple[str, Node]]],
    related: Mapping[str, pl.DataFrame],
    ctx: EvalContext,
    known: dict[str, CustomerRows | None],
) -> pl.DataFrame:
    """Only the new columns of :func:`derive_lazy`, as a frame of ``frame``'s height.

    A query over the whole (by then wide) customers frame would copy every column into
    its result; this one reads the columns the fields use and returns only the fields,
    for the caller to attach without a copy. ``known`` keeps each related table's
    customer rows (:mod:`clientwise.runtime.related_rows`) for the next call over the
    same ``frame`` rows."""
    fields = [field for level in levels for field in level]
    aggregates, columns = _aggregates(frame, fields, related, ctx, known)
    query = (frame if aggregates is None else frame.hstack(aggregates.collect())).lazy()
    for level in levels:
        query = query.with_columns(field_column(name, node, ctx, columns) for name, node in level)
    return query.select(name for name, _ in fields).collect()


def attach(frame: pl.DataFrame, columns: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``columns`` (same height) added, or replacing its columns of the
    same names; the existing columns are not copied."""
    if set(columns.columns) & set(frame.columns):
        return frame.with_columns(columns.get_columns())
    return frame.hstack(columns)


def field_column(name: str, node: Node, ctx: EvalContext, columns: Mapping[str, str]) -> pl.Expr:
    """The field as a column of the dtype its type promises (Int64 for integer numbers...)."""
    expr = to_polars(node, ctx, columns=columns)
    if node.type is not None and not node.type.is_null:
        expr = expr.cast(dtype_of(node.type))
    return expr.alias(name)


def _aggregates(
    frame: pl.DataFrame,
    fields: Sequence[tuple[str, Node]],
    related: Mapping[str, pl.DataFrame],
    ctx: EvalContext,
    known: dict[str, CustomerRows | None],
) -> tuple[pl.LazyFrame | None, dict[str, str]]:
    """The aggregates as columns of ``frame``'s height, in its row order (None: the
    fields have none); and each call's column name.

    Related rows are grouped by the customer's row number rather than by the (text)
    key (:mod:`clientwise.runtime.related_rows`; a join on the key where the frame's
    keys are not in order), keeping the table's row order. Each call's filter and
    values are first computed as columns of the related rows (once per row; an
    overflow names the row's customer). Per-customer results are joined onto a frame
    of the customers' row numbers and keys only, never onto the wide customers frame.
    Aggregates that work per group (distinct counts, per-day maxima) are marked ``own_query``: their rows are filtered first and grouped on
    their own, which keeps the shared group-by on polars' fast path; sums and means
    (``in_order``) add every customer's rows in table order in one pass instead.
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
    height = frame.height
    if not by_table:
        return None, columns
    query = frame.lazy().select(ctx.key).with_row_index(_ROW)
    for table, calls in by_table.items():
        if table not in related:
            raise DataError(f"the ruleset aggregates over the '{table}' table, but no {table} data was loaded")
        rows = _rows_of(frame, related[table], table, ctx.key, known)
        parts = [_Part(col, call, ctx) for col, call in calls]
        rows = rows.with_columns(expr for part in parts for expr in part.columns)
        shared = [part.grouped() for part in parts if not (part.spec.own_query or part.spec.in_order)]
        if shared:
            query = query.join(rows.group_by(_ROW).agg(shared), on=_ROW, how="left", maintain_order="left")
        for part in parts:
            if part.spec.in_order is not None:
                query = query.join(part.in_order(rows, height), on=_ROW, how="left", maintain_order="left")
            elif part.spec.own_query:
                selected = rows.filter(pl.col(part.keep)) if part.keep is not None else rows
                query = query.join(selected.group_by(_ROW).agg(part.grouped(filtered=True)),
                                   on=_ROW, how="left", maintain_order="left")
        fills = [pl.col(part.name).fill_null(part.spec.empty) for part in parts if part.spec.empty is not None]
        checks = [part.checked(ctx) for part in parts if part.checks]
        if fills or checks:
            query = query.with_columns(fills).with_columns(checks)
    return query.drop(_ROW, ctx.key), columns


def _rows_of(frame: pl.DataFrame, table: pl.DataFrame, name: str, key: str,
             known: dict[str, CustomerRows | None]) -> pl.LazyFrame:
    """The related table's rows that belong to a customer of ``frame``, in table order,
    with that customer's row number in ``_ROW``."""
    keys = frame.get_column(key)
    theirs = table.get_column(key)
    if theirs.dtype != keys.dtype:
        theirs = theirs.cast(keys.dtype)
    if name not in known:
        known[name] = customer_rows(keys, theirs)
    found = known[name]
    if found is None:
        index = frame.lazy().select(key).with_row_index(_ROW)
        return table.lazy().with_columns(theirs).join(index, on=key, how="inner", maintain_order="left")
    rows = table.lazy().with_columns(found.rows.alias(_ROW))
    if found.orphans:
        rows = rows.filter(pl.col(_ROW).is_not_null())
    # rows in key order: polars groups sorted numbers by slicing runs instead of hashing
    return rows.with_columns(pl.col(_ROW).set_sorted()) if found.ascending else rows


class _Part:
    """One aggregate call over the related rows: the columns it adds to them (filter,
    value arguments) and how they become one value per customer."""

    def __init__(self, name: str, call: Call, ctx: EvalContext):
        self.name, self.call, self.spec = name, call, ctx.functions[call.name]
        keep, values, self.info = aggregate_columns(call, ctx)
        self.keep = f"{name}_keep" if keep is not None else None
        self.values = [f"{name}_value{i}" for i in range(len(values))]
        self.columns = [*([keep.alias(self.keep)] if keep is not None else []),
                        *(value.alias(column) for value, column in zip(values, self.values))]
        #: a sum may leave the numbers the language has (clientwise.expr.numbers); whole
        #: numbers then arrive exact, in Int128
        self.checks = self.spec.checked and call.type is not None and call.type.is_number
        self.integer = call.type is not None and call.type.integer

    def grouped(self, filtered: bool = False) -> pl.Expr:
        keep = pl.col(self.keep) if self.keep is not None and not filtered else None
        return self.spec.polars([pl.col(v) for v in self.values], keep, self.info).alias(self.name)

    def in_order(self, rows: pl.LazyFrame, height: int) -> pl.LazyFrame:
        """Every customer's value from the (kept) rows in table order, by ``spec.in_order``."""
        selected = rows.filter(pl.col(self.keep)) if self.keep is not None else rows
        spec: FunctionSpec = self.spec
        assert spec.in_order is not None

        def compute(frame: pl.DataFrame) -> pl.DataFrame:
            values = [frame.get_column(v) for v in self.values]
            result = spec.in_order(frame.get_column(_ROW), values, height, self.info)  # type: ignore[misc]
            return pl.DataFrame({_ROW: pl.int_range(height, dtype=pl.UInt32, eager=True), self.name: result})

        schema = {_ROW: pl.UInt32(), self.name: pl.Int128() if self.integer else pl.Float64()}
        return selected.select(_ROW, *self.values).map_batches(compute, schema=schema)

    def checked(self, ctx: EvalContext) -> pl.Expr:
        key = pl.col(ctx.key) if ctx.keyed else None
        return check_column(pl.col(self.name), to_text(self.call), integer=self.integer, key=key).alias(self.name)


def derive_stratum(frame: pl.DataFrame, stratum: DeriveStratum, related: Mapping[str, pl.DataFrame],
                   ctx: EvalContext, found: Mapping[str, CustomerRows] | None = None) -> pl.DataFrame:
    """A compiled derive stratum over a whole portfolio: each run of expression fields as
    one query (levels precomputed by the compiler), plugin-computed fields in between.
    ``found`` gives related tables' customer rows already known (validation finds them
    while checking for orphans); the others are found here."""
    known: dict[str, CustomerRows | None] = dict(found or {})  # the rows stay in place: found once per table
    for part in stratum.parts:
        if isinstance(part, ExpressionLevels):
            levels = [[(step.name, step.node) for step in level] for level in part.levels]
            frame = attach(frame, derive_columns(frame, levels, related, ctx, known))  # type: ignore[arg-type]
        else:
            assert part.computed is not None
            frame = frame.with_columns(part.computed.build().alias(part.name))
    return frame

"""Aggregates over a related table (contacts, interactions), per customer; derived fields only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from clientwise.expr.functions import CallInfo, FunctionSpec
from clientwise.expr.numbers import COUNTS
from clientwise.expr.summation import means, python_mean, sums
from clientwise.expr.types import INTEGER, NUMBER, Type
from clientwise.plugins.functions.rules import (
    DATES,
    NUMBERS,
    ORDERED,
    need,
    present,
)


# -- aggregates over a related table (derived fields only) -------------------------
def _masked(x: pl.Expr, keep: pl.Expr | None) -> pl.Expr:
    return x if keep is None else pl.when(keep).then(x)


def _aggregate(name: str, columns: tuple[tuple[str, ...], ...], result: Type | None,
               polars: Callable[[pl.Expr], pl.Expr], python: Callable[[list[Any]], Any], empty: Any,
               doc: str, example: str, column: str = "column", own_query: bool = False,
               **extra: Any) -> FunctionSpec:
    """An aggregate ``name(table, column..., [filter])``; result None means the column's type."""
    def returns(ts: Sequence[Type]) -> Type:
        for i, kinds in enumerate(columns, start=1):
            need(ts, i, kinds, " or ".join(Type(k).describe() for k in kinds))  # type: ignore[arg-type]
        return result if result is not None else ts[1]

    count = len(columns)
    signature = f"{name}(table{', ' + column if count else ''}[, filter])"
    return FunctionSpec(
        name, "aggregate", 1 + count, 2 + count, returns,
        lambda a, keep, i: polars(_masked(a[0], keep) if count else keep),
        lambda cols, rows, i: python(present(cols[0]) if count else [None] * rows),
        doc, example, signature, filter_arg=1 + count, empty=empty, own_query=own_query, **extra,
    )


def _count_rows(keep: pl.Expr | None) -> pl.Expr:
    return (pl.len() if keep is None else keep.sum()).cast(pl.Int64)


def _busiest_day(values: list[Any]) -> int:
    return max(Counter(values).values(), default=0)


def _in_order(combine: Callable[[pl.Series, pl.Series, int], pl.Series]) -> Callable[..., pl.Series]:
    """A sum or mean of every customer at once, adding rows in table order (see
    :mod:`clientwise.expr.summation`; derive uses this rather than the group-by)."""
    def run(group: pl.Series, values: list[pl.Series], groups: int, call: CallInfo) -> pl.Series:
        return combine(values[0], group, groups)
    return run


def _sequential_sum(x: pl.Expr) -> pl.Expr:
    """The same sum per group in a group-by: rows added in order (slower than :func:`_in_order`)."""
    return x.drop_nulls().cum_sum().last().fill_null(0)


AGGREGATES: list[FunctionSpec] = [
    _aggregate("count_of", (), INTEGER, _count_rows, len, 0,
               "How many related rows (that pass the filter) the customer has; 0 if none.",
               "count_of(contacts, role == 'budget' and strength >= 3)", checked=False, bounds=lambda b: COUNTS),
    _aggregate("sum_of", (NUMBERS,), None, _sequential_sum, sum, 0,
               "Sum of a column over the customer's related rows, added in table order; 0 if none.",
               "sum_of(interactions, minutes, kind == 'meeting')", in_order=_in_order(sums)),
    _aggregate("mean_of", (NUMBERS,), NUMBER,
               lambda x: pl.when(x.count() > 0).then(_sequential_sum(x).cast(pl.Float64) / x.count()), python_mean, None,
               "Mean of a column over the related rows; null if none.", "mean_of(contacts, strength)",
               in_order=_in_order(means)),
    _aggregate("min_of", (ORDERED,), None, lambda x: x.min(), lambda v: min(v, default=None), None,
               "Smallest value (earliest date); null if none.", "min_of(interactions, date)", checked=False),
    _aggregate("max_of", (ORDERED,), None, lambda x: x.max(), lambda v: max(v, default=None), None,
               "Largest value (latest date); null if none.", "days_since(max_of(interactions, date))",
               checked=False),
    _aggregate("count_distinct_of", (ORDERED + ("boolean",),), INTEGER,
               lambda x: x.drop_nulls().n_unique().cast(pl.Int64), lambda v: len(set(v)), 0,
               "How many different non-null values a column has; 0 if none.",
               "count_distinct_of(contacts, department)", own_query=True, checked=False, bounds=lambda b: COUNTS),
    _aggregate("max_per_day", (DATES,), INTEGER,
               lambda x: x.drop_nulls().unique_counts().max().fill_null(0).cast(pl.Int64), _busiest_day, 0,
               "The most related rows on any single day (e.g. support-call storms); 0 if none.",
               "max_per_day(interactions, date, kind == 'support')", column="date_column", own_query=True,
               checked=False, bounds=lambda b: COUNTS),
]

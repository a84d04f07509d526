"""Population functions: values that compare a customer with every other (rank, share, median).

Usable in derived fields only; ties are broken by the customer key where an order must be total."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from clientwise.expr.functions import (
    CallInfo,
    FunctionSpec,
    exact_div,
)
from clientwise.expr.numbers import COUNTS
from clientwise.expr.summation import mean_expr, python_mean, sum_expr
from clientwise.expr.types import INTEGER, NUMBER, Type
from clientwise.plugins.functions.rules import (
    NUMBERS,
    fixed,
    number_of,
    present,
    whole_in,
)


def ranks(values: Sequence[Any]) -> list[int | None]:
    """1 = largest; ties share the lowest rank ('min' method); null stays null."""
    ordered = sorted(present(values))
    return [None if v is None else len(ordered) - bisect.bisect_right(ordered, v) + 1 for v in values]


def _rank_pl(x: pl.Expr) -> pl.Expr:
    return x.rank("min", descending=True).cast(pl.Int64)


def _row_number_py(cols: list[list[Any]], info: CallInfo) -> list[int | None]:
    x, keys = cols[0], info.keys or ()
    order = sorted((i for i, v in enumerate(x) if v is not None), key=lambda i: keys[i])
    order.sort(key=lambda i: x[i], reverse=True)  # stable: equal values keep key order
    out: list[int | None] = [None] * len(x)
    for position, i in enumerate(order, start=1):
        out[i] = position
    return out


def _row_number_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    order = pl.arg_sort_by([a[0], pl.col(info.key)], descending=[True, False], nulls_last=True,
                           maintain_order=True)
    return pl.when(a[0].is_not_null()).then(order.arg_sort().cast(pl.Int64) + 1)


def _integer(info: CallInfo) -> bool:
    return bool(info.nodes and info.nodes[0].type is not None and info.nodes[0].type.integer)


def _exact(x: pl.Expr, info: CallInfo) -> pl.Expr:
    """Whole numbers in Int128, so sums and running totals of them are exact."""
    return x.cast(pl.Int128) if _integer(info) else x


def _share_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    total = sum(present(cols[0]))  # in row order, as every sum (clientwise.expr.summation)
    return [None if v is None or total == 0 else float(v) / float(total) for v in cols[0]]


def _share_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    total = sum_expr(a[0], _integer(info))
    return pl.when(total != 0).then(exact_div(a[0], total.cast(pl.Float64)))


def _cumshare_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    running, through = 0, {}
    for v in sorted(present(cols[0]), reverse=True):
        running += v
        through[v] = running  # the last of equal values: ties hold their share together
    total = sum(present(cols[0]))
    return [None if v is None or total == 0 else float(through[v]) / float(total) for v in cols[0]]


def _cumshare_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    x, total = a[0], sum_expr(a[0], _integer(info))
    upto = x.rank("max", descending=True).cast(pl.Int64) - 1
    through = _exact(x, info).sort(descending=True, nulls_last=True).cum_sum().gather(upto)
    return pl.when(total != 0).then(exact_div(through.cast(pl.Float64), total.cast(pl.Float64)))


def _ntile_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    groups, count = int(info.literal(1)), len(present(cols[0]))
    return [None if r is None else (r * groups + count - 1) // count for r in ranks(cols[0])]


def _ntile_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    count = a[0].count().cast(pl.Int64)
    return (_rank_pl(a[0]) * int(info.literal(1)) + count - 1) // count


def _median_py(values: list[Any]) -> float | None:
    """The median as polars computes it: between the two middle values it interpolates
    ``lower + (upper - lower) * 0.5``, which can differ in the last digit from
    ``statistics.median``'s ``(lower + upper) / 2``."""
    if not values:
        return None
    ordered = sorted(values)
    lower, upper = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
    return float(lower + (upper - lower) * 0.5)


def _fill(value: Callable[[list[Any]], Any]) -> Callable[[list[list[Any]], CallInfo], list[Any]]:
    """A population summary (one value) repeated for every customer."""
    return lambda cols, info: [value(present(cols[0]) if cols else [])] * len(info.keys or ())


def _population(name: str, lo: int, hi: int | None, returns: Callable[[Sequence[Type]], Type],
                polars: Callable[..., pl.Expr], python: Callable[..., Any], doc: str, example: str,
                signature: str, **extra: Any) -> FunctionSpec:
    return FunctionSpec(name, "population", lo, hi, returns, polars, python, doc, example, signature, **extra)


_RANKABLE = ("number", "date")
POPULATION: list[FunctionSpec] = [
    _population("rank", 1, 1, fixed(INTEGER, _RANKABLE), lambda a, i: _rank_pl(a[0]),
                lambda c, i: ranks(c[0]), "Position among all customers, 1 = largest; ties share the "
                "lowest rank; null stays null.", "rank(revenue)", "rank(x)",
                checked=False, bounds=lambda b: COUNTS),
    _population("row_number", 1, 1, fixed(INTEGER, _RANKABLE), _row_number_pl, _row_number_py,
                "Like rank, but ties are broken by customer key ascending, so every number is used once.",
                "row_number(revenue) <= 10", "row_number(x)", checked=False, bounds=lambda b: COUNTS),
    _population("rank_pct", 1, 1, fixed(NUMBER, _RANKABLE),
                lambda a, i: exact_div(_rank_pl(a[0]), a[0].count()),
                lambda c, i: [None if r is None else r / len(present(c[0])) for r in ranks(c[0])],
                "rank / number of customers with a value: 0.1 means top 10%.", "rank_pct(revenue) <= 0.2",
                "rank_pct(x)", checked=False),
    _population("share", 1, 1, fixed(NUMBER, NUMBERS), _share_pl, _share_py,
                "x as a fraction of the sum of x over all customers.", "share(revenue)", "share(x)"),
    _population("cumshare", 1, 1, fixed(NUMBER, NUMBERS), _cumshare_pl, _cumshare_py,
                "Fraction of the total held by this customer and all ranked above (ties together): "
                "the Pareto curve.", "cumshare(revenue) <= 0.8", "cumshare(x)"),
    _population("ntile", 2, 2, fixed(INTEGER, _RANKABLE, NUMBERS), _ntile_pl, _ntile_py,
                "Group 1..n by rank, 1 = top group: ceil(rank * n / count).", "ntile(revenue, 4) == 1",
                "ntile(x, n)", literal_args={1: whole_in(1, 1000)}, checked=False, bounds=lambda b: COUNTS),
    _population("median", 1, 1, fixed(NUMBER, NUMBERS), lambda a, i: a[0].median(),
                _fill(_median_py),
                "Median of x over all customers (nulls ignored).", "revenue > 2 * median(revenue)", "median(x)"),
    _population("mean", 1, 1, fixed(NUMBER, NUMBERS), lambda a, i: mean_expr(a[0]), _fill(python_mean),
                "Mean of x over all customers (nulls ignored).", "revenue / mean(revenue)", "mean(x)"),
    _population("sum", 1, 1, number_of(0), lambda a, i: sum_expr(a[0], _integer(i)), _fill(sum),
                "Sum of x over all customers in key order (nulls ignored; 0 if none).", "revenue / sum(revenue)",
                "sum(x)"),
    _population("count", 1, 1, lambda ts: INTEGER, lambda a, i: a[0].count().cast(pl.Int64), _fill(len),
                "How many customers have a value for x.", "count(nps)", "count(x)", checked=False,
                bounds=lambda b: COUNTS),
    _population("customer_count", 0, 0, lambda ts: INTEGER, lambda a, i: pl.len().cast(pl.Int64),
                lambda c, i: [len(i.keys or ())] * len(i.keys or ()), "How many customers are evaluated.", "rank(revenue) / customer_count()",
                "customer_count()", checked=False, bounds=lambda b: COUNTS),
]

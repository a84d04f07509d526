"""The built-in functions of the expression language, as a plugin like any other.

Each function has a polars builder and a plain-Python twin with the same semantics
(see ``docs/expressions.md``); ``tests/test_functions.py`` checks that they agree.
Conventions: a null argument gives null unless the function is about nulls
(``coalesce``, ``if_else``); rounding is half away from zero.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from clientwise.expr.functions import (
    CallInfo,
    FunctionSpec,
    SignatureError,
    exact_div,
    round_half_away,
    round_half_away_expr,
)
from clientwise.expr.types import BOOLEAN, DATE, INTEGER, NUMBER, STRING, Type, unify
from clientwise.host.spec import hookimpl

_INT64 = 2**63
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- typing rules --------------------------------------------------------------
def _need(types: Sequence[Type], index: int, kinds: tuple[str, ...], what: str) -> Type:
    t = types[index]
    if t.kind not in kinds:
        raise SignatureError(f"argument {index + 1} must be {what}, got {t.describe()}", index)
    return t


def _number(i: int) -> Callable[[Sequence[Type]], Type]:
    return lambda ts: _need(ts, i, ("number",), "a number")


def _same(kinds: tuple[str, ...], what: str, first: int = 0) -> Callable[[Sequence[Type]], Type]:
    """All arguments from ``first`` on share one type of ``kinds``; that type is returned."""
    def rule(ts: Sequence[Type]) -> Type:
        out = _need(ts, first, kinds, what)
        for i in range(first + 1, len(ts)):
            merged = unify(out, _need(ts, i, kinds, what))
            if merged is None:
                raise SignatureError(f"argument {i + 1} is {ts[i].describe()}, but argument "
                                     f"{first + 1} is {out.describe()}", i)
            out = merged
        return out
    return rule


def _fixed(result: Type, *args: tuple[str, ...]) -> Callable[[Sequence[Type]], Type]:
    def rule(ts: Sequence[Type]) -> Type:
        for i, kinds in enumerate(args[: len(ts)]):
            _need(ts, i, kinds, " or ".join(Type(k).describe() for k in kinds))  # type: ignore[arg-type]
        return result
    return rule


def _coalesce_rule(ts: Sequence[Type]) -> Type:
    out = ts[0]
    for i, t in enumerate(ts[1:], start=1):
        merged = unify(out, t)
        if merged is None:
            raise SignatureError(f"argument {i + 1} is {t.describe()}, but earlier ones are {out.describe()}", i)
        out = merged
    return out


def _if_else_rule(ts: Sequence[Type]) -> Type:
    _need(ts, 0, ("boolean", "null"), "a condition (true/false)")
    return _coalesce_rule(ts[1:]) if unify(ts[1], ts[2]) else _raise_branch(ts)


def _raise_branch(ts: Sequence[Type]) -> Type:
    raise SignatureError(f"both results must be of one kind: {ts[1].describe()} and {ts[2].describe()}", 2)


def _round_rule(ts: Sequence[Type]) -> Type:
    _need(ts, 0, ("number",), "a number")
    return INTEGER if len(ts) == 1 else NUMBER


def _whole_in(lo: int, hi: int) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: type(v) is int and lo <= v <= hi), f"a whole number from {lo} to {hi}"


def _digits(info: CallInfo) -> int:
    return int(info.literal(1, 0))


def _date_constant(values: Sequence[Any]) -> dt.date:
    text = values[0]
    try:
        if not isinstance(text, str) or not _ISO.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SignatureError(f"{text!r} is not a valid date", 0, "write dates as date('2026-01-31')") from None


def _to_int(v: float) -> int | None:
    return int(v) if math.isfinite(v) and -_INT64 <= v < _INT64 else None


def _int_result(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64, strict=False)


def _nullsafe(fn: Callable[..., Any]) -> Callable[[list[Any], CallInfo], Any]:
    """A Python implementation that returns null if any argument is null."""
    return lambda values, info: None if any(v is None for v in values) else fn(*values)


def _scalar(name: str, lo: int, hi: int | None, returns: Callable[[Sequence[Type]], Type],
            polars: Callable[..., pl.Expr], python: Callable[..., Any], doc: str, example: str,
            signature: str, **extra: Any) -> FunctionSpec:
    return FunctionSpec(name, "scalar", lo, hi, returns, polars, python, doc, example, signature, **extra)


def _round_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    x, integer = args[0], info.nodes[0].type.integer  # type: ignore[union-attr]
    if len(args) == 1:
        return x if integer else _int_result(round_half_away_expr(x))
    scale = 10.0 ** _digits(info)
    return exact_div(round_half_away_expr(x.cast(pl.Float64) * scale), pl.lit(scale))


def _round_py(values: list[Any], info: CallInfo) -> Any:
    x = values[0]
    if x is None:
        return None
    if len(values) == 1:
        return x if isinstance(x, int) else _to_int(round_half_away(x))
    scale = 10.0 ** _digits(info)
    return round_half_away(float(x) * scale) / scale


def _whole_pl(fn: str) -> Callable[[list[pl.Expr], CallInfo], pl.Expr]:
    def build(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
        x = args[0]
        return x if info.nodes[0].type.integer else _int_result(getattr(x, fn)())  # type: ignore[union-attr]
    return build


def _whole_py(fn: Callable[[float], int]) -> Callable[[list[Any], CallInfo], Any]:
    def run(values: list[Any], info: CallInfo) -> Any:
        x = values[0]
        if x is None or isinstance(x, int):
            return x
        return _to_int(float(fn(x))) if math.isfinite(x) else None
    return run


def _extreme_pl(horizontal: Callable[..., pl.Expr]) -> Callable[[list[pl.Expr], CallInfo], pl.Expr]:
    return lambda args, info: pl.when(pl.any_horizontal([a.is_null() for a in args])).then(None) \
        .otherwise(horizontal(args))


def _months_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    d, now = args[0], info.as_of
    year, month, day = (d.dt.year().cast(pl.Int64), d.dt.month().cast(pl.Int64), d.dt.day().cast(pl.Int64))
    return (now.year - year) * 12 + (now.month - month) - (day > now.day).cast(pl.Int64)


def months_between(d: dt.date, now: dt.date) -> int:
    """Whole calendar months from ``d`` to ``now``: (Y2-Y1)*12 + (M2-M1) - (1 if D2 < D1)."""
    return (now.year - d.year) * 12 + (now.month - d.month) - (1 if now.day < d.day else 0)


_NUM, _TXT, _DATE = ("number",), ("string",), ("date",)
_ORDERED = ("number", "date", "string")

SCALARS: list[FunctionSpec] = [
    _scalar("abs", 1, 1, _number(0), lambda a, i: a[0].abs(), _nullsafe(abs),
            "The value without its sign.", "abs(balance_change)", "abs(x)"),
    _scalar("min", 2, None, _same(_ORDERED, "a number, date or text"), _extreme_pl(pl.min_horizontal),
            _nullsafe(lambda *v: min(v)), "The smallest argument; null if any argument is null.",
            "min(revenue, 1_000_000)", "min(a, b, ...)"),
    _scalar("max", 2, None, _same(_ORDERED, "a number, date or text"), _extreme_pl(pl.max_horizontal),
            _nullsafe(lambda *v: max(v)), "The largest argument; null if any argument is null.",
            "max(last_call, last_visit)", "max(a, b, ...)"),
    _scalar("round", 1, 2, _round_rule, _round_pl, _round_py,
            "Round half away from zero; without digits the result is a whole number.",
            "round(margin * 100, 1)", "round(x[, digits])", literal_args={1: _whole_in(0, 10)}),
    _scalar("ceil", 1, 1, _fixed(INTEGER, _NUM), _whole_pl("ceil"), _whole_py(math.ceil),
            "The smallest whole number not below x.", "ceil(employees / 50)", "ceil(x)"),
    _scalar("floor", 1, 1, _fixed(INTEGER, _NUM), _whole_pl("floor"), _whole_py(math.floor),
            "The largest whole number not above x.", "floor(tenure_days / 365)", "floor(x)"),
    _scalar("coalesce", 2, None, _coalesce_rule, lambda a, i: pl.coalesce(a),
            lambda v, i: next((x for x in v if x is not None), None),
            "The first argument that is not null.", "coalesce(nps, 0)", "coalesce(a, b, ...)"),
    _scalar("if_else", 3, 3, _if_else_rule, lambda a, i: pl.when(a[0].cast(pl.Boolean)).then(a[1]).otherwise(a[2]),
            lambda v, i: v[1] if v[0] is True else v[2],
            "b-or-c choice like SQL CASE: a null condition takes the else branch.",
            "if_else(is_partner, revenue * 1.1, revenue)", "if_else(condition, a, b)"),
    _scalar("lower", 1, 1, _fixed(STRING, _TXT), lambda a, i: a[0].str.to_lowercase(),
            _nullsafe(str.lower), "Text in lower case.", "lower(industry) == 'banking'", "lower(text)"),
    _scalar("upper", 1, 1, _fixed(STRING, _TXT), lambda a, i: a[0].str.to_uppercase(),
            _nullsafe(str.upper), "Text in upper case.", "upper(country) == 'DE'", "upper(text)"),
    _scalar("contains", 2, 2, _fixed(BOOLEAN, _TXT, _TXT),
            lambda a, i: a[0].str.contains(a[1], literal=True), _nullsafe(lambda t, p: p in t),
            "Whether text contains part (case-sensitive).", "contains(lower(name), 'bank')",
            "contains(text, part)"),
    _scalar("startswith", 2, 2, _fixed(BOOLEAN, _TXT, _TXT), lambda a, i: a[0].str.starts_with(a[1]),
            _nullsafe(lambda t, p: t.startswith(p)), "Whether text starts with prefix (case-sensitive).",
            "startswith(account_code, 'EU-')", "startswith(text, prefix)"),
    _scalar("date", 1, 1, _fixed(DATE, _TXT), lambda a, i: pl.lit(i.literal(0)),
            lambda v, i: dt.date.fromisoformat(v[0]), "A date literal, written YYYY-MM-DD.",
            "renewal_date < date('2026-06-30')", "date('YYYY-MM-DD')",
            literal_args={0: (lambda v: isinstance(v, str), "a text literal 'YYYY-MM-DD'")},
            constant=_date_constant),
    _scalar("days_since", 1, 1, _fixed(INTEGER, _DATE),
            lambda a, i: (pl.lit(i.as_of) - a[0]).dt.total_days().cast(pl.Int64),
            lambda v, i: None if v[0] is None else (i.as_of - v[0]).days,
            "Whole days from the date to the as-of date; negative for future dates.",
            "days_since(last_sponsor_visit) <= 90", "days_since(date)"),
    _scalar("months_since", 1, 1, _fixed(INTEGER, _DATE), _months_pl,
            lambda v, i: None if v[0] is None else months_between(v[0], i.as_of),
            "Whole calendar months from the date to the as-of date (Jan 31 -> Feb 28 is 0).",
            "months_since(signed_on) >= 12", "months_since(date)"),
]



# -- population functions (every customer at once; derived fields only) ------------
def _present(values: Sequence[Any]) -> list[Any]:
    return [v for v in values if v is not None]


def ranks(values: Sequence[Any]) -> list[int | None]:
    """1 = largest; ties share the lowest rank ('min' method); null stays null."""
    ordered = sorted(_present(values))
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


def _share_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    total = sum(_present(cols[0]))
    return [None if v is None or total == 0 else v / total for v in cols[0]]


def _share_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    total = a[0].sum()
    return pl.when(total != 0).then(exact_div(a[0], total))


def _cumshare_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    running, through = 0, {}
    for v in sorted(_present(cols[0]), reverse=True):
        running += v
        through[v] = running  # the last of equal values: ties hold their share together
    total = sum(_present(cols[0]))
    return [None if v is None or total == 0 else through[v] / total for v in cols[0]]


def _cumshare_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    x, total = a[0], a[0].sum()
    upto = x.rank("max", descending=True).cast(pl.Int64) - 1
    through = x.sort(descending=True, nulls_last=True).cum_sum().gather(upto)
    return pl.when(total != 0).then(exact_div(through, total))


def _ntile_py(cols: list[list[Any]], info: CallInfo) -> list[Any]:
    groups, count = int(info.literal(1)), len(_present(cols[0]))
    return [None if r is None else (r * groups + count - 1) // count for r in ranks(cols[0])]


def _ntile_pl(a: list[pl.Expr], info: CallInfo) -> pl.Expr:
    count = a[0].count().cast(pl.Int64)
    return (_rank_pl(a[0]) * int(info.literal(1)) + count - 1) // count


def _fill(value: Callable[[list[Any]], Any]) -> Callable[[list[list[Any]], CallInfo], list[Any]]:
    """A population summary (one value) repeated for every customer."""
    return lambda cols, info: [value(_present(cols[0]) if cols else [])] * len(info.keys or ())


def _population(name: str, lo: int, hi: int | None, returns: Callable[[Sequence[Type]], Type],
                polars: Callable[..., pl.Expr], python: Callable[..., Any], doc: str, example: str,
                signature: str, **extra: Any) -> FunctionSpec:
    return FunctionSpec(name, "population", lo, hi, returns, polars, python, doc, example, signature, **extra)


_RANKABLE = ("number", "date")
POPULATION: list[FunctionSpec] = [
    _population("rank", 1, 1, _fixed(INTEGER, _RANKABLE), lambda a, i: _rank_pl(a[0]),
                lambda c, i: ranks(c[0]), "Position among all customers, 1 = largest; ties share the "
                "lowest rank; null stays null.", "rank(revenue)", "rank(x)"),
    _population("row_number", 1, 1, _fixed(INTEGER, _RANKABLE), _row_number_pl, _row_number_py,
                "Like rank, but ties are broken by customer key ascending, so every number is used once.",
                "row_number(revenue) <= 10", "row_number(x)"),
    _population("rank_pct", 1, 1, _fixed(NUMBER, _RANKABLE),
                lambda a, i: exact_div(_rank_pl(a[0]), a[0].count()),
                lambda c, i: [None if r is None else r / len(_present(c[0])) for r in ranks(c[0])],
                "rank / number of customers with a value: 0.1 means top 10%.", "rank_pct(revenue) <= 0.2",
                "rank_pct(x)"),
    _population("share", 1, 1, _fixed(NUMBER, _NUM), _share_pl, _share_py,
                "x as a fraction of the sum of x over all customers.", "share(revenue)", "share(x)"),
    _population("cumshare", 1, 1, _fixed(NUMBER, _NUM), _cumshare_pl, _cumshare_py,
                "Fraction of the total held by this customer and all ranked above (ties together): "
                "the Pareto curve.", "cumshare(revenue) <= 0.8", "cumshare(x)"),
    _population("ntile", 2, 2, _fixed(INTEGER, _RANKABLE, _NUM), _ntile_pl, _ntile_py,
                "Group 1..n by rank, 1 = top group: ceil(rank * n / count).", "ntile(revenue, 4) == 1",
                "ntile(x, n)", literal_args={1: _whole_in(1, 1000)}),
    _population("median", 1, 1, _fixed(NUMBER, _NUM), lambda a, i: a[0].median(),
                _fill(lambda v: statistics.median(v) if v else None),
                "Median of x over all customers (nulls ignored).", "revenue > 2 * median(revenue)", "median(x)"),
    _population("mean", 1, 1, _fixed(NUMBER, _NUM), lambda a, i: a[0].mean(),
                _fill(lambda v: sum(v) / len(v) if v else None),
                "Mean of x over all customers (nulls ignored).", "revenue / mean(revenue)", "mean(x)"),
    _population("sum", 1, 1, _number(0), lambda a, i: a[0].sum(), _fill(sum),
                "Sum of x over all customers (nulls ignored; 0 if none).", "revenue / sum(revenue)", "sum(x)"),
    _population("count", 1, 1, lambda ts: INTEGER, lambda a, i: a[0].count().cast(pl.Int64), _fill(len),
                "How many customers have a value for x.", "count(nps)", "count(x)"),
    _population("customer_count", 0, 0, lambda ts: INTEGER, lambda a, i: pl.len().cast(pl.Int64),
                lambda c, i: [len(i.keys or ())] * len(i.keys or ()), "How many customers are evaluated.", "rank(revenue) / customer_count()",
                "customer_count()"),
]


# -- aggregates over a related table (derived fields only) -------------------------
def _masked(x: pl.Expr, keep: pl.Expr | None) -> pl.Expr:
    return x if keep is None else pl.when(keep).then(x)


def _aggregate(name: str, columns: tuple[tuple[str, ...], ...], result: Type | None,
               polars: Callable[[pl.Expr], pl.Expr], python: Callable[[list[Any]], Any], empty: Any,
               doc: str, example: str, column: str = "column", own_query: bool = False) -> FunctionSpec:
    """An aggregate ``name(table, column..., [filter])``; result None means the column's type."""
    def returns(ts: Sequence[Type]) -> Type:
        for i, kinds in enumerate(columns, start=1):
            _need(ts, i, kinds, " or ".join(Type(k).describe() for k in kinds))  # type: ignore[arg-type]
        return result if result is not None else ts[1]

    count = len(columns)
    signature = f"{name}(table{', ' + column if count else ''}[, filter])"
    return FunctionSpec(
        name, "aggregate", 1 + count, 2 + count, returns,
        lambda a, keep, i: polars(_masked(a[0], keep) if count else keep),
        lambda cols, rows, i: python(_present(cols[0]) if count else [None] * rows),
        doc, example, signature, filter_arg=1 + count, empty=empty, own_query=own_query,
    )


def _count_rows(keep: pl.Expr | None) -> pl.Expr:
    return (pl.len() if keep is None else keep.sum()).cast(pl.Int64)


def _busiest_day(values: list[Any]) -> int:
    return max(Counter(values).values(), default=0)


AGGREGATES: list[FunctionSpec] = [
    _aggregate("count_of", (), INTEGER, _count_rows, len, 0,
               "How many related rows (that pass the filter) the customer has; 0 if none.",
               "count_of(contacts, role == 'budget' and strength >= 3)"),
    _aggregate("sum_of", (_NUM,), None, lambda x: x.sum(), sum, 0,
               "Sum of a column over the customer's related rows; 0 if none.",
               "sum_of(interactions, minutes, kind == 'meeting')"),
    _aggregate("mean_of", (_NUM,), NUMBER, lambda x: x.mean(), lambda v: sum(v) / len(v) if v else None, None,
               "Mean of a column over the related rows; null if none.", "mean_of(contacts, strength)"),
    _aggregate("min_of", (_ORDERED,), None, lambda x: x.min(), lambda v: min(v, default=None), None,
               "Smallest value (earliest date); null if none.", "min_of(interactions, date)"),
    _aggregate("max_of", (_ORDERED,), None, lambda x: x.max(), lambda v: max(v, default=None), None,
               "Largest value (latest date); null if none.", "days_since(max_of(interactions, date))"),
    _aggregate("count_distinct_of", (_ORDERED + ("boolean",),), INTEGER,
               lambda x: x.drop_nulls().n_unique().cast(pl.Int64), lambda v: len(set(v)), 0,
               "How many different non-null values a column has; 0 if none.",
               "count_distinct_of(contacts, department)", own_query=True),
    _aggregate("max_per_day", (_DATE,), INTEGER,
               lambda x: x.drop_nulls().unique_counts().max().fill_null(0).cast(pl.Int64), _busiest_day, 0,
               "The most related rows on any single day (e.g. support-call storms); 0 if none.",
               "max_per_day(interactions, date, kind == 'support')", column="date_column", own_query=True),
]


@hookimpl
def clientwise_functions() -> list[FunctionSpec]:
    """Every built-in function: scalar, population and aggregate."""
    return [*SCALARS, *POPULATION, *AGGREGATES]

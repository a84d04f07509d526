"""Scalar functions: one value per customer from that customer's values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from clientwise.expr.functions import (
    CallInfo,
    FunctionSpec,
    exact_div,
    round_half_away,
    round_half_away_expr,
)
from clientwise.expr.numbers import DAY_SPANS, Bounds, union
from clientwise.expr.types import BOOLEAN, DATE, INTEGER, STRING
from clientwise.plugins.functions.rules import (
    DATES,
    NUMBERS,
    ORDERED,
    TEXTS,
    coalesce_rule,
    date_constant,
    digits,
    fixed,
    if_else_rule,
    int_result,
    nullsafe,
    number_of,
    round_rule,
    same,
    scalar_spec,
    to_int,
    whole_in,
)


def _round_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    x, integer = args[0], info.nodes[0].type.integer  # type: ignore[union-attr]
    if len(args) == 1:
        return x if integer else int_result(round_half_away_expr(x))
    scale = 10.0 ** digits(info)
    return exact_div(round_half_away_expr(x.cast(pl.Float64) * scale), pl.lit(scale))


def _round_py(values: list[Any], info: CallInfo) -> Any:
    x = values[0]
    if x is None:
        return None
    if len(values) == 1:
        return x if isinstance(x, int) else to_int(round_half_away(x))
    scale = 10.0 ** digits(info)
    return round_half_away(float(x) * scale) / scale


def _whole_pl(fn: str) -> Callable[[list[pl.Expr], CallInfo], pl.Expr]:
    def build(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
        x = args[0]
        return x if info.nodes[0].type.integer else int_result(getattr(x, fn)())  # type: ignore[union-attr]
    return build


def _whole_py(fn: Callable[[float], int]) -> Callable[[list[Any], CallInfo], Any]:
    def run(values: list[Any], info: CallInfo) -> Any:
        x = values[0]
        if x is None or isinstance(x, int):
            return x
        return to_int(float(fn(x))) if math.isfinite(x) else None
    return run


def _extreme_pl(horizontal: Callable[..., pl.Expr]) -> Callable[[list[pl.Expr], CallInfo], pl.Expr]:
    return lambda args, info: pl.when(pl.any_horizontal([a.is_null() for a in args])).then(None) \
        .otherwise(horizontal(args))


def _months_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    d, now = args[0], info.as_of
    year, month, day = (d.dt.year().cast(pl.Int64), d.dt.month().cast(pl.Int64), d.dt.day().cast(pl.Int64))
    return (now.year - year) * 12 + (now.month - month) - (day > now.day).cast(pl.Int64)


def _abs_bounds(bounds: Sequence[Bounds | None]) -> Bounds | None:
    found = bounds[0]
    return None if found is None else (0, max(-found[0], found[1], 0))


def months_between(d: dt.date, now: dt.date) -> int:
    """Whole calendar months from ``d`` to ``now``: (Y2-Y1)*12 + (M2-M1) - (1 if D2 < D1)."""
    return (now.year - d.year) * 12 + (now.month - d.month) - (1 if now.day < d.day else 0)


SCALARS: list[FunctionSpec] = [
    scalar_spec("abs", 1, 1, number_of(0),
            lambda a, i: (a[0].cast(pl.Int128) if i.nodes[0].type.integer else a[0]).abs(),  # type: ignore[union-attr]
            nullsafe(abs), "The value without its sign.", "abs(balance_change)", "abs(x)", bounds=_abs_bounds),
    scalar_spec("min", 2, None, same(ORDERED, "a number, date or text"), _extreme_pl(pl.min_horizontal),
            nullsafe(lambda *v: min(v)), "The smallest argument; null if any argument is null.",
            "min(revenue, 1_000_000)", "min(a, b, ...)", checked=False, bounds=union),
    scalar_spec("max", 2, None, same(ORDERED, "a number, date or text"), _extreme_pl(pl.max_horizontal),
            nullsafe(lambda *v: max(v)), "The largest argument; null if any argument is null.",
            "max(last_call, last_visit)", "max(a, b, ...)", checked=False, bounds=union),
    scalar_spec("round", 1, 2, round_rule, _round_pl, _round_py,
            "Round half away from zero; without digits the result is a whole number.",
            "round(margin * 100, 1)", "round(x[, digits])", literal_args={1: whole_in(0, 10)}),
    scalar_spec("ceil", 1, 1, fixed(INTEGER, NUMBERS), _whole_pl("ceil"), _whole_py(math.ceil),
            "The smallest whole number not below x.", "ceil(employees / 50)", "ceil(x)", checked=False),
    scalar_spec("floor", 1, 1, fixed(INTEGER, NUMBERS), _whole_pl("floor"), _whole_py(math.floor),
            "The largest whole number not above x.", "floor(tenure_days / 365)", "floor(x)", checked=False),
    scalar_spec("coalesce", 2, None, coalesce_rule, lambda a, i: pl.coalesce(a),
            lambda v, i: next((x for x in v if x is not None), None),
            "The first argument that is not null.", "coalesce(nps, 0)", "coalesce(a, b, ...)", checked=False,
            bounds=union),
    scalar_spec("if_else", 3, 3, if_else_rule, lambda a, i: pl.when(a[0].cast(pl.Boolean)).then(a[1]).otherwise(a[2]),
            lambda v, i: v[1] if v[0] is True else v[2],
            "b-or-c choice like SQL CASE: a null condition takes the else branch.",
            "if_else(is_partner, revenue * 1.1, revenue)", "if_else(condition, a, b)", checked=False,
            bounds=lambda b: union(b[1:])),
    scalar_spec("lower", 1, 1, fixed(STRING, TEXTS), lambda a, i: a[0].str.to_lowercase(),
            nullsafe(str.lower), "Text in lower case.", "lower(industry) == 'banking'", "lower(text)"),
    scalar_spec("upper", 1, 1, fixed(STRING, TEXTS), lambda a, i: a[0].str.to_uppercase(),
            nullsafe(str.upper), "Text in upper case.", "upper(country) == 'DE'", "upper(text)"),
    scalar_spec("contains", 2, 2, fixed(BOOLEAN, TEXTS, TEXTS),
            lambda a, i: a[0].str.contains(a[1], literal=True), nullsafe(lambda t, p: p in t),
            "Whether text contains part (case-sensitive).", "contains(lower(name), 'bank')",
            "contains(text, part)"),
    scalar_spec("startswith", 2, 2, fixed(BOOLEAN, TEXTS, TEXTS), lambda a, i: a[0].str.starts_with(a[1]),
            nullsafe(lambda t, p: t.startswith(p)), "Whether text starts with prefix (case-sensitive).",
            "startswith(account_code, 'EU-')", "startswith(text, prefix)"),
    scalar_spec("date", 1, 1, fixed(DATE, TEXTS), lambda a, i: pl.lit(i.literal(0)),
            lambda v, i: dt.date.fromisoformat(v[0]), "A date literal, written YYYY-MM-DD.",
            "renewal_date < date('2026-06-30')", "date('YYYY-MM-DD')",
            literal_args={0: (lambda v: isinstance(v, str), "a text literal 'YYYY-MM-DD'")},
            constant=date_constant),
    scalar_spec("days_since", 1, 1, fixed(INTEGER, DATES),
            lambda a, i: (pl.lit(i.as_of) - a[0]).dt.total_days().cast(pl.Int64),
            lambda v, i: None if v[0] is None else (i.as_of - v[0]).days,
            "Whole days from the date to the as-of date; negative for future dates.",
            "days_since(last_sponsor_visit) <= 90", "days_since(date)", checked=False, bounds=lambda b: DAY_SPANS),
    scalar_spec("months_since", 1, 1, fixed(INTEGER, DATES), _months_pl,
            lambda v, i: None if v[0] is None else months_between(v[0], i.as_of),
            "Whole calendar months from the date to the as-of date (Jan 31 -> Feb 28 is 0).",
            "months_since(signed_on) >= 12", "months_since(date)", checked=False, bounds=lambda b: DAY_SPANS),
]



# -- population functions (every customer at once; derived fields only) ------------

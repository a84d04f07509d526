"""Trend functions: what a customer's values were in the previous saved run of the ruleset.

``previous(health_score)``, ``change(health_score)``, ``runs_since(health_band == 'red')``
and ``days_since_review()`` read earlier runs of the same ruleset name from the run
store (``clientwise evaluate --save`` records them; ``docs/history.md``). The runtime
reads what they need before evaluating and hands it over in hidden columns
(:mod:`clientwise.expr.trend`); each function declares which (``FunctionSpec.trend``).

Missing history is unknown, never "no": with no earlier run, or for a customer the
previous run did not have, every trend function is null, so a rule built on one
neither fires nor is ruled out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from clientwise.expr.backends.sql import ident
from clientwise.expr.functions import CallInfo, FunctionSpec, SignatureError, SqlCall
from clientwise.expr.numbers import COUNTS, DAY_SPANS
from clientwise.expr.trend import REVIEWED, previous_column, streak_column
from clientwise.expr.types import INTEGER, Type
from clientwise.plugins.functions.rules import need, scalar_spec


def _field(info: CallInfo) -> str:
    return info.nodes[0].name  # type: ignore[attr-defined]  # the checker admits a field only


def _row(info: CallInfo, column: str) -> Any:
    return (info.row or {}).get(column)


def _any_stored(ts: Sequence[Type]) -> Type:
    if ts[0].kind in ("list", "table"):
        raise SignatureError(f"argument 1 must be a value a run stores, got {ts[0].describe()}", 0)
    return ts[0]


def _number(ts: Sequence[Type]) -> Type:
    return need(ts, 0, ("number",), "a number field")


def _condition(ts: Sequence[Type]) -> Type:
    need(ts, 0, ("boolean", "null"), "a condition (true/false)")
    return INTEGER


def _change_py(values: list[Any], info: CallInfo) -> Any:
    before = _row(info, previous_column(_field(info)))
    return None if values[0] is None or before is None else values[0] - before


def _runs_since_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    held = args[0]
    return (pl.when(held.is_null()).then(pl.lit(None, pl.Int64))
            .when(~held).then(pl.lit(0, pl.Int64))
            .otherwise(pl.col(streak_column(info.nodes[0])).cast(pl.Int64) + 1))


def _runs_since_py(values: list[Any], info: CallInfo) -> Any:
    if values[0] is None:
        return None
    if values[0] is False:
        return 0
    before = _row(info, streak_column(info.nodes[0]))
    return None if before is None else before + 1


def _days_pl(args: list[pl.Expr], info: CallInfo) -> pl.Expr:
    return (pl.lit(info.as_of) - pl.col(REVIEWED)).dt.total_days().cast(pl.Int64)


def _days_py(values: list[Any], info: CallInfo) -> Any:
    reviewed = _row(info, REVIEWED)
    return None if reviewed is None else (info.as_of - reviewed).days


TREND: list[FunctionSpec] = [
    scalar_spec("previous", 1, 1, _any_stored, lambda a, i: pl.col(previous_column(_field(i))),
                lambda v, i: _row(i, previous_column(_field(i))),
                "The field's value in the previous saved run of this ruleset (null without one, or for a "
                "customer that run did not have).", "previous(tier) == 'strategic' and tier != 'strategic'",
                "previous(field)", trend="previous", checked=False),
    scalar_spec("change", 1, 1, _number, lambda a, i: a[0] - pl.col(previous_column(_field(i))), _change_py,
                "The field now minus its value in the previous saved run (null without one).",
                "change(health_score) <= -20", "change(field)", trend="previous"),
    scalar_spec("runs_since", 1, 1, _condition, _runs_since_pl, _runs_since_py,
                "How many saved runs in a row, ending with this one, the condition has held: 0 when it does not "
                "hold now; null when it is unknown now, or holds now and the previous run did not have the "
                "customer.", "runs_since(health_band == 'red') >= 3", "runs_since(condition)", trend="streak",
                checked=False, bounds=lambda b: COUNTS),
    scalar_spec("days_since_review", 0, 0, lambda ts: INTEGER, _days_pl, _days_py,
                "Days from the as-of date of the latest earlier saved run that had the customer to this as-of "
                "date (null when none).", "days_since_review() > 365", "days_since_review()", trend="reviewed",
                checked=False, bounds=lambda b: DAY_SPANS),
]


def _previous_sql(info: SqlCall) -> str:
    return ident(previous_column(info.nodes[0].name))  # type: ignore[attr-defined]  # a field only


#: The trend functions in SQL, reading the same hidden columns (``docs/engines.md``).
TREND_SQL = {
    "previous": lambda a, c: _previous_sql(c),
    "change": lambda a, c: f"({a[0]} - {_previous_sql(c)})",
    "runs_since": lambda a, c: (f"(CASE WHEN {a[0]} IS NULL THEN NULL WHEN NOT {a[0]} THEN CAST(0 AS BIGINT) "
                                f"ELSE CAST({ident(streak_column(c.nodes[0]))} AS BIGINT) + 1 END)"),
    "days_since_review": lambda a, c: f"date_diff('day', {ident(REVIEWED)}, DATE '{c.as_of.isoformat()}')",
}

"""The history a ruleset's trend functions read, joined to the customers before deriving.

A :class:`History` is the earlier runs of the ruleset, newest first: the run store
(:class:`clientwise.history.trend.StoredHistory`, what ``clientwise evaluate`` uses),
or runs given as records (:class:`GivenHistory`: the Python API and ``clientwise
test`` cases). :func:`with_trend` turns it into the hidden columns of
:mod:`clientwise.expr.trend`:

* ``previous(x)``: x in the newest earlier run, for the customers it had;
* ``runs_since(c)``: how many earlier runs in a row, counted back from the newest, had
  the customer with ``c`` true (a run where ``c`` is false or unknown, or that lacks
  the customer, ends the count); null for customers the newest earlier run lacks;
* ``days_since_review()``: the as-of date of the newest earlier run that had the customer.

Without a history (or without earlier runs) every hidden column is null, so every
trend function is unknown and rules built on one stay quiet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from clientwise import expr
from clientwise.expr.backends.polars import dtype_of
from clientwise.compiler.steps import Step
from clientwise.expr.trend import REVIEWED, TrendNeeds, previous_column, streak_column, trend_calls
from clientwise.runtime.loop import expressions


@dataclass(frozen=True)
class PastRun:
    """One earlier run: who it is for people, its as-of date, its customers' stored values."""

    source: str
    as_of: dt.date | None
    #: the key column (named as the ruleset names it) and the stored columns asked for
    customers: pl.DataFrame


class History(Protocol):
    """Earlier runs of one ruleset, newest first."""

    def describe(self) -> str | None:
        """The run ``previous()`` reads, for people ("run 3 (2026-Q2), as of 2026-06-30"); None if none."""
        ...

    def runs(self, fields: set[str]) -> Iterator[PastRun]:
        """The runs, newest first, each with the key and those of ``fields`` it stored."""
        ...

    def last_seen(self) -> pl.DataFrame:
        """Per customer any earlier run had: the key and the newest as-of date (``REVIEWED``)."""
        ...


@dataclass(frozen=True)
class GivenHistory:
    """Earlier runs given in memory, newest first (the Python API, test cases)."""

    key: str
    past: tuple[PastRun, ...]

    @classmethod
    def from_records(cls, key: str, runs: Sequence[tuple[dt.date | None, Sequence[Mapping[str, Any]]]]) -> GivenHistory:
        """``runs``: (as-of date or None, the customers' stored values as dicts with the key), newest first."""
        past = []
        for index, (as_of, records) in enumerate(runs):
            frame = pl.DataFrame([dict(r) for r in records]) if records else pl.DataFrame({key: []}, {key: pl.String})
            past.append(PastRun(f"earlier run {index + 1}", as_of, frame))
        return cls(key, tuple(past))

    def describe(self) -> str | None:
        return self.past[0].source if self.past else None

    def runs(self, fields: set[str]) -> Iterator[PastRun]:
        for run in self.past:
            yield PastRun(run.source, run.as_of,
                          run.customers.select(self.key, *(c for c in run.customers.columns if c in fields)))

    def last_seen(self) -> pl.DataFrame:
        dated = [run.customers.select(pl.col(self.key).cast(pl.String), pl.lit(run.as_of, pl.Date).alias(REVIEWED))
                 for run in self.past if run.as_of is not None]
        if not dated:
            return pl.DataFrame({self.key: [], REVIEWED: []}, {self.key: pl.String, REVIEWED: pl.Date})
        return pl.concat(dated).group_by(self.key).agg(pl.col(REVIEWED).max())


def with_trend(customers: pl.DataFrame, needs: TrendNeeds, history: History | None, key: str,
               ctx: expr.EvalContext) -> pl.DataFrame:
    """``customers`` with the hidden columns ``needs`` asks for, read from ``history``.

    A previous value arrives as its field's own dtype (``needs.types``) and a condition
    over an earlier run is typed as it is now.
    """
    types = needs.types
    keys = customers.select(pl.col(key))
    runs = history.runs(needs.stored_fields()) if history is not None else iter(())
    newest = next(runs, None)
    columns = [_previous(keys, newest, field, key, types) for field in sorted(needs.fields)]
    if needs.conditions:
        columns.extend(_streaks(keys, newest, runs, needs.conditions, key, types, ctx))
    if needs.reviewed:
        columns.append(_reviewed(keys, history, key))
    # every column is aligned with ``keys``, which are the customers' own, in their order:
    # added as they are, without joining (and copying) the customers frame on the key
    return customers.hstack(columns) if columns else customers


def _typed_values(run: PastRun, field: str, key: str, types: Mapping[str, expr.Type]) -> pl.Expr:
    dtype = dtype_of(types[field]) if field in types else pl.String
    if field not in run.customers.columns:
        return pl.lit(None, dtype).alias(field)
    return pl.col(field).cast(dtype, strict=False)


def _aligned(keys: pl.DataFrame, run: PastRun, values: list[pl.Expr], key: str) -> pl.DataFrame:
    """The run's ``values`` for each of ``keys`` (null where the run lacks the customer), plus
    ``present``: whether it has it."""
    frame = run.customers.select(pl.col(key).cast(keys.schema[key]), *values, pl.lit(True).alias("present"))
    joined = keys.join(frame, on=key, how="left", maintain_order="left")
    return joined.with_columns(pl.col("present").fill_null(False))


def _previous(keys: pl.DataFrame, newest: PastRun | None, field: str, key: str,
              types: Mapping[str, expr.Type]) -> pl.Series:
    dtype = dtype_of(types[field]) if field in types else pl.String
    if newest is None:
        return pl.Series(previous_column(field), [None] * keys.height, dtype)
    found = _aligned(keys, newest, [_typed_values(newest, field, key, types)], key)
    return found[field].alias(previous_column(field))


def _held(keys: pl.DataFrame, run: PastRun, condition: expr.Node, key: str,
          types: Mapping[str, expr.Type], ctx: expr.EvalContext) -> pl.DataFrame:
    """Per key: whether the run had the customer, and whether ``condition`` was true there."""
    fields = sorted(expr.fields_used(condition))
    values = _aligned(keys, run, [_typed_values(run, f, key, types) for f in fields], key)
    return values.select("present", expr.to_polars(condition, ctx).fill_null(False).alias("held"))


def _streaks(keys: pl.DataFrame, newest: PastRun | None, older: Iterator[PastRun],
             conditions: Sequence[expr.Node], key: str, types: Mapping[str, expr.Type],
             ctx: expr.EvalContext) -> list[pl.Series]:
    names = [streak_column(c) for c in conditions]
    if newest is None:
        return [pl.Series(name, [None] * keys.height, pl.Int64) for name in names]
    first = [_held(keys, newest, c, key, types, ctx) for c in conditions]
    present = first[0]["present"]
    alive = [f["held"] for f in first]
    counts = [a.cast(pl.Int64) for a in alive]
    for run in older:
        if not any(a.any() for a in alive):
            break
        for index, condition in enumerate(conditions):
            alive[index] = alive[index] & _held(keys, run, condition, key, types, ctx)["held"]
            counts[index] = counts[index] + alive[index].cast(pl.Int64)
    return [pl.select(pl.when(present).then(count)).to_series().alias(name) for count, name in zip(counts, names)]


def _reviewed(keys: pl.DataFrame, history: History | None, key: str) -> pl.Series:
    if history is None:
        return pl.Series(REVIEWED, [None] * keys.height, pl.Date)
    seen = history.last_seen().select(pl.col(key).cast(keys.schema[key]), pl.col(REVIEWED).cast(pl.Date))
    return keys.join(seen, on=key, how="left", maintain_order="left")[REVIEWED]


def trend_users(steps: Sequence[Step], functions: expr.FunctionRegistry) -> list[str]:
    """Key paths of the expressions that call a trend function (for ``check``'s note)."""
    return list(dict.fromkeys(source.path.rsplit(".", 1)[0] for node, source in expressions(steps)
                              if trend_calls([node], functions)))


def trend_columns(needs: TrendNeeds, portfolio: pl.DataFrame) -> list[str]:
    """The hidden columns an evaluated portfolio holds for the trend functions."""
    return [c for c in needs.columns() if c in portfolio.columns]

"""The default engine: every rule of a stratum as one vectorised polars expression.

Each condition compiles to a nullable boolean column. A first-match decision marks a
rule ``skipped`` once an earlier rule fired; a null condition is ``unknown`` and
never fires (SQL semantics, shared with every other engine). A few customers (a test
case, ``evaluate_one``) are decided row by row with the reference evaluator instead:
planning the query would cost more than deciding them (see :mod:`clientwise.runtime.rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import polars as pl

from clientwise.expr import EvalContext, to_polars
from clientwise.expr.backends.closures import row_columns
from clientwise.host.contracts import RULE_STATUS, CompiledDecision, DecideContext, Engine
from clientwise.host.spec import hookimpl
from clientwise.runtime.rows import SMALL_ROWS


def _status(condition: pl.Expr, earlier_fired: pl.Expr | None) -> pl.Expr:
    chain = pl.when(earlier_fired) if earlier_fired is not None else None
    if chain is not None:
        expression = chain.then(pl.lit("skipped")).when(condition).then(pl.lit("fired"))
    else:
        expression = pl.when(condition).then(pl.lit("fired"))
    return (
        expression.when(condition.not_()).then(pl.lit("not_met")).otherwise(pl.lit("unknown")).cast(RULE_STATUS)
    )


class PolarsEngine(Engine):
    name: ClassVar[str] = "polars"
    description: ClassVar[str] = "Vectorised polars expressions over all customers at once (default)."

    #: up to this many customers are decided row by row (0: always one polars query); a
    #: class default too, so that a subclass that does not call ``__init__`` still works
    small_rows: int = SMALL_ROWS

    def __init__(self, small_rows: int = SMALL_ROWS):
        self.small_rows = small_rows

    def decide(
        self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext
    ) -> pl.DataFrame:
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True,
                          compiled=context.compiled)
        if frame.height <= self.small_rows:
            return _decide_rows(frame, decisions, ctx)
        columns: list[pl.Expr] = []
        for decision in decisions:
            earlier: pl.Expr | None = None
            for rule in decision.rules:
                condition = to_polars(rule.condition, ctx)
                if decision.mode == "first":
                    columns.append(_status(condition, earlier).alias(rule.id))
                    fired = condition.fill_null(False)
                    earlier = fired if earlier is None else (earlier | fired)
                else:
                    columns.append(_status(condition, None).alias(rule.id))
        if not columns:
            return pl.DataFrame(height=frame.height)
        # with_columns broadcasts a constant condition (`when = "true"`) to every row
        names = [name for decision in decisions for name in (rule.id for rule in decision.rules)]
        return frame.lazy().with_columns(columns).select(names).collect()


def _decide_rows(frame: pl.DataFrame, decisions: Sequence[CompiledDecision], ctx: EvalContext) -> pl.DataFrame:
    """:meth:`PolarsEngine.decide` in plain Python: the same statuses, rule by rule."""
    rows = frame.to_dicts()
    column = row_columns(ctx)
    columns: dict[str, list[str]] = {}
    for decision in decisions:
        earlier, first = [False] * len(rows), decision.mode == "first"
        for rule in decision.rules:
            met = column(rule.condition, rows)
            columns[rule.id] = ["skipped" if first and before else "fired" if value is True
                                else "not_met" if value is False else "unknown" for value, before in zip(met, earlier)]
            earlier = [before or value is True for before, value in zip(earlier, met)]
    if not columns:
        return pl.DataFrame(height=frame.height)
    # one Series of every status, cut into the rules' columns: converting text to the
    # status enum column by column (or row by row) cost more than deciding
    height = len(rows)
    statuses = pl.Series("", [status for column in columns.values() for status in column], dtype=RULE_STATUS)
    return pl.DataFrame([statuses.slice(at * height, height).alias(name) for at, name in enumerate(columns)])


@hookimpl
def clientwise_engines() -> list[PolarsEngine]:
    return [PolarsEngine()]

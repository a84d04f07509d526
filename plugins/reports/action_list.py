"""The reports' list of recommended actions: ranked, with each customer's name, group
values, stake and owner beside every action.

Built as one polars query (a join of the actions with the customer fields they show,
a sort) rather than a dictionary lookup per action and field: a portfolio of 100,000
customers has 300,000 actions, all of them in the workbook. The table is kept
(:attr:`~clientwise.plugins.reports.model.Report.action_table`) for the workbook's
action sheets, which write it column by column; :func:`action_dicts` gives the same
rows as the dictionaries the HTML and Markdown templates read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn
from clientwise.plugins.io.values import finite, plain
from clientwise.runtime.result import Result

#: The table's columns, then one per group column (``group:<name>``, the raw value).
COLUMNS = ("customer", "customer_name", "rule", "action", "priority", "because", "stake", "owner")


def customer_frame(result: Result, name: str) -> pl.DataFrame | None:
    """``key`` (as text) and a customer field: an output column, or an input field of the
    evaluated frame (such as the account manager); None when the run has no such field."""
    if not name:
        return None
    for frame in (result.customers, result.tracer.frame if result.tracer is not None else None):
        if frame is not None and name in frame.columns and result.key in frame.columns:
            return frame.select(pl.col(result.key).cast(pl.String).alias("\x00key"), pl.col(name))
    return None


def action_table(result: Result, groups: Sequence[OutputColumn], limit: int) -> pl.DataFrame:
    """The first ``limit`` actions by priority, within a priority by what is at stake
    (largest first, unknown last), then in the run's order (by customer key): columns
    :data:`COLUMNS`, then each group column's value (named ``group:<name>``)."""
    key, settings = result.key, result.presentation
    actions = finite(result.actions)
    named = result.name != key and result.name in actions.columns and result.name in result.customers.columns
    table = actions.select(
        pl.col(key).cast(pl.String).alias("customer"),
        (pl.col(result.name) if named else pl.lit(None, pl.String)).alias("customer_name"),
        "rule", "action", "priority", "because",
    ).with_row_index("\x00order")
    for alias, name in [("stake", settings.stake), ("owner", settings.owner), *((f"group:{g.name}", g.name) for g in groups)]:
        frame = customer_frame(result, name)
        if frame is None:
            table = table.with_columns(pl.lit(None).alias(alias))
        else:
            table = table.join(frame.rename({"\x00key": "customer", name: alias}), on="customer", how="left",
                               maintain_order="left")
    stake = table.schema["stake"]
    by: list[Any] = [pl.col("priority").is_null(), "priority"]
    if stake.is_numeric() and stake != pl.Boolean:  # a stake that is not a number ranks nothing
        by += [pl.col("stake").is_null(), pl.col("stake").cast(pl.Float64)]
    ranked = table.sort([*by, "\x00order"], descending=[False, False, False, True, False][: len(by)] + [False])
    return ranked.head(limit).drop("\x00order")


def action_dicts(table: pl.DataFrame, groups: Sequence[OutputColumn]) -> list[dict[str, Any]]:
    """The rows of :func:`action_table` as the templates read them (``groups`` a dict)."""
    columns = {name: _values(table.get_column(name)) for name in table.columns}
    names = [g.name for g in groups]
    grouped = zip(*(columns[f"group:{name}"] for name in names)) if names else (() for _ in range(table.height))
    return [
        {"customer": customer, "customer_name": customer_name, "groups": dict(zip(names, values)), "rule": rule,
         "action": action, "priority": priority, "because": because, "stake": stake, "owner": owner}
        for customer, customer_name, rule, action, priority, because, stake, owner, values in zip(
            *(columns[name] for name in COLUMNS), grouped)
    ]


def _values(column: pl.Series) -> list[Any]:
    """A column's values as Python's, JSON-ready (:func:`plain`) where its type needs it."""
    values = column.to_list()
    if column.dtype in (pl.String, pl.Boolean, pl.Null) or column.dtype.is_integer():
        return values
    return plain(values)

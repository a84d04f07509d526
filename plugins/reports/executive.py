"""The executive summary that opens a report, and each owner's list of actions.

A client's leadership reads the first page only, so it answers their questions in
figures and plain sentences: how concentrated the portfolio is, which customers the
ruleset marks bad (value destroyers, red relationship health: every value a column
declares with the ``bad`` tone) and what they are worth, which of the most important
customers (the first value of the first group column: the strategic tier) are among
them, how the top customers answer the checklist, and the most urgent actions ranked by
what is at stake. Sentences come from the message catalogue
(:mod:`clientwise.output.messages`), values from the report's :class:`Formatter`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn
from clientwise.expr.summation import ordered_sum
from clientwise.output.messages import Messages
from clientwise.plugins.reports.format import Formatter
from clientwise.runtime.result import Result

#: Actions the executive summary names.
TOP_ACTIONS = 5


@dataclass
class Executive:
    """The executive summary: findings as sentences and the most urgent actions."""

    findings: list[str] = field(default_factory=list)
    top_actions: list[dict[str, Any]] = field(default_factory=list)
    #: The comparison with the last review (:mod:`clientwise.plugins.reports.review`); empty without one.
    review: list[str] = field(default_factory=list)


def value_label(column: OutputColumn, value: Any) -> str:
    """A value as the reports name it: its declared label; a value the column declares
    a tone for but no label reads with spaces, capitalised (``red`` -> ``Red``)."""
    labels = dict(column.labels)
    if value in labels:
        return labels[value]
    if isinstance(value, str) and value in dict(column.tones):
        return value.replace("_", " ").capitalize()
    return "" if value is None else str(value)


def summarize(result: Result, columns: Sequence[OutputColumn], actions: Sequence[dict[str, Any]], fmt: Formatter,
              tr: Messages, word: Callable[[str], str]) -> Executive:
    """The executive summary; ``columns`` are the result's output columns with their
    labels in the report's language, ``word`` translates a field's label."""
    executive = Executive()
    total = result.customers.height
    if not total:
        return executive
    executive.findings += _concentration(result, fmt, tr, word)
    profit = next((c for c in columns if c.kind == "money" and not c.detail), None)
    groups = [c for c in columns if c.group and c.name in result.customers.columns]
    first = groups[0] if groups else None
    top_value = first.tones[0][0] if first is not None and first.tones else None
    for column in columns:
        if column.detail or not column.tones or column.name not in result.customers.columns:
            continue
        for value, tone in column.tones:
            if tone != "bad":
                continue
            chosen = result.customers.filter(pl.col(column.name) == value)
            if not chosen.height:
                continue
            text = tr("{count} of {total} customers ({share}) are {value} ({column}).",
                      count=fmt.whole(chosen.height), total=fmt.whole(total), share=fmt.pct(chosen.height / total),
                      value=value_label(column, value), column=column.label)
            if profit is not None and profit.name in chosen.columns:
                amount = ordered_sum(chosen.get_column(profit.name))
                text += " " + tr("{measure} of these customers: {amount}.", measure=profit.label,
                                 amount=fmt.money(amount))
            if first is not None and top_value is not None and first.name != column.name:
                top = chosen.filter(pl.col(first.name) == top_value).height
                if top:
                    text += " " + tr("{count} of them are {group} customers.", count=fmt.whole(top),
                                     group=value_label(first, top_value))
            executive.findings.append(text)
    executive.findings += _checklist(result, fmt, tr)
    executive.top_actions = list(actions[:TOP_ACTIONS])
    return executive


def _concentration(result: Result, fmt: Formatter, tr: Messages, word: Callable[[str], str]) -> list[str]:
    summary = result.summary("segmentation")
    figures = summary.figures if summary is not None and summary.error is None else {}
    if figures.get("top_measure_share") is None or figures.get("top_share") is None:
        return []
    text = tr("The top {share} of customers ({count}) bring {value} of {measure}.",
              share=fmt.pct(figures["top_share"]), count=fmt.whole(figures.get("top_customers")),
              value=fmt.pct(figures["top_measure_share"]),
              measure=word(str(figures.get("measure", "")).replace("_", " ").capitalize()))
    if figures.get("largest_customer_share") is not None:
        text += " " + tr("The largest customer alone brings {value}.", value=fmt.pct(figures["largest_customer_share"]))
    return [text]


def _checklist(result: Result, fmt: Formatter, tr: Messages) -> list[str]:
    summary = result.summary("checklist")
    figures = summary.figures if summary is not None and summary.error is None else {}
    if figures.get("mean_pct") is None or not figures.get("assessed"):
        return []
    return [tr("The {count} top customers assessed meet {value} of the checklist on average.",
               count=fmt.whole(figures["assessed"]), value=fmt.pct(figures["mean_pct"] / 100))]


def by_owner(actions: Sequence[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Actions per owner (sorted by name; customers without one last), each list in report order."""
    owners: dict[str | None, list[dict[str, Any]]] = {}
    for action in actions:
        owner = action.get("owner")
        owners.setdefault(None if owner in (None, "") else str(owner), []).append(action)
    return sorted(owners.items(), key=lambda item: (item[0] is None, item[0] or ""))

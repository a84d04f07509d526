""""Since the last review" in the reports: ``Result.review`` in the report's language.

:func:`attach` turns the result's :class:`~clientwise.output.review.Review` (values
only) into what the HTML, Markdown and Excel reports show: which review the run is
compared with (its label and date), the executive summary's sentences, the tier
migration matrix, a table of the customers of the reviewed tiers (strategic and core)
with their moves and their health across the stored runs, each shown customer's
moves for its detail block, and the actions that are new. Every move is a symbol
*and* a word ("▲ up"), so it reads without colour, in print and to a screen reader.
Nothing here runs for a result without a review, so its reports stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn
from clientwise.output.messages import Messages
from clientwise.output.review import DOWN, HEALTH, NEW, SAME, TIER, UP, Review
from clientwise.plugins.reports.executive import value_label
from clientwise.plugins.reports.format import Formatter

#: The symbol of each move (a word always follows it).
SYMBOLS: dict[str | None, str] = {UP: "▲", DOWN: "▼", SAME: "=", NEW: "+", None: "?"}


@dataclass(frozen=True)
class Trend:
    """One output's move for one customer, as text: ``now`` and ``then`` formatted."""

    move: str | None
    symbol: str
    word: str
    now: str
    then: str
    #: "was Core", "was 72" ("" for a customer gained since).
    was: str

    @property
    def text(self) -> str:
        """``▲ up (was Core)``: the move without the value now."""
        return f"{self.symbol} {self.word}" + (f" ({self.was})" if self.was else "")


@dataclass
class ReviewView:
    """What the reports show of a review (see the module docstring); texts raw, the renderer escapes."""

    review: Review
    #: "Compared with the last review: 2026-Q3 (run 2), as of 30/09/2026."
    heading: str
    sentences: list[str]
    #: The compared outputs with their labels, in the table's order (tier, health, checklist).
    outputs: list[tuple[str, str]]
    #: The migration matrix: class labels (then = rows, now = columns) and counts.
    order: list[str] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)
    #: Customers of the reviewed tiers, most important and most fallen first.
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    #: The runs of the sparklines, oldest first ("2026-Q2", ..., this run's label or date).
    runs: list[str] = field(default_factory=list)
    #: Per shown customer (detail blocks): output -> :class:`Trend`.
    customers: dict[str, dict[str, Trend]] = field(default_factory=dict)

    def reviewed_label(self) -> str:
        """The reviewed tiers as people read them: "Strategic, Core"."""
        labels = dict(zip(self.review.order, self.order))
        return ", ".join(labels.get(tier, tier) for tier in self.review.reviewed_tiers)


def word(move: str | None, tr: Messages) -> str:
    return {UP: tr("up"), DOWN: tr("down"), SAME: tr("same"), NEW: tr("new"), None: tr("unknown")}[move]


def attach(report: Any, review: Review, limit: int, label: Callable[[str], str]) -> None:
    """Give ``report`` (a :class:`~clientwise.plugins.reports.model.Report`) the view of ``review``
    (at most ``limit`` customers in its table), its executive sentences, and mark its new actions;
    ``label`` translates a field's label (the measure's)."""
    tr, fmt = report.tr, report.fmt
    columns = {c.name: c for c in report.columns}
    outputs = [(name, columns[name].label if name in columns else name) for name in review.compared]
    measure = label(review.measure.replace("_", " ").capitalize()) if review.measure else None
    view = ReviewView(review, heading(review, fmt, tr), sentences(review, fmt, tr, columns.get(TIER), measure),
                      outputs)
    if review.migration is not None and review.order:
        view.order = [_label(columns.get(TIER), value) for value in review.order]
        cells = {(r["from"], r["to"]): r["customers"] for r in review.migration.iter_rows(named=True)}
        view.counts = [[cells.get((a, b), 0) for b in review.order] for a in review.order]
    view.runs = [run.label or fmt.date(run.as_of) for run in review.runs]
    reviewed = _reviewed(review)
    view.total = reviewed.height
    shown = reviewed.head(limit)
    for row in shown.iter_rows(named=True):
        view.rows.append({"key": row["key"], "name": row["name"], "trends": trends(row, review, columns, fmt, tr),
                          "health": row["health_runs"], "new": len(row["new_actions"] or [])})
    keys = [c["key"] for c in report.customers]
    view.customers = {key: trends(row, review, columns, fmt, tr) for key, row in review.rows(keys).items()}
    new = review.new_actions(a["customer"] for a in report.actions)
    for action in report.actions:
        action["new"] = (action["customer"], action["rule"]) in new
    report.review = view
    report.executive.review = view.sentences


def heading(review: Review, fmt: Formatter, tr: Messages) -> str:
    """Which run this one is compared with, by label (in its ``run N (label)`` name) and date."""
    previous = review.previous
    return tr("Compared with the last review: {review}, as of {date}.", review=previous.source,
              date=fmt.date(previous.as_of))


def sentences(review: Review, fmt: Formatter, tr: Messages, tier: OutputColumn | None,
              measure: str | None) -> list[str]:
    """The executive summary's comparison with the last review, in plain sentences (``measure``:
    the segmentation measure's label, e.g. "Revenue")."""
    out = [heading(review, fmt, tr)]
    if review.ruleset_change is not None:
        out.append(tr("The ruleset changed since then ({then} then, {now} now), so some moves come from the new "
                      "criteria; clientwise compare separates them.", then=review.ruleset_change[0],
                      now=review.ruleset_change[1]))
    if review.migration is not None:
        rank = {value: i for i, value in enumerate(review.tiers)}
        moved = review.migration.filter(pl.col("from") != pl.col("to"))
        up = sum(r["customers"] for r in moved.iter_rows(named=True)
                 if r["from"] in rank and r["to"] in rank and rank[r["to"]] < rank[r["from"]])
        total = int(moved["customers"].sum() or 0)
        if total:
            text = tr("{moved} customers changed tier: {up} moved up, {down} moved down.", moved=fmt.whole(total),
                      up=fmt.whole(up), down=fmt.whole(total - up))
            largest = moved.sort("customers", "from", "to", descending=[True, False, False]).row(0, named=True)
            text += " " + tr("The largest move: {count} from {then} to {now}.", count=fmt.whole(largest["customers"]),
                             then=_label(tier, largest["from"]), now=_label(tier, largest["to"]))
            out.append(text)
        else:
            out.append(tr("No customer changed tier."))
    if measure is not None and (review.gained_measure is not None or review.lost_measure is not None):
        out.append(tr("{gained} customers were gained ({gained_value} of {measure}) and {lost} lost ({lost_value}).",
                      gained=fmt.whole(review.gained), gained_value=fmt.money(review.gained_measure),
                      measure=measure, lost=fmt.whole(review.lost), lost_value=fmt.money(review.lost_measure)))
    else:
        out.append(tr("{gained} customers were gained and {lost} lost.", gained=fmt.whole(review.gained),
                      lost=fmt.whole(review.lost)))
    if HEALTH in review.compared:
        text = tr("Health improved for {up} customers and fell for {down}.", up=fmt.whole(review.health_up),
                  down=fmt.whole(review.health_down))
        if review.mean_health_then is not None and review.mean_health_now is not None:
            text += " " + tr("The mean health score went from {then} to {now}.",
                             then=fmt.num(round(review.mean_health_then, 1)), now=fmt.num(round(review.mean_health_now, 1)))
        out.append(text)
    out.append(tr("{new} recommended actions are new since then ({gained} of them for customers gained); {resolved} "
                  "were resolved.", new=fmt.whole(review.actions_new), gained=fmt.whole(review.actions_new_gained),
                  resolved=fmt.whole(review.actions_resolved)))
    return out


def trends(row: dict[str, Any], review: Review, columns: dict[str, OutputColumn], fmt: Formatter,
           tr: Messages) -> dict[str, Trend]:
    """One customer's row of ``Review.customers`` as a :class:`Trend` per compared output."""
    found = {}
    for output in review.compared:
        column = columns.get(output)
        move = row[f"{output}_move"]
        if move is None and row[f"{output}_now"] is None and row[f"{output}_then"] is None:
            continue  # not known then nor now (a checklist only the top customers answer): nothing to say
        now, then = (_show(column, row[f"{output}_{when}"], fmt) for when in ("now", "then"))
        was = "" if move == NEW else tr("was {value}", value=then)
        found[output] = Trend(move, SYMBOLS[move], word(move, tr), now, then, was)
    return found


def _show(column: OutputColumn | None, value: Any, fmt: Formatter) -> str:
    if column is not None and column.name == TIER:
        return _label(column, value) if value is not None else fmt.show(None)
    if isinstance(value, float):
        value = round(value, 1)
    return fmt.show(value, column.kind if column is not None else "number")


def _label(column: OutputColumn | None, value: Any) -> str:
    return value_label(column, value) if column is not None else str(value)


def _reviewed(review: Review) -> pl.DataFrame:
    """Customers with a sparkline: best tier first, then largest health drop first, then by key."""
    frame = review.reviewed()
    rank = {value: i for i, value in enumerate(review.tiers)}
    by = [pl.col(f"{TIER}_now").cast(pl.String).replace_strict(rank, default=len(rank), return_dtype=pl.Int64)]
    if f"{HEALTH}_now" in frame.columns and f"{HEALTH}_then" in frame.columns:
        by.append((pl.col(f"{HEALTH}_now") - pl.col(f"{HEALTH}_then")).fill_null(0.0))
    return frame.sort([*by, "key"]) if f"{TIER}_now" in frame.columns else frame.sort("key")


def spark_label(tr: Messages, runs: list[str], values: list[float | None], fmt: Formatter) -> str:
    """The sparkline's accessible name: "Health over the reviews: 2026-Q2 72, 2026-Q3 65, 2026-Q4 58"."""
    points = ", ".join(f"{run} {fmt.show(round(v, 1) if v is not None else None)}" for run, v in zip(runs, values))
    return tr("Health over the reviews: {points}", points=points)

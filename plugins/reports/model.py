"""What the HTML, Markdown and Excel reports show, gathered once from a :class:`Result`.

The reports differ in layout, not in content: each reads the same plain Python
values built here from the result's customers, actions and section summaries, so a
figure in the HTML report is the same figure in the Markdown summary. Every section
is optional; a ruleset without ``[checklist]`` simply has no checklist view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import SectionSummary
from clientwise.plugins.io.values import finite, plain
from clientwise.runtime.result import Result

#: How many value destroyers the cost-to-serve breakdown shows.
DESTROYERS_SHOWN = 10
#: Sections the reports lay out themselves; any other section (a plugin's) is shown
#: generically: its figures and the first :data:`OTHER_ROWS` rows of each table.
BUILT_IN_SECTIONS = frozenset({"segmentation", "profitability", "checklist", "relationship"})
OTHER_ROWS = 50
#: Longest list of customers or actions a report for people shows (the heatmap, the
#: coverage matrix, the actions); a larger portfolio's report says how many it left
#: out, and the xlsx, csv and json outputs hold them all. It also bounds the customer
#: detail blocks: all customers up to this many, else those the shown rows link to.
ROW_LIMIT = 5000
#: Decisions and statuses a customer's detail block lists when the report traces more
#: than FULL_TRACE_LIMIT customers (skipped and not-met rules are then left out to keep
#: the file small; ``clientwise evaluate --explain KEY`` always shows all).
TRACE_STATUSES = ("fired", "unknown")
#: Up to this many detail blocks, each lists every rule of every decision with its
#: status and the values it read: the full explanation trace.
FULL_TRACE_LIMIT = 1000
#: The tier table's columns the reports show (missing ones, like profit_share without
#: a profitability section, are shown as unknown).
TIER_FIELDS = ("tier", "customers", "customer_share", "measure_share", "profit_share", "target_min", "target_max",
               "target_met")


@dataclass(frozen=True)
class Point:
    """One point of a cumulative curve: x and y are shares (0..1)."""

    x: float
    y: float
    group: str = ""


@dataclass
class Report:
    """Everything a report renders, as plain values (strings are raw: the renderer escapes)."""

    title: str
    overview: dict[str, Any]
    warnings: list[str]
    anchors: dict[str, str]
    tiers: list[dict[str, Any]] = field(default_factory=list)
    pareto: list[Point] = field(default_factory=list)
    tier_cutoffs: list[tuple[str, float]] = field(default_factory=list)
    whale: list[Point] = field(default_factory=list)
    whale_peak: Point | None = None
    drivers: list[dict[str, Any]] = field(default_factory=list)
    destroyers: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    bands: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    matrix: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)
    #: Whether customers have a name column besides their key.
    named: bool = False
    #: Plugin sections: title, figures [(name, value)], tables [(name, columns, rows, total rows)].
    others: list[dict[str, Any]] = field(default_factory=list)
    #: list name -> (rows shown, rows in all) for each list cut at the row limit.
    truncated: dict[str, tuple[int, int]] = field(default_factory=dict)

    def priorities(self) -> Iterator[tuple[int | None, list[dict[str, Any]]]]:
        """Actions grouped by priority, most urgent (lowest number) first."""
        groups: dict[int | None, list[dict[str, Any]]] = {}
        for action in self.actions:
            groups.setdefault(action["priority"], []).append(action)
        yield from sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))

    def action_names(self) -> list[tuple[str, str]]:
        """(rule id, action text) of every action that fired, sorted by id, for the filter."""
        return sorted({(a["rule"], a["action"]) for a in self.actions})

    def tier_names(self) -> list[str]:
        """Tiers for the filter: the ruleset's in its order, then any other an action's customer has."""
        names = [row["tier"] for row in self.tiers if row["tier"] is not None]
        extra = sorted({a["tier"] for a in self.actions if a["tier"] and a["tier"] not in names})
        return names + extra


def build(result: Result, *, details: bool = False, row_limit: int | None = None) -> Report:
    """Gather the report's content from ``result`` (deterministic: same result, same report).

    ``details`` adds the per-customer blocks with their rule traces (the HTML report);
    ``row_limit`` (default :data:`ROW_LIMIT`) cuts long lists, recording it in ``truncated``.
    """
    limit = ROW_LIMIT if row_limit is None else row_limit
    key = result.key
    customers = finite(result.customers)
    keys = [str(k) for k in customers.get_column(key).to_list()]
    report = Report(
        title=f"Customer portfolio: {result.ruleset.name} {result.ruleset.version}",
        overview=_overview(result),
        warnings=list(result.warnings),
        anchors={},
        sections={s.section for s in result.summaries},
    )
    tiers = _column(customers, "tier", keys)
    _segmentation(report, result)
    _profitability(report, result, customers, keys)
    _checklist(report, result, customers, keys)
    _relationship(report, result)
    report.others = [_other(summary) for summary in result.summaries if summary.section not in BUILT_IN_SECTIONS]
    actions = finite(result.actions).with_row_index("_order").sort(
        [pl.col("priority").is_null(), "priority", "_order"]).drop("_order")
    report.named = result.name != key and result.name in customers.columns
    report.actions = [
        {"customer": str(row[key]), "customer_name": row.get(result.name) if report.named else None,
         "tier": tiers.get(str(row[key])), "rule": row["rule"], "action": row["action"],
         "priority": row["priority"], "because": row["because"]}
        for row in plain(actions.head(limit).to_dicts())
    ]
    for name, shown, total in (("answers", report.answers, None), ("matrix", report.matrix, None),
                               ("actions", report.actions, actions.height)):
        total = len(shown) if total is None else total
        if total > limit:
            del shown[limit:]
            report.truncated[name] = (limit, total)
    if details:
        linked = _linked(report) if len(keys) > limit else set(keys)
        report.customers = list(_customers(result, customers, keys, linked))
        if len(keys) > limit:
            report.truncated["customers"] = (len(report.customers), len(keys))
        report.anchors = {c["key"]: f"c{index + 1}" for index, c in enumerate(report.customers)}
    return report


def _other(summary: SectionSummary) -> dict[str, Any]:
    """A plugin section's summary as plain values (each table cut at :data:`OTHER_ROWS` rows)."""
    tables = []
    for name, frame in summary.tables.items():
        rows = [list(plain(row)) for row in finite(frame).head(OTHER_ROWS).iter_rows()]
        tables.append((str(name), list(frame.columns), rows, frame.height))
    return {"section": summary.section, "title": summary.title,
            "figures": [(str(k), plain(v)) for k, v in summary.figures.items()], "tables": tables}


def _linked(report: Report) -> set[str]:
    """Customers the report's tables name (their detail blocks are kept in a big portfolio)."""
    named = {d["key"] for d in report.destroyers} | {a["key"] for a in report.answers}
    named |= {m["key"] for m in report.matrix}
    return named | {a["customer"] for a in report.actions}


def _column(frame: pl.DataFrame, name: str, keys: list[str]) -> dict[str, Any]:
    if name not in frame.columns:
        return {}
    return dict(zip(keys, frame.get_column(name).to_list()))


def _overview(result: Result) -> dict[str, Any]:
    seg, prof = result.summary("segmentation"), result.summary("profitability")
    revenue = None
    if prof is not None:
        revenue = prof.figures.get("total_revenue")
    elif seg is not None and seg.figures.get("measure") == "revenue":
        revenue = seg.figures.get("measure_total")
    return {
        "customers": result.customers.height,
        "revenue": revenue,
        "profit": prof.figures.get("total_profit") if prof is not None else None,
        "cost_to_serve": prof.figures.get("total_cost_to_serve") if prof is not None else None,
        "actions": result.actions.height,
        "ruleset": result.ruleset.name,
        "version": result.ruleset.version,
        "hash": result.ruleset.hash,
        "files": list(result.ruleset.files),
        "description": result.ruleset.description,
        "as_of": result.as_of.isoformat(),
        "engine": result.engine,
        "provenance": provenance_lines(result),
        "plugin_errors": [fault.render() for fault in result.faults],
    }


def provenance_lines(result: Result) -> list[str]:
    """'segmentation: plugin segmentation (clientwise 0.1.0)' per section, in section order."""
    lines = []
    for section, origin in sorted(result.provenance.items()):
        plugin = f"plugin {origin['plugin']}" if origin.get("plugin") else "core"
        release = " ".join(str(v) for v in (origin.get("distribution"), origin.get("version")) if v)
        lines.append(f"{section}: {plugin}" + (f" ({release})" if release else ""))
    return lines


def _segmentation(report: Report, result: Result) -> None:
    summary = result.summary("segmentation")
    if summary is None:
        return
    rows = plain(finite(summary.tables["tiers"]).to_dicts()) if "tiers" in summary.tables else []
    report.tiers = [{**dict.fromkeys(TIER_FIELDS), **row} for row in rows]  # no profit without profitability
    pareto = finite(summary.tables.get("pareto", pl.DataFrame()))
    if pareto.height and pareto.get_column("cumulative_share").null_count() == 0:
        report.pareto = [Point(x, y) for x, y in pareto.select("customer_share", "cumulative_share").iter_rows()]
    ranked = summary.figures.get("ranked") or 0
    running = 0
    for row in report.tiers[:-1]:
        running += row.get("customers") or 0
        if ranked:
            report.tier_cutoffs.append((str(row["tier"]), min(running / ranked, 1.0)))


def _profitability(report: Report, result: Result, customers: pl.DataFrame, keys: list[str]) -> None:
    summary = result.summary("profitability")
    if summary is None:
        return
    classes = _column(customers, "value_class", keys)
    curve = finite(summary.tables.get("whale_curve", pl.DataFrame()))
    if curve.height and curve.get_column("cumulative_profit_share").null_count() == 0:
        report.whale = [
            Point(x, y, classes.get(str(k)) or "unclassified")
            for k, x, y in curve.select(result.key, "customer_share", "cumulative_profit_share").iter_rows()
        ]
        peak = summary.figures.get("whale_peak_customer_share"), summary.figures.get("whale_peak_profit_share")
        if peak[0] is not None and peak[1] is not None:
            report.whale_peak = Point(float(peak[0]), float(peak[1]))
    report.drivers = plain(finite(summary.tables.get("cost_drivers", pl.DataFrame())).to_dicts())
    cost_columns = [f"cost_{d['driver']}" for d in report.drivers if f"cost_{d['driver']}" in customers.columns]
    if "value_class" in customers.columns and "profit" in customers.columns:
        worst = (
            customers.filter(pl.col("value_class") == "value_destroyer")
            .sort(["profit", result.key], nulls_last=True)
            .head(DESTROYERS_SHOWN)
        )
        for row in plain(worst.to_dicts()):
            report.destroyers.append({
                "key": str(row[result.key]),
                "name": row.get(result.name) if result.name != result.key else None,
                "tier": row.get("tier"),
                "profit": row.get("profit"),
                "cost_to_serve": row.get("cost_to_serve"),
                "costs": [(d["label"], row.get(f"cost_{d['driver']}") or 0.0) for d in report.drivers
                          if f"cost_{d['driver']}" in cost_columns],
            })


def _checklist(report: Report, result: Result, customers: pl.DataFrame, keys: list[str]) -> None:
    summary = result.summary("checklist")
    if summary is None or "questions" not in summary.tables:
        return
    report.questions = plain(finite(summary.tables["questions"]).to_dicts())
    columns = [f"checklist_{q['question']}" for q in report.questions]
    present = [c for c in columns if c in customers.columns]
    if not present or "checklist_pct" not in customers.columns:
        return
    assessed = customers.filter(pl.col("checklist_pct").is_not_null())
    for row in plain(assessed.to_dicts()):
        values = [row.get(column) if column in present else None for column in columns]
        answered = [v for v in values if v is not None]
        report.answers.append({
            "key": str(row[result.key]),
            "name": row.get(result.name) if result.name != result.key else None,
            "tier": row.get("tier"),
            "values": values,
            "yes_share": (sum(1 for v in answered if v) / len(answered)) if answered else None,
            "pct": row.get("checklist_pct"),
        })


def _relationship(report: Report, result: Result) -> None:
    summary = result.summary("relationship")
    if summary is None:
        return
    report.bands = plain(finite(summary.tables.get("bands", pl.DataFrame())).to_dicts())
    report.roles = plain(finite(summary.tables.get("missing_roles", pl.DataFrame())).to_dicts())
    matrix = finite(summary.tables.get("coverage_matrix", pl.DataFrame()))
    for row in plain(matrix.to_dicts()):
        report.matrix.append({
            "key": str(row[result.key]),
            "tier": row.get("tier"),
            "score": row.get("health_score"),
            "cells": [
                {
                    "role": role["role"],
                    "covered": bool(row.get(f"{role['role']}_covered")),
                    "strength": row.get(f"{role['role']}_strength"),
                    "missing": bool(role["required"]) and not row.get(f"{role['role']}_covered"),
                }
                for role in report.roles
            ],
        })


def _customers(result: Result, customers: pl.DataFrame, keys: list[str], wanted: set[str]) -> Iterator[dict[str, Any]]:
    """Per customer: headline values, actions and the rules that decided them."""
    headline = [c for c in result.columns if not c.detail and c.name in customers.columns]
    if len(wanted) < len(keys):
        chosen = pl.Series(sorted(wanted), dtype=pl.String)
        mask = customers.get_column(result.key).cast(pl.String).is_in(chosen.implode())
        customers, keys = customers.filter(mask), [k for k, keep in zip(keys, mask) if keep]
    actions: dict[str, list[dict[str, Any]]] = {}
    for action in plain(finite(result.actions).to_dicts()):
        if str(action[result.key]) in wanted:
            actions.setdefault(str(action[result.key]), []).append(action)
    traces = _traces(result, wanted if len(wanted) < result.customers.height else None)
    for k, row in zip(keys, plain(customers.to_dicts())):
        yield {
            "key": k,
            "name": row.get(result.name) if result.name != result.key else None,
            "values": [(c.label, row.get(c.name), c.kind) for c in headline],
            "actions": actions.get(k, []),
            "trace": traces.get(k, []),
        }


def _traces(result: Result, wanted: set[str] | None) -> dict[str, list[dict[str, Any]]]:
    """Every rule's outcome per customer, or only fired and unknown ones for large reports.

    Only ``wanted`` customers are traced: tracing costs ~0.5 ms each.
    """
    tracer = result.tracer
    if tracer is None:
        return {}
    if wanted is not None:
        chosen = pl.Series(sorted(wanted), dtype=pl.String)
        tracer = dataclasses.replace(
            tracer,
            frame=tracer.frame.filter(pl.col(tracer.key).cast(pl.String).is_in(chosen.implode())),
            actions=tracer.actions.filter(pl.col(tracer.key).cast(pl.String).is_in(chosen.implode())),
        )
    full = tracer.frame.height <= FULL_TRACE_LIMIT
    traces: dict[str, list[dict[str, Any]]] = {}
    for explanation in tracer.explain_all():
        rules = explanation.to_dict().get("rules", [])
        traces[explanation.key] = [plain(rule) for rule in rules if full or rule.get("status") in TRACE_STATUSES]
    return traces

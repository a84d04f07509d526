"""The portfolio views of ``[segmentation]``: its summary (tier sizes against their
targets, concentration, the Pareto table, warnings) and what the reports show of it
(the tier table and the Pareto curve with the tier cut-offs).

The summary reads only the section's own fields. The tier table's shares of other
sections' amounts (profit, from ``[profitability]``) come from the report context's
``measures``: whatever headline amounts the other sections declare, by declaration,
never by column name.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from clientwise.plugins.sections.segmentation_config import (
    EXPIRED,
    MEASURE,
    NEEDS,
    OUTPUT,
    SegmentationConfig,
    Tier,
    matches,
)
from clientwise.sdk import (
    Block,
    Column,
    CurveChart,
    Figure,
    Figures,
    Line,
    Notice,
    Range,
    ReportContext,
    SectionSummary,
    SummaryContext,
    Table,
    curve_points,
    ordered_sum,
)


def summarize(config: SegmentationConfig, table: pl.DataFrame, context: SummaryContext, *,
              title: str = "Segmentation") -> SectionSummary:
    """Tier sizes against their targets, concentration figures and the Pareto table."""
    summary = SectionSummary("segmentation", title)
    key = context.key
    measure = table.get_column(MEASURE).cast(pl.Float64)
    total = ordered_sum(measure)
    ranked = table.select(key, MEASURE).filter(pl.col(MEASURE).is_not_null()).sort(
        MEASURE, descending=True, maintain_order=True)
    summary.tables["tiers"] = _tier_table(config, table, total, summary.warnings)
    summary.tables["pareto"] = ranked.select(
        pl.int_range(1, ranked.height + 1, dtype=pl.Int64).alias("position"),
        pl.col(key),
        pl.col(MEASURE).cast(pl.Float64).alias("measure"),
        (pl.int_range(1, ranked.height + 1, dtype=pl.Int64) / max(ranked.height, 1)).alias("customer_share"),
        (pl.col(MEASURE).cast(pl.Float64).cum_sum() / total if total else pl.lit(None, pl.Float64))
        .alias("cumulative_share"),
    )
    top = math.ceil(round(config.top_share * ranked.height, 9))
    largest = ranked.row(0, named=True) if ranked.height else None
    summary.figures.update({
        "method": config.method,
        "measure": config.measure,
        "customers": table.height,
        "ranked": ranked.height,
        "measure_total": total,
        "top_share": config.top_share,
        "top_customers": top,
        "top_measure_share": _ratio(ordered_sum(ranked.get_column(MEASURE).head(top).cast(pl.Float64)), total),
        "largest_customer": None if largest is None else largest[key],
        "largest_customer_share": None if largest is None else _ratio(float(largest[MEASURE]), total),
    })
    summary.warnings.extend(_override_warnings(config, table, key))
    summary.warnings.extend(_expired_rule_overrides(config, table, context.as_of))
    return summary


def report(config: SegmentationConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
    """Headline revenue (when the measure is revenue), the concentration figures, the
    tier table and the Pareto curve."""
    f = summary.figures
    measure = config.measure
    blocks: list[Block] = []
    if measure.strip() == "revenue":
        blocks.append(Figures([Figure("Revenue", f.get("measure_total"), "money", "revenue")], headline=True))
    tr, style = context.messages, context.style
    word = tr.word(measure)
    top = style.percent(f.get("top_share", config.top_share), 0)
    blocks.append(Figures([
        Figure("Tiers by", config.method, "text", "method"),
        Figure("Customers ranked by", measure, "text", "measure"),
        Figure("Customers", f.get("customers"), "integer", "customers"),
        Figure("Customers ranked", f.get("ranked"), "integer", "ranked"),
        Figure(tr("Total {measure}", measure=word), f.get("measure_total"), "number", "measure_total"),
        Figure(tr("Customers in the top {share}", share=top), f.get("top_customers"), "integer", "top_customers"),
        Figure(tr("Share of {measure} held by the top {share}", measure=word, share=top), f.get("top_measure_share"),
               "percent", "top_measure_share"),
        Figure("Largest customer", f.get("largest_customer"), "customer", "largest_customer"),
        Figure(tr("Largest customer's share of {measure}", measure=word), f.get("largest_customer_share"), "percent",
               "largest_customer_share"),
    ]))
    if "tiers" in summary.tables:
        blocks.append(_tier_block(config, summary.tables["tiers"], context))
    pareto = _pareto_chart(config, summary, context)
    if pareto is not None:
        blocks.append(pareto)
    return blocks


def _tier_block(config: SegmentationConfig, tiers: pl.DataFrame, context: ReportContext) -> Table:
    """Per tier: customers, shares of customers, of the measure and of each headline
    amount other sections declare, the target range and whether it is met."""
    measures = [m for m in context.measures if m.name in context.table.columns]
    shares = _measure_shares(context.table, [m.name for m in measures])
    columns = [
        Column("tier", "Tier", tones=next((dict(c.tones) for c in context.columns if c.name == OUTPUT), {})),
        Column("customers", "Customers", "integer"),
        Column("customer_share", "% customers", "percent"),
        Column("measure_share", f"% {config.measure}", "percent"),
        *(Column(f"{m.name}_share", f"% {m.label.lower()}", "percent") for m in measures),
        Column("target", "Target", "percent"),
        Column("target_met", "Met", "boolean", tones={True: "good", False: "bad"}),
    ]
    rows = [
        (row["tier"], row["customers"], row["customer_share"], row["measure_share"],
         *(shares[m.name].get(row["tier"]) for m in measures),
         None if row["target_min"] is None and row["target_max"] is None else Range(row["target_min"], row["target_max"]),
         row["target_met"])
        for row in tiers.iter_rows(named=True)
    ]
    return Table("Tiers", columns, rows, id="tier-table")


def _measure_shares(table: pl.DataFrame, measures: list[str]) -> dict[str, dict[Any, float | None]]:
    """Each tier's share of each measure's total (none when the total is zero or unknown)."""
    if not measures or OUTPUT not in table.columns:
        return {m: {} for m in measures}
    totals = {m: ordered_sum(table.get_column(m).cast(pl.Float64)) for m in measures}
    shares: dict[str, dict[Any, float | None]] = {m: {} for m in measures}
    for tier in table.get_column(OUTPUT).unique(maintain_order=True).to_list():  # a few tiers: sums in row order
        members = table.filter(pl.col(OUTPUT).eq_missing(tier))
        for m in measures:
            shares[m][tier] = _ratio(ordered_sum(members.get_column(m).cast(pl.Float64)), totals[m])
    return shares


def _pareto_chart(config: SegmentationConfig, summary: SectionSummary, context: ReportContext) -> CurveChart | None:
    """The Pareto curve with the 80% line and where each tier ends (rank and cumshare)."""
    pareto = summary.tables.get("pareto")
    if pareto is None or not pareto.height or pareto.get_column("cumulative_share").null_count():
        return None
    tr, style = context.messages, context.style
    f, measure = summary.figures, context.messages.word(config.measure)
    ranked = f.get("ranked") or 0
    cuts, running = [], 0
    labels = {tier.id: tier.label or tier.id.replace("_", " ").capitalize() for tier in config.tier_list()}
    tiers = summary.tables["tiers"].iter_rows(named=True) if "tiers" in summary.tables else iter(())
    for row in list(tiers)[:-1]:
        running += row["customers"] or 0
        if ranked:
            cuts.append(Line(min(running / ranked, 1.0), tr("{tier} ends", tier=tr(labels.get(row["tier"], row["tier"])))))
    held = f.get("top_measure_share")
    eighty = style.percent(0.8, 0)
    return CurveChart(
        id="pareto-chart", title=tr("Pareto curve of {measure}", measure=measure),
        points=curve_points(pareto, "customer_share", "cumulative_share"),
        x_title=tr("customers ranked by {measure}", measure=measure),
        y_title=tr("cumulative share of {measure}", measure=measure),
        hlines=[Line(0.8, eighty)], vlines=cuts,
        caption=tr("Pareto curve: cumulative share of {measure} against customers ranked by it. The dashed line "
                   "marks {share}; dotted lines mark where each tier ends.", measure=measure, share=eighty),
        summary="" if held is None else
        tr("The top {share} of customers ({count}) hold {held} of {measure}.", share=style.percent(f["top_share"], 0),
           count=style.integer(f["top_customers"]), held=style.percent(held), measure=measure),
    )


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _fix_hint(config: SegmentationConfig, index: int, tiers: list[Tier]) -> str:
    """Which key to change when a tier is off target."""
    path = f"segmentation.tiers[{index}]"
    last = index == len(tiers) - 1
    if config.method == "rank" and not last:
        return f"change {path}.share (now {tiers[index].share:.0%}) or {path}.target"
    if config.method == "cumshare" and not last:
        return f"change {path}.up_to (now {tiers[index].up_to:.0%}) or {path}.target"
    if config.method == "conditions" and tiers[index].when is not None:
        return f"change {path}.when or {path}.target"
    return f"change the other tiers' {NEEDS[config.method]} or {path}.target"


def _tier_table(config: SegmentationConfig, table: pl.DataFrame, total: float, warnings: list[str]) -> pl.DataFrame:
    tiers = config.tier_list()
    n = table.height
    table = table.select(OUTPUT, MEASURE)
    rows: list[dict[str, Any]] = []
    for index, tier in enumerate(tiers):
        members = table.filter(pl.col(OUTPUT) == tier.id)
        share = members.height / n if n else None
        low, high = tier.target if tier.target is not None else (None, None)
        met = None if share is None or tier.target is None else bool(low <= round(share, 9) <= high)
        rows.append({
            "tier": tier.id,
            "customers": members.height,
            "customer_share": share,
            "measure_share": _ratio(ordered_sum(members.get_column(MEASURE).cast(pl.Float64)), total),
            "target_min": low,
            "target_max": high,
            "target_met": met,
        })
        if met is False:
            warnings.append(Notice(
                f"Tier '{tier.id}' has {share:.1%} of customers ({members.height} of {n}), outside its target "
                f"{low:.0%}-{high:.0%}: {_fix_hint(config, index, tiers)}",
                "The {tier} tier holds {share} of customers ({count} of {total}), outside its target of {low} to "
                "{high}.", key=f"segmentation.tiers[{index}].target",
                values={"tier": tier.label or tier.id.replace("_", " ").capitalize(), "share": share,
                        "count": members.height, "total": n, "low": low, "high": high},
                kinds={"share": "percent", "low": "percent", "high": "percent"}))
    schema = {"tier": pl.String, "customers": pl.Int64, "customer_share": pl.Float64, "measure_share": pl.Float64,
              "target_min": pl.Float64, "target_max": pl.Float64, "target_met": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def _override_warnings(config: SegmentationConfig, table: pl.DataFrame, key: str) -> list[str]:
    field, reason = config.override_field, config.override_reason_field
    if not field or field not in table.columns:
        return []
    warnings: list[str] = []
    ids = [t.id for t in config.tier_list()]
    narrow = [c for c in (key, field, reason, EXPIRED) if c and c in table.columns]
    given = table.select(narrow).filter(pl.col(field).is_not_null())
    invalid = given.filter(~pl.col(field).is_in(ids))
    if invalid.height:
        example = invalid.row(0, named=True)
        warnings.append(Notice(
            f"{invalid.height} customer(s) have a {field} that is not a tier (e.g. {example[key]}: "
            f"{example[field]!r}); it was ignored: use one of {', '.join(ids)}",
            "Customers whose tier set by hand is not one of the tiers (ignored): {count}.",
            key="segmentation.override_field", values={"count": invalid.height}))
    is_expired = pl.col(EXPIRED).fill_null(False) if EXPIRED in table.columns else pl.lit(False)
    count = given.filter(is_expired).height
    if count:
        warnings.append(Notice(
            f"{count} tier override(s) expired before the as-of date and were ignored: "
            f"review {config.override_expires_field}",
            "Customers whose tier set by hand has expired (ignored): {count}.",
            key="segmentation.override_expires_field", values={"count": count}))
    if reason and reason in table.columns:
        applied = given.filter(pl.col(field).is_in(ids) & ~is_expired)
        count = applied.filter(pl.col(reason).is_null()).height
        if count:
            warnings.append(Notice(
                f"{count} tier override(s) have no reason: fill in {reason}",
                "Customers whose tier was set by hand without a reason: {count}.",
                key="segmentation.override_reason_field", values={"count": count}))
    return warnings


def _expired_rule_overrides(config: SegmentationConfig, table: pl.DataFrame, as_of: dt.date) -> list[str]:
    """One warning per ``[[segmentation.overrides]]`` whose ``expires`` is before the as-of date."""
    warnings: list[str] = []
    for index, override in enumerate(config.overrides):
        if override.expires is None or override.expires >= as_of:
            continue
        column = matches(override)
        count = int(table.get_column(column).sum() or 0) if column in table.columns else None
        matched = ("" if count is None else " (its condition selects no customer)" if count == 0
                   else f" for the {count} customer(s) its condition selects")
        warnings.append(Notice(
            f"Ruleset override '{override.id}' expired on {override.expires.isoformat()}, before the "
            f"as-of date {as_of.isoformat()}, and was ignored{matched}: remove it, or extend "
            f"segmentation.overrides[{index}].expires",
            "The tier override '{override}' expired on {expires}, before the review date, and was ignored.",
            key=f"segmentation.overrides[{index}].expires", values={"override": override.id,
                                                                    "expires": override.expires}))
    return warnings

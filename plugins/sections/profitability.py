"""The ``[profitability]`` section: profit per customer, value classes and the whale curve.

Revenue says little about what a customer is worth: a large account that calls
support every day, orders in small lots and pays in 120 days can cost more than it
earns. This section puts a price on those cost drivers, ranks customers by profit and
shows how concentrated profit is (the whale curve), so consultants can see which
customers create value and which destroy it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import polars as pl
from pydantic import Field, model_validator

from clientwise.plugins.sections import CATALOGUES
from clientwise.plugins.sections.profitability_report import VALUE_CLASSES, report
from clientwise.sdk import (
    Block,
    Classification,
    CompileContext,
    DerivedField,
    Notice,
    OutputColumn,
    Reason,
    ReportContext,
    Rule,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Source,
    Strict,
    SummaryContext,
    hookimpl,
    number_text,
    ordered_sum,
    quote,
)

#: Builds a :class:`Source` from a key path (``CompileContext.source``).
Where = Callable[[str], Source]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CostDriver(Strict):
    """One activity that costs money to serve a customer: how often, and at what unit cost."""

    id: str = Field(
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="Identifier; the driver's columns are count_<id> and cost_<id>.",
    )
    label: str = Field("", description="Name shown in reports (defaults to the id).")
    count: str = Field(
        description="Expression for how many units the customer used: a field or an aggregate "
        "such as count_of(interactions, type == 'visit' and days_since(date) <= 365)."
    )
    unit_cost: float = Field(description="Cost of one unit, in the revenue's currency.")

    def shown(self) -> str:
        return self.label or self.id


def _last_year(kind: str) -> str:
    return f"count_of(interactions, type == {quote(kind)} and days_since(date) <= 365)"


def default_cost_drivers() -> list[CostDriver]:
    """The drivers a ruleset gets when it does not list its own (also in default.toml)."""
    return [
        CostDriver(id="support_calls", label="Support calls", count=_last_year("support_call"), unit_cost=25.0),
        CostDriver(id="orders", label="Orders", count=_last_year("order"), unit_cost=15.0),
        CostDriver(id="visits", label="Visits", count=_last_year("visit"), unit_cost=150.0),
        CostDriver(id="returns", label="Returns", count=_last_year("return"), unit_cost=40.0),
        CostDriver(id="discounts", label="Discounts and rebates", count="coalesce(discounts, 0)", unit_cost=1.0),
        CostDriver(
            id="payment_terms",
            label="Extended payment terms",
            count="revenue * max(0, coalesce(payment_terms_days, 30) - 30) / 365",
            unit_cost=0.08,
        ),
    ]


class ProfitabilityConfig(Strict):
    """The ``[profitability]`` section."""

    revenue: str = Field("revenue", description="Expression for the customer's revenue.")
    margin: str = Field("gross_margin", description="Expression for the gross margin as a fraction of revenue.")
    default_margin: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="Margin assumed where the margin is null. Unset: the customer's profit is "
        "unknown and it gets no value class.",
    )
    cost_drivers: list[CostDriver] = Field(
        default_factory=default_cost_drivers, description="What it costs to serve a customer."
    )
    class_labels: dict[str, str] = Field(
        default_factory=lambda: {"value_creator": "Value creator", "neutral": "Neutral",
                                 "value_destroyer": "Value destroyer"},
        description="How the reports name the value classes (value_creator, neutral, value_destroyer).")
    value_creator_top: float = Field(
        0.20, gt=0, le=1, description="Value creators rank within this top share of customers by profit (ties share a rank)."
    )
    value_creator_min_profit: float = Field(0.0, description="A value creator's profit must be above this.")
    value_destroyer_below: float = Field(0.0, description="Profit below this makes a value destroyer.")
    support_call_filter: str = Field(
        "type == 'support_call' and days_since(date) <= 365",
        description="Which interactions are support calls, for the support abuse flag.",
    )
    support_abuse_calls: int = Field(
        35, ge=1, description="Support calls on a single day that flag support abuse."
    )
    max_destroyer_share: float = Field(
        0.25, ge=0, le=1, description="Warn when value destroyers exceed this share of customers."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProfitabilityConfig:
        seen: set[str] = set()
        for driver in self.cost_drivers:
            if driver.id in seen:
                raise ValueError(f"two cost drivers have id '{driver.id}'; every driver needs its own id")
            seen.add(driver.id)
        if self.value_creator_min_profit < self.value_destroyer_below:
            raise ValueError(
                "value_creator_min_profit must not be below value_destroyer_below, "
                "or a customer could be both a value creator and a value destroyer"
            )
        return self


class ProfitabilityHandler(SectionHandler[ProfitabilityConfig]):
    """Compiles ``[profitability]`` into profit fields and the value-class decision."""

    name = "profitability"
    model = ProfitabilityConfig
    title = "Customer profitability"
    messages = CATALOGUES

    def compile(self, config: ProfitabilityConfig, context: CompileContext) -> SectionPlan:
        plan = SectionPlan(section=self.name)
        plan.derived.extend(_profit_fields(config, context.source))
        plan.derived.extend(_support_fields(config, context.source))
        plan.classifications.append(_value_class(config, context.source))
        plan.outputs.extend([
            OutputColumn("cost_to_serve", "Cost to serve", "money", detail=True),
            OutputColumn("profit", "Profit", "money"),
            OutputColumn("profit_margin", "Profit margin", "percent", detail=True),
            OutputColumn("value_class", "Value class", "text",
                         tones=tuple((name, tone) for name, (tone, _) in VALUE_CLASSES.items()),
                         labels=tuple((name, config.class_labels.get(name, name)) for name in VALUE_CLASSES)),
            OutputColumn("support_abuse", "Support abuse", "boolean", detail=True),
            *(OutputColumn(f"cost_{d.id}", f"Cost: {d.shown()}", "money", detail=True) for d in config.cost_drivers),
        ])
        return plan

    def summarize(self, config: ProfitabilityConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        return summarize_profitability(config, table, context.key, title=self.title)

    def report(self, config: ProfitabilityConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """Headline revenue, profit and cost to serve; the whale curve; cost to serve by
        driver; the biggest value destroyers."""
        return report(summary, context, revenue_column(config))


def _money(value: float) -> str:
    """A unit cost as a decimal literal, so cost columns are amounts even for whole unit costs."""
    text = number_text(value)
    return text if "." in text else f"{text}.0"


def _profit_fields(config: ProfitabilityConfig, src: Where) -> list[DerivedField]:
    """gross_profit, count_<id> and cost_<id> per driver, cost_to_serve, profit, profit_margin."""
    revenue = revenue_column(config)
    fields: list[DerivedField] = []
    if revenue != config.revenue:
        fields.append(DerivedField("profit_revenue", config.revenue, src("profitability.revenue"),
                                   "Revenue counted for profit."))
    margin = f"({config.margin})"
    if config.default_margin is not None:
        margin = f"coalesce({config.margin}, {number_text(config.default_margin)})"
    fields.append(DerivedField("gross_profit", f"{revenue} * {margin}", src("profitability.margin"),
                               "Revenue times gross margin."))
    for index, driver in enumerate(config.cost_drivers):
        where = src(f"profitability.cost_drivers[{index}]")
        fields.append(DerivedField(f"count_{driver.id}", driver.count, where.child("count"),
                                   f"{driver.shown()}: units used."))
        fields.append(DerivedField(f"cost_{driver.id}",
                                   f"coalesce(count_{driver.id}, 0) * {_money(driver.unit_cost)}",
                                   where.child("unit_cost"),
                                   f"{driver.shown()}: units times unit cost (unknown units cost 0).",
                                   tolerates=(f"count_{driver.id}",)))
    costs = " + ".join(f"cost_{driver.id}" for driver in config.cost_drivers) or "0"
    fields += [
        DerivedField("cost_to_serve", costs, src("profitability.cost_drivers"), "Sum of the cost drivers."),
        DerivedField("profit", "gross_profit - cost_to_serve", src("profitability"),
                     "Gross profit minus cost to serve."),
        DerivedField("profit_margin", f"if_else({revenue} > 0, profit / {revenue}, null)",
                     src("profitability.revenue"), "Profit as a share of revenue (unknown without revenue)."),
        DerivedField("profit_rank_pct", "rank_pct(profit)", src("profitability.value_creator_top"),
                     "Rank by profit (1 = most profitable, ties share a rank) / customers with a known profit."),
    ]
    return fields


def _support_fields(config: ProfitabilityConfig, src: Where) -> list[DerivedField]:
    return [
        DerivedField("support_calls_peak_day", f"max_per_day(interactions, date, {config.support_call_filter})",
                     src("profitability.support_call_filter"), "Most support calls on a single day."),
        DerivedField("support_abuse", f"support_calls_peak_day >= {config.support_abuse_calls}",
                     src("profitability.support_abuse_calls"), "Support calls on one day reached the abuse threshold."),
    ]


def _value_class(config: ProfitabilityConfig, src: Where) -> Classification:
    """First match: creator (top share and profitable), destroyer, neutral; null profit -> null."""
    top, floor, below = (number_text(config.value_creator_top), number_text(config.value_creator_min_profit),
                         number_text(config.value_destroyer_below))
    profit = "profit:money"
    rules = (
        Rule("value_creator", f"profit_rank_pct <= {top} and profit > {floor}", "'value_creator'",
             src("profitability.value_creator_top"),
             Reason("Profit {profit} is above {floor} and ranks in the top {top} of customers (position {position})",
                    profit=profit, floor=f"{floor}:money", top=f"{top}:.0%", position="profit_rank_pct:.0%")),
        Rule("value_destroyer", f"profit < {below}", "'value_destroyer'", src("profitability.value_destroyer_below"),
             Reason("Profit {profit} is below {limit}: cost to serve {cost} against gross profit {gross}",
                    profit=profit, limit=f"{below}:money", cost="cost_to_serve:money", gross="gross_profit:money")),
        Rule("neutral", "profit is not null", "'neutral'", src("profitability"),
             Reason("Profit {profit}: neither a value creator nor a value destroyer", profit=profit)),
    )
    return Classification(output="value_class", rules=rules, source=src("profitability"), default=None,
                          description="value_creator, neutral or value_destroyer; null when profit is unknown.")


def revenue_column(config: ProfitabilityConfig) -> str:
    """The column holding revenue: the field itself, or ``profit_revenue`` for an expression."""
    text = config.revenue.strip()
    return text if _IDENTIFIER.match(text) else "profit_revenue"


def whale_curve(table: pl.DataFrame, key: str) -> pl.DataFrame:
    """Customers ranked by profit (ties by key) with the cumulative share of total profit.

    ``cumulative_profit_share`` is null when total profit is not positive: a share of a
    loss (or of nothing) has no meaning.
    """
    ranked = (
        table.select(pl.col(key), pl.col("profit").cast(pl.Float64))
        .filter(pl.col("profit").is_not_null())
        .sort(["profit", key], descending=[True, False])
    )
    n = ranked.height
    total = ordered_sum(ranked["profit"]) if n else 0.0
    curve = ranked.with_columns(
        rank=pl.int_range(1, n + 1, dtype=pl.Int64),
        cumulative_profit=pl.col("profit").cum_sum(),
    ).with_columns(customer_share=pl.col("rank") / max(n, 1))
    share = pl.col("cumulative_profit") / total if total > 0 else pl.lit(None, dtype=pl.Float64)
    return curve.with_columns(cumulative_profit_share=share).select(
        "rank", key, "customer_share", "profit", "cumulative_profit", "cumulative_profit_share"
    )


def _top_count(n: int, top: float) -> int:
    """How many customers make the top ``top`` share (at least one when there are any)."""
    return min(n, max(1, math.floor(round(top * n, 9)))) if n else 0


def summarize_profitability(
    config: ProfitabilityConfig, table: pl.DataFrame, key: str, *, title: str = "Customer profitability"
) -> SectionSummary:
    """Totals, the whale curve and its peak, class counts and warnings."""
    summary = SectionSummary(section="profitability", title=title)
    revenue = revenue_column(config)
    needed = [key, revenue, "cost_to_serve", "profit", *(f"cost_{d.id}" for d in config.cost_drivers)]
    known = table.select([c for c in dict.fromkeys(needed) if c in table.columns]).filter(pl.col("profit").is_not_null())
    n_all, n = table.height, known.height
    total_profit = ordered_sum(known["profit"]) if n else 0.0
    figures: dict[str, Any] = {
        "customers": n_all,
        "customers_with_profit": n,
        "total_revenue": ordered_sum(known[revenue]) if n else 0.0,
        "total_cost_to_serve": ordered_sum(known["cost_to_serve"]) if n else 0.0,
        "total_profit": total_profit,
    }
    counts = {cls: int((table["value_class"] == cls).sum()) for cls in VALUE_CLASSES}
    figures.update({f"{cls}_count": count for cls, count in counts.items()})
    figures["unclassified_count"] = n_all - sum(counts.values())
    figures["value_destroyer_share"] = counts["value_destroyer"] / n_all if n_all else None
    figures["support_abuse_count"] = int(table["support_abuse"].fill_null(False).sum())

    curve = whale_curve(known, key)
    top = _top_count(n, config.value_creator_top)
    figures["top_customers"] = top
    figures["top_customer_share"] = top / n if n else None
    if n and total_profit > 0:
        peak_index = int(curve["cumulative_profit"].arg_max())  # first maximum
        figures["whale_peak_customer_share"] = float(curve["customer_share"][peak_index])
        figures["whale_peak_profit_share"] = float(curve["cumulative_profit_share"][peak_index])
        figures["top_profit_share"] = float(curve["cumulative_profit"][top - 1]) / total_profit
    else:
        figures["whale_peak_customer_share"] = None
        figures["whale_peak_profit_share"] = None
        figures["top_profit_share"] = None
        if n:
            summary.warnings.append(Notice(
                f"Total profit is {total_profit:.0f} (not positive): profit shares and the whale "
                "curve peak are undefined, so they are not reported.",
                "Total profit is {profit}, not positive: profit shares and the peak of the whale curve are not "
                "reported.", key="profitability", values={"profit": total_profit}, kinds={"profit": "money"}))
    summary.figures = figures
    summary.tables["whale_curve"] = curve
    summary.tables["cost_drivers"] = _driver_table(config, known)

    share = figures["value_destroyer_share"]
    if share is not None and share > config.max_destroyer_share:
        summary.warnings.append(Notice(
            f"{counts['value_destroyer']} of {n_all} customers ({share:.0%}) are value destroyers, "
            f"more than profitability.max_destroyer_share ({config.max_destroyer_share:.0%}).",
            "{count} of {total} customers ({share}) destroy value: more than the {limit} this review accepts.",
            key="profitability.max_destroyer_share",
            values={"count": counts["value_destroyer"], "total": n_all, "share": share,
                    "limit": config.max_destroyer_share}, kinds={"share": "percent", "limit": "percent"}))
    if n < n_all:
        hint = "" if config.default_margin is not None else "; set profitability.default_margin to assume one"
        summary.warnings.append(Notice(
            f"{n_all - n} customers have no known profit (margin or revenue missing){hint}.",
            "{count} customers have no known profit: their margin or revenue is missing.",
            key="profitability.default_margin", values={"count": n_all - n}))
    for index, driver in enumerate(config.cost_drivers):
        column = f"count_{driver.id}"
        missing = int(table[column].null_count()) if column in table.columns else 0
        if missing:
            summary.warnings.append(Notice(
                f"Cost driver '{driver.shown()}': units unknown for {missing} customers, costed at 0.",
                "{driver}: not known for {count} customers, so it adds nothing to their cost to serve.",
                key=f"profitability.cost_drivers[{index}].count", values={"driver": driver.shown(), "count": missing}))
    return summary


def _driver_table(config: ProfitabilityConfig, known: pl.DataFrame) -> pl.DataFrame:
    """Total cost per driver and its share of the total cost to serve."""
    total_cost = ordered_sum(known["cost_to_serve"]) if known.height else 0.0
    rows = []
    for driver in config.cost_drivers:
        column = f"cost_{driver.id}"
        cost = ordered_sum(known[column]) if column in known.columns and known.height else 0.0
        rows.append(
            {
                "driver": driver.id,
                "label": driver.shown(),
                "unit_cost": driver.unit_cost,
                "cost": cost,
                "share_of_cost": cost / total_cost if total_cost > 0 else None,
            }
        )
    schema = {"driver": pl.String, "label": pl.String, "unit_cost": pl.Float64, "cost": pl.Float64, "share_of_cost": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


@hookimpl
def clientwise_sections() -> list[ProfitabilityHandler]:
    return [ProfitabilityHandler()]

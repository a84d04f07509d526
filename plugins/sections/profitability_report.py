"""What the reports show of ``[profitability]``: revenue, profit and cost to serve as
headline figures, the whale curve coloured by value class with its peak, cost to serve
by driver, and where the cost to serve of the biggest value destroyers goes.

Everything here is read from the section's summary and its own output columns
(``value_class``, ``profit``, ``cost_to_serve``, ``cost_<driver>``).
"""

from __future__ import annotations

import polars as pl

from clientwise.plugins.sections.profitability_charts import charts
from clientwise.sdk import (
    Block,
    Column,
    CurveChart,
    Figure,
    Figures,
    Legend,
    Line,
    Marker,
    Note,
    Point,
    ReportContext,
    SectionSummary,
    Stack,
    StackedBarChart,
    Table,
    Tone,
    curve_points,
)

#: The value classes, in the order they are tried, with their colour and plural label.
VALUE_CLASSES: dict[str, tuple[Tone, str]] = {
    "value_creator": ("good", "value creators"),
    "neutral": ("neutral", "neutral"),
    "value_destroyer": ("bad", "value destroyers"),
}
UNCLASSIFIED = "unclassified"
#: How many value destroyers the cost-to-serve breakdown shows.
DESTROYERS_SHOWN = 10


def report(summary: SectionSummary, context: ReportContext, revenue: str = "revenue") -> list[Block]:
    """``revenue``: the column holding each customer's revenue."""
    f = summary.figures
    blocks: list[Block] = [
        Figures([Figure("Revenue", f.get("total_revenue"), "money", "revenue"),
                 Figure("Profit", f.get("total_profit"), "money", "profit"),
                 Figure("Cost to serve", f.get("total_cost_to_serve"), "money", "cost_to_serve")], headline=True),
        Figures([
            Figure("Customers with a known profit", f.get("customers_with_profit"), "integer", "customers_with_profit"),
            *(Figure(label.capitalize(), f.get(f"{name}_count"), "integer", f"{name}_count")
              for name, (_, label) in VALUE_CLASSES.items()),
            Figure("Without a value class", f.get("unclassified_count"), "integer", "unclassified_count"),
            Figure("Share of customers destroying value", f.get("value_destroyer_share"), "percent",
                   "value_destroyer_share"),
            Figure("Customers abusing support", f.get("support_abuse_count"), "integer", "support_abuse_count"),
            Figure(context.messages("Most profitable customers (top {share})",
                                    share=context.style.percent(f.get("top_customer_share") or 0, 0)),
                   f.get("top_customers"), "integer", "top_customers"),
            Figure("Their share of profit", f.get("top_profit_share"), "percent", "top_profit_share"),
        ]),
    ]
    whale = _whale_chart(summary, context)
    if whale is not None:
        blocks.append(whale)
    blocks += charts(context, revenue)
    drivers = summary.tables.get("cost_drivers", pl.DataFrame(schema={"driver": pl.String, "label": pl.String}))
    if "cost_drivers" in summary.tables:
        blocks.append(Table("Cost to serve by driver", [
            Column("label", "Driver"), Column("unit_cost", "Unit cost", "number", detail=True),
            Column("cost", "Cost", "money"), Column("share_of_cost", "Share of cost to serve", "percent"),
        ], [(context.messages(label), *rest) for label, *rest in
            drivers.select("label", "unit_cost", "cost", "share_of_cost").iter_rows()], id="driver-table"))
    blocks += _destroyers(drivers, context)
    return blocks


def _whale_chart(summary: SectionSummary, context: ReportContext) -> CurveChart | None:
    """Cumulative profit share against customers ranked by profit, coloured by value class."""
    curve = summary.tables.get("whale_curve")
    if curve is None or not curve.height or curve.get_column("cumulative_profit_share").null_count():
        return None
    key = context.key
    classes = context.table.select(key, "value_class") if "value_class" in context.table.columns else None
    if classes is not None:
        curve = curve.join(classes, on=key, how="left", maintain_order="left")
    group = pl.col("value_class").fill_null(UNCLASSIFIED) if classes is not None else pl.lit(UNCLASSIFIED)
    points = curve_points(curve.with_columns(group.alias("value_class")), "customer_share", "cumulative_profit_share",
                          "value_class")
    f = summary.figures
    x, y = f.get("whale_peak_customer_share"), f.get("whale_peak_profit_share")
    peak = None if x is None or y is None else Point(float(x), float(y))
    tr, style = context.messages, context.style
    legend = [Legend(name, label, tone) for name, (tone, label) in VALUE_CLASSES.items()]
    if any(p.group == UNCLASSIFIED for p in points):
        legend.append(Legend(UNCLASSIFIED, "no known profit", "light"))
    return CurveChart(
        id="whale-chart", title="Whale curve of profit", points=points,
        x_title="customers ranked by profit", y_title="cumulative share of profit",
        hlines=[Line(1.0, tr("{share} of profit", share=style.percent(1.0, 0)))], legend=legend,
        marker=None if peak is None else Marker(peak, tr("peak: {profit} of profit from {customers} of customers",
                                                         profit=style.percent(peak.y), customers=style.percent(peak.x))),
        caption="Whale curve: cumulative profit share against customers ranked by profit.",
        summary="" if peak is None else tr("Profit peaks at {profit} of the total with the most profitable "
                                           "{customers} of customers; the rest destroy value.",
                                           profit=style.percent(peak.y), customers=style.percent(peak.x)),
    )


def _destroyers(drivers: pl.DataFrame, context: ReportContext) -> list[Block]:
    """The biggest value destroyers: their cost to serve by driver, as bars and as a table."""
    table, key = context.table, context.key
    if not {"value_class", "profit", "cost_to_serve"} <= set(table.columns):
        return []
    costs = [(label, f"cost_{driver}") for driver, label in drivers.select("driver", "label").iter_rows()
             if f"cost_{driver}" in table.columns]
    name = [context.name] if context.name else []
    worst = (table.filter(pl.col("value_class") == "value_destroyer")
             .sort(["profit", key], nulls_last=True).head(DESTROYERS_SHOWN)
             .select(key, *name, "profit", "cost_to_serve", *(column for _, column in costs)))
    title = "Biggest value destroyers: where the cost to serve goes"
    if not worst.height:
        return [Note("No value destroyers.")]
    stacks = [Stack(" ".join(str(v) for v in (row[key], *(row[n] for n in name)) if v),
                    [(label, row[column] or 0.0) for label, column in costs])
              for row in worst.iter_rows(named=True)]
    columns = [Column(key, "Customer", "customer"), Column("profit", "Profit", "money"),
               Column("cost_to_serve", "Cost to serve", "money"),
               *(Column(column, label, "money", detail=True) for label, column in costs)]
    return [
        StackedBarChart(id="destroyers-chart", title="Cost to serve of the biggest value destroyers, by driver",
                        stacks=stacks, kind="money", detail=True),
        Table(title, columns, worst.select(c.name for c in columns).rows(), id="destroyer-table"),
    ]

"""Two charts of ``[profitability]`` for the HTML report: revenue and profit per tier
(the first group column another section declares, such as the segmentation's tier),
and revenue against cost to serve per customer with the value destroyers highlighted.

Both read the section's own columns (the revenue column, ``profit``,
``cost_to_serve``, ``value_class``) and the groups the report context shares, never
another section's column names.
"""

from __future__ import annotations

import polars as pl

from clientwise.sdk import Block, GroupedBarChart, ReportContext, ScatterChart, Series, ordered_sum, scatter_dots

DESTROYER = "value_destroyer"


def charts(context: ReportContext, revenue: str) -> list[Block]:
    blocks: list[Block] = []
    by_group = _by_group(context, revenue)
    if by_group is not None:
        blocks.append(by_group)
    scatter = _scatter(context, revenue)
    if scatter is not None:
        blocks.append(scatter)
    return blocks


def _by_group(context: ReportContext, revenue: str) -> GroupedBarChart | None:
    """Revenue and profit summed per value of the first group column, in its declared order."""
    table, tr = context.table, context.messages
    group = next((g for g in context.groups if g.name in table.columns), None)
    if group is None or not {revenue, "profit"} <= set(table.columns):
        return None
    sums = {}  # added in row order (ordered_sum): the same bars, to the last digit, on every run
    for value in table.get_column(group.name).unique(maintain_order=True).to_list():
        members = table.filter(pl.col(group.name).eq_missing(value))
        sums[value] = tuple(ordered_sum(members.get_column(c).cast(pl.Float64)) for c in (revenue, "profit"))
    declared = [value for value, _ in group.tones]
    order = declared + sorted((v for v in sums if v is not None and v not in declared), key=str)
    order = [value for value in order if value in sums]
    if not order:
        return None
    labels = dict(group.labels)
    name = tr(group.label)
    return GroupedBarChart(
        id="profit-by-tier", title=tr("Revenue and profit by {group}", group=name), detail=True, kind="money",
        categories=[tr(labels.get(v, str(v).replace("_", " ").capitalize())) for v in order],
        series=[Series("revenue", tr("Revenue"), "medium"), Series("profit", tr("Profit"), "good")],
        values=[list(sums[v]) for v in order], value_title=tr("Amount ({currency})", currency=context.style.currency) if context.style.currency
        else tr("Amount"),
        category_title=name,
        summary=tr("Revenue and profit summed over the customers of each {group}; a bar below the line is a loss.",
                   group=name))


def _scatter(context: ReportContext, revenue: str) -> ScatterChart | None:
    """Each customer's revenue against its cost to serve, value destroyers on top."""
    table, tr, style = context.table, context.messages, context.style
    if not {revenue, "cost_to_serve", "value_class"} <= set(table.columns):
        return None
    marked = table.select(pl.col(revenue), pl.col("cost_to_serve"), pl.col(context.key),
                          pl.when(pl.col("value_class") == DESTROYER).then(pl.lit(DESTROYER))
                          .otherwise(pl.lit("other")).alias("highlight"))
    found = scatter_dots(marked, revenue, "cost_to_serve", "highlight", context.key)
    if not found.dots:
        return None
    notes = [tr("Both axes are logarithmic: each gridline is ten times the one before.")]
    if found.binned:
        notes.append(tr("The {count} customers are grouped into a grid of cells; a larger mark stands for more "
                        "customers in its cell.", count=style.integer(table.height - found.left_out)))
    if found.left_out:
        notes.append(tr("{count} customers without a revenue or cost to serve above zero are not shown.",
                        count=style.integer(found.left_out)))
    return ScatterChart(
        id="revenue-cost-scatter", title=tr("Revenue against cost to serve"), detail=True,
        dots=found.dots, x_range=found.x_range, y_range=found.y_range, binned=found.binned,
        left_out=found.left_out, x_kind="money", y_kind="money",
        x_title=tr("Revenue (log scale)"), y_title=tr("Cost to serve (log scale)"),
        series=[Series("other", tr("Other customers"), "neutral"), Series(DESTROYER, tr("Value destroyers"), "bad")],
        unit=tr("customers"),
        summary=" ".join(notes))

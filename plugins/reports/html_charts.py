"""The SVG drawing of the chart blocks of :mod:`clientwise.output.charts` (grouped bars,
mix bars, scatters), with every number written by the report's :class:`Formatter`."""

from __future__ import annotations

from clientwise.output.blocks import Chart
from clientwise.output.charts import GroupedBarChart, MixChart, ScatterChart
from clientwise.plugins.reports import svg_bars, svg_scatter
from clientwise.plugins.reports.format import Formatter


def drawing(item: Chart, fmt: Formatter) -> str | None:
    """The chart's ``<svg>``, or None when it is not one of these kinds or has nothing to draw."""
    chart = svg_bars.chart_id(item.id, item.title)
    if isinstance(item, GroupedBarChart) and item.categories and item.series:
        kind = item.kind
        return svg_bars.grouped_bars(
            chart, item.categories, [(s.label, s.tone) for s in item.series], item.values, label=item.title,
            show=lambda value: fmt.show(value, kind), value_title=item.value_title,
            category_title=item.category_title)
    if isinstance(item, MixChart) and item.stacks and item.series:
        rows = [(stack.label, [dict(stack.parts).get(s.name, 0.0) for s in item.series]) for stack in item.stacks]
        return svg_bars.mix_bars(chart, rows, [(s.label, s.tone) for s in item.series], label=item.title,
                                 percent=lambda value: fmt.style.percent(value, 0), whole=fmt.whole)
    if isinstance(item, ScatterChart) and item.dots:
        x_kind, y_kind = item.x_kind, item.y_kind
        return svg_scatter.scatter(
            item.dots, [(s.name, s.label, s.tone) for s in item.series], label=item.title,
            x_range=item.x_range, y_range=item.y_range, x_title=item.x_title, y_title=item.y_title,
            x_show=lambda value: fmt.show(value, x_kind), y_show=lambda value: fmt.show(value, y_kind),
            whole=fmt.whole, binned=item.binned, customers=item.unit)
    return None

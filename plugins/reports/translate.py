"""A section's blocks in the report's language: every title, label, caption and note
looked up in the section's catalogue (``SectionReport.messages``), exact English
text as the key; what the catalogue lacks stays as the plugin wrote it. Values are
never translated: customer text and numbers pass through as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from clientwise.output.blocks import (
    BarChart,
    Block,
    Chart,
    Column,
    CurveChart,
    Figures,
    Line,
    Note,
    StackedBarChart,
    Table,
)
from clientwise.output.charts import GroupedBarChart, MixChart, ScatterChart

Translate = Callable[[str], str]


def block(item: Block, tr: Translate) -> Block:
    """``item`` with its texts translated."""
    if isinstance(item, Figures):
        return replace(item, title=_t(tr, item.title), figures=[replace(f, label=_t(tr, f.label)) for f in item.figures])
    if isinstance(item, Note):
        return replace(item, text=_t(tr, item.text))
    if isinstance(item, Table):
        return replace(item, title=_t(tr, item.title), note=_t(tr, item.note),
                       columns=[column(c, tr) for c in item.columns])
    if isinstance(item, Chart):
        chart = replace(item, title=_t(tr, item.title), caption=_t(tr, item.caption), summary=_t(tr, item.summary))
        if isinstance(chart, CurveChart):
            return replace(chart, x_title=_t(tr, chart.x_title), y_title=_t(tr, chart.y_title),
                           hlines=[Line(line.value, _t(tr, line.label)) for line in chart.hlines],
                           legend=[replace(entry, label=_t(tr, entry.label)) for entry in chart.legend])
        if isinstance(chart, BarChart):
            return replace(chart, bars=[replace(bar, label=_t(tr, bar.label)) for bar in chart.bars])
        if isinstance(chart, (GroupedBarChart, MixChart, ScatterChart)):
            return _extended(chart, tr)
        if isinstance(chart, StackedBarChart):
            return replace(chart, stacks=[replace(stack, label=_t(tr, stack.label),
                                                  parts=[(_t(tr, name), value) for name, value in stack.parts])
                                          for stack in chart.stacks])
        return chart
    return item


def _extended(chart: GroupedBarChart | MixChart | ScatterChart, tr: Translate) -> Chart:
    """The charts of :mod:`clientwise.output.charts`: series labels and axis titles."""
    series = [replace(s, label=_t(tr, s.label)) for s in chart.series]
    if isinstance(chart, GroupedBarChart):
        return replace(chart, series=series, value_title=_t(tr, chart.value_title),
                       category_title=_t(tr, chart.category_title), categories=[_t(tr, c) for c in chart.categories])
    if isinstance(chart, ScatterChart):
        return replace(chart, series=series, x_title=_t(tr, chart.x_title), y_title=_t(tr, chart.y_title),
                       unit=_t(tr, chart.unit))
    return replace(chart, series=series, stacks=[replace(stack, label=_t(tr, stack.label)) for stack in chart.stacks])


def column(item: Column, tr: Translate) -> Column:
    return replace(item, label=_t(tr, item.label), description=_t(tr, item.description))


def _t(tr: Translate, text: str) -> str:
    return tr(text) if text else text

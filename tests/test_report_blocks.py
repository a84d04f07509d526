"""Sections bring their own report views: blocks from ``SectionHandler.report``, laid out
by the html, md and xlsx writers with no change to the core.

A test section ("pulse") returns every kind of block, with customer text in its labels;
the installed example plugin (clientwise-nps) returns a chart; the rfm example keeps the
default (its summary's figures and tables).
"""

from __future__ import annotations

import functools
import io
import re
from typing import ClassVar

import openpyxl
import polars as pl
import pytest
from report_inputs import HOSTILE, hostile_data

import clientwise
from clientwise.errors import PluginFailure
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import md as report_md
from clientwise.plugins.reports.md import md
from clientwise.plugins.reports.xlsx import XlsxWriter
from clientwise.sample import DEMO_AS_OF, demo_path
from clientwise.sdk import (
    Bar,
    BarChart,
    Block,
    Cell,
    Column,
    CompileContext,
    CurveChart,
    DerivedField,
    Figure,
    Figures,
    Line,
    Note,
    OutputColumn,
    Point,
    ReportContext,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Stack,
    StackedBarChart,
    Strict,
    SummaryContext,
    Table,
    hookimpl,
)

PULSE = """
schema = 1
extends = "default"

[metadata]
name = "with-pulse"

[pulse]
"""


class PulseConfig(Strict):
    top: int = 3


class PulseSection(SectionHandler[PulseConfig]):
    """Revenue in thousands, and a report with every kind of block."""

    name: ClassVar[str] = "pulse"
    model: ClassVar[type[PulseConfig]] = PulseConfig
    title: ClassVar[str] = "Pulse <check>"

    def __init__(self, fail: bool = False, wrong: bool = False) -> None:
        self.fail, self.wrong = fail, wrong
        self.seen: ReportContext | None = None

    def compile(self, config: PulseConfig, context: CompileContext) -> SectionPlan:
        source = context.source("pulse")
        return SectionPlan("pulse", derived=[DerivedField("pulse_k", "revenue / 1000", source),
                                             DerivedField("pulse_big", "if_else(pulse_k > 1000, 'big', 'small')", source)],
                           outputs=[OutputColumn("pulse_k", "Revenue (k)", "number"),
                                    OutputColumn("pulse_big", "Big", "text", group=True,
                                                 tones=(("big", "strong"), ("small", "light")))])

    def summarize(self, config: PulseConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        return SectionSummary("pulse", self.title, figures={"customers": table.height})

    def report(self, config: PulseConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        if self.fail:
            raise RuntimeError("the <pulse> report broke")
        if self.wrong:
            return [Note("fine"), {"title": "not a block"}]  # type: ignore[list-item]
        self.seen = context
        top = context.table.sort("pulse_k", descending=True).head(config.top)
        names = top.get_column(context.name).to_list() if context.name else top.get_column(context.key).to_list()
        keys = top.get_column(context.key).to_list()
        values = top.get_column("pulse_k").to_list()
        return [
            Figures([Figure("Pulse customers", summary.figures["customers"], "integer", "pulse")], headline=True),
            Figures([Figure("Largest <b>", keys[0], "customer"), Figure("Its revenue (k)", values[0], "number")]),
            Note("Pulse: the <largest> customers & their revenue."),
            BarChart(id="pulse-bars", title="Revenue of the largest", kind="number",
                     bars=[Bar(str(n), v, None, "good") for n, v in zip(names, values)],
                     summary=f"{names[0]} leads with {values[0]:,.0f}k."),
            StackedBarChart(id="pulse-stacks", title="Revenue split", kind="number",
                            stacks=[Stack(str(n), [("half", v / 2), ("other half", v / 2)]) for n, v in zip(names, values)]),
            CurveChart(id="pulse-curve", title="A curve", points=[Point(0.5, 0.7, "a"), Point(1.0, 1.0, "b")],
                       x_title="x", y_title="y", vlines=[Line(0.5, str(names[0]))], summary="Half gives 70%."),
            Table("Largest customers", [Column(context.key, "Customer", "customer"),
                                        Column("pulse_k", "Revenue (k)", "number"),
                                        Column("label", "Label", tones={str(names[0]): "bad"})],
                  [(k, Cell(v, "good"), str(n)) for k, v, n in zip(keys, values, names)], id="pulse-table"),
        ]


def _evaluate(section: PulseSection, *, strict: bool = False) -> clientwise.Result:
    host = clientwise.build_host()

    class Plugin:
        @hookimpl
        def clientwise_sections(self) -> list[PulseSection]:
            return [section]

    host.register(Plugin(), name="pulse")
    ruleset = clientwise.parse_ruleset(PULSE, origin="with-pulse.toml", host=host)
    with clientwise.Evaluator(ruleset, host=host, strict_plugins=strict) as evaluator:
        return evaluator.evaluate(hostile_data(), as_of=DEMO_AS_OF)


@functools.lru_cache(maxsize=None)
def pulse() -> tuple[PulseSection, clientwise.Result]:
    section = PulseSection()
    return section, _evaluate(section)


def _workbook(result: clientwise.Result) -> openpyxl.Workbook:
    stream = io.BytesIO()
    XlsxWriter().write(result, stream)
    return openpyxl.load_workbook(stream)


def test_a_sections_blocks_appear_in_the_html_report_escaped():
    section, result = pulse()
    document = report_html.render(result)
    block = document[document.index('<section class="block" id="pulse">'):document.index('id="actions"')]
    assert '<a href="#pulse">Pulse &lt;check&gt;</a>' in document  # in the navigation
    assert '<b id="fig-pulse">300</b><span>Pulse customers</span>' in document  # a headline card
    for chart in ("pulse-bars", "pulse-stacks", "pulse-curve"):
        assert f'<figure id="{chart}"><svg class="chart"' in block
    assert _count(block, "pulse-table") == 3
    assert "<th>Largest &lt;b&gt;</th><td><a href=\"#" in block  # a customer figure links to its block
    assert "<p>Pulse: the &lt;largest&gt; customers &amp; their revenue.</p>" in block
    assert 'class="bar t-good"' in block and '<td class="num t-good">' in block and '<td class="t-bad">' in block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block and "<script>alert" not in document
    # the report adds the customers' name and group columns to a table of customers
    head = re.search(r'<table id="pulse-table"><thead><tr>(.*?)</tr>', block).group(1)
    assert re.findall(r"<th[^>]*>(.*?)</th>", head) == ["Customer", "Name", "Tier", "Big", "Revenue (k)", "Label"]
    # and the section's group column to the actions, with a filter
    assert '<select id="filter-pulse_big" data-filter="pulse_big">' in document
    assert document.count('<tr data-tier="') == document.count('data-pulse_big="') == result.actions.height


def _count(document: str, table_id: str) -> int:
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', document, re.S)
    assert body, table_id
    return body.group(1).count("<tr")


def test_a_sections_blocks_appear_in_the_markdown_summary_escaped():
    _, result = pulse()
    text = report_md.render(result)
    part = text[text.index("## Pulse \\<check\\>"):text.index("## Recommended actions")]
    assert "| Pulse customers | 300 |" in text  # the headline among the overview's figures
    assert "| Largest \\<b\\> | C00107 |" in part
    assert "**Revenue of the largest**\n\n\\<script\\>alert(1)\\</script\\> leads with" in part
    assert "| \\<script\\>alert(1)\\</script\\> | 5,650.84 |\n" in part  # no shares: no share column
    assert "**Revenue split**" in part and "| half | other half |" in part
    assert "**A curve**\n\nHalf gives 70%." in part
    assert "| Customer | Name | Revenue (k) | Label |" in part  # group columns are detail: not in the summary
    assert "<script>" not in text


def test_a_sections_blocks_appear_in_the_workbook_as_values_and_text():
    _, result = pulse()
    summary = _workbook(result)["Summary"]
    rows = [tuple(v for v in r if v is not None) for r in summary.iter_rows(values_only=True)]
    assert ("Pulse customers", 300) in rows  # the headline among the overview's figures
    assert ("Pulse <check>: Largest <b>", "C00107") in rows
    assert ("Pulse <check>: Pulse: the <largest> customers & their revenue.",) in rows

    def after(title: str, count: int) -> list[tuple]:
        start = rows.index((title,))
        return rows[start + 1:start + 1 + count]

    bars = after("Pulse <check>: Revenue of the largest", 2)
    assert bars[0] == (f"{HOSTILE['C00107']} leads with 5,651k.",)
    assert bars[1] == (HOSTILE["C00107"], pytest.approx(5650.84, abs=0.01))
    assert after("Pulse <check>: Revenue split", 2)[0] == ("half", "other half")
    assert after("Pulse <check>: A curve", 1) == [("Half gives 70%.",)]
    table = after("Pulse <check>: Largest customers", 2)
    assert table[0] == ("Customer", "Name", "Tier", "Big", "Revenue (k)", "Label")
    assert table[1] == ("C00107", HOSTILE["C00107"], "Strategic", "Big", pytest.approx(5650.84, abs=0.01), HOSTILE["C00107"])
    cells = {c.value: c for row in summary.iter_rows() for c in row if c.value is not None}
    assert cells[HOSTILE["C00291"]].data_type == "s" and cells[HOSTILE["C00291"]].quotePrefix is True
    assert cells["Big"].fill.fgColor.rgb == "00BEE3F8"  # the group column's declared tone


def test_reports_with_a_sections_blocks_are_byte_identical():
    _, result = pulse()
    assert report_html.render(result) == report_html.render(result)
    assert report_md.render(result) == report_md.render(result)
    first, second = io.BytesIO(), io.BytesIO()
    XlsxWriter().write(result, first)
    XlsxWriter().write(result, second)
    assert first.getvalue() == second.getvalue()


def test_a_report_sees_its_own_fields_and_what_other_sections_share():
    section, result = pulse()
    report_html.render(result)
    context = section.seen
    assert context is not None and (context.key, context.name) == ("customer_id", "name")
    columns = set(context.table.columns)
    assert {"pulse_k", "pulse_big", "revenue"} <= columns  # its own fields and the input data
    assert [c.name for c in context.groups] == ["tier"] and [c.name for c in context.measures] == ["profit"]
    assert {"tier", "profit"} <= columns
    assert not {"segment_rank", "cost_to_serve", "health_score", "value_class", "checklist_pct"} & columns
    assert context.label("profit") == "Profit" and context.label("pulse_k") == "Revenue (k)"


def test_a_report_that_raises_shows_its_error_and_the_rest_is_written():
    result = _evaluate(PulseSection(fail=True))
    document = report_html.render(result)
    block = document[document.index('id="pulse"'):document.index('id="actions"')]
    assert "plugin &#39;pulse&#39;, hook report, section [pulse]: RuntimeError: the &lt;pulse&gt; report broke" in block
    assert 'id="plugin-errors"' in document and 'id="tier-table"' in document
    assert "RuntimeError: the \\<pulse\\> report broke" in report_md.render(result)
    with pytest.raises(PluginFailure, match="the <pulse> report broke"):
        report_html.render(_evaluate(PulseSection(fail=True), strict=True))


def test_a_report_that_returns_something_else_than_blocks_says_what_it_returned():
    result = _evaluate(PulseSection(wrong=True))
    text = report_md.render(result)
    assert ("Plugin error: plugin 'pulse', section \\[pulse\\]: report returned a dict, not a block "
            "(return Figures, Note, Table or a chart from clientwise.sdk)") in text
    assert "| Strategic | 32 |" in text  # the other sections are written


@pytest.mark.installed_plugins  # the example plugins, as installed
def test_the_example_nps_plugins_chart_appears_in_every_report():
    """clientwise-nps (installed by make install) declares a bar chart; no core code knows it."""
    ruleset = clientwise.parse_ruleset(PULSE.replace("with-pulse", "with-nps").replace("[pulse]", "[nps]"),
                                       origin="with-nps.toml")
    result = clientwise.evaluate(ruleset, demo_path(), as_of=DEMO_AS_OF)
    counts = {group: result.summary("nps").figures[f"{group}s"] for group in ("promoter", "passive", "detractor")}
    document = report_html.render(result)
    chart = document[document.index('<figure id="nps-chart">'):]
    chart = chart[:chart.index("</figure>")]
    assert chart.count('<rect class="bar t-') == 3
    for group, tone in (("promoter", "good"), ("passive", "neutral"), ("detractor", "bad")):
        assert f'class="bar t-{tone}"' in chart and f">{counts[group]} (" in chart
    assert f'<b id="fig-nps">{result.summary("nps").figures["nps"]}</b>' in document
    text = report_md.render(result)
    assert "**Customers per promoter group**" in text
    assert f"| promoters | {counts['promoter']} | " in text and f"| detractors | {counts['detractor']} | " in text
    book = _workbook(result)
    rows = {r[0]: r[1:] for r in book["Summary"].iter_rows(values_only=True) if r and r[0] is not None}
    assert "Net promoter score: Customers per promoter group" in rows
    assert rows["passives"][0] == counts["passive"]
    header = [c.comment.text if c.comment else c.value for c in book["Customers"][1]]  # ids in the comments
    column = header.index("nps_group") + 1
    fills = {c.value: c.fill.fgColor.rgb for c in next(book["Customers"].iter_cols(column, column, 2)) if c.value}
    assert fills == {"promoter": "00C6F6D5", "passive": "00EDF2F7", "detractor": "00FED7D7"}


@pytest.mark.installed_plugins  # the example plugins, as installed
def test_a_section_without_a_report_method_shows_its_summary():
    """clientwise-rfm has no report method: its summary's figures and tables are shown."""
    ruleset = clientwise.parse_ruleset(PULSE.replace("with-pulse", "with-rfm").replace("[pulse]", "[rfm]"),
                                       origin="with-rfm.toml")
    result = clientwise.evaluate(ruleset, demo_path(), as_of=DEMO_AS_OF)
    segments = result.summary("rfm").tables["segments"]
    document = report_html.render(result)
    block = document[document.index('<section class="block" id="rfm">'):document.index('id="actions"')]
    assert "<h2>RFM segments</h2>" in block and "<tr><th>at_risk</th>" in block
    assert "<h3>segments</h3>" in block and block.count("<tr><td>") == segments.height
    text = report_md.render(result)
    assert "## RFM segments" in text and f"| {md(segments['segment'][0])} | {segments['customers'][0]} |" in text
    rows = {r[0]: r[1] for r in _workbook(result)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert rows["RFM segments: at_risk"] == result.summary("rfm").figures["at_risk"]

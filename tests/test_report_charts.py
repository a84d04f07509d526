"""The charts a client's leadership expects: revenue and profit by tier, the health band
mix by tier, % yes per question, revenue against cost to serve with the value destroyers
highlighted (binned for a large portfolio) — labelled, in the report's locale, readable in
greyscale, escaped and byte-identical on reruns."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from report_inputs import german_result, hostile_result

from clientwise.host.contracts import ReportContext
from clientwise.output.charts import SCATTER_GRID, Series, scatter_dots
from clientwise.output.locale import locale_style
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import html_charts, translate
from clientwise.plugins.reports.format import Formatter
from clientwise.plugins.reports.model import build
from clientwise.plugins.reports.svg_bars import grouped_bars, mix_bars
from clientwise.plugins.sections.profitability_charts import charts

SVG = "{http://www.w3.org/2000/svg}"


def _block(result, block_id: str):
    return next(b for view in build(result).sections for b in view.blocks if getattr(b, "id", "") == block_id)


def _figure(document: str, block_id: str) -> str:
    start = document.index(f'<figure id="{block_id}">')
    return document[start:document.index("</figure>", start)]


def test_revenue_and_profit_by_tier_are_the_sums_of_each_tier() -> None:
    result = hostile_result()
    chart = _block(result, "profit-by-tier")
    assert chart.categories == ["Strategic", "Core", "Transactional"]
    assert [s.label for s in chart.series] == ["Revenue", "Profit"] and chart.kind == "money"
    sums = result.customers.group_by("tier").agg(pl.col("revenue").sum(), pl.col("profit").sum())
    expected = {tier: (revenue, profit) for tier, revenue, profit in sums.iter_rows()}
    for tier, values in zip(("strategic", "core", "transactional"), chart.values):
        assert values == pytest.approx(list(expected[tier]))


def test_bars_below_zero_hang_from_the_zero_line_and_read_in_greyscale() -> None:
    svg = grouped_bars("c-t", ["<b>A</b>", "B"], [("Revenue", "medium"), ("Profit", "good")], [[100.0, -40.0], [80.0, None]],
                       label="Revenue & profit", show=lambda v: f"{v:,.0f}", value_title="EUR", category_title="Tier")
    root = ET.fromstring(svg)  # well-formed, labels escaped
    assert "&lt;b&gt;A&lt;/b&gt;" in svg and root.find(f"{SVG}title").text == "Revenue & profit"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "gbar"]
    assert len(bars) == 3  # the unknown value has no bar
    zero = next(float(line.get("y1")) for line in root.iter(f"{SVG}line") if line.get("class") == "axis")
    loss = bars[1]
    assert float(loss.get("y")) == pytest.approx(zero) and float(loss.get("height")) > 0
    assert float(bars[0].get("y")) + float(bars[0].get("height")) == pytest.approx(zero)
    # the two series differ by pattern, not only by colour; the legend shows the same fills
    patterns = {p.get("id"): ET.tostring(p, encoding="unicode") for p in root.iter(f"{SVG}pattern")}
    assert set(patterns) == {"c-t-f0", "c-t-f1"} and "hatch" in patterns["c-t-f1"] and "hatch" not in patterns["c-t-f0"]
    assert bars[0].get("fill") == "url(#c-t-f0)" and bars[1].get("fill") == "url(#c-t-f1)"
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis-title"] == ["Tier", "EUR"]
    assert {"100", "-40", "80"} <= {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "bar-value"}


def test_the_health_band_mix_shows_shares_of_each_tier() -> None:
    result = hostile_result()
    chart = _block(result, "health-by-tier")
    assert [(s.name, s.tone) for s in chart.series] == [("red", "bad"), ("yellow", "warn"), ("green", "good")]
    core = result.customers.filter(pl.col("tier") == "core")
    assert dict(chart.stacks[1].parts) == {band: float(core.filter(pl.col("health_band") == band).height)
                                           for band in ("red", "yellow", "green")}
    svg = mix_bars("c-m", [("Core", [3.0, 1.0, 0.0])], [("Red", "bad"), ("Yellow", "warn"), ("Green", "good")],
                   label="mix", percent=lambda v: f"{v:.0%}", whole=lambda v: f"{v:.0f}")
    root = ET.fromstring(svg)
    parts = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "seg-mix"]
    assert [float(r.get("width")) for r in parts] == pytest.approx([291.0, 97.0])  # 75% and 25% of the bar
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "seg-label"] == ["75%", "25%"]
    assert "n = 4" in svg


def test_percent_yes_per_question_is_a_bar_chart_of_the_checklist() -> None:
    result = hostile_result()
    chart = _block(result, "checklist-yes-chart")
    questions = result.summary("checklist").tables["questions"]
    assert [bar.value for bar in chart.bars] == pytest.approx([s or 0.0 for s in questions["yes_share"].to_list()])


def test_the_scatter_draws_every_customer_of_a_small_portfolio_destroyers_on_top() -> None:
    result = hostile_result()
    chart = _block(result, "revenue-cost-scatter")
    frame = result.customers
    positive = frame.filter((pl.col("revenue") > 0) & (pl.col("cost_to_serve") > 0))
    assert not chart.binned and len(chart.dots) == positive.height and chart.left_out == frame.height - positive.height
    destroyers = positive.filter(pl.col("value_class") == "value_destroyer").height
    assert sum(d.group == "value_destroyer" for d in chart.dots) == destroyers > 0
    assert [s.name for s in chart.series] == ["other", "value_destroyer"]  # drawn last: on top
    assert chart.x_title == "Revenue (log scale)" and "logarithmic" in chart.summary
    figure = _figure(report_html.render(result), "revenue-cost-scatter")
    root = ET.fromstring(figure[figure.index("<svg"):figure.index("</svg>") + 6])
    marks = [e for e in root.iter() if "mark" in (e.get("class") or "").split()]
    circles = [m for m in marks if m.tag == f"{SVG}circle" and "g-other" in m.get("class")]
    triangles = [m for m in marks if m.tag == f"{SVG}path" and "g-value_destroyer" in m.get("class")]
    assert len(circles) == len(chart.dots) - destroyers + 1 and len(triangles) == destroyers + 1  # + legend
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert "1,000" in ticks and "100,000" in ticks


def _large(n: int) -> pl.DataFrame:
    """``n`` customers with amounts spread over several powers of ten, every tenth a value destroyer."""
    index = pl.int_range(0, n, eager=True).alias("i")
    return pl.DataFrame(index).select(
        pl.format("K{}", pl.col("i").cast(pl.String).str.pad_start(7, "0")).alias("customer_id"),
        ((pl.col("i") * 7919 % 100_000 + 500) * (1 + pl.col("i") % 13)).cast(pl.Float64).alias("revenue"),
        (pl.col("i") * 104_729 % 50_000 + 1).cast(pl.Float64).alias("cost_to_serve"),
        pl.when(pl.col("i") % 10 == 0).then(pl.lit("value_destroyer")).otherwise(pl.lit("neutral")).alias("value_class"),
    )


def test_a_large_portfolio_is_binned_deterministically_and_says_so() -> None:
    table = _large(100_000)
    context = ReportContext("customer_id", None, dt.date(2026, 6, 30), table, ())
    [chart] = charts(context, "revenue")
    assert chart.binned and len(chart.dots) <= 2 * SCATTER_GRID[0] * SCATTER_GRID[1]
    assert sum(d.count for d in chart.dots) == 100_000
    assert sum(d.count for d in chart.dots if d.group == "value_destroyer") == 10_000
    assert "100,000 customers are grouped into a grid of cells" in chart.summary
    shuffled = ReportContext("customer_id", None, dt.date(2026, 6, 30), table.sample(fraction=1.0, shuffle=True, seed=3), ())
    assert charts(shuffled, "revenue")[0] == chart  # row order does not matter
    svg = html_charts.drawing(chart, Formatter())
    assert svg is not None and len(svg) < 250_000 and svg == html_charts.drawing(chart, Formatter())
    assert "customers</text>" in svg  # the legend says how large a mark is how many customers


def test_scatter_ranges_are_whole_decades_and_non_positive_values_are_left_out() -> None:
    frame = pl.DataFrame({"k": ["a", "b", "c", "d"], "x": [150.0, 9_000.0, 0.0, None], "y": [3.0, 40.0, 5.0, 1.0],
                          "g": ["o", "o", "o", "o"]})
    found = scatter_dots(frame, "x", "y", "g", "k")
    assert found.x_range == (100.0, 10_000.0) and found.y_range == (1.0, 100.0)
    assert found.left_out == 2 and [(d.x, d.y) for d in found.dots] == [(150.0, 3.0), (9_000.0, 40.0)]


def test_german_charts_have_german_labels_and_numbers() -> None:
    document = report_html.render(german_result())
    bars = _figure(document, "profit-by-tier")
    assert "Umsatz und Gewinn nach Segment" in bars and "Betrag (EUR)" in bars
    assert re.search(r">\d{1,3}(\.\d{3})+\u00a0€</text>", bars)  # value labels: 25.957.869 €
    assert ">Strategisch</text>" in bars
    scatter = _figure(document, "revenue-cost-scatter")
    assert ">1.000\u00a0€</text>" in scatter and "Umsatz (logarithmisch)" in scatter and "Wertvernichter" in scatter
    mix = _figure(document, "health-by-tier")
    assert re.search(r'class="seg-label"[^>]*>\d+\u00a0%</text>', mix) and ">Rot</text>" in mix
    pareto = _figure(document, "pareto-chart")
    assert ">80\u00a0%</text>" in pareto and ">25\u00a0%</text>" in pareto  # axis ticks in the locale


def test_pattern_ids_are_unique_in_the_document() -> None:
    document = report_html.render(hostile_result())
    ids = re.findall(r'<pattern id="([^"]+)"', document)
    assert ids and len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


def test_series_can_be_translated_by_a_sections_catalogue() -> None:
    chart = _block(hostile_result(), "revenue-cost-scatter")
    words = {"Other customers": "Übrige", "customers": "Kunden"}
    german = translate.block(chart, lambda text: words.get(text, text))
    assert [s.label for s in german.series][0] == "Übrige" and german.unit == "Kunden"
    assert Series("a", "b") == Series("a", "b", "neutral")

"""The html and md writers: content, escaping of customer text and determinism."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

import pytest
from report_inputs import HOSTILE, hostile_result, sample_result

import clientwise
from clientwise.compiler.steps import DerivedStep
from clientwise.host.contracts import Writer
from clientwise.output.write import choose_writer
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import md as report_md
from clientwise.plugins.reports import xlsx as report_xlsx
from clientwise.plugins.reports.md import md
from clientwise.plugins.reports.model import build


def html() -> str:
    return report_html.render(hostile_result())


def _rows(document: str, table_id: str) -> int:
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', document, re.S)
    assert body, table_id
    return body.group(1).count("<tr")


def test_the_report_writers_are_plugins_chosen_by_format_and_suffix(host):
    writers = host.writers()
    for fmt, suffix, cls in (("html", ".html", report_html.HtmlWriter), ("md", ".md", report_md.MarkdownWriter),
                             ("xlsx", ".xlsx", report_xlsx.XlsxWriter)):
        assert isinstance(writers[fmt], cls) and isinstance(writers[fmt], Writer)
        assert choose_writer(writers, None, Path("out" + suffix)) is writers[fmt]
    assert choose_writer(writers, None, Path("out.htm")) is writers["html"]
    assert choose_writer(writers, None, Path("out.markdown")) is writers["md"]


def test_html_has_every_section_with_the_right_row_counts():
    document = html()
    for section in ("overview", "segmentation", "profitability", "checklist", "relationship", "actions", "customers"):
        assert f'id="{section}"' in document
    assert _rows(document, "tier-table") == 3
    assert _rows(document, "checklist-heatmap") == 10
    assert _rows(document, "coverage-matrix") == 122
    assert _rows(document, "destroyer-table") == 10
    assert _rows(document, "driver-table") == 6
    assert document.count('<tr data-tier="') == 924
    assert document.count('<details class="customer"') == 300
    assert document.count('<svg class="chart"') == 8


def test_html_overview_shows_the_run_identity_figures_and_warnings():
    document = html()
    result = hostile_result()
    assert f'<td class="hash">{result.ruleset.hash}</td>' in document
    assert "<tr><th>As of</th><td>30/06/2026</td></tr>" in document  # en-GB, the default locale
    assert '<b id="fig-customers">300</b>' in document
    assert '<b id="fig-revenue">46,474,299</b>' in document
    assert '<b id="fig-profit">11,689,284</b>' in document
    # warnings are written for a reader: no ruleset keys (the JSON output keeps them)
    assert "<li>Customers whose tier was set by hand without a reason: 1.</li>" in document
    assert "tier_override_reason" not in document[document.index('id="warnings"'):]
    start = document.index('id="warnings"')
    assert document.count("<li>", start, document.index("</section>", start)) == 7
    # the identity and warnings are in the appendix, after the actions, not on the first screen
    assert document.index('id="appendix"') > document.index('id="actions"') > document.index('id="summary"')


def test_html_tier_table_shows_shares_targets_and_whether_met():
    document = html()
    assert ('<tr><td class="t-strong">Strategic</td><td class="num">32</td><td class="num">10.7%</td>'
            '<td class="num">55.4%</td><td class="num">50.9%</td><td class="num">5.0% – 10.0%</td>'
            '<td class="t-bad">no</td></tr>') in document


def test_html_charts_mark_the_80_percent_line_tier_cutoffs_and_the_whale_peak():
    document = html()
    pareto = document[document.index('id="pareto-chart"'):document.index('id="profitability"')]
    assert ">80%</text>" in pareto and ">Strategic ends</text>" in pareto and ">Core ends</text>" in pareto
    whale = document[document.index('id="whale-chart"'):document.index('id="driver-table"')]
    assert "peak: 105.1% of profit from 94.2% of customers" in whale
    for group, tone in (("g-value_creator", "good"), ("g-neutral", "neutral"), ("g-value_destroyer", "bad")):
        assert f'class="curve {group} t-{tone}"' in whale


def test_every_customer_in_a_table_links_to_its_detail_block():
    document = html()
    report = build(hostile_result(), details=True)
    anchors = set(re.findall(r'<details class="customer" id="(c\d+)"', document))
    links = set(re.findall(r'<a href="#(c\d+)">', document))
    assert links and links <= anchors
    assert f'<a href="#{report.anchors["C00107"]}">C00107</a>' in document
    block = document[document.index(f'id="{report.anchors["C00107"]}"'):]
    block = block[:block.index("</details>")]
    assert "Ranked 1 of 300 by revenue; the top 30 are strategic" in block
    # statuses in words, the id as the cell's class; decisions by their label
    assert '<td>Tier</td><td>strategic</td><td class="status-fired">Fired</td>' in block
    # A portfolio this small gets the full trace: every rule of every decision.
    assert '<td class="status-skipped">Not evaluated</td>' in block
    assert '<td class="status-not_met">Not met</td>' in block
    rules = sum(len(step.decision.rules) for step in clientwise.Evaluator("default").program.steps()
                if not isinstance(step, DerivedStep))
    assert block.count("<tr><td>") == rules


def test_customer_text_cannot_inject_markup():
    document = html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "<script>alert" not in document
    assert document.count("<script") == 1  # the report's own filter script
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)" in document
    assert 'href="http' not in document and "src=" not in document


def test_the_content_security_policy_allows_only_the_reports_own_style_and_script():
    document = html()
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', document).group(1)
    style = re.search(r"<style>(.*?)</style>", document, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", document, re.S).group(1)

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert policy.startswith("default-src 'none'; ")
    assert f"style-src 'sha256-{digest(style)}'" in policy
    assert f"script-src 'sha256-{digest(script)}'" in policy


def test_a_section_missing_from_the_ruleset_is_left_out():
    import clientwise
    from clientwise.sample import demo_path

    result = clientwise.evaluate("default", demo_path(), as_of="2026-06-30")
    result.summaries = [s for s in result.summaries if s.section != "checklist"]
    document = report_html.render(result)
    assert 'id="checklist"' not in document and 'id="segmentation"' in document


def test_a_big_portfolio_shows_the_most_urgent_rows_and_says_what_it_left_out():
    report = build(hostile_result(), details=True, row_limit=50)
    assert report.truncated == {"actions": (50, 924), "customers": (len(report.customers), 300)}
    view = next(v for v in report.sections if v.section == "relationship")
    at, matrix = next((i, b) for i, b in enumerate(view.blocks) if getattr(b, "id", "") == "coverage-matrix")
    assert (len(matrix.rows), matrix.total) == (50, 122) and at in view.cut
    assert [a["priority"] for a in report.actions] == [1] * 50
    linked = {a["customer"] for a in report.actions} | {row[0] for row in matrix.rows}
    assert linked <= {c["key"] for c in report.customers} < {str(k) for k in hostile_result().customers["customer_id"]}
    assert all(c["trace"] for c in report.customers)
    document = report_html.render(hostile_result(), row_limit=50)
    assert "The 50 most urgent of 924 actions are listed" in document
    assert "Showing the first 50 of 122 customers" in document
    assert set(re.findall(r'<a href="#(c\d+)">', document)) <= set(re.findall(r'<details class="customer" id="(c\d+)"', document))
    assert document.count('<tr data-tier="') == 50


def test_a_big_portfolio_keeps_the_detail_blocks_of_the_customers_its_lists_name_first(monkeypatch):
    monkeypatch.setattr("clientwise.plugins.reports.model.DETAIL_LIMIT", 20)
    report = build(hostile_result(), details=True, row_limit=50)
    assert report.truncated["customers"] == (20, 300)
    blocks = {c["key"] for c in report.customers}
    view = next(v for v in report.sections if v.section == "relationship")
    matrix = next(b for b in view.blocks if getattr(b, "id", "") == "coverage-matrix")
    assert {report.actions[0]["customer"], str(matrix.rows[0][0])} <= blocks  # the top of every list
    assert all(any(s["status"] in ("skipped", "not met") for s in c["trace"]) for c in report.customers)  # 300: full
    document = report_html.render(hostile_result(), row_limit=50)
    assert document.count('<details class="customer"') == 20
    assert "Detail blocks for 20 of the 300 customers: those the lists above name first" in document
    assert set(re.findall(r'<a href="#(c\d+)">', document)) == set(re.findall(r'<details class="customer" id="(c\d+)"', document))


@pytest.mark.parametrize("module", [report_html, report_md])
def test_the_same_result_gives_the_same_text(module):
    assert module.render(hostile_result()) == module.render(hostile_result())


def test_the_writer_writes_the_rendered_utf8():
    stream = io.BytesIO()
    report_html.HtmlWriter().write(sample_result(), stream)
    assert stream.getvalue() == report_html.render(sample_result()).encode("utf-8")


# --------------------------------------------------------------------------- markdown


@pytest.mark.parametrize(("text", "expected"), [
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("a | b", "a \\| b"),
    ("**bold** [link](x)", "\\*\\*bold\\*\\* \\[link\\](x)"),
    ("line\nbreak\ttab", "line break tab"),
    ("AT&T_1", "AT\\&T\\_1"),
    (None, "—"),
])
def test_markdown_escaping(text, expected):
    assert md(text) == expected


def test_markdown_summary_content():
    text = report_md.render(hostile_result())
    assert text.startswith("# Customer portfolio review\n\nAs of: **30/06/2026**\n\n## Executive summary\n")
    assert "Ruleset **default** 1.0.0 · Hash `" in text  # in the appendix
    assert "| Customers | 300 |\n| Revenue | 46,474,299 |\n| Profit | 11,689,284 |" in text
    assert "| Strategic | 32 | 10.7% | 55.4% | 50.9% | 5.0% – 10.0% | no |" in text
    assert "| Core | 90 | 30.0% | 32.0% | 37.1% | 15.0% – 30.0% | yes |" in text
    assert "Profit peaks at 105.1% of the total with the most profitable 94.2% of customers" in text
    assert "## Customer-focus checklist\n" in text and "10 customers assessed against 20 questions." in text
    assert "| red | 240 | 80.0% |" in text
    assert text.count("\n### Priority ") == 5
    assert text.count("| C0") >= 924
    assert "\\<script\\>alert(1)\\</script\\>" in text and "<script>" not in text
    assert "\\@SUM(A1) \\| \\*\\*bold\\*\\* \\[link\\](http\\://evil.example)" in text  # no link, no autolink
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_markdown_table_rows_keep_their_column_count_whatever_the_names():
    text = report_md.render(hostile_result())
    section = text[text.index("### Priority 1"):text.index("## Actions by owner")]
    table = [line for line in section.splitlines() if line.startswith("|")]
    widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table if not line.startswith("|---")}
    assert widths == {6 + 1}  # six columns: customer, name, tier, revenue (at stake), action, because
    assert set(HOSTILE) & {line.split(" | ")[0][2:] for line in table}


def _cut_ruleset(tmp_path: Path, sections: set[str]) -> Path:
    """The default ruleset with only ``sections`` (cut at top-level table headers)."""
    from importlib.resources import files

    text = files("clientwise.rulesets").joinpath("default.toml").read_text(encoding="utf-8")
    kept, keep = [], True
    for line in text.splitlines():
        header = re.match(r"^\[\[?\s*([A-Za-z_][A-Za-z0-9_-]*)", line)
        if header:
            keep = header.group(1) in sections
        if keep:
            kept.append(line)
    path = tmp_path / "cut.toml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def test_every_report_works_for_a_ruleset_with_segmentation_only(tmp_path):
    import openpyxl

    import clientwise
    from clientwise.sample import demo_path

    result = clientwise.evaluate(_cut_ruleset(tmp_path, {"schema", "metadata", "data", "segmentation"}),
                                 demo_path(), as_of="2026-06-30")
    assert [s.section for s in result.summaries] == ["segmentation"]
    document = report_html.render(result)
    assert 'id="pareto-chart"' in document and 'id="profitability"' not in document and 'id="checklist"' not in document
    text = report_md.render(result)
    assert "## Segmentation" in text and "## Profitability" not in text
    stream = io.BytesIO()
    report_xlsx.XlsxWriter().write(result, stream)
    assert openpyxl.load_workbook(stream).sheetnames == ["Summary", "Customers", "Actions", "Ruleset"]


def test_a_result_without_explanations_still_gets_detail_blocks_without_traces():
    import dataclasses

    result = dataclasses.replace(hostile_result(), tracer=None)
    document = report_html.render(result)
    assert document.count('<details class="customer"') == 300
    assert '<table class="trace">' not in document


@pytest.mark.parametrize(("function", "value", "shown"), [
    ("money", 46474299.14, "46,474,299"), ("money", None, "—"), ("money", float("nan"), "—"),
    ("pct", 0.10666, "10.7%"), ("pct", True, "—"), ("num", 25, "25"), ("num", 0.08, "0.08"),
    ("num", 31.25, "31.25"), ("num", 50.0, "50"), ("whole", 1234, "1,234"), ("whole", None, "—"),
])
def test_number_formats_of_the_reports(function, value, shown):
    from clientwise.plugins.reports import format as report_format

    assert getattr(report_format, function)(value) == shown


def test_target_ranges():
    from clientwise.output.blocks import Range
    from clientwise.plugins.reports.format import show

    assert show(Range(0.05, 0.1), "percent") == "5.0% – 10.0%"
    assert show(Range(0.4, None), "percent") == "≥ 40.0%"
    assert show(Range(None, 0.3), "percent") == "≤ 30.0%"
    assert show(Range(None, None), "percent") == "—"
    assert show(Range(1000, 2500.5), "money") == "1,000 – 2,501"  # halves away from zero, as in because texts


def test_the_cli_writes_each_report_by_suffix(invoke, tmp_path):
    for suffix, start in ((".html", b"<!DOCTYPE html>"), (".md", b"# Customer portfolio"), (".xlsx", b"PK\x03\x04")):
        target = tmp_path / f"report{suffix}"
        outcome = invoke("demo", "-o", str(target))
        assert outcome.code == 0, outcome.output
        assert target.read_bytes().startswith(start)
    shown = invoke("demo", "--format", "md")
    assert shown.code == 0 and shown.stdout.startswith("# Customer portfolio review\n")


def test_a_plugin_sections_summary_is_shown_generically():
    import dataclasses

    import polars as pl

    from clientwise.compiler.plan import SectionSummary

    table = pl.DataFrame({"segment": ["<champions>", "at_risk"] * 30, "customers": list(range(60))})
    extra = SectionSummary("rfm", "RFM <segments>", figures={"scored": 300, "mean": 2.5}, tables={"segments": table})
    result = dataclasses.replace(hostile_result(), summaries=[*hostile_result().summaries, extra])
    document = report_html.render(result)
    block = document[document.index('id="rfm"'):document.index('id="actions"')]
    assert "<h2>RFM &lt;segments&gt;</h2>" in block
    assert "<tr><th>scored</th><td>300</td></tr>" in block and "<tr><th>mean</th><td>2.5</td></tr>" in block
    assert block.count("<td>&lt;champions&gt;</td>") == 25 and "Showing the first 50 of 60 rows." in block
    text = report_md.render(result)
    assert "## RFM \\<segments\\>" in text and "| scored | 300 |" in text
    assert "**segments** (the first 50 of 60 rows)" in text and "| \\<champions\\> | 0 |" in text


def test_reports_without_a_name_column_have_no_name_column():
    import dataclasses

    import openpyxl

    base = hostile_result()
    result = dataclasses.replace(base, customers=base.customers.drop("name"), actions=base.actions.drop("name"))
    document = report_html.render(result)
    assert '<th>Customer</th><th>Tier</th><th class="num">Revenue</th><th>Action</th>' in document
    assert "| Customer | Tier | Revenue | Action | Because |" in report_md.render(result)
    stream = io.BytesIO()
    report_xlsx.XlsxWriter().write(result, stream)
    header = [c.value for c in openpyxl.load_workbook(stream)["Actions"][1]]
    assert header == ["Customer", "Tier", "Revenue", "Priority", "Action", "Because", "Owner", "Rule"]

"""The HTML report opened in a real headless Chromium, checked the way a person would look.

Needs the Debian ``chromium`` package (``make test`` installs it when running as root);
without a browser the module is skipped and says why.
"""

from __future__ import annotations

import json
import re

import pytest
from browser import Browser, chromium_path
from report_inputs import HOSTILE, german_result, hostile_result

from clientwise.plugins.reports import html as report_html

CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium at /usr/bin/chromium or on PATH: run 'apt-get install chromium' (make test does it as root)",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """One browser and one page for the whole module (a launch costs a second or two)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html.render(hostile_result()), encoding="utf-8")
    with Browser(CHROMIUM) as browser:
        browser.open(path)
        browser.path = path  # type: ignore[attr-defined]
        yield browser


def js(page: Browser, expression: str):
    """The value of a JavaScript expression (awaited when it is a promise), through JSON."""
    return json.loads(page.evaluate(f"(async () => JSON.stringify(await ({expression})))()"))


def test_screenshot_of_the_rendered_report(page, tmp_path):
    shot = tmp_path / "report.png"
    page.screenshot(shot)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a blank page is a few hundred bytes


def test_every_chart_is_drawn_with_a_size(page):
    charts = js(page, """[...document.querySelectorAll('figure svg.chart')].map(svg => {
        const box = svg.getBoundingClientRect();
        const curve = [...svg.querySelectorAll('path.curve')].reduce((n, p) => n + p.getTotalLength(), 0);
        return {id: svg.parentElement.id, width: box.width, height: box.height, curve: curve,
                bars: [...svg.querySelectorAll('rect')].filter(r => r.getBBox().width > 0).length};
    })""")
    assert [c["id"] for c in charts] == ["pareto-chart", "checklist-yes-chart", "whale-chart", "profit-by-tier",
                                         "revenue-cost-scatter", "destroyers-chart", "bands-chart", "health-by-tier"]
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart
    assert charts[0]["curve"] > 500 and charts[2]["curve"] > 500
    shares = hostile_result().summary("checklist").tables["questions"]["yes_share"].to_list()
    assert charts[1]["bars"] == sum(1 for share in shares if share)  # a question nobody meets has no bar
    assert charts[3]["bars"] >= 6  # revenue and profit of three tiers
    assert charts[5]["bars"] >= 10 and charts[6]["bars"] == 3
    assert charts[7]["bars"] >= 6  # three tiers, each split into its health bands


def test_the_scatter_draws_a_mark_per_customer_with_destroyers_as_triangles(page):
    marks = js(page, """(() => {
        const svg = document.querySelector('#revenue-cost-scatter svg');
        const box = svg.getBoundingClientRect();
        const inside = m => { const b = m.getBoundingClientRect();
            return b.width > 0 && b.left >= box.left && b.right <= box.right && b.top >= box.top && b.bottom <= box.bottom; };
        return {others: [...svg.querySelectorAll('circle.g-other')].filter(inside).length,
                destroyers: [...svg.querySelectorAll('path.g-value_destroyer')].filter(inside).length};
    })()""")
    frame = hostile_result().customers
    drawn = frame.filter((frame["revenue"] > 0) & (frame["cost_to_serve"] > 0))
    destroyers = drawn.filter(drawn["value_class"] == "value_destroyer").height
    assert marks == {"others": drawn.height - destroyers + 1, "destroyers": destroyers + 1}  # + the legend's


def test_the_english_report_opens_with_its_executive_summary_and_owner_lists(page, tmp_path):
    seen = js(page, """({
        lang: document.documentElement.lang,
        summary: document.querySelector('#summary h2').textContent,
        revenue: document.getElementById('fig-revenue').textContent,
        findings: document.querySelectorAll('#findings li').length,
        top: document.querySelectorAll('#top-actions li').length,
        owners: document.querySelectorAll('#owners section.owner').length,
        ownerRows: document.querySelectorAll('#owners tbody tr').length,
        tier: document.querySelector('#actions tbody td:nth-child(3)').textContent,
        ticks: [...document.querySelectorAll('#pareto-chart text.tick')].map(t => t.textContent),
        warnings: [...document.querySelectorAll('#warnings li')].map(li => li.textContent),
    })""")
    assert seen["lang"] == "en" and seen["summary"] == "Executive summary"
    assert seen["revenue"] == "46,474,299" and seen["findings"] >= 3 and seen["top"] == 5
    assert seen["owners"] >= 5 and seen["ownerRows"] == 924 and seen["tier"] == "Strategic"
    assert "25%" in seen["ticks"] and "Customers whose tier was set by hand without a reason: 1." in seen["warnings"]
    assert not any("_" in warning for warning in seen["warnings"])  # no ruleset key in a reader's warning


def test_tables_have_the_right_row_counts(page):
    counts = js(page, """Object.fromEntries(['tier-table', 'checklist-heatmap', 'coverage-matrix', 'destroyer-table',
        'band-table'].map(id => [id, document.querySelectorAll('#' + id + ' tbody tr').length]))""")
    assert counts == {"tier-table": 3, "checklist-heatmap": 10, "coverage-matrix": 122, "destroyer-table": 10,
                      "band-table": 4}
    assert js(page, "document.querySelectorAll('#actions tbody tr').length") == 924
    assert js(page, "document.querySelectorAll('details.customer').length") == 300
    assert js(page, "document.querySelectorAll('#checklist-heatmap td.cell').length") == 200


def _visible_actions(page: Browser, tier: str, action: str) -> dict:
    return js(page, f"""(() => {{
        const tier = document.getElementById('filter-tier'), action = document.getElementById('filter-action');
        tier.value = {json.dumps(tier)}; tier.dispatchEvent(new Event('change'));
        action.value = {json.dumps(action)}; action.dispatchEvent(new Event('change'));
        const rows = [...document.querySelectorAll('#actions tbody tr')].filter(r => r.offsetParent !== null);
        return {{rows: rows.length, count: document.getElementById('action-count').textContent,
                tiers: [...new Set(rows.map(r => r.dataset.tier))].sort(),
                actions: [...new Set(rows.map(r => r.dataset.action))].sort(),
                groups: [...document.querySelectorAll('section.priority')].filter(s => !s.hidden).length}};
    }})()""")


def test_the_action_filter_works_by_tier_and_by_action(page):
    actions = hostile_result().actions.join(hostile_result().customers.select("customer_id", "tier"), on="customer_id")
    strategic = actions.filter(actions["tier"] == "strategic")
    shown = _visible_actions(page, "strategic", "")
    assert shown["rows"] == strategic.height and shown["count"] == str(strategic.height)
    assert shown["tiers"] == ["strategic"]
    both = _visible_actions(page, "strategic", "assign_sponsor")
    expected = strategic.filter(strategic["rule"] == "assign_sponsor").height
    assert both["rows"] == expected > 0 and both["actions"] == ["assign_sponsor"] and both["groups"] == 1
    everything = _visible_actions(page, "", "")
    assert everything["rows"] == 924 and everything["count"] == "924" and everything["groups"] == 5


def test_a_customer_link_opens_its_detail_block(page):
    opened = js(page, """new Promise(resolve => {
        const link = document.querySelector('#checklist-heatmap a');
        const target = document.getElementById(link.getAttribute('href').slice(1));
        window.addEventListener('hashchange', () => setTimeout(() => resolve(
            {open: target.open, key: link.textContent, summary: target.querySelector('summary').textContent}), 0),
            {once: true});
        link.click();
    })""")
    assert opened["open"] is True
    assert opened["summary"].startswith(opened["key"])


def test_customer_text_is_shown_as_text_and_nothing_ran(page):
    assert js(page, "document.querySelectorAll('script').length") == 1
    text = js(page, "document.body.textContent")
    for name in HOSTILE.values():
        assert name in text


def test_no_console_errors_and_no_network_requests(page):
    assert page.errors() == []
    assert page.requests() == [page.path.resolve().as_uri()]


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    """The same portfolio presented to a German client ([report] locale = "de-DE", currency EUR)."""
    path = tmp_path_factory.mktemp("report-de") / "bericht.html"
    path.write_text(report_html.render(german_result()), encoding="utf-8")
    with Browser(CHROMIUM) as browser:
        browser.open(path)
        yield browser


def test_the_german_report_reads_in_german_with_euros(german, tmp_path):
    seen = js(german, """({
        lang: document.documentElement.lang,
        title: document.querySelector('h1').textContent,
        client: document.getElementById('client').textContent,
        date: document.getElementById('report-date').textContent,
        summary: document.querySelector('#summary h2').textContent,
        revenue: document.getElementById('fig-revenue').textContent,
        findings: document.querySelectorAll('#findings li').length,
        top: document.querySelectorAll('#top-actions li').length,
        owners: document.querySelectorAll('#owners section.owner').length,
        ownerRows: document.querySelectorAll('#owners tbody tr').length,
        actions: document.querySelectorAll('#actions tbody tr').length,
        tierHeader: document.querySelector('#actions thead th:nth-child(3)').textContent,
        tier: document.querySelector('#actions tbody td:nth-child(3)').textContent,
        stake: document.querySelector('#actions tbody td:nth-child(4)').textContent,
        question: document.querySelector('#checklist-heatmap thead th.q').textContent,
        chartTitles: [...document.querySelectorAll('figure svg.chart > title')].map(t => t.textContent),
        scatterTicks: [...document.querySelectorAll('#revenue-cost-scatter text.tick')].map(t => t.textContent),
        warnings: [...document.querySelectorAll('#warnings li')].map(li => li.textContent),
        questionId: document.querySelector('#checklist-heatmap thead th.q').title,
        firstScreen: document.body.innerText.slice(0, document.body.innerText.indexOf('Segmentierung')),
    })""")
    assert seen["lang"] == "de" and seen["title"] == "Kundenportfolio: Review Q2 2026"
    assert seen["client"] == "ACME <Industrial> GmbH" and seen["date"] == "30.06.2026"
    assert seen["summary"] == "Zusammenfassung für die Geschäftsleitung"
    assert seen["revenue"] == "46.474.299\u00a0€"
    assert seen["findings"] >= 3 and seen["top"] == 5
    assert seen["owners"] >= 5 and seen["ownerRows"] == seen["actions"] == 924
    assert seen["tierHeader"] == "Segment" and seen["tier"] == "Strategisch"
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*\u00a0€", seen["stake"])
    assert seen["question"].startswith("Can our management name") and seen["questionId"] == "management_knows_top"
    assert "sha256" not in seen["firstScreen"] and "plugin" not in seen["firstScreen"].lower()
    assert "Umsatz und Gewinn nach Segment" in seen["chartTitles"] and "Beziehungsgesundheit nach Segment" in seen["chartTitles"]
    assert "1.000\u00a0€" in seen["scatterTicks"] and "100.000\u00a0€" in seen["scatterTicks"]
    assert "Kunden, deren Segment ohne Begründung von Hand gesetzt wurde: 1." in seen["warnings"]
    assert german.errors() == []
    shot = tmp_path / "bericht.png"
    german.screenshot(shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000

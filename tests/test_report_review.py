""""Since the last review" in the HTML, Markdown and Excel reports (``Result.review``):
which run it compares with, trend arrows, the migration chart, new actions, health
sparklines, the executive summary's sentences (English and German), escaping, and
reports without a previous run staying byte-identical."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

import clientwise
from clientwise.history.save import save_run
from clientwise.history.since import since_last_review
from clientwise.history.store import open_store
from clientwise.history.trend import StoredHistory
from clientwise.plugins.reports import html, md
from clientwise.plugins.reports.model import build
from clientwise.plugins.reports.xlsx import XlsxWriter
from clientwise.sample import evolve, write

#: The second run's label: a user's text, so it must be escaped wherever a report names the run.
EVIL_LABEL = "Q2 <b>x</b> & *y*"
EVIL_NAME = "<img src=x onerror=alert(1)> **bold** [link](http://x)"
GERMAN = '''
extends = "default"
[metadata]
name = "deutsch"
version = "1"
[report]
locale = "de-DE"
currency = "EUR"
'''


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three quarters of the sample portfolio; the first two saved (the second with EVIL_LABEL),
    the third evaluated with the history its trend rules read, and its review."""
    folder = tmp_path_factory.mktemp("review")
    quarters = evolve(150, 3)
    for quarter in quarters:
        write(quarter.tables, folder / quarter.label)
    store = folder / "runs.duckdb"
    evaluator = clientwise.Evaluator("default")
    results = []
    for quarter, label in zip(quarters, ["Q1", EVIL_LABEL, None]):
        history = StoredHistory.find(store, "customer_id", "default", quarter.as_of)
        results.append(evaluator.evaluate(folder / quarter.label, as_of=quarter.as_of, history=history))
        if label is not None:
            with open_store(store, write=True) as opened:
                save_run(opened, evaluator, results[-1], folder / quarter.label, label=label)
    result = results[-1]
    strategic = result.customers.filter(pl.col("tier") == "strategic")["customer_id"][0]
    result.customers = result.customers.with_columns(
        pl.when(pl.col("customer_id") == strategic).then(pl.lit(EVIL_NAME)).otherwise(pl.col("name")).alias("name"))
    history = StoredHistory.find(store, "customer_id", "default", quarters[2].as_of)
    result.review = since_last_review(result, history, "Q3")
    return {"folder": folder, "store": store, "quarters": quarters, "results": results, "evil": strategic}


def _tiers(result: clientwise.Result) -> dict[str, str]:
    return dict(result.customers.select("customer_id", "tier").iter_rows())


def test_the_review_compares_with_the_previous_run(runs: dict) -> None:
    before, _, now = runs["results"][0], runs["results"][1], runs["results"][2]
    review = now.review
    assert review is not None
    assert review.previous.label == EVIL_LABEL and review.previous.as_of == runs["quarters"][1].as_of
    assert [run.label for run in review.runs] == ["Q1", EVIL_LABEL, "Q3"]
    then, current = _tiers(runs["results"][1]), _tiers(now)
    assert review.gained == len(set(current) - set(then)) and review.lost == len(set(then) - set(current))
    moved = {k for k in current if k in then and then[k] != current[k]}
    cells = {(r["from"], r["to"]): r["customers"] for r in review.migration.iter_rows(named=True)}
    assert sum(n for (a, b), n in cells.items() if a != b) == len(moved)
    rank = {"strategic": 0, "core": 1, "transactional": 2}
    rows = {r["key"]: r for r in review.customers.iter_rows(named=True)}
    for key in current:
        expected = "new" if key not in then else "same" if then[key] == current[key] else \
            "up" if rank[current[key]] < rank[then[key]] else "down"
        assert rows[key]["tier_move"] == expected
    # the sparkline: health at Q1, Q2 and now, for strategic and core customers only
    first = dict(before.customers.select("customer_id", "health_score").iter_rows())
    middle = dict(runs["results"][1].customers.select("customer_id", "health_score").iter_rows())
    for key, row in rows.items():
        if current[key] == "transactional":
            assert row["health_runs"] is None
        else:
            assert row["health_runs"] == pytest.approx(
                [first.get(key), middle.get(key), now.customers.filter(pl.col("customer_id") == key)["health_score"][0]],
                nan_ok=True)
    # new actions: not recommended to the customer at the last review (all of a gained customer's)
    old = dict(runs["results"][1].customers.select("customer_id", "actions").iter_rows())
    for key, actions in now.customers.select("customer_id", "actions").iter_rows():
        assert sorted(rows[key]["new_actions"]) == sorted(set(actions) - set(old.get(key) or []))


def test_html_report_shows_moves_chart_sparklines_and_new_actions(runs: dict) -> None:
    result = runs["results"][2]
    page = html.render(result)
    review = result.review
    assert 'href="#review"' in page and '<section class="block" id="review">' in page
    assert "Compared with the last review: run 2 (Q2 &lt;b&gt;x&lt;/b&gt; &amp; *y*), as of" in page
    assert "<b>x</b>" not in page  # the run's label is text, never markup
    # the migration chart: labelled, one cell per (then, now) with its count
    chart = page[page.index('<svg class="chart matrix"'):]
    chart = chart[:chart.index("</svg>")]
    assert 'role="img" aria-label="Tier migration since the last review' in chart
    for row in review.migration.iter_rows(named=True):
        assert f"<title>{row['from'].capitalize()} → {row['to'].capitalize()}: {row['customers']}</title>" in chart
    # a sparkline per strategic and core customer, its values as its accessible name
    reviewed = review.reviewed()
    assert page.count('<svg class="spark"') == reviewed.height
    assert "Health over the reviews: Q1 " in page and "Q2 &lt;b&gt;x&lt;/b&gt; &amp; *y* " in page
    # arrows are words, not only colours: a customer that moved down a tier says so
    down = review.customers.filter(pl.col("tier_move") == "down").row(0, named=True)
    line = page[page.index(f'<details class="customer" id="{_anchor(page, down["key"])}"'):]
    line = line[:line.index("</details>")]
    assert f"▼ down (was {down['tier_then'].capitalize()})" in line
    # new actions are marked in the action list, and only they
    marked = re.findall(r'data-action="([^"]+)"><td><a href="#c\d+">([^<]+)</a></td>.*?</tr>', page)
    new = review.new_actions(key for _, key in marked)
    rows = re.findall(r'(<tr[^>]*data-action="[^"]+"><td><a href="#c\d+">[^<]+</a></td>.*?</tr>)', page)
    assert rows and len(rows) == len(marked)
    for (rule, key), text in zip(marked, rows):
        assert ('<span class="new-mark">new</span>' in text) == ((key, rule) in new)
    assert any((key, rule) in new for rule, key in marked)


def _anchor(page: str, key: str) -> str:
    return re.search(rf'<a href="#(c\d+)">{re.escape(key)}</a>', page).group(1)


def test_customer_text_is_escaped_in_every_report(runs: dict) -> None:
    result = runs["results"][2]
    page = html.render(result)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    text = md.render(result)
    assert not re.search(r"(?<!\\)<img", text) and "\\<img src=x onerror=alert(1)\\> \\*\\*bold\\*\\* \\[link\\](http\\://x)" in text
    assert "Q2 \\<b\\>x\\</b\\> \\& \\*y\\*" in text


def test_markdown_report_has_the_review(runs: dict) -> None:
    result = runs["results"][2]
    text = md.render(result)
    section = text[text.index("## Since the last review"):]
    section = section[:section.index("\n## ", 3)]
    assert "| Then \\ Now | Strategic | Core | Transactional |" in section
    assert "**Key customers (Strategic, Core)**" in section
    assert re.search(r"\| [▁▂▃▄▅▆▇█ ]{3} \d", section)  # a text sparkline, then the values
    summary = text[text.index("**Since the last review**"):text.index("## Since the last review")]
    assert "customers changed tier" in summary and "recommended actions are new since then" in summary
    assert "*(new)*" in text[text.index("## Recommended actions"):]


def test_workbook_has_a_review_sheet_and_new_marks(runs: dict) -> None:
    result = runs["results"][2]
    data = io.BytesIO()
    XlsxWriter().write(result, data)
    book = openpyxl.load_workbook(io.BytesIO(data.getvalue()))
    assert book.sheetnames[:3] == ["Summary", "Since last review", "Customers"]
    rows = list(book["Since last review"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Customer")
    assert rows[header][:5] == ("Customer", "Name", "Tier then", "Tier now", "Tier: move")
    assert len(rows) - header - 1 == result.customers.height  # every customer, not only the key ones
    assert rows[0][0].startswith("Compared with the last review: run 2 (Q2 <b>x</b>")  # a text cell, as typed
    actions = list(book["Actions"].iter_rows(values_only=True))
    assert actions[0][-1] == "New since the last review"
    assert {row[-1] for row in actions[1:]} == {"new", None}


def test_reports_with_a_review_are_byte_identical_when_rerun(runs: dict) -> None:
    result = runs["results"][2]
    assert html.render(result) == html.render(result)
    assert md.render(result) == md.render(result)
    first, second = io.BytesIO(), io.BytesIO()
    XlsxWriter().write(result, first)
    XlsxWriter().write(result, second)
    assert first.getvalue() == second.getvalue()


def test_german_report_says_it_in_german(runs: dict) -> None:
    folder = runs["folder"]
    (folder / "deutsch.toml").write_text(GERMAN)
    quarter = runs["quarters"][2]
    evaluator = clientwise.Evaluator(str(folder / "deutsch.toml"))
    result = evaluator.evaluate(folder / quarter.label, as_of=quarter.as_of)
    # another ruleset name: the previous review is named, as --compare-with does
    result.review = since_last_review(result, StoredHistory.find(runs["store"], "customer_id", "deutsch",
                                                                 quarter.as_of, reference="Q1"))
    report = build(result)
    sentences = report.executive.review
    assert sentences[0].startswith("Verglichen mit der letzten Überprüfung: run 1 (Q1), Stichtag ")
    assert any("Kunden haben die Stufe gewechselt" in s for s in sentences)
    assert any("kamen hinzu" in s and "€" in s for s in sentences)
    assert any("Das Regelwerk hat sich seitdem geändert (default 1.0.0 damals, deutsch 1 heute)" in s
               for s in sentences)
    page = html.render(result)
    assert "Seit der letzten Überprüfung" in page and "Stufenwechsel" in page
    assert re.search(r"(▲ gestiegen|▼ gesunken|= unverändert) \(war ", page)


def test_without_a_previous_run_reports_are_unchanged(runs: dict, invoke, tmp_path: Path) -> None:
    """No store, a store without an earlier run, and --compare-with none give the same bytes."""
    quarter = runs["quarters"][0]
    data = runs["folder"] / quarter.label
    outputs = {}
    for name, extra in (("none", ["--store", str(tmp_path / "absent.duckdb")]),
                        ("first", ["--store", str(runs["store"])]),  # Q1 is the store's earliest run
                        ("off", ["--store", str(runs["store"]), "--compare-with", "none"])):
        for suffix in ("html", "md"):
            out = tmp_path / f"{name}.{suffix}"
            done = invoke("evaluate", "default", str(data), "--as-of", quarter.as_of.isoformat(), "-o", str(out),
                          *extra)
            assert done.code == 0, done.output
            outputs[name, suffix] = out.read_bytes()
    for suffix in ("html", "md"):
        assert outputs["none", suffix] == outputs["first", suffix] == outputs["off", suffix]
    assert b"Since the last review" not in outputs["none", "html"] and b"new-mark" not in outputs["none", "html"]


def _evaluate_quarter(invoke, runs: dict, quarter, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    """``clientwise evaluate`` of one stored quarter's data into ``out``, with the runs' store."""
    return invoke("evaluate", "default", str(runs["folder"] / quarter.label), "--as-of", quarter.as_of.isoformat(),
                  "-o", str(out), "--store", str(runs["store"]), *extra)


def test_evaluate_writes_the_review_and_says_which_run(runs: dict, invoke, tmp_path: Path) -> None:
    quarter = runs["quarters"][2]
    out = tmp_path / "q3.html"
    done = _evaluate_quarter(invoke, runs, quarter, out)
    assert done.code == 0, done.output
    assert (f"the report compares with run 2 (Q2 <b>x</b> & *y*), as of {runs['quarters'][1].as_of} "
            f"from {runs['store']}") in done.stderr
    page = out.read_text(encoding="utf-8")
    assert 'id="review-findings"' in page and 'id="review-migration"' in page
    csv = tmp_path / "q3.csv"  # a machine-readable output has no review: nothing is compared
    done = _evaluate_quarter(invoke, runs, quarter, csv)
    assert "the report compares" not in done.stderr


def test_an_older_quarter_is_compared_with_the_run_before_it(runs: dict, invoke, tmp_path: Path) -> None:
    """Re-running Q2's report compares it with Q1, never with itself or a later run."""
    quarter = runs["quarters"][1]
    out = tmp_path / "q2.md"
    done = _evaluate_quarter(invoke, runs, quarter, out)
    assert done.code == 0, done.output
    assert "Compared with the last review: run 1 (Q1), as of " + \
        f"{runs['quarters'][0].as_of:%d/%m/%Y}." in out.read_text(encoding="utf-8")


def test_compare_with_names_the_review(runs: dict, invoke, tmp_path: Path) -> None:
    quarter = runs["quarters"][2]
    done = _evaluate_quarter(invoke, runs, quarter, tmp_path / "q3.md", "--compare-with", "Q1")
    assert done.code == 0, done.output
    text = (tmp_path / "q3.md").read_text(encoding="utf-8")
    assert "Compared with the last review: run 1 (Q1)" in text
    assert "Health over the reviews (Q1, " in text  # the sparklines start at the named run

"""clientwise compare: every part checked against a direct computation, the ruleset-change
split, results files, and the reports with hostile customer text."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import clientwise
from clientwise.cli.app import cli
from clientwise.history.review import review
from clientwise.history.save import save_run
from clientwise.history.store import open_store
from clientwise.sample import evolve, write

TOP5 = 'extends = "default"\n[metadata]\nname = "top5"\nversion = "1"\n[[segmentation.tiers]]\nid = "strategic"\nshare = 0.05\n'
EVIL = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> | *bold* [link](http://x)'


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Three quarters on disk, saved as runs 1-3 (default); run 4 is Q3's data under the top-5% ruleset."""
    folder = tmp_path_factory.mktemp("quarters")
    quarters = evolve(300, 3)
    for quarter in quarters:
        write(quarter.tables, folder / quarter.label)
    (folder / "top5.toml").write_text(TOP5)
    store = folder / "runs.duckdb"
    results = {}
    with open_store(store, write=True) as opened:
        for label, ruleset, quarter in (("q2", "default", quarters[0]), ("q3", "default", quarters[1]),
                                        ("q4", "default", quarters[2]), ("q3-top5", str(folder / "top5.toml"), quarters[1])):
            evaluator = clientwise.Evaluator(ruleset)
            results[label] = evaluator.evaluate(folder / quarter.label, as_of=quarter.as_of)
            save_run(opened, evaluator, results[label], folder / quarter.label, label=label)
    return {"folder": folder, "store": store, "results": results, "quarters": quarters}


def test_compare_agrees_with_a_direct_computation(portfolio: dict) -> None:
    a, b = portfolio["results"]["q2"], portfolio["results"]["q3"]
    c = review(["q2", "q3"], portfolio["store"])
    ids_a, ids_b = set(a.customers["customer_id"]), set(b.customers["customer_id"])
    assert set(c.gained["customer_id"]) == ids_b - ids_a and len(ids_b - ids_a) > 0
    assert set(c.lost["customer_id"]) == ids_a - ids_b and len(ids_a - ids_b) > 0
    pareto = b.summary("segmentation").tables["pareto"]
    revenue = dict(zip(pareto["customer_id"], pareto["measure"]))
    assert c.gained["measure"].to_list() == sorted((revenue[k] for k in ids_b - ids_a), reverse=True)
    joined = a.customers.join(b.customers, on="customer_id", suffix="_b")
    tiers = {m.output: m for m in c.migrations}
    for row in joined.group_by("tier", "tier_b").agg(pl.len(), pl.col("customer_id")).iter_rows(named=True):
        cell = tiers["tier"].matrix.filter((pl.col("from") == row["tier"]) & (pl.col("to") == row["tier_b"]))
        assert cell["customers"].item() == row["len"]
        assert cell["measure"].item() == pytest.approx(sum(revenue[k] for k in row["customer_id"]))
    assert tiers["tier"].order == ["strategic", "core", "transactional"]
    assert tiers["health_band"].order == ["red", "yellow", "green"] and tiers["health_band"].moved > 0
    drops = joined.filter(pl.col("health_score_b") < pl.col("health_score"))
    assert c.health_drops.height == drops.height > 0 and c.health_drops["health_score_change"].is_sorted()
    new = resolved = persisting = 0
    for row in joined.select("actions", "actions_b").iter_rows():
        new += len(set(row[1]) - set(row[0]))
        resolved += len(set(row[0]) - set(row[1]))
        persisting += len(set(row[0]) & set(row[1]))
    assert (c.actions["new"].sum(), c.actions["resolved"].sum(), c.actions["persisting"].sum()) == (new, resolved, persisting)
    questions = b.summary("checklist").tables["questions"]
    assert c.checklist["yes_now"].to_list() == questions["yes_share"].to_list()
    assert dict((label, now) for label, _, _, now in c.headline)["value destroyers (share of customers)"] == \
        b.summary("profitability").figures["value_destroyer_share"]
    assert c.ruleset_change is None and c.tier_mix["customers_now"].sum() == b.customers.height


def test_a_ruleset_change_over_the_same_data_is_all_criteria(portfolio: dict) -> None:
    c = review(["q3", "q3-top5"], portfolio["store"])
    assert c.ruleset_change is not None and c.ruleset_change.split
    tier = next(m for m in c.migrations if m.output == "tier")
    assert tier.moved > 0 and tier.causes == {"criteria": tier.moved, "data": 0, "both": 0}
    assert tier.criteria.equals(tier.matrix)
    assert tier.data.filter(pl.col("from") != pl.col("to")).height == 0
    code, out = invoke("compare", "q3", "q3-top5", "--store", str(portfolio["store"]))
    assert code == 0 and "The runs used different rulesets" in out
    assert f"of the moves: {tier.moved} by the criteria alone, 0 by the data alone, 0 by both" in out


def test_a_ruleset_change_with_new_data_is_split_and_without_the_old_input_it_cannot_be(portfolio: dict,
                                                                                      tmp_path: Path) -> None:
    c = review(["q2", "q3-top5"], portfolio["store"])
    tier = next(m for m in c.migrations if m.output == "tier")
    assert c.ruleset_change.split and tier.causes["criteria"] > 0 and tier.causes["data"] > 0
    assert sum(tier.causes.values()) == tier.moved
    # the same comparison after the older input changed on disk
    folder = portfolio["folder"]
    original = (folder / "2026-Q2" / "customers.csv").read_bytes()
    try:
        (folder / "2026-Q2" / "customers.csv").write_bytes(original + b"\n")
        c = review(["q2", "q3-top5"], portfolio["store"])
    finally:
        (folder / "2026-Q2" / "customers.csv").write_bytes(original)
    assert not c.ruleset_change.split and "customers.csv has changed since the run" in c.ruleset_change.reason
    assert all(m.criteria is None for m in c.migrations)
    code, out = invoke("compare", "q2", "q3-top5", "--store", str(portfolio["store"]), "--no-split")
    assert code == 0 and "Splitting the effect of the criteria from that of the data is not possible" in out


def test_results_files_compare_like_stored_runs(portfolio: dict, tmp_path: Path) -> None:
    folder, quarters = portfolio["folder"], portfolio["quarters"]
    files = []
    for quarter in quarters[:2]:
        target = tmp_path / f"{quarter.label}.json"
        code, out = invoke("evaluate", "default", str(folder / quarter.label), "--as-of", quarter.as_of.isoformat(),
                           "-o", str(target))
        assert code == 0, out
        files.append(str(target))
    from_files = review(files, portfolio["store"])
    stored = review(["q2", "q3"], portfolio["store"])
    assert from_files.key == "key" and from_files.gained["key"].to_list() == stored.gained["customer_id"].to_list()
    for mine, theirs in zip(from_files.migrations, stored.migrations, strict=True):  # in memory, and by DuckDB
        assert mine.matrix.drop("measure").equals(theirs.matrix.drop("measure"))
        assert mine.matrix["measure"].to_list() == pytest.approx(theirs.matrix["measure"].to_list(), rel=1e-12)
    for part in ("gained", "lost", "health_drops", "action_customers"):
        assert getattr(from_files, part).rename({"key": "customer_id"}).equals(getattr(stored, part)), part
    assert from_files.actions.equals(stored.actions)
    mixed = review([files[0], "q3-top5"], portfolio["store"])
    assert not mixed.ruleset_change.split and "results file" in mixed.ruleset_change.reason
    code, out = invoke("compare", files[0], "q3", "--store", str(portfolio["store"]), "--json")
    data = json.loads(out)
    assert code == 0 and data["then"]["run_id"] is None and data["now"]["label"] == "q3"
    assert len(data["gained"]) == stored.gained.height and len(data["scores"]["customers"]) == stored.scores.height


def test_compare_needs_two_runs_and_says_so(tmp_path: Path) -> None:
    store = tmp_path / "one.duckdb"
    assert invoke("demo", "-o", str(tmp_path / "d.csv"), "--save", "--store", str(store))[0] == 0
    code, out = invoke("compare", "--store", str(store))
    assert code == 2 and "no 'previous' run" in out
    code, out = invoke("compare", "1", "2", "3", "--store", str(store))
    assert code == 2 and "at most two runs" in out
    code, out = invoke("compare", "1", "1", "--store", str(store), "-o", str(tmp_path / "r.pdf"))
    assert code == 2 and ".html, .md or .xlsx" in out


@pytest.fixture(scope="module")
def hostile(portfolio: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose newer run gained a customer named with markup, a formula and Markdown."""
    folder = tmp_path_factory.mktemp("hostile")
    q2, q3 = portfolio["quarters"][:2]
    new = sorted(set(q3.tables["customers"]["customer_id"]) - set(q2.tables["customers"]["customer_id"]))[0]
    tables = dict(q3.tables)
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") == new).then(pl.lit(EVIL)).otherwise(pl.col("name")).alias("name"))
    with open_store(folder / "s.duckdb", write=True) as store:
        for quarter_tables, day in ((q2.tables, q2.as_of), (tables, q3.as_of)):
            evaluator = clientwise.Evaluator("default")
            save_run(store, evaluator, evaluator.evaluate(quarter_tables, as_of=day), None)
    return folder


def test_reports_escape_customer_text(hostile: Path) -> None:
    store = str(hostile / "s.duckdb")
    for suffix in ("html", "md", "xlsx"):
        code, out = invoke("compare", "--store", store, "-o", str(hostile / f"review.{suffix}"))
        assert code == 0, out
    html = (hostile / "review.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    markdown = (hostile / "review.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and r"\<script\>" in markdown and r"\| \*bold\* \[link\]" in markdown
    with zipfile.ZipFile(hostile / "review.xlsx") as book:
        sheets = {name: book.read(name).decode("utf-8") for name in book.namelist() if name.startswith("xl/worksheets")}
        styles = book.read("xl/styles.xml").decode("utf-8")
    assert not any("<f>" in xml for xml in sheets.values())  # nothing became a formula
    assert 'quotePrefix="1"' in styles
    from openpyxl import load_workbook

    gained = load_workbook(hostile / "review.xlsx")["Gained"]
    names = [row[1] for row in gained.iter_rows(values_only=True)]
    assert EVIL in names
    code, out = invoke("compare", "--store", store)
    assert code == 0 and "<script>alert(1)</script>" in out  # the terminal shows it as text
    first = (hostile / "review.xlsx").read_bytes()
    invoke("compare", "--store", store, "-o", str(hostile / "review.xlsx"))
    assert (hostile / "review.xlsx").read_bytes() == first  # the same comparison, the same bytes


def test_the_terminal_view_leaves_out_only_what_it_does_not_show(portfolio: dict) -> None:
    """Without detail (the terminal view) the per-customer lists are left out, and the text is the same."""
    from clientwise.history.render import render_text

    full = review(["q2", "q3"], portfolio["store"], detail=True)
    brief = review(["q2", "q3"], portfolio["store"], detail=False)
    assert render_text(brief) == render_text(full)
    assert brief.scores.height == 0 and brief.action_customers.height == 0 and brief.health_drops.height <= 15
    assert full.scores.height > 0 and full.action_customers.height > 0
    assert brief.health_drop_count == full.health_drops.height == int((full.scores["health_score_change"] < 0).sum())
    assert brief.score_summary.equals(full.score_summary)

"""Missing data is unknown, never "no": exports without whole tables or declared columns.

A client ruleset that ``extends = "default"`` must run on an accounts export alone
(key, name, revenue, a margin): tiers, profit classes and the actions that data
supports, with everything computed from the missing tables and columns unknown (not
0, not "no"), no action fired because of the gap, and the gap listed in the output.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import clientwise
from clientwise.errors import DataError, RulesetError

AS_OF = "2026-06-30"
#: revenue (descending) and gross margin of 20 accounts; two lose money
ACCOUNTS = [(f"A{i:02d}", f"Account {i}", 100_000.0 - 4_000 * i, margin)
            for i, margin in enumerate([0.3, 0.25, -0.4, 0.2, 0.1, 0.35, 0.05, 0.3, 0.2, 0.15,
                                        0.1, 0.12, -0.05, 0.22, 0.3, 0.18, 0.2, 0.1, 0.25, 0.3])]
#: actions that rules would fire merely because a table or column is missing
ABSENCE_ACTIONS = {"retention_plan", "assign_sponsor", "sponsor_visit", "relationship_plan", "fix_support_root_cause",
                   "multi_thread", "pricing_discussion", "share_roadmap", "measure_satisfaction",
                   "review_relationship_map"}


def accounts_only(directory: Path) -> Path:
    directory.mkdir()
    lines = ["Account ID;Account Name;Revenue;Margin"]
    lines += [f"{key};{name};{revenue:.2f};{margin}" for key, name, revenue, margin in ACCOUNTS]
    (directory / "Accounts_Export_2026-06-30.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


CLIENT = """
extends = "default"

[data.customers]
files = ["Accounts_Export_*.csv"]
rename = { "Account ID" = "customer_id", "Account Name" = "name", "Revenue" = "revenue", "Margin" = "gross_margin" }
"""


@pytest.fixture
def client(tmp_path: Path) -> tuple[Path, Path]:
    ruleset = tmp_path / "client.toml"
    ruleset.write_text(CLIENT, encoding="utf-8")
    return ruleset, accounts_only(tmp_path / "exports")


def by_key(result: clientwise.Result, column: str) -> dict[str, object]:
    return dict(zip(result.customers["customer_id"], result.customers[column].to_list()))


def test_extends_default_runs_on_an_accounts_export_alone(client: tuple[Path, Path]) -> None:
    ruleset, data = client
    result = clientwise.evaluate(ruleset, data, as_of=AS_OF)
    tiers = by_key(result, "tier")
    # by revenue: the top 10% (2 accounts) strategic, the next 30% (6) core, the rest transactional
    assert [tiers[key] for key, *_ in ACCOUNTS] == ["strategic"] * 2 + ["core"] * 6 + ["transactional"] * 12
    # profit is gross profit: every cost driver's units are unknown (costed at 0, and said so)
    profit = by_key(result, "profit")
    assert profit == pytest.approx({key: revenue * margin for key, _, revenue, margin in ACCOUNTS})
    classes = by_key(result, "value_class")
    assert classes["A02"] == "value_destroyer" and classes["A12"] == "value_destroyer"
    assert all(value is not None for value in classes.values())
    # computed from the missing tables and columns: unknown, not 0 or "no"
    for column in ("health_score", "health_band", "roles_covered", "active_threads", "checklist_pct",
                   "checklist_sponsor_visited", "checklist_satisfaction_known", "support_abuse"):
        assert result.customers[column].null_count() == len(ACCOUNTS), column
    # the actions this data supports, and none because of what it lacks
    fired = set(result.actions["rule"])
    assert fired & ABSENCE_ACTIONS == set()
    actions = by_key(result, "actions")
    assert actions["A02"] == ["consider_exit", "annual_review"]  # core, profit below -25% of revenue
    assert actions["A12"] == ["reprice", "move_to_self_service"]  # transactional, a small loss
    assert actions["A00"] == [] and actions["A03"] == ["annual_review"]


def test_the_gap_is_listed_section_by_section(client: tuple[Path, Path]) -> None:
    ruleset, data = client
    result = clientwise.evaluate(ruleset, data, as_of=AS_OF)
    gaps = {f.section: f for f in result.findings if f.kind == "not_computed"}
    # segmentation is not listed: without override columns no override applies, and tiers are computed
    assert set(gaps) == {"derive", "checklist", "profitability", "relationship", "rules"}
    assert "the export has no contacts table" in gaps["relationship"].message
    assert "health_score" in gaps["relationship"].examples and "health_band" in gaps["relationship"].examples
    assert "the export has no interactions table" in gaps["checklist"].message
    assert "'satisfaction_score'" in gaps["checklist"].message
    assert "checklist_sponsor_visited" in gaps["checklist"].examples
    assert "action rule 'assign_sponsor'" in gaps["rules"].examples
    assert all(finding.render() in result.warnings for finding in gaps.values())
    relationship = result.summary("relationship")
    assert relationship is not None and relationship.figures["fully_covered"] is None
    assert any("relationship health not computed" in w for w in relationship.warnings)
    assert not any("have no budget holder" in w for w in relationship.warnings)


def test_the_command_line_writes_the_result_and_says_what_is_missing(client: tuple[Path, Path], invoke,
                                                                      tmp_path: Path) -> None:
    ruleset, data = client
    out = tmp_path / "result.json"
    code, _, err = invoke("evaluate", str(ruleset), str(data), "--as-of", AS_OF, "-o", str(out))
    assert code == 0, err
    assert "relationship: not computed (no data: the export has no contacts table" in err
    document = json.loads(out.read_text(encoding="utf-8"))
    assert any("relationship: not computed" in w for w in document["warnings"])


def test_a_missing_related_column_makes_its_aggregates_unknown(tmp_path: Path, demo_data: Path) -> None:
    """Interactions without by_sponsor: no sponsor visit is known, so none is "missing"."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("customers", "contacts"):
        (data / f"{name}.csv").write_bytes((demo_data / f"{name}.csv").read_bytes())
    pl.read_csv(demo_data / "interactions.csv").drop("by_sponsor").write_csv(data / "interactions.csv")
    full = clientwise.evaluate("default", demo_data, as_of=AS_OF)
    result = clientwise.evaluate("default", data, as_of=AS_OF)
    assert result.customers["checklist_sponsor_visited"].null_count() == result.customers.height
    assert full.customers["checklist_sponsor_visited"].null_count() < full.customers.height
    assert "sponsor_visit" in set(full.actions["rule"]) and "sponsor_visit" not in set(result.actions["rule"])
    # what does not read by_sponsor is unchanged
    for column in ("tier", "profit", "health_score", "checklist_pricing_discussed"):
        assert result.customers[column].to_list() == full.customers[column].to_list(), column
    [gap] = [f for f in result.findings if f.kind == "not_computed" and f.section == "derive"]
    assert "has no column 'by_sponsor'" in gap.message and gap.examples == ("last_sponsor_visit",)


def test_a_scorecard_that_counts_unknown_as_no_is_unknown_without_its_input(tmp_path: Path, demo_data: Path) -> None:
    """Relationship health counts an unknown measure as 0 points; without the map review
    column every customer would lose 10 points for a gap in the export, so the score is unknown."""
    data = tmp_path / "data"
    data.mkdir()
    pl.read_csv(demo_data / "customers.csv").drop("relationship_map_reviewed").write_csv(data / "customers.csv")
    for name in ("contacts", "interactions"):
        (data / f"{name}.csv").write_bytes((demo_data / f"{name}.csv").read_bytes())
    result = clientwise.evaluate("default", data, as_of=AS_OF)
    assert result.customers["health_score"].null_count() == result.customers.height
    assert result.customers["roles_covered"].null_count() == 0  # contacts are there: computed
    [gap] = [f for f in result.findings if f.kind == "not_computed" and f.section == "relationship"]
    assert "'relationship_map_reviewed'" in gap.message and "health_score" in gap.examples


def test_evaluate_one_uses_the_batch_gaps(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pl.DataFrame(ACCOUNTS, schema=["customer_id", "name", "revenue", "gross_margin"], orient="row").write_csv(
        data / "customers.csv")
    with clientwise.Evaluator("default") as evaluator:
        batch = evaluator.evaluate(data, as_of=AS_OF)
        key, name, revenue, margin = ACCOUNTS[3]
        one = evaluator.evaluate_one({"customer_id": key, "name": name, "revenue": revenue, "gross_margin": margin})
    assert one.customers.row(0, named=True) == batch.customers.filter(pl.col("customer_id") == key).row(0, named=True)
    assert one.customers["health_score"].to_list() == [None]


def test_a_table_not_declared_optional_is_still_required(write_ruleset, tmp_path: Path) -> None:
    ruleset = write_ruleset(CLIENT + "\n[data.contacts]\noptional = false\n")
    with pytest.raises(DataError) as raised:
        clientwise.evaluate(ruleset, accounts_only(tmp_path / "exports"), as_of=AS_OF)
    assert "the ruleset needs the 'contacts' table, but the data has none" in str(raised.value)


def test_customers_cannot_be_optional(write_ruleset) -> None:
    with pytest.raises(RulesetError) as raised:
        clientwise.load_ruleset(write_ruleset('extends = "default"\n[data.customers]\noptional = true\n'))
    assert "the customers table is always required" in str(raised.value)


def test_the_durable_engine_gives_the_same_result(client: tuple[Path, Path]) -> None:
    """Rules made unknown reach every engine as an unknown condition."""
    ruleset, data = client
    polars_result = clientwise.evaluate(ruleset, data, as_of=AS_OF)
    durable_result = clientwise.evaluate(ruleset, data, as_of=AS_OF, engine="durable")
    assert durable_result.customers.equals(polars_result.customers)
    assert durable_result.actions.equals(polars_result.actions)


@pytest.mark.parametrize("suffix", ["html", "md", "xlsx"])
def test_the_reports_say_what_is_not_computed(client: tuple[Path, Path], invoke, tmp_path: Path, suffix: str) -> None:
    ruleset, data = client
    out = tmp_path / f"report.{suffix}"
    run = invoke("evaluate", str(ruleset), str(data), "--as-of", AS_OF, "-o", str(out))
    assert run.code == 0, run.output
    if suffix == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(out, read_only=True)
        text = "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    else:
        text = out.read_text(encoding="utf-8")
    assert "relationship: not computed (no data: the export has no contacts table" in text
    assert "There is no contact data, so relationship health is unknown for every customer." in text  # for a reader

"""Trend functions: previous, change, runs_since and days_since_review over real run stores,
over histories given in memory, in ``clientwise test`` cases, and the default ruleset's trend rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import clientwise
from clientwise.errors import RulesetError
from clientwise.history.save import save_run
from clientwise.history.store import open_store
from clientwise.history.trend import StoredHistory
from clientwise.runtime.evaluator import parse_ruleset
from clientwise.runtime.trend import GivenHistory
from clientwise.sample import evolve, generate, write

TREND = '''
extends = "default"
[metadata]
name = "trendy"
version = "1"
[derive]
health_before = { expr = "previous(health_score)" }
health_change = { expr = "change(health_score)" }
red_runs = { expr = "runs_since(health_band == 'red')" }
since_review = { expr = "days_since_review()" }
'''
Q = [dt.date(2026, 3, 31), dt.date(2026, 6, 30)]


def _frame(result: clientwise.Result, *columns: str) -> dict[str, dict]:
    frame = result.tracer.frame  # derived fields are kept for explanations
    return {row["customer_id"]: row for row in frame.select("customer_id", *columns).iter_rows(named=True)}


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Four quarters of the sample portfolio on disk, and the first three saved with the trend ruleset."""
    folder = tmp_path_factory.mktemp("trend")
    found = evolve(200, 4)
    for quarter in found:
        write(quarter.tables, folder / quarter.label)
    (folder / "trendy.toml").write_text(TREND)
    store = folder / "clientwise-runs.duckdb"
    evaluator = clientwise.Evaluator(str(folder / "trendy.toml"))
    results = []
    for quarter in found[:3]:
        history = StoredHistory.find(store, "customer_id", "trendy", quarter.as_of)
        results.append(evaluator.evaluate(folder / quarter.label, as_of=quarter.as_of, history=history))
        with open_store(store, write=True) as opened:
            save_run(opened, evaluator, results[-1], folder / quarter.label, label=quarter.label)
    return {"folder": folder, "store": store, "quarters": found, "results": results, "evaluator": evaluator}


def test_trend_functions_read_the_previous_stored_run(quarters: dict) -> None:
    first, second, third = quarters["results"]
    assert first.history is None  # no store yet: nothing earlier
    assert second.history == f"run 1 ({quarters['quarters'][0].label}), as of {quarters['quarters'][0].as_of}"
    before = _frame(first, "health_score", "health_band")
    now = _frame(second, "health_score", "health_band", "health_before", "health_change", "red_runs", "since_review")
    days = (quarters["quarters"][1].as_of - quarters["quarters"][0].as_of).days
    for key, row in now.items():
        if key not in before:  # a customer gained this quarter: unknown, never "no"
            assert row["health_before"] is None and row["health_change"] is None and row["since_review"] is None
            assert row["red_runs"] in (None, 0)
            assert (row["red_runs"] is None) == (row["health_band"] == "red")
            continue
        assert row["health_before"] == pytest.approx(before[key]["health_score"])
        assert row["health_change"] == pytest.approx(row["health_score"] - before[key]["health_score"])
        assert row["since_review"] == days
        red_now, red_then = row["health_band"] == "red", before[key]["health_band"] == "red"
        assert row["red_runs"] == (0 if not red_now else 2 if red_then else 1)
    assert any(k not in before for k in now) and any(r["red_runs"] == 2 for r in now.values())


def test_runs_since_counts_the_runs_in_a_row_back_through_the_store(quarters: dict) -> None:
    bands = [_frame(r, "health_band") for r in quarters["results"]]
    third = _frame(quarters["results"][2], "health_band", "red_runs")
    for key, row in third.items():
        if row["health_band"] != "red":
            assert row["red_runs"] == 0
            continue
        if key not in bands[1]:
            assert row["red_runs"] is None
            continue
        expected = 1
        for earlier in (bands[1], bands[0]):
            if earlier.get(key, {}).get("health_band") != "red":
                break
            expected += 1
        assert row["red_runs"] == expected
    assert any(r["red_runs"] == 3 for r in third.values())


def test_compare_with_names_the_previous_run_and_none_ignores_the_store(quarters: dict) -> None:
    fourth = quarters["quarters"][3]
    chosen = StoredHistory.find(quarters["store"], "customer_id", "trendy", fourth.as_of, reference="1")
    assert chosen is not None and [e.run_id for e in chosen.earlier] == [1]
    result = quarters["evaluator"].evaluate(quarters["folder"] / fourth.label, as_of=fourth.as_of, history=chosen)
    days = (fourth.as_of - quarters["quarters"][0].as_of).days
    assert {r["since_review"] for r in _frame(result, "since_review").values()} <= {days, None}
    latest = StoredHistory.find(quarters["store"], "customer_id", "trendy", fourth.as_of)
    assert latest is not None and [e.run_id for e in latest.earlier] == [3, 2, 1]
    assert StoredHistory.find(quarters["store"], "customer_id", "trendy", fourth.as_of, reference="none") is None
    other = StoredHistory.find(quarters["store"], "customer_id", "another-ruleset", fourth.as_of)
    assert other is not None and other.describe() is None  # no run of that name: all unknown


def test_evaluate_cli_reads_the_store_and_default_trend_rules_name_both_values(tmp_path: Path, invoke) -> None:
    found = evolve(300, 2)
    for quarter in found:
        write(quarter.tables, tmp_path / quarter.label)
    store = tmp_path / "runs.duckdb"
    first = invoke("evaluate", "default", str(tmp_path / found[0].label), "--as-of", found[0].as_of.isoformat(),
                   "-o", str(tmp_path / "q1.json"), "--save", "--store", str(store), "--label", "Q1")
    assert first.code == 0, first.output
    assert "trend functions" not in first.stderr  # no store yet: nothing to read, nothing said
    second = invoke("evaluate", "default", str(tmp_path / found[1].label), "--as-of", found[1].as_of.isoformat(),
                    "-o", str(tmp_path / "q2.csv"), "--store", str(store))
    assert second.code == 0, second.output
    assert f"trend functions read run 1 (Q1), as of {found[0].as_of}" in second.stderr
    with_history = clientwise.Evaluator("default")
    history = StoredHistory.find(store, "customer_id", "default", found[1].as_of)
    result = with_history.evaluate(tmp_path / found[1].label, as_of=found[1].as_of, history=history)
    before = clientwise.evaluate("default", tmp_path / found[0].label, as_of=found[0].as_of)
    old = dict(zip(before.customers["customer_id"], before.customers["health_score"]))
    falling = result.actions.filter(pl.col("rule") == "health_falling")
    expected = {k for k, h in zip(result.customers["customer_id"], result.customers["health_score"])
                if k in old and h is not None and old[k] is not None and h - old[k] <= -20}
    assert set(falling["customer_id"]) == expected and expected
    row = falling.row(0, named=True)
    now = dict(zip(result.customers["customer_id"], result.customers["health_score"]))[row["customer_id"]]
    assert f"from {old[row['customer_id']]:.0f} to {now:.0f}" in row["because"]
    lost = result.actions.filter(pl.col("rule") == "lost_strategic")["customer_id"].to_list()
    tiers_then = dict(zip(before.customers["customer_id"], before.customers["tier"]))
    assert lost == sorted(k for k, t in zip(result.customers["customer_id"], result.customers["tier"])
                          if tiers_then.get(k) == "strategic" and t != "strategic")
    csv = pl.read_csv(tmp_path / "q2.csv")
    assert not [c for c in csv.columns if "trend" in c]  # hidden columns never reach an output
    none = invoke("evaluate", "default", str(tmp_path / found[1].label), "--as-of", found[1].as_of.isoformat(),
                  "-o", str(tmp_path / "none.csv"), "--store", str(store), "--compare-with", "none")
    assert none.code == 0 and "trend functions" not in none.stderr


def test_without_history_the_default_trend_rules_stay_quiet(demo_data: Path) -> None:
    result = clientwise.evaluate("default", demo_data, as_of="2026-06-30")
    assert result.history is None
    assert result.actions.filter(pl.col("rule").is_in(["health_falling", "lost_strategic",
                                                         "persistent_destroyer"])).height == 0
    assert "trend" not in " ".join(result.customers.columns)


def test_given_history_in_the_python_api_and_evaluate_one() -> None:
    ruleset = parse_ruleset(TREND)
    tables = generate(3)  # customers C00001 .. C00003
    a, b, c = tables["customers"]["customer_id"].to_list()
    history = GivenHistory.from_records("customer_id", [
        (dt.date(2026, 3, 31), [{"customer_id": a, "health_score": 50.0, "health_band": "red"},
                                {"customer_id": b, "health_score": None, "health_band": None}]),
        (dt.date(2025, 12, 31), [{"customer_id": a, "health_band": "red"},
                                 {"customer_id": c, "health_band": "red"}]),
    ])
    with clientwise.Evaluator(ruleset) as evaluator:
        result = evaluator.evaluate(tables, as_of="2026-06-30", history=history)
        rows = _frame(result, "health_score", "health_band", "health_before", "health_change", "red_runs",
                      "since_review")
        assert result.history == "earlier run 1"
        assert rows[a]["health_before"] == 50.0 and rows[a]["health_change"] == rows[a]["health_score"] - 50
        assert rows[b]["health_before"] is None and rows[b]["health_change"] is None  # unknown then
        assert rows[c]["health_before"] is None and rows[c]["health_change"] is None  # not in the previous run
        assert rows[a]["since_review"] == 91 and rows[c]["since_review"] == 181
        red = {k: r["health_band"] == "red" for k, r in rows.items()}
        assert rows[a]["red_runs"] == (3 if red[a] else 0)
        assert rows[b]["red_runs"] == (1 if red[b] else 0)  # unknown in the previous run ends the count
        assert rows[c]["red_runs"] == (None if red[c] else 0)  # the previous run lacks C
        one = evaluator.evaluate_one(tables["customers"].row(0, named=True))
        assert one.tracer is not None
        assert one.tracer.frame.select("health_before", "red_runs", "since_review").row(0) == \
            (50.0, rows[a]["red_runs"], 91)


@pytest.mark.parametrize(("expression", "message"), [
    ("previous(revenue + 1)", "previous() takes a field"),
    ("count_of(interactions, previous(health_score) > 1)", "cannot be used inside count_of()"),
    ("runs_since(revenue)", "must be a condition"),
    ("change(tier)", "must be a number field"),
])
def test_trend_calls_are_checked_before_any_data(expression: str, message: str) -> None:
    text = TREND + f'bad = {{ expr = "{expression}" }}\n'
    with pytest.raises(RulesetError) as error:
        clientwise.Evaluator(parse_ruleset(text))
    assert message in error.value.render()


CASES = '''extends = "default"

[metadata]
name = "acme"
version = "1"

[[tests]]
id = "health_falling"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 100000, gross_margin = 0.3 }]
previous = [{ as_of = 2026-03-31, customers = [{ customer_id = "C1", health_score = 95, tier = "strategic" }] }]
expect = { actions = ["health_falling"], not_actions = ["lost_strategic"] }

[[tests]]
id = "no_history_is_quiet"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 100000, gross_margin = 0.3 }]
expect = { not_actions = ["health_falling", "lost_strategic", "persistent_destroyer"] }

[[tests]]
id = "destroyer_three_times"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 100000, gross_margin = 0.01, discounts = 20000 }]
previous = [{ customers = [{ customer_id = "C1", value_class = "value_destroyer" }] },
            { customers = [{ customer_id = "C1", value_class = "value_destroyer" }] }]
expect = { actions = ["persistent_destroyer"], value_class = "value_destroyer" }

[[tests]]
id = "destroyer_twice_is_not_enough"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 100000, gross_margin = 0.01, discounts = 20000 }]
previous = [{ customers = [{ customer_id = "C1", value_class = "value_destroyer" }] },
            { customers = [{ customer_id = "C1", value_class = "neutral" }] }]
expect = { not_actions = ["persistent_destroyer"] }
'''


def test_clientwise_test_cases_give_previous_runs(tmp_path: Path, invoke) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(CASES)
    done = invoke("test", str(path))
    assert done.code == 0, done.output
    assert "4 passed" in done.output
    path.write_text(CASES.replace('expect = { not_actions = ["persistent_destroyer"] }',
                                  'expect = { actions = ["persistent_destroyer"] }'))
    failed = invoke("test", str(path))
    assert failed.code != 0 and "FAIL  destroyer_twice_is_not_enough" in failed.output
    assert "runs_since(value_class == 'value_destroyer') >= 3" in failed.output


def test_a_bad_previous_record_is_located_in_the_case(tmp_path: Path, invoke) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(CASES + '''
[[tests]]
id = "bad"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 1000 }]
previous = [{ customers = [{ helth_score = 3 }] }]
expect = { }
''')
    done = invoke("test", str(path))
    assert done.code == 2 and "ERROR bad" in done.output
    assert "tests[4].previous[0].customers[0]: this earlier run's customer has no 'customer_id'" in done.output
    assert "tests[4].previous[0].customers[0].helth_score" in done.output and "did you mean 'health_score'" in done.output


def test_check_says_trend_rules_need_a_store(invoke) -> None:
    done = invoke("check", "default")
    assert done.code == 0
    assert "read earlier saved runs of 'default'" in done.output and "not applicable" in done.output


def test_compare_with_errors(tmp_path: Path, invoke, demo_data: Path) -> None:
    missing = invoke("evaluate", "default", str(demo_data), "-o", str(tmp_path / "x.csv"),
                     "--store", str(tmp_path / "none.duckdb"), "--compare-with", "2026-Q1")
    assert missing.code == 2 and "there is no run store here" in missing.output
    plain = tmp_path / "plain.toml"
    plain.write_text('[metadata]\nname = "plain"\nversion = "1"\n[data.customers.fields]\ncustomer_id = { type = "string" }\n')
    none = invoke("evaluate", str(plain), str(demo_data), "-o", str(tmp_path / "y.csv"), "--compare-with", "1")
    assert none.code == 2 and "reads no earlier run" in none.output

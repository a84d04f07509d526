"""Forward chaining on durable-rules: chained decisions in one call, decided values
asserted as facts for later rules, identical results to the stratified polars engine."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_conformance import Recording, run_both

from clientwise import Evaluator, parse_ruleset
from clientwise.compiler.program import DeriveStratum
from clientwise.compiler.steps import DerivedStep
from clientwise.host.contracts import DecideContext
from clientwise.plugins.engines.durable import worker
from clientwise.plugins.engines.durable.chain import Chain
from clientwise.sample import generate

AS_OF = "2026-06-30"


def direct(when: str) -> str:
    return f'''extends = "default"
[metadata]
name = "direct"
[[rules]]
id = "top"
when = "{when}"
action = "Thank them"
priority = 1
because = "A {{tier}} customer"
'''


def test_rules_reading_decided_values_run_in_one_call_forward_chained() -> None:
    ruleset = parse_ruleset(direct("tier == 'strategic' and value_class == 'value_creator'"), origin="d.toml")
    engine: list[Recording] = []
    polars_result, durable_result = run_both(ruleset, generate(500, seed=3), engine=engine)
    assert_frame_equal(polars_result.customers, durable_result.customers)
    assert_frame_equal(polars_result.actions, durable_result.actions)
    assert engine[0].calls == [["tier", "value_class", "health_band", "actions"]]
    assert engine[0].chained == ["tier", "value_class", "__cw18"]  # asserted as facts inside durable-rules
    fired = durable_result.actions.filter(pl.col("rule") == "top")
    assert fired.height == polars_result.actions.filter(pl.col("rule") == "top").height > 0


def test_a_precomputed_column_reading_a_decided_value_and_a_field_is_chained_per_customer() -> None:
    # tier's candidates differ per customer (an override wins), so they are posted as columns;
    # value_class's candidates are literals, sent as constants
    ruleset = parse_ruleset(direct("coalesce(tier_override, tier) == 'strategic' and value_class != 'neutral'"),
                            origin="d.toml")
    engine: list[Recording] = []
    polars_result, durable_result = run_both(ruleset, generate(500, seed=3), engine=engine)
    assert_frame_equal(polars_result.customers, durable_result.customers)
    assert_frame_equal(polars_result.actions, durable_result.actions)
    assert engine[0].calls == [["tier", "value_class", "health_band", "actions"]]
    assert engine[0].chained == ["tier", "__cw19", "value_class", "__cw18"]  # default rules read tier too (__cw18: lost_strategic)
    assert durable_result.actions.filter(pl.col("rule") == "top").height > 0


def test_a_column_reading_two_decided_values_is_decided_level_by_level_and_check_says_so() -> None:
    ruleset = parse_ruleset(direct("coalesce(tier, value_class) == 'strategic'"), origin="d.toml")
    engine: list[Recording] = []
    polars_result, durable_result = run_both(ruleset, generate(500, seed=3), engine=engine)
    assert_frame_equal(polars_result.customers, durable_result.customers)
    assert_frame_equal(polars_result.actions, durable_result.actions)
    assert engine[0].calls == [["tier", "value_class", "health_band", "actions"],
                               ["tier", "value_class", "health_band"], ["actions"]]
    assert engine[0].chained == []
    evaluator = Evaluator(ruleset, engine="durable")
    decisions = [step.decision for step in evaluator.program.steps() if not isinstance(step, DerivedStep)]
    context = DecideContext(dt.date(2026, 6, 30), "customer_id", evaluator.host.functions(), "direct")
    notes = evaluator.engine.notes(decisions, context)  # type: ignore[attr-defined]
    assert "top: decided in a later call, not forward chained: posted column __cw19 reads 2 decided values " \
           "(tier, value_class)" in notes


def test_the_worker_asserts_the_value_of_the_first_fired_rule_for_the_next_level() -> None:
    seen = {"all": [{"m": {"$gte": {"__row": 0}}}], "pri": 1_000_000}
    level0 = worker.Group("chain_test_0", {
        "t0": {"all": [{"m": {"$and": [{"$ex": {"x": 1}}, {"$gt": {"x": 1}}]}}], "pri": 0},
        "t1": {"all": [{"m": {"$and": [{"$ex": {"x": 1}}, {"$gt": {"x": 0}}]}}], "pri": 1},
        worker.SEEN: seen}, ("x",), 0)
    level1 = worker.Group("chain_test_1", {
        "t2": {"all": [{"m": {"$and": [{"$ex": {"tier": 1}}, {"tier": "gold"}]}}], "pri": 0},
        "f2": {"all": [{"m": {"$and": [{"$ex": {"tier": 1}}, {"$neq": {"tier": "gold"}}]}}], "pri": 0},
        worker.SEEN: seen}, ("tier",), 1)
    # tier: "gold" when x > 1, "silver" when x > 0, else the default (null: not posted)
    chain = Chain(0, (0, 1), (("tier", ("tier@0", "tier@1", "tier@2")),))
    buffer = io.BytesIO()
    pl.DataFrame({"x": [2.0, 0.5, -1.0, None], "tier@0": ["gold"] * 4, "tier@1": ["silver"] * 4,
                  "tier@2": [None] * 4}, schema_overrides={"tier@2": pl.String}).write_ipc(buffer)
    codes = worker.run_batch(worker.Task((level0, level1), 3, buffer.getvalue(), (chain,)))
    assert list(codes) == [
        1, 1, 1,  # x=2: first rule fires, tier "gold" asserted, rule 2 TRUE
        0, 1, 2,  # x=0.5: second rule fires, tier "silver", rule 2 FALSE
        0, 0, 0,  # x=-1: neither fires, default null: rule 2 unknown
        0, 0, 0,  # x null: nothing matches, tier null
    ]


@pytest.mark.parametrize(("chains", "expected"), [(False, 3), (True, 2)])
def test_only_an_engine_that_chains_gets_consecutive_decision_strata_merged(chains: bool, expected: int) -> None:
    ruleset = parse_ruleset(direct("tier == 'strategic'"), origin="d.toml")
    program = Evaluator(ruleset, engine="polars").program
    kinds = [isinstance(stratum, DeriveStratum) for stratum in program.strata]
    assert kinds == [True, False, False]  # derive, the classifications, the actions reading tier
    runs = program.runs(chains)
    assert len(runs) == expected
    assert [step for run in runs for step in run.steps] == program.steps()


def test_evaluate_one_forward_chains_and_matches_polars() -> None:
    ruleset = parse_ruleset(direct("tier == 'strategic' and value_class == 'value_creator'"), origin="d.toml")
    tables = generate(300, seed=4)
    results = {}
    for name in ("polars", "durable"):
        evaluator = Evaluator(ruleset, engine=name)
        if name == "durable":
            from clientwise.plugins.engines.durable.engine import DurableEngine
            evaluator.engine = DurableEngine(workers=0)
        evaluator.evaluate(tables, as_of=AS_OF)
        record = tables["customers"].row(0, named=True)
        results[name] = evaluator.evaluate_one(record)
    assert_frame_equal(results["polars"].customers, results["durable"].customers)
    assert_frame_equal(results["polars"].actions, results["durable"].actions)


def test_check_with_durable_names_rules_decided_level_by_level(invoke, write_ruleset) -> None:
    path = write_ruleset(direct("coalesce(tier, value_class) == 'strategic'"), "d.toml")
    result = invoke("check", str(path), "--engine", "durable")
    assert result.code == 0, result.output
    assert "  top: decided in a later call, not forward chained: posted column __cw19 reads 2 decided values " \
           "(tier, value_class)" in result.stdout
    chained = write_ruleset(direct("tier == 'strategic'"), "c.toml")
    assert "not forward chained" not in invoke("check", str(chained), "--engine", "durable").output


def test_a_decided_value_that_is_never_null_needs_no_false_rule() -> None:
    # without data overrides every tier candidate is a literal (and the default is the last
    # tier), so a rule reading only the tier cannot be unknown: it is posted without its
    # FALSE rule; the value class has no default, so a rule reading it keeps its FALSE rule
    ruleset = parse_ruleset(direct("tier == 'strategic'").replace(
        '[[rules]]', '[segmentation]\noverride_field = ""\n[[rules]]', 1) + '''
[[rules]]
id = "creator"
when = "value_class == 'value_creator'"
action = "Invest"
priority = 2
because = "creates value"
''', origin="d.toml")
    engine: list[Recording] = []
    polars_result, durable_result = run_both(ruleset, generate(300, seed=5), engine=engine)
    assert_frame_equal(polars_result.customers, durable_result.customers)
    assert_frame_equal(polars_result.actions, durable_result.actions)
    adaptive = [plan for key, (_, _, plan) in engine[0]._plans.items() if key[-1] is not None]
    (plan,) = [p for p in adaptive if "top" in p.rule_ids]
    assert plan.rule_ids.index("top") in plan.two_valued
    assert plan.rule_ids.index("creator") not in plan.two_valued

"""Conformance: the durable engine and the polars engine give identical results.

Every shipped ruleset, rulesets from the tests and hypothesis-generated rulesets
(random tiers, thresholds, nulls, ties, chained rules, and numbers at the edges:
tiny, huge, exponent-form, signed zeros, the largest floats, integers near 2**53
and 2**63) run on both engines; any difference in customers, actions or any rule's
status is a bug in one engine. An input whose arithmetic overflows must stop both
engines with the same located error (exit code 2), never crash one of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import clientwise
from clientwise import Evaluator, parse_ruleset
from clientwise.expr.numbers import NumberOverflow
from clientwise.host.contracts import CompiledDecision, DecideContext
from clientwise.plugins.engines.durable.engine import DurableEngine
from clientwise.runtime.result import Result
from clientwise.sample import generate

AS_OF = "2026-06-30"
SHIPPED = sorted(p.stem for p in (Path(clientwise.__file__).parent.parent / "rulesets").glob("*.toml"))


class Recording(DurableEngine):
    """The durable engine, remembering each call's decisions and the chains it posted."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.calls: list[list[str]] = []
        self.chained: list[str] = []

    def decide(self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext) -> pl.DataFrame:
        self.calls.append([decision.output for decision in decisions])
        return super().decide(frame, decisions, context)

    def _run_all(self, tasks: Iterable, *rest: object) -> list[pl.DataFrame]:  # type: ignore[override]
        tasks = list(tasks)
        self.chained += [name for chain in tasks[0].chains for name in chain.names()] if tasks else []
        return super()._run_all(tasks, *rest)  # type: ignore[arg-type]


def run_durable(ruleset: clientwise.Ruleset, tables: dict[str, pl.DataFrame], workers: int = 0,
                engine: list[Recording] | None = None) -> Result:
    evaluator = Evaluator(ruleset, engine="durable")
    evaluator.engine = Recording(workers=workers, batch_size=700)
    if engine is not None:
        engine.append(evaluator.engine)
    return evaluator.evaluate(tables, as_of=AS_OF)


def run_both(ruleset: clientwise.Ruleset, tables: dict[str, pl.DataFrame], workers: int = 0,
             engine: list[Recording] | None = None) -> tuple[Result, Result]:
    polars_result = Evaluator(ruleset, engine="polars").evaluate(tables, as_of=AS_OF)
    return polars_result, run_durable(ruleset, tables, workers, engine)


def assert_same(left: Result, right: Result) -> None:
    assert right.engine == "durable"
    assert_frame_equal(left.customers, right.customers)
    assert_frame_equal(left.actions, right.actions)
    rule_columns = sorted({rule.status_column for rule in left.tracer.rules})
    assert rule_columns, "a conformance case must have rules"
    assert_frame_equal(left.tracer.frame.select(rule_columns), right.tracer.frame.select(rule_columns))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_ruleset_is_identical_on_both_engines(name: str) -> None:
    ruleset = clientwise.load_ruleset(name)
    polars_result, durable_result = run_both(ruleset, generate(1500, seed=7), workers=2)
    assert_same(polars_result, durable_result)
    statuses = durable_result.tracer.frame.select(sorted({r.status_column for r in durable_result.tracer.rules}))
    seen = set().union(*(set(statuses[c].cast(pl.String).unique().to_list()) for c in statuses.columns))
    assert seen == {"fired", "not_met", "unknown", "skipped"}  # every outcome is exercised


CHAINED = """
extends = "default"
[metadata]
name = "chained"
[derive]
is_top = "tier == 'strategic' and value_class == 'value_creator'"
[[rules]]
id = "celebrate"
when = "is_top"
action = "Thank them"
priority = 1
because = "A {tier} customer who creates value"
[[rules]]
id = "long_list"
when = "customer_id in [""" + ", ".join(f"'C{i:05d}'" for i in range(1, 60)) + """] and not (revenue / 0 > 1)"
action = "Check the listed ones"
priority = 2
because = "Listed"
"""


def test_rulesets_from_the_tests_are_identical_on_both_engines() -> None:
    ruleset = parse_ruleset(CHAINED, origin="chained.toml")
    polars_result, durable_result = run_both(ruleset, generate(800, seed=3))
    assert_same(polars_result, durable_result)
    listed = durable_result.actions.filter(pl.col("rule") == "long_list")
    assert listed.height == 0  # `revenue / 0` is null, so `not (...)` is unknown and nothing fires
    assert durable_result.actions.filter(pl.col("rule") == "celebrate").height > 0  # chained through tier


@pytest.mark.installed_plugins  # the nps section and clamp() come from the installed example plugin
def test_the_third_party_plugin_ruleset_is_identical_on_both_engines() -> None:
    from test_third_party_plugin import NPS_RULESET

    ruleset = parse_ruleset(NPS_RULESET, origin="with-nps.toml")
    polars_result, durable_result = run_both(ruleset, generate(800, seed=5))
    assert_same(polars_result, durable_result)
    assert durable_result.actions.filter(pl.col("rule") == "call_detractor").height > 0


# -- generated rulesets -----------------------------------------------------------

FIELDS = """
schema = 1
[metadata]
name = "generated"
[data.customers.fields]
customer_id = { type = "string", required = true }
a = { type = "number" }
b = { type = "integer" }
s = { type = "string" }
flag = { type = "boolean" }
d = { type = "date" }
"""

ATOMS = st.sampled_from([
    "a < coalesce(b, 0)", "b >= if_else(flag, a, 1)", "s == coalesce(s, 'x')",
    "a > {n}", "a <= {n}", "b == {i}", "b != {i}", "a >= b", "a < b + {i}", "a * 2 > b - {n}",
    "s == 'x'", "s != 'y'", "s in ['x', 'z']", "s not in ['x']", "flag", "not flag", "a is null",
    "b is not null", "d >= date('2026-01-01')", "days_since(d) > {i}", "a / b > 1", "-a < {n}",
    "coalesce(a, 0) > {n}", "{n} < a", "b in [1, 2, {i}]", "s < 'y'",
    "true", "false", "1 > 2", "b / 0 > 1", "a + 1 > a",
    "a > b / 2", "b <= 7 / b", "a >= a / b", "a < 1 / a", "b * 2 > b / {n}",  # $div: int / int, zero divisors
])


#: Numbers as a ruleset writes them: ordinary ones, and the ones that broke the durable
#: engine (exponent form: Python's json writes 1e-05 and 1e+16, which durable-rules'
#: parser cannot read), the largest and smallest floats, signed zeros.
NUMBERS = ["-1.5", "0", "0.5", "2", "3", "1e-5", "1e16", "1.5e16", "1e308", "-1e308", "5e-324", "2.5e-300",
           "1.7976931348623157e308", "-1.7976931348623157e308", "-0.0", "0.0", "123456789012345680.0"]
#: Whole numbers: small ones, and ones near 2**53 (where floats skip integers) and 2**63.
WHOLE = ["-1", "0", "1", "2", "3", "9007199254740993", "-9007199254740993", "9223372036854775807",
         "-9223372036854775808", "4611686018427387904"]
EDGE_FLOATS = [1e-5, 1e16, 1.5e16, 1e308, -1e308, 5e-324, 2.5e-300, 1.7976931348623157e308,
               -1.7976931348623157e308, -0.0, 123456789012345680.0, 0.1 + 0.2]
EDGE_INTEGERS = [2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), 2**62, 2**31]


@st.composite
def conditions(draw: st.DrawFn) -> str:
    def atom() -> str:
        ordinary = draw(st.booleans())  # half the atoms compare with ordinary numbers, half with edge ones
        number = draw(st.sampled_from(NUMBERS[:5] if ordinary else NUMBERS))
        whole = draw(st.sampled_from(WHOLE[:5] if ordinary else WHOLE))
        return draw(ATOMS).format(n=number, i=whole)
    parts = [atom() for _ in range(draw(st.integers(1, 3)))]
    joiner = draw(st.sampled_from([" and ", " or "]))
    text = joiner.join(f"({p})" for p in parts)
    return f"not ({text})" if draw(st.booleans()) else text


@st.composite
def rulesets(draw: st.DrawFn) -> str:
    tiers = draw(st.lists(conditions(), min_size=1, max_size=4))
    lines = [FIELDS, "[segmentation]", 'method = "conditions"', 'measure = "a"', 'override_field = ""',
             'override_reason_field = ""', 'override_expires_field = ""']
    for number, when in enumerate(tiers):
        lines += ["[[segmentation.tiers]]", f'id = "t{number}"', f'when = "{when}"']
    lines += ["[[segmentation.tiers]]", 'id = "rest"']
    rules = draw(st.lists(conditions(), min_size=1, max_size=4))
    for number, when in enumerate(rules):
        if draw(st.booleans()):  # chained: the rule reads the tier decided above
            when = f"tier == 't0' or ({when})"
        lines += ["[[rules]]", f'id = "r{number}"', f'when = "{when}"', f'action = "do {number}"',
                  f"priority = {draw(st.integers(1, 2))}", f'because = "b{number}"']  # ties in priority keep rule order
    return "\n".join(lines)


def customers(size: int, seed: int, edges_share: float = 0.0) -> pl.DataFrame:
    import random

    rng = random.Random(seed)
    maybe = lambda value: None if rng.random() < 0.25 else value  # noqa: E731
    edge = lambda ordinary, edges: rng.choice(edges) if rng.random() < edges_share else ordinary  # noqa: E731
    return pl.DataFrame({
        "customer_id": [f"K{i:03d}" for i in range(size)],
        "a": [maybe(edge(rng.choice([-2.0, 0.0, 0.5, 1.0, 2.0, 3.0, 3.5]), EDGE_FLOATS)) for _ in range(size)],
        "b": [maybe(edge(rng.randint(-1, 3), EDGE_INTEGERS)) for _ in range(size)],
        "s": [maybe(rng.choice(["x", "y", "z"])) for _ in range(size)],
        "flag": [maybe(rng.random() < 0.5) for _ in range(size)],
        "d": [maybe(dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(-30, 30))) for _ in range(size)],
    }, schema={"customer_id": pl.String, "a": pl.Float64, "b": pl.Int64, "s": pl.String,
               "flag": pl.Boolean, "d": pl.Date})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), seed=st.integers(0, 1000), edges_share=st.sampled_from([0.0, 0.05, 0.3]))
def test_generated_rulesets_are_identical_on_both_engines(text: str, seed: int, edges_share: float) -> None:
    ruleset = parse_ruleset(text, origin="generated.toml")
    engine: list[Recording] = []
    data = {"customers": customers(60, seed, edges_share)}
    try:
        polars_result = Evaluator(ruleset, engine="polars").evaluate(data, as_of=AS_OF)
    except NumberOverflow as overflow:  # then the durable engine must stop the same way, not crash
        event("overflow: both engines stop")
        with pytest.raises(NumberOverflow) as durable_overflow:
            run_durable(ruleset, data, engine=engine)
        for error in (overflow, durable_overflow.value):
            assert error.exit_code == 2 and error.problems[0].file == "generated.toml"
            assert error.problems[0].location is not None and error.expression in error.render()
        return
    durable_result = run_durable(ruleset, data, engine=engine)
    event(f"identical results, {edges_share:.0%} edge values")
    assert_same(polars_result, durable_result)
    if "tier == 't0' or" in text:  # chained: one call, the tier forward chained inside durable-rules
        assert engine[0].calls == [["tier", "actions"]]
        assert engine[0].chained == ["tier"]


CYCLE = """
schema = 1
[metadata]
name = "t"
[data.customers.fields]
customer_id = { type = "string", required = true }
revenue = { type = "money" }
[derive]
big = "tier == 'a'"
[segmentation]
method = "conditions"
measure = "revenue"
[[segmentation.tiers]]
id = "a"
when = "big"
[[segmentation.tiers]]
id = "b"
"""


@pytest.mark.parametrize("engine", ["polars", "durable"])
def test_a_cycle_through_a_classification_is_reported_at_load_with_its_members(engine: str) -> None:
    from clientwise import RulesetError

    with pytest.raises(RulesetError) as error:
        Evaluator(parse_ruleset(CYCLE, origin="t.toml"), engine=engine)
    assert str(error.value).startswith(
        "t.toml: derive.big: these fields and rules depend on each other in a cycle: "
        "derive.big -> segmentation -> derive.big")

"""Conformance: every backend gives the polars backend's results, to the last digit.

Every shipped ruleset, rulesets from the tests and hypothesis-generated rulesets
(population functions and aggregates over a related table with ties at every value,
nulls, chains of derived fields and classifications, numbers at the edges) run on
each backend; customers (every derived field, classification and rule column),
actions, rule statuses and section summaries must be identical, floats included
(``docs/engines.md`` fixes the order of every sum). An overflow must stop every
backend with the same located error. Shuffling the input rows changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_conformance import CHAINED, customers

import clientwise
from clientwise import Evaluator, RulesetError, parse_ruleset
from clientwise.expr.numbers import NumberOverflow
from clientwise.host.factory import build_host
from clientwise.host.manager import PluginHost
from clientwise.runtime.result import Result
from clientwise.sample import generate

AS_OF = "2026-06-30"
SHIPPED = sorted(p.stem for p in (Path(clientwise.__file__).parent.parent / "rulesets").glob("*.toml"))
#: Backends held to the polars backend.
OTHERS = ["duckdb"]


@functools.cache
def shared_host() -> PluginHost:
    """One host for every run here (building one reads every entry point)."""
    return build_host()


def run(ruleset: clientwise.Ruleset, data: Any, backend: str) -> Result:
    return Evaluator(ruleset, backend=backend, host=shared_host()).evaluate(data, as_of=AS_OF)


def summaries(result: Result) -> list[tuple[Any, ...]]:
    return [(s.section, s.title, s.figures, {name: table.to_dicts() for name, table in s.tables.items()}, s.warnings,
             s.error) for s in result.summaries]


def assert_same(left: Result, right: Result) -> None:
    assert_frame_equal(left.customers, right.customers)
    assert_frame_equal(left.actions, right.actions)
    statuses = sorted({rule.status_column for rule in left.tracer.rules})
    assert_frame_equal(left.tracer.frame.select(statuses), right.tracer.frame.select(statuses))
    assert_frame_equal(left.tracer.frame, right.tracer.frame.select(left.tracer.frame.columns))
    assert repr(summaries(left)) == repr(summaries(right))  # repr: a NaN share equals itself


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_ruleset_is_identical_on_every_backend(name: str, backend: str) -> None:
    ruleset = clientwise.load_ruleset(name)
    data = generate(1500, seed=7)
    assert_same(run(ruleset, data, "polars"), run(ruleset, data, backend))


@pytest.mark.parametrize("backend", OTHERS)
def test_the_bundled_demo_files_are_identical_on_every_backend(backend: str) -> None:
    """Read from files by the project's loaders (the [data] mapping of the default ruleset)."""
    from clientwise.sample import demo_path

    ruleset = clientwise.load_ruleset("default")
    assert_same(run(ruleset, demo_path(), "polars"), run(ruleset, demo_path(), backend))


@pytest.mark.parametrize("backend", OTHERS)
def test_rulesets_from_the_tests_are_identical_on_every_backend(backend: str) -> None:
    ruleset = parse_ruleset(CHAINED, origin="chained.toml")
    data = generate(800, seed=3)
    left, right = run(ruleset, data, "polars"), run(ruleset, data, backend)
    assert_same(left, right)
    assert right.actions.filter(pl.col("rule") == "celebrate").height > 0  # chained through tier


@pytest.mark.parametrize("backend", OTHERS)
def test_shuffled_rows_change_nothing(backend: str) -> None:
    ruleset = clientwise.load_ruleset("default")
    data = generate(1200, seed=11)
    shuffled = {name: frame.sample(fraction=1.0, shuffle=True, seed=5) for name, frame in data.items()}
    # related rows keep their order within a customer: sums add a customer's rows in table order
    for name in ("contacts", "interactions"):
        order = data[name].with_row_index("position")
        shuffled[name] = shuffled[name].join(order, on=data[name].columns, how="left").sort(
            pl.col("customer_id").rank("dense").shuffle(seed=3), "position").drop("position")
    assert_same(run(ruleset, data, "polars"), run(ruleset, shuffled, backend))


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
[data.contacts.fields]
customer_id = { type = "string", required = true }
x = { type = "number" }
n = { type = "integer" }
kind = { type = "string" }
day = { type = "date" }
"""

#: Derived fields over the data; ``{f}`` is an earlier derived field (a chain).
FIRST = [
    "rank(a)", "rank(b)", "rank(d)", "row_number(a)", "rank_pct(a)", "rank_pct(b)", "cumshare(a)", "cumshare(b)",
    "ntile(a, 3)", "ntile(b, 4)", "median(a)", "median(b)", "share(a)", "share(b)", "mean(a)", "mean(b)",
    "sum(a)", "sum(b)", "count(s)", "customer_count()", "sum_of(contacts, x)", "sum_of(contacts, n, kind == 'p')",
    "count_of(contacts)", "count_of(contacts, n > 1)", "mean_of(contacts, x)", "mean_of(contacts, n, day is not null)",
    "max_of(contacts, day)", "min_of(contacts, x)", "max_of(contacts, kind)", "count_distinct_of(contacts, kind)",
    "max_per_day(contacts, day, kind != 'q')", "round(a * 1.5, 1)", "round(a)", "floor(a)", "ceil(a / 3)",
    "abs(b)", "months_since(d)", "days_since(d)", "min(a, b)", "max(b, 1)", "upper(s)", "lower(s)",
    "contains(coalesce(s, ''), 'x')", "startswith(s, 'y')", "if_else(flag, a, b)", "a / b", "a * b - 1",
    "-b", "b in [1, 2]", "coalesce(a, b, 0)",
]
CHAIN = ["rank({f})", "cumshare({f})", "share({f})", "ntile({f}, 2)", "{f} * 2", "coalesce({f}, 0) + coalesce(b, 0)",
         "median({f})", "rank_pct({f})", "row_number({f})", "{f} is null"]
NUMERIC = {"rank", "row_number", "rank_pct", "cumshare", "ntile", "median", "share", "mean", "sum", "count",
           "customer_count", "sum_of", "count_of", "mean_of", "min_of", "round", "floor", "ceil", "abs",
           "months_since", "days_since", "min", "max", "if_else", "a", "coalesce", "-b"}


def _numeric(expression: str) -> bool:
    head = expression.split("(", 1)[0].strip()
    return head in NUMERIC and "kind" not in expression and "day)" not in expression or \
        expression.startswith(("a ", "-b"))


@st.composite
def generated(draw: st.DrawFn) -> str:
    lines = [FIELDS, "[derive]"]
    numeric: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        if numeric and draw(st.booleans()):
            expression = draw(st.sampled_from(CHAIN)).format(f=draw(st.sampled_from(numeric)))
            is_number = not expression.endswith("is null")
        else:
            expression = draw(st.sampled_from(FIRST))
            is_number = _numeric(expression)
        lines.append(f'f{index} = "{expression}"')
        if is_number:
            numeric.append(f"f{index}")
    field = draw(st.sampled_from(numeric)) if numeric else "a"
    cuts = sorted(draw(st.lists(st.sampled_from([-1, 0, 0.25, 0.5, 1, 2, 3, 10]), min_size=1, max_size=3)))
    lines += ["[segmentation]", 'method = "conditions"', f'measure = "{field}"', 'override_field = ""',
              'override_reason_field = ""', 'override_expires_field = ""']
    for number, cut in enumerate(cuts):
        lines += ["[[segmentation.tiers]]", f'id = "t{number}"', f'when = "{field} >= {cut}"']
    lines += ["[[segmentation.tiers]]", 'id = "rest"']
    for number in range(draw(st.integers(1, 3))):
        other = draw(st.sampled_from(numeric)) if numeric else "b"
        when = draw(st.sampled_from([f"{other} > 1", f"{other} is null", "tier == 't0'", f"tier != 'rest' and {other} <= 2",
                                     "flag and s == 'x'", f"not ({other} < a)"]))
        lines += ["[[rules]]", f'id = "r{number}"', f'when = "{when}"', f'action = "do {number}"',
                  f"priority = {draw(st.integers(1, 2))}", f'because = "b{number} {{{other}}}"']
    return "\n".join(lines)


def contacts(keys: list[str], seed: int, edges_share: float) -> pl.DataFrame:
    rng = random.Random(seed)
    maybe = lambda value: None if rng.random() < 0.2 else value  # noqa: E731
    rows: list[dict[str, Any]] = []
    for key in keys:
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
            rows.append({"customer_id": key,
                         "x": maybe(rng.choice([0.1, 0.2, 0.3, 1.5, -2.0, 1e16]) if rng.random() > edges_share
                                    else rng.choice([1e308, 1.7976931348623157e308])),
                         "n": maybe(rng.choice([0, 1, 2, 3]) if rng.random() > edges_share else 2**62),
                         "kind": maybe(rng.choice(["p", "q", "r"])),
                         "day": maybe(dt.date(2026, 3, 1) + dt.timedelta(days=rng.randint(0, 3)))})
    rng.shuffle(rows)  # a customer's rows are spread through the table, as in a real export
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "x": pl.Float64, "n": pl.Int64, "kind": pl.String,
                                      "day": pl.Date})


@pytest.mark.parametrize("backend", OTHERS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=generated(), seed=st.integers(0, 1000), edges_share=st.sampled_from([0.0, 0.0, 0.05]))
def test_generated_rulesets_are_identical_on_every_backend(backend: str, text: str, seed: int,
                                                           edges_share: float) -> None:
    ruleset = parse_ruleset(text, origin="generated.toml")
    people = customers(40, seed, edges_share)
    data = {"customers": people, "contacts": contacts(people["customer_id"].to_list(), seed, edges_share)}
    try:
        left = run(ruleset, data, "polars")
    except NumberOverflow as overflow:  # then the backend must stop the same way
        event("overflow: every backend stops")
        with pytest.raises(NumberOverflow) as other:
            run(ruleset, data, backend)
        assert other.value.render() == overflow.render()
        return
    event(f"identical results, {edges_share:.0%} edge values")
    assert_same(left, run(ruleset, data, backend))


def test_a_function_without_a_sql_form_is_refused_naming_the_field_and_the_call(tmp_path: Path) -> None:
    from clientwise.expr.functions import FunctionSpec
    from clientwise.expr.types import NUMBER
    from clientwise.host.spec import hookimpl

    class PolarsOnly:
        @hookimpl
        def clientwise_functions(self) -> list[FunctionSpec]:
            return [FunctionSpec("twice", "scalar", 1, 1, lambda ts: NUMBER, lambda a, i: a[0] * 2,
                                 lambda v, i: None if v[0] is None else v[0] * 2, "Twice x.", "twice(x)")]

    host = build_host()
    host.register(PolarsOnly(), "polars_only")
    text = FIELDS + '[derive]\nf0 = "twice(a) + 1"\n'
    ruleset = parse_ruleset(text, origin="twice.toml", host=host)
    Evaluator(ruleset, host=host)  # polars computes it
    with pytest.raises(RulesetError) as refused:
        Evaluator(ruleset, host=host, backend="duckdb")
    problem = refused.value.problems[0]
    assert (problem.file, problem.location) == ("twice.toml", "derive.f0")
    assert "twice(a)" in problem.message and "no SQL form" in problem.message


def test_an_unknown_backend_is_an_error_listing_the_installed_ones() -> None:
    with pytest.raises(clientwise.InputError) as error:
        Evaluator("default", backend="spork")
    assert "unknown backend 'spork'" in error.value.render() and "duckdb" in error.value.render()


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("expression", ["b * b", "sum_of(contacts, n)", "a * 1e300", "b + 4611686018427387904", "-b", "share(a * 1e299)"])
def test_an_overflow_stops_every_backend_with_the_same_located_error(backend: str, expression: str) -> None:
    text = FIELDS + f'[derive]\nf0 = "{expression}"\n[[rules]]\nid = "r"\nwhen = "f0 > 0"\naction = "x"\npriority = 1\n'
    ruleset = parse_ruleset(text, origin="big.toml")
    people = pl.DataFrame({"customer_id": ["K1", "K2", "K3"], "a": [1.0, 1e10, None], "b": [3, 2**62, -(2**63)],
                           "s": ["x", None, "y"], "flag": [True, None, False], "d": [None, None, None]},
                          schema_overrides={"d": pl.Date})
    rows = pl.DataFrame({"customer_id": ["K2", "K2"], "x": [1.0, 2.0], "n": [2**62, 2**62], "kind": ["p", "p"],
                         "day": [None, None]}, schema_overrides={"day": pl.Date})
    data = {"customers": people, "contacts": rows}
    with pytest.raises(NumberOverflow) as on_polars:
        run(ruleset, data, "polars")
    with pytest.raises(NumberOverflow) as on_backend:
        run(ruleset, data, backend)
    assert on_backend.value.render() == on_polars.value.render()
    assert on_backend.value.problems[0].location == "derive.f0" and on_backend.value.exit_code == 2


@pytest.mark.parametrize("backend", OTHERS)
def test_population_floats_agree_to_the_last_digit(backend: str) -> None:
    """Random floats, where the order of additions and the interpolation of a median show
    in the last digit (values from a small set, as the generated rulesets use, would not)."""
    rng = random.Random(4)
    size = 3001
    people = pl.DataFrame({"customer_id": [f"K{i:05d}" for i in range(size)],
                           "a": [None if rng.random() < 0.1 else rng.uniform(-1e6, 1e7) for _ in range(size)],
                           "b": [rng.randint(-10**12, 10**12) for _ in range(size)],
                           "s": ["x"] * size, "flag": [True] * size, "d": [None] * size},
                          schema_overrides={"d": pl.Date})
    keys = people["customer_id"].to_list()
    rows = pl.DataFrame({"customer_id": [rng.choice(keys) for _ in range(9000)],
                         "x": [rng.uniform(-1e3, 1e5) for _ in range(9000)], "n": [1] * 9000, "kind": ["p"] * 9000,
                         "day": [None] * 9000}, schema_overrides={"day": pl.Date})
    fields = ["median(a)", "median(b)", "mean(a)", "sum(a)", "share(a)", "cumshare(a)", "cumshare(b)", "rank_pct(a)",
              "sum_of(contacts, x)", "mean_of(contacts, x)", "round(a / 7, 3)", "median(sum_of(contacts, x))"]
    text = FIELDS + "[derive]\n" + "".join(f'f{i} = "{f}"\n' for i, f in enumerate(fields))
    text += '[[rules]]\nid = "r"\nwhen = "f0 > 0"\naction = "x"\npriority = 1\n'
    ruleset = parse_ruleset(text, origin="floats.toml")
    data = {"customers": people, "contacts": rows}
    assert_same(run(ruleset, data, "polars"), run(ruleset, data, backend))


@pytest.mark.parametrize("backend", OTHERS)
def test_a_median_interpolates_its_two_middle_values_as_polars_does(backend: str) -> None:
    rng = random.Random(1)
    lower, upper = 0.0, 0.0
    while (lower + upper) / 2 == lower + (upper - lower) * 0.5:  # a pair where the two formulas differ
        lower, upper = sorted(rng.uniform(-1e6, 1e6) for _ in range(2))
    people = pl.DataFrame({"customer_id": ["K1", "K2", "K3"], "a": [upper, None, lower], "b": [1, 2, 3],
                           "s": ["x"] * 3, "flag": [True] * 3, "d": [None] * 3}, schema_overrides={"d": pl.Date})
    text = FIELDS + '[derive]\nf0 = "median(a)"\n[[rules]]\nid = "r"\nwhen = "f0 > 0"\naction = "x"\npriority = 1\n'
    ruleset = parse_ruleset(text, origin="median.toml")
    data = {"customers": people, "contacts": pl.DataFrame(schema={"customer_id": pl.String})}
    left, right = run(ruleset, data, "polars"), run(ruleset, data, backend)
    assert left.tracer.frame["f0"][0] == lower + (upper - lower) * 0.5
    assert_same(left, right)

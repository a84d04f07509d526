"""Arithmetic that leaves the numbers the language has is an error naming the expression.

Whole numbers are 64-bit and other numbers finite doubles (clientwise.expr.numbers).
polars used to wrap ``9223372036854775807 + customer_count()`` to a negative number
while the reference evaluator grew it without bound (issue 14, class 4); now every
back end and engine stops with the same NumberOverflow: the expression, its exact
value, the first customer, the ruleset file and key path, exit code 2.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import clientwise
from clientwise import Evaluator, parse_ruleset
from clientwise.errors import RulesetError
from clientwise.expr import EvalContext, Scope, check, evaluate_rows, parse, to_polars
from clientwise.expr.numbers import INT64_MAX, INT64_MIN, NumberOverflow
from clientwise.expr.types import INTEGER, NUMBER, STRING
from clientwise.host.factory import build_host
from clientwise.sdk import Source

AS_OF = "2026-06-30"
REGISTRY = build_host().functions()
CTX = EvalContext(dt.date(2026, 6, 30), REGISTRY, key="customer_id", keyed=True)
SCOPE = Scope({"customer_id": STRING, "n": INTEGER, "x": NUMBER})
SOURCE = Source("t.toml", "derive.t")
ROWS = [{"customer_id": "A", "n": 1, "x": 1.0}, {"customer_id": "B", "n": 2**62, "x": 1e300},
        {"customer_id": "C", "n": INT64_MIN, "x": -1e300}, {"customer_id": "D", "n": None, "x": None}]
FRAME = pl.DataFrame(ROWS, schema={"customer_id": pl.String, "n": pl.Int64, "x": pl.Float64})


def typed(text: str):  # noqa: ANN201
    return check(parse(text, SOURCE), SCOPE, REGISTRY, allow_population=True, source=SOURCE)


def both(text: str) -> tuple[object, object]:
    """(polars outcome, reference outcome): the values, or the overflow as (expression, value, key)."""
    node = typed(text)
    outcomes = []
    for run in (lambda: FRAME.with_columns(to_polars(node, CTX).alias("v"))["v"].to_list(),
                lambda: evaluate_rows(node, ROWS, CTX)):
        try:
            outcomes.append(run())
        except NumberOverflow as error:
            outcomes.append((error.expression, error.value, error.key))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(("text", "overflow"), [
    ("n * 2", ("n * 2", 2**63, "B")),
    ("n + 4611686018427387904", ("n + 4611686018427387904", 2**63, "B")),
    ("n - 1", ("n - 1", INT64_MIN - 1, "C")),
    ("-n", ("-n", 2**63, "C")),
    ("abs(n)", ("abs(n)", 2**63, "C")),
    ("(n * 2) - n", ("n * 2", 2**63, "B")),  # the operation that overflows, not the whole expression
    ("x * x", ("x * x", float("inf"), "B")),
    ("x / 1e-300", ("x / 1e-300", float("inf"), "B")),
    ("9223372036854775807 + customer_count()", ("9223372036854775807 + customer_count()", 2**63 + 3, None)),
    ("sum(n) + 0", None),  # 1 + 2**62 - 2**63: exact, within range
    ("sum(n * 0 + 4611686018427387904)", ("sum(n * 0 + 4611686018427387904)", 2**62 * 3, None)),
])
def test_polars_and_the_reference_evaluator_stop_at_the_same_overflow(text: str, overflow: object) -> None:
    polars_outcome, reference_outcome = both(text)
    assert polars_outcome == reference_outcome
    if overflow is not None:
        assert polars_outcome == overflow


@pytest.mark.parametrize("text", ["if_else(n > 2, x, n) * 2", "coalesce(n, x) * 2", "max(n, x) * 2"])
def test_a_whole_number_chosen_as_a_fractional_one_computes_as_a_float(text: str) -> None:
    """``if_else(flag, a, b)`` with ``a`` fractional is fractional, also where it hands
    back the whole ``b``: doubling INT64_MIN there is -1.8e19 (a float), not an integer
    overflow (the generated conformance case that found it: the reference evaluator
    stopped where polars and DuckDB did not)."""
    polars_outcome, reference_outcome = both(text)
    assert polars_outcome == reference_outcome
    assert isinstance(polars_outcome, list) and float(INT64_MIN) * 2 in polars_outcome


def test_results_within_range_are_exact_and_nulls_stay_null() -> None:
    assert both("n + 0") == ([1, 2**62, INT64_MIN, None],) * 2
    assert both("sum(n) + 0") == ([1 - 2**62] * 4,) * 2
    assert both("n - 1 + 1") == (("n - 1", INT64_MIN - 1, "C"),) * 2  # C overflows at n - 1
    assert both("if_else(n > 0, n * 2 - 1, 0)") == (("n * 2", 2**63, "B"),) * 2  # both branches are computed
    assert both("x * 1e8") == ([1e8, 1e308, -1e308, None], [1e8, 1e308, -1e308, None])
    assert both("4611686018427387903 * 2 + 1 + n * 0") == ([INT64_MAX] * 3 + [None],) * 2


def test_a_value_is_checked_only_where_it_is_used() -> None:
    # a classification's `then` is computed for every customer but used where its rule
    # fired (clientwise.runtime.outputs passes that as the mask)
    node = typed("n * 2")
    used = FRAME.with_columns(to_polars(node, CTX, mask=pl.col("n") == 1).alias("v"))["v"]
    assert used.to_list() == [2, None, None, None]  # B and C overflow where unused: null, never wrapped
    with pytest.raises(NumberOverflow, match="n \\* 2 is 9223372036854775808"):
        FRAME.with_columns(to_polars(node, CTX, mask=pl.col("n") > 0).alias("v"))


def test_a_filtered_aggregate_does_not_compute_the_rows_it_leaves_out() -> None:
    # the reference evaluator computes an aggregate's values only for the rows its filter keeps
    text = """
schema = 1
[metadata]
name = "masks"
[data.customers.fields]
customer_id = { type = "string", required = true }
n = { type = "integer" }
[data.interactions.fields]
customer_id = { type = "string", required = true }
units = { type = "integer" }
[derive]
small_units = "sum_of(interactions, units * 2, units < 1000)"
[segmentation]
method = "conditions"
measure = "n"
override_field = ""
override_reason_field = ""
override_expires_field = ""
[[segmentation.tiers]]
id = "small"
when = "n < 1000"
[[segmentation.tiers]]
id = "rest"
"""
    ruleset = parse_ruleset(text, origin="masks.toml")
    tables = {"customers": pl.DataFrame({"customer_id": ["A", "B"], "n": [5, 2**62]}),
              "interactions": pl.DataFrame({"customer_id": ["A", "A", "B"], "units": [3, 2**62, 4]})}
    for engine in ("polars", "durable"):
        result = Evaluator(ruleset, engine=engine).evaluate(tables, as_of=AS_OF)
        assert result.customers["tier"].to_list() == ["small", "rest"]


OVERFLOWING = """
schema = 1
[metadata]
name = "overflow"
[data.customers.fields]
customer_id = { type = "string", required = true }
n = { type = "integer" }
revenue = { type = "number" }
{extra}
"""


@pytest.mark.parametrize(("extra", "location", "expression"), [
    ('[derive]\nbig = "9223372036854775807 + customer_count()"', "derive.big",
     "9223372036854775807 + customer_count() is 9223372036854775810"),
    ('[[rules]]\nid = "double"\nwhen = "n * 2 > 1"\naction = "a"\npriority = 1\nbecause = "b"', "rules[0].when",
     "n * 2 is 9223372036854775808, beyond the 64-bit whole numbers (first for customer C2)"),
    ('[[rules]]\nid = "square"\nwhen = "revenue * revenue > 1"\naction = "a"\npriority = 1\nbecause = "b"',
     "rules[0].when", "revenue * revenue is infinity, beyond the largest number"),
    ('[derive]\ntotal = "sum(n)"', "derive.total", "sum(n) is 9223372036854775813"),
])
@pytest.mark.parametrize("engine", ["polars", "durable"])
def test_every_engine_stops_with_the_same_located_error_and_exit_code_2(
        tmp_path: Path, extra: str, location: str, expression: str, engine: str) -> None:
    ruleset = tmp_path / "overflow.toml"
    ruleset.write_text(OVERFLOWING.replace("{extra}", extra))
    data = tmp_path / "customers.csv"
    data.write_text("customer_id,n,revenue\nC1,5,3\nC2,4611686018427387904,3\nC3,4611686018427387904,1e200\n")
    environment = {**os.environ, "CLIENTWISE_DURABLE_WORKERS": "0"}
    done = subprocess.run([str(Path(sys.executable).parent / "clientwise"), "evaluate", str(ruleset), str(data),
                           "--engine", engine, "-o", str(tmp_path / "out.csv")],
                          capture_output=True, text=True, env=environment)
    assert done.returncode == 2, done.stderr
    assert f"overflow.toml: {location}: " in done.stderr and expression in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_single_customer_gets_the_batch_error() -> None:
    ruleset = parse_ruleset(OVERFLOWING.replace("{extra}", '[derive]\nnext = "n + 1"'), origin="one.toml")
    evaluator = Evaluator(ruleset)
    evaluator.evaluate({"customers": pl.DataFrame({"customer_id": ["A"], "n": [1], "revenue": [1.0]})}, as_of=AS_OF)
    with pytest.raises(NumberOverflow) as raised:
        evaluator.evaluate_one({"customer_id": "Z", "n": INT64_MAX, "revenue": 1.0})
    problem = raised.value.problems[0]
    assert (problem.file, problem.location) == ("one.toml", "derive.next")
    assert "n + 1 is 9223372036854775808" in problem.message and "customer Z" in problem.message


@pytest.mark.parametrize(("expression", "message", "caret"), [
    ("n + (9223372036854775807 + 1)", "integer overflow: 9223372036854775807 + 1 is 9223372036854775808",
     "     ^^^^^^^^^^^^^^^^^^^^^^^"),
    ("x + 1e308 * 10", "number overflow: 1e+308 * 10 is infinity", "    ^^^^^^^^^^"),
    ("x < 1e999", "number is too large", "    ^^^^^"),
    ("-(-9223372036854775808) + n", "integer overflow: -(-9223372036854775808) is 9223372036854775808",
     "^^^^^^^^^^^^^^^^^^^^^^^"),
    ("9223372036854775807 - 1 + 1 + n * 0 + 99999999999999999999", "integer is too large", None),
])
def test_literals_that_overflow_are_reported_by_check_with_a_caret(expression: str, message: str,
                                                                  caret: str | None) -> None:
    with pytest.raises(RulesetError) as raised:
        typed(expression)
    rendered = raised.value.render()
    assert message in rendered
    if caret is not None:
        assert f"  {expression}\n  {caret}\n" in rendered + "\n"


def test_the_smallest_integer_and_constants_within_range_are_fine() -> None:
    assert both("-9223372036854775808 + n * 0")[0][0] == INT64_MIN
    assert both("9223372036854775807 - 1 + 1 + n * 0")[1][0] == INT64_MAX


def test_sum_of_whole_numbers_beyond_64_bits_names_the_customer() -> None:
    ruleset = clientwise.parse_ruleset(OVERFLOWING.replace("{extra}", """
[data.interactions.fields]
customer_id = { type = "string", required = true }
units = { type = "integer" }
[derive]
units = "sum_of(interactions, units)"
"""), origin="units.toml")
    tables = {"customers": pl.DataFrame({"customer_id": ["A", "B"], "n": [1, 2], "revenue": [1.0, 2.0]}),
              "interactions": pl.DataFrame({"customer_id": ["A", "B", "B"], "units": [1, 2**62, 2**62]})}
    with pytest.raises(NumberOverflow) as raised:
        Evaluator(ruleset).evaluate(tables, as_of=AS_OF)
    assert raised.value.problems[0].location == "derive.units"
    assert "sum_of(interactions, units) is 9223372036854775808" in raised.value.render()
    assert "customer B" in raised.value.render()

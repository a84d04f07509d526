"""Small inputs are derived and decided in plain Python (clientwise.runtime.rows): the
results must be those of the polars queries, to the last bit, status by status."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_conformance import AS_OF, CHAINED, customers, rulesets

import clientwise
from clientwise import Evaluator, parse_ruleset
from clientwise.expr.numbers import NumberOverflow
from clientwise.plugins.backends.polars import PolarsBackend
from clientwise.plugins.engines.polars import PolarsEngine
from clientwise.runtime import rows as row_module
from clientwise.runtime.result import Result
from clientwise.runtime.rows import SMALL_ROWS, RowWise
from clientwise.sample import generate


def on_polars(ruleset: clientwise.Ruleset) -> Evaluator:
    """An evaluator that sends every input, however small, to polars queries."""
    evaluator = Evaluator(ruleset)
    evaluator.backend = PolarsBackend(RowWise(limit=0))
    evaluator.engine = PolarsEngine(small_rows=0)
    return evaluator


def assert_same(row_wise: Result, polars: Result) -> None:
    assert_frame_equal(row_wise.customers, polars.customers, check_exact=True)
    assert_frame_equal(row_wise.actions, polars.actions, check_exact=True)
    statuses = sorted({rule.status_column for rule in polars.tracer.rules})
    assert statuses
    assert_frame_equal(row_wise.tracer.frame.select(statuses), polars.tracer.frame.select(statuses), check_exact=True)


@pytest.fixture
def row_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each call of the row-wise deriver computed (proves the path ran)."""
    calls: list[int] = []
    original = row_module.derive_rows

    def counting(frame: pl.DataFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        calls.append(frame.height)
        return original(frame, *args, **kwargs)

    monkeypatch.setattr(row_module, "derive_rows", counting)
    return calls


def portions(tables: dict[str, pl.DataFrame], size: int) -> list[dict[str, pl.DataFrame]]:
    """The portfolio cut into portfolios of ``size`` customers, each with its related rows."""
    keys = tables["customers"].get_column("customer_id")
    parts = []
    for start in range(0, keys.len(), size):
        chosen = keys.slice(start, size).implode()
        parts.append({name: frame.filter(pl.col("customer_id").is_in(chosen)) for name, frame in tables.items()})
    return parts


@pytest.mark.parametrize("source", ["default", "chained"])
def test_small_portfolios_get_the_polars_results(source: str, row_calls: list[int]) -> None:
    ruleset = clientwise.load_ruleset("default") if source == "default" else parse_ruleset(CHAINED,
                                                                                           origin="chained.toml")
    small, polars = Evaluator(ruleset), on_polars(ruleset)
    for portion in portions(generate(240, seed=19), SMALL_ROWS):
        assert_same(small.evaluate(portion, as_of=AS_OF), polars.evaluate(portion, as_of=AS_OF))
    assert row_calls and max(row_calls) == SMALL_ROWS  # the row-wise path ran, on whole portions


def test_a_larger_portfolio_stays_on_polars(row_calls: list[int]) -> None:
    Evaluator("default").evaluate(generate(SMALL_ROWS + 1, seed=2), as_of=AS_OF)
    assert row_calls == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), seed=st.integers(0, 1000), edges_share=st.sampled_from([0.0, 0.05, 0.3]))
def test_generated_rulesets_agree_with_polars_at_the_edges(text: str, seed: int, edges_share: float) -> None:
    # random tiers and rules over nulls, ties, signed zeros, the largest floats and
    # integers near 2**63; an overflow must stop both paths with a located error
    ruleset = parse_ruleset(text, origin="generated.toml")
    data = {"customers": customers(40, seed, edges_share)}
    try:
        expected = on_polars(ruleset).evaluate(data, as_of=AS_OF)
    except NumberOverflow as overflow:
        with pytest.raises(NumberOverflow) as small_overflow:
            Evaluator(ruleset).evaluate(data, as_of=AS_OF)
        # a located error on both paths; where several rules overflow, which one is
        # reported first is not part of the contract (nor between engines)
        for error in (overflow, small_overflow.value):
            assert error.exit_code == 2 and error.problems[0].file == "generated.toml"
            assert error.problems[0].location is not None and error.expression in error.render()
        return
    assert_same(Evaluator(ruleset).evaluate(data, as_of=AS_OF), expected)

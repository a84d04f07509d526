"""Evaluator.evaluate_one: one customer against the population of the last evaluate()."""

from __future__ import annotations

import sys

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from clientwise import Evaluator, InputError
from clientwise.plugins.engines.durable.engine import DurableEngine
from clientwise.runtime.single import Portfolio
from clientwise.sample import generate

AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return generate(400, seed=11)


@pytest.mark.parametrize("engine", ["polars", "durable"])
def test_a_known_customer_gets_exactly_its_batch_result(tables: dict[str, pl.DataFrame], engine: str) -> None:
    # row-local fields of one record are derived in plain Python (the reference evaluator),
    # the batch on polars: every value must be the same, to the last bit
    evaluator = Evaluator("default", engine=engine)
    if engine == "durable":
        evaluator.engine = DurableEngine(workers=0)
    batch = evaluator.evaluate(tables, as_of=AS_OF)
    for record in tables["customers"].gather(range(0, 400, 10)).to_dicts():
        one = evaluator.evaluate_one(record)
        key = record["customer_id"]
        assert one.engine == engine
        assert_frame_equal(one.customers, batch.customers.filter(pl.col("customer_id") == key), check_exact=True)
        assert_frame_equal(one.actions, batch.actions.filter(pl.col("customer_id") == key), check_exact=True)
        assert one.summaries == [] and one.warnings == []
        traced = {step.name: step.value for step in one.explain(key).derived}
        assert traced == {step.name: step.value for step in batch.explain(key).derived}


def test_a_new_customer_is_ranked_against_the_frozen_population(tables: dict[str, pl.DataFrame]) -> None:
    evaluator = Evaluator("default", engine="durable")
    evaluator.engine = DurableEngine(workers=0)
    evaluator.evaluate(tables, as_of=AS_OF)
    record = tables["customers"].row(5, named=True) | {"customer_id": "NEW1", "revenue": 1e12}
    one = evaluator.evaluate_one(record, related={"contacts": [], "interactions": []})
    assert one.customers["customer_id"].to_list() == ["NEW1"]
    assert one.customers["tier"].to_list() == ["strategic"]
    assert one.explain("NEW1").derived  # the explanation works for a single customer
    rank = next(d for d in one.explain("NEW1").derived if d.name == "segment_rank")
    assert rank.value == 1


def test_without_a_population_it_says_to_evaluate_first() -> None:
    evaluator = Evaluator("default")
    with pytest.raises(InputError) as error:
        evaluator.evaluate_one({"customer_id": "A"})
    assert "evaluate_one needs population figures" in str(error.value)
    assert "call evaluator.evaluate(portfolio) once first" in str(error.value)


def test_a_record_without_its_key_is_an_error(tables: dict[str, pl.DataFrame]) -> None:
    evaluator = Evaluator("default")
    evaluator.evaluate(tables, as_of=AS_OF)
    with pytest.raises(InputError) as error:
        evaluator.evaluate_one({"revenue": 5.0})
    assert "the record has no 'customer_id'" in str(error.value)


def test_single_customer_calls_reuse_one_set_of_durable_rulesets(tables: dict[str, pl.DataFrame]) -> None:
    # durable-rules never frees a ruleset: rulesets created per call grew a service by 1.5 MB a call
    runner = DurableEngine(workers=0)
    evaluator = Evaluator("default", engine="durable")
    evaluator.engine = runner
    evaluator.evaluate(tables, as_of=AS_OF)
    for record in tables["customers"].head(5).to_dicts():
        evaluator.evaluate_one(record)
    inline = runner.inline()
    assert inline is runner.inline()  # one in-process engine for every call
    assert len(inline._runner._handles) == 1 and len(inline._plans) == 1  # compiled once, kept


@pytest.mark.parametrize("engine", ["polars", "durable"])
def test_concurrent_single_customer_calls_each_get_their_own_result(tables: dict[str, pl.DataFrame],
                                                                    engine: str) -> None:
    # a service answers requests on several threads; they share the kept durable rulesets
    from concurrent.futures import ThreadPoolExecutor

    evaluator = Evaluator("default", engine=engine)
    if engine == "durable":
        evaluator.engine = DurableEngine(workers=0)
    batch = evaluator.evaluate(tables, as_of=AS_OF)
    records = tables["customers"].head(40).to_dicts()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two bytecodes, as under load
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(evaluator.evaluate_one, records))
    finally:
        sys.setswitchinterval(switching)
    for record, one in zip(records, results):
        key = record["customer_id"]
        assert_frame_equal(one.customers, batch.customers.filter(pl.col("customer_id") == key))
        assert_frame_equal(one.actions, batch.actions.filter(pl.col("customer_id") == key))


def spliced_by_filter(frame: pl.DataFrame, columns: list[str], customer: object, record: pl.DataFrame) -> pl.DataFrame:
    """What evaluate_one computed a population field over before single.Portfolio: a filter."""
    others = frame.select(columns).filter(pl.col("customer_id") != customer)
    return pl.concat([others, record.select(columns)], how="vertical_relaxed", rechunk=True)


@pytest.mark.parametrize("keys", [["A", "B", "C", "D"], ["C", "A", "D", "B"], [1, 2, 3, 4]])
@pytest.mark.parametrize("customer_at", [0, 2, 3, None])
def test_the_record_replaces_its_batch_row_wherever_it_is(keys: list[object], customer_at: int | None) -> None:
    # sorted keys are found by binary search and sliced out; unsorted ones filtered out
    frame = pl.DataFrame({"customer_id": keys, "x": [1.5, 2.5, None, 4.0], "n": [1, 2, 3, 4]})
    customer = keys[customer_at] if customer_at is not None else (9 if isinstance(keys[0], int) else "Z")
    portfolio = Portfolio(frame, "customer_id")
    for record in (pl.DataFrame({"customer_id": [customer], "x": [7.0], "n": [7]}),
                   pl.DataFrame({"customer_id": [customer], "x": [None], "n": [7]})):  # x null-typed: relaxed
        for columns in (["customer_id", "x"], ["customer_id", "n", "x"]):
            got = portfolio.with_record(columns, customer, record)
            assert_frame_equal(got, spliced_by_filter(frame, columns, customer, record), check_exact=True)
            assert got.n_chunks() == 1


def test_plugin_fields_over_their_own_row_are_computed_for_the_record_alone() -> None:
    program = Evaluator("default").program
    computed = {step.name: step for step in program.derived() if step.computed is not None}
    assert {"missing_roles", "missing_roles_text"} <= set(computed)
    assert not any(computed[name].whole_portfolio for name in ("missing_roles", "missing_roles_text"))
    assert all(step.whole_portfolio for step in computed.values() if not step.computed.row_local)


@pytest.mark.parametrize("customer", ["B", "A", "Z", ""])
def test_a_customers_related_rows_are_those_a_filter_finds(customer: object) -> None:
    contacts = pl.DataFrame({"customer_id": ["B", "A", None, "B", "C", "A", "B"], "n": range(7)})
    portfolio = Portfolio(pl.DataFrame({"customer_id": ["A", "B", "C"]}), "customer_id", {"contacts": contacts})
    for _ in range(2):  # the second time from the kept index
        assert_frame_equal(portfolio.related_rows("contacts", customer),
                           contacts.filter(pl.col("customer_id") == customer), check_exact=True)


def test_a_key_of_another_type_fails_as_the_filter_does() -> None:
    contacts = pl.DataFrame({"customer_id": ["B", "A"], "n": [1, 2]})
    portfolio = Portfolio(pl.DataFrame({"customer_id": ["A", "B"]}), "customer_id", {"contacts": contacts})
    with pytest.raises(pl.exceptions.ComputeError):
        contacts.filter(pl.col("customer_id") == 7)
    with pytest.raises(pl.exceptions.ComputeError):
        portfolio.related_rows("contacts", 7)


@pytest.mark.parametrize("customer", ["A", "C", "Z"])
def test_the_records_batch_columns_are_those_a_join_gives(customer: str) -> None:
    frame = pl.DataFrame({"customer_id": ["A", "B", "C"], "previous": [1.5, None, 3.0], "runs": [1, 2, 3]})
    portfolio = Portfolio(frame, "customer_id")
    one = pl.DataFrame({"customer_id": [customer], "revenue": [10.0]})
    joined = one.join(frame.select("customer_id", "previous", "runs"), on="customer_id", how="left")
    assert_frame_equal(portfolio.columns_of(one, ["previous", "runs"], customer), joined, check_exact=True)

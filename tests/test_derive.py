"""The derive stage: order, batching, aggregates joined once per table, population over all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from clientwise.compiler.plan import Source
from clientwise.errors import DataError
from clientwise.expr import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    STRING,
    FunctionRegistry,
    Node,
    Scope,
    fields_used,
    parse_checked,
    tables_used,
)
from clientwise.runtime.derive import aggregate_calls, derive, derive_lazy, levels

BASE = Scope(
    {"customer_id": STRING, "revenue": NUMBER, "seats": INTEGER, "partner": BOOLEAN, "since": DATE},
    {"contacts": {"customer_id": STRING, "role": STRING, "strength": INTEGER},
     "interactions": {"customer_id": STRING, "kind": STRING, "on": DATE, "minutes": INTEGER}},
)
CUSTOMERS = pl.DataFrame({
    "customer_id": ["c3", "c1", "c2", "c4"],
    "revenue": [300.0, 100.0, None, 50.0],
    "seats": [3, 1, 2, None],
    "partner": [True, False, None, True],
    "since": [dt.date(2025, 1, 31), dt.date(2020, 6, 1), None, dt.date(2026, 1, 1)],
})
CONTACTS = pl.DataFrame({
    "customer_id": ["c1", "c1", "c3", "c9"],
    "role": ["budget", "user", "budget", "budget"],
    "strength": [4, 2, 1, 5],
})
INTERACTIONS = pl.DataFrame({
    "customer_id": ["c1", "c1", "c1", "c2", "c3"],
    "kind": ["support", "support", "meeting", "support", "meeting"],
    "on": [dt.date(2026, 1, 10), dt.date(2026, 1, 10), dt.date(2025, 12, 1), dt.date(2025, 6, 1), dt.date(2026, 1, 30)],
    "minutes": [10, 20, 60, 5, None],
})
RELATED = {"contacts": CONTACTS, "interactions": INTERACTIONS}


@pytest.fixture(scope="module")
def compile_fields(builtin_functions: FunctionRegistry) -> Callable[[dict[str, str]], list[tuple[str, Node]]]:
    """``compile_fields({name: text})``: each field checked against the base scope plus the
    fields before it (dependency order)."""

    def compiled(spec: dict[str, str]) -> list[tuple[str, Node]]:
        scope, out = BASE, []
        for name, text in spec.items():
            node = parse_checked(text, Source("t.toml", f"derive.{name}"), scope, builtin_functions,
                                 allow_population=True)
            scope = scope.with_fields({name: node.type})  # type: ignore[dict-item]
            out.append((name, node))
        return out

    return compiled


def test_fields_are_added_in_order_and_may_use_earlier_ones(compile_fields, expr_context) -> None:
    fields = compile_fields({
        "profit": "revenue * 0.2",
        "big": "profit >= 20",
        "label": "if_else(big, 'big', 'small')",
    })
    out = derive(CUSTOMERS, fields, {}, expr_context)
    assert out.columns == [*CUSTOMERS.columns, "profit", "big", "label"]
    assert out["customer_id"].to_list() == ["c3", "c1", "c2", "c4"]
    assert out["profit"].to_list() == [60.0, 20.0, None, 10.0]
    assert out["big"].to_list() == [True, True, None, False]
    assert out["label"].to_list() == ["big", "big", "small", "small"]


def test_independent_fields_share_a_batch(compile_fields) -> None:
    fields = compile_fields({"a": "revenue + 1", "b": "seats * 2", "c": "a + b", "d": "revenue - 1", "e": "c + d"})
    assert [[name for name, _ in batch] for batch in levels(fields)] == [["a", "b", "d"], ["c"], ["e"]]


def test_dtypes_follow_types(compile_fields, expr_context) -> None:
    fields = compile_fields({"i": "seats + 1", "n": "seats / 2", "one": "1", "t": "'x'", "d": "since",
                             "b": "partner"})
    out = derive(CUSTOMERS, fields, {}, expr_context)
    assert [out.schema[name] for name in ("i", "n", "one", "t", "d", "b")] == [
        pl.Int64, pl.Float64, pl.Int64, pl.String, pl.Date, pl.Boolean]
    assert out["one"].to_list() == [1, 1, 1, 1]


def test_aggregates_with_filters_and_empty_groups(compile_fields, expr_context) -> None:
    fields = compile_fields({
        "contacts_n": "count_of(contacts)",
        "budget_n": "count_of(contacts, role == 'budget' and strength >= 3)",
        "strength": "sum_of(contacts, strength)",
        "avg_strength": "mean_of(contacts, strength)",
        "support": "count_of(interactions, kind == 'support')",
        "last_touch": "max_of(interactions, on)",
        "storm": "max_per_day(interactions, on, kind == 'support')",
        "minutes": "sum_of(interactions, minutes)",
        "kinds": "count_distinct_of(interactions, kind)",
    })
    out = derive(CUSTOMERS, fields, RELATED, expr_context)
    assert out.columns == [*CUSTOMERS.columns, *(name for name, _ in fields)]  # no helper columns left
    assert out["customer_id"].to_list() == ["c3", "c1", "c2", "c4"]
    assert out["contacts_n"].to_list() == [1, 2, 0, 0]
    assert out["budget_n"].to_list() == [0, 1, 0, 0]
    assert out["strength"].to_list() == [1, 6, 0, 0]
    assert out["avg_strength"].to_list() == [1.0, 3.0, None, None]
    assert out["support"].to_list() == [0, 2, 1, 0]
    assert out["last_touch"].to_list() == [dt.date(2026, 1, 30), dt.date(2026, 1, 10), dt.date(2025, 6, 1), None]
    assert out["storm"].to_list() == [0, 2, 1, 0]
    assert out["minutes"].to_list() == [0, 90, 5, 0]
    assert out["kinds"].to_list() == [1, 2, 1, 0]


def test_one_group_by_per_related_table_and_shared_aggregates(compile_fields, expr_context) -> None:
    fields = compile_fields({
        "a": "count_of(contacts)",
        "b": "count_of(contacts) * 2",  # the same aggregate again: computed once
        "c": "sum_of(contacts, strength, role == 'budget')",
        "d": "count_of(interactions)",
        "e": "days_since(max_of(interactions, on))",
    })
    plan = derive_lazy(CUSTOMERS, levels(fields), RELATED, expr_context).explain()
    assert plan.count("AGGREGATE") == 2  # one group-by per table for count_of and max_of
    assert plan.count("END LEFT JOIN") == 3  # ... and sum_of, added in table order in one pass of its own
    out = derive(CUSTOMERS, fields, RELATED, expr_context)
    assert out["b"].to_list() == [2, 4, 0, 0]
    assert out["e"].to_list() == [1, 21, 244, None]


def test_aggregates_feed_population_functions_and_later_fields(compile_fields, expr_context) -> None:
    fields = compile_fields({
        "touches": "count_of(interactions)",
        "touch_rank": "rank(touches)",
        "ratio": "count_of(interactions, kind == 'support') / touches",
    })
    out = derive(CUSTOMERS, fields, RELATED, expr_context)
    assert out["touch_rank"].to_list() == [2, 1, 2, 4]
    assert out["ratio"].to_list() == [0.0, 2 / 3, 1.0, None]


def test_population_functions_see_every_customer(compile_fields, expr_context) -> None:
    fields = compile_fields({"r": "rank(revenue)", "rn": "row_number(seats)", "s": "share(revenue)",
                             "n": "customer_count()"})
    out = derive(CUSTOMERS, fields, {}, expr_context)
    assert out["r"].to_list() == [1, 2, None, 3]
    assert out["rn"].to_list() == [1, 3, 2, None]
    assert out["s"].to_list() == [300 / 450, 100 / 450, None, 50 / 450]
    assert out["n"].to_list() == [4, 4, 4, 4]


def test_related_key_dtype_is_aligned(builtin_functions, expr_context) -> None:
    customers = pl.DataFrame({"customer_id": [1, 2]})
    contacts = pl.DataFrame({"customer_id": [2, 2], "role": ["a", "b"], "strength": [1, 2]},
                            schema={"customer_id": pl.Int32, "role": pl.String, "strength": pl.Int64})
    scope = Scope({"customer_id": INTEGER}, {"contacts": {"customer_id": INTEGER, "role": STRING, "strength": INTEGER}})
    node = parse_checked("count_of(contacts)", Source("t", "p"), scope, builtin_functions, allow_population=True)
    assert derive(customers, [("n", node)], {"contacts": contacts}, expr_context)["n"].to_list() == [0, 2]


def test_missing_related_data_is_a_data_error(compile_fields, expr_context) -> None:
    fields = compile_fields({"n": "count_of(contacts)"})
    with pytest.raises(DataError) as info:
        derive(CUSTOMERS, fields, {}, expr_context)
    assert "the ruleset aggregates over the 'contacts' table, but no contacts data was loaded" in str(info.value)


def test_no_customers_and_no_fields(compile_fields, expr_context) -> None:
    assert derive(CUSTOMERS, [], RELATED, expr_context) is CUSTOMERS
    fields = compile_fields({"n": "count_of(contacts)", "r": "rank(revenue)"})
    empty = derive(CUSTOMERS.clear(), fields, RELATED, expr_context)
    assert empty.height == 0 and empty.columns == [*CUSTOMERS.columns, "n", "r"]


def test_dependency_information(compile_fields, expr_context) -> None:
    (_, node), = compile_fields({"x": "count_of(contacts, strength > 2) + seats * rank(revenue)"})
    assert fields_used(node) == {"seats", "revenue"}
    assert tables_used(node) == {"contacts"}
    assert [call.name for call in aggregate_calls(node, expr_context)] == ["count_of"]

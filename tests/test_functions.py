"""Every built-in function: exact values, nulls, ties, edge cases; polars == reference."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import polars as pl
import pytest

from clientwise.compiler.plan import Source
from clientwise.expr import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    STRING,
    EvalContext,
    Scope,
    evaluate_rows,
    parse_checked,
)
from clientwise.expr.backends.closures import ExpressionCache
from clientwise.plugins.functions import clientwise_functions
from clientwise.runtime.derive import derive

CUSTOMER_SCHEMA = {"customer_id": pl.String, "x": pl.Float64, "n": pl.Int64, "s": pl.String, "t": pl.String,
                   "d": pl.Date, "flag": pl.Boolean}
CONTACT_SCHEMA = {"customer_id": pl.String, "role": pl.String, "strength": pl.Int64, "met_on": pl.Date,
                  "weight": pl.Float64}
def _scope() -> Scope:
    return Scope(
        {"customer_id": STRING, "x": NUMBER, "n": INTEGER, "s": STRING, "t": STRING, "d": DATE, "flag": BOOLEAN},
        {"contacts": {"customer_id": STRING, "role": STRING, "strength": INTEGER, "met_on": DATE, "weight": NUMBER}},
    )


def customer(cid: str, **values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in CUSTOMER_SCHEMA} | {"customer_id": cid}


def contact(cid: str, role: str | None, strength: int | None, met_on: dt.date | None = None,
            weight: float | None = None) -> dict[str, Any]:
    return {"customer_id": cid, "role": role, "strength": strength, "met_on": met_on, "weight": weight}


@pytest.fixture(scope="module")
def run(expr_context: EvalContext) -> Callable[..., list[Any]]:
    """``run(text, customers, contacts=None)``: the values derive (polars) gives, after
    checking the reference evaluator gives the same."""

    def evaluate_both(text: str, customers: list[dict[str, Any]],
                      contacts: list[dict[str, Any]] | None = None) -> list[Any]:
        node = parse_checked(text, Source("t.toml", "derive.out"), _scope(), expr_context.functions,
                             allow_population=True)
        frame = pl.DataFrame(customers, schema=CUSTOMER_SCHEMA)
        related = {"contacts": pl.DataFrame(contacts or [], schema=CONTACT_SCHEMA)}
        polars_values = derive(frame, [("out", node)], related, expr_context)["out"].to_list()
        reference = evaluate_rows(node, customers, expr_context, {"contacts": contacts or []})
        compiled = evaluate_rows(node, customers, replace(expr_context, compiled=ExpressionCache()),
                                 {"contacts": contacts or []})  # the closures: the reference's values and types
        assert [(type(v), v) for v in compiled] == [(type(v), v) for v in reference], (text, compiled, reference)
        assert len(polars_values) == len(reference)
        for got, want in zip(polars_values, reference):
            if isinstance(want, float) and got is not None:
                assert math.isclose(got, want, rel_tol=1e-12), (text, polars_values, reference)
            else:
                assert got == want, (text, polars_values, reference)
                assert isinstance(got, bool) == isinstance(want, bool), (text, polars_values, reference)
        return polars_values

    return evaluate_both


def xs(*values: Any) -> list[dict[str, Any]]:
    return [customer(chr(ord("a") + i), x=v) for i, v in enumerate(values)]


def ns(*values: Any) -> list[dict[str, Any]]:
    return [customer(chr(ord("a") + i), n=v) for i, v in enumerate(values)]


# -- scalar ----------------------------------------------------------------------
def test_abs(run) -> None:
    assert run("abs(x)", xs(-2.5, 3.0, None)) == [2.5, 3.0, None]
    assert run("abs(n)", ns(-2, None)) == [2, None]


def test_min_max_null_if_any_argument_is_null(run) -> None:
    rows = [customer("a", x=1.5, n=3), customer("b", x=None, n=1), customer("c", x=4.0, n=None)]
    assert run("min(x, n)", rows) == [1.5, None, None]
    assert run("max(x, n, 2)", rows) == [3.0, None, None]
    dates = [customer("a", d=dt.date(2025, 1, 1)), customer("b", d=None)]
    assert run("max(d, date('2025-06-30'))", dates) == [dt.date(2025, 6, 30), None]


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(2.5, None, 3), (-2.5, None, -3), (0.5, None, 1), (0.49999999999999994, None, 0), (-0.4, None, 0),
     (0.125, 2, 0.13), (-0.125, 2, -0.13), (1.005, 2, 1.0), (2.675, 2, 2.68), (1234.5678, 1, 1234.6),
     (7.0, 0, 7.0), (None, 1, None)],
)
def test_round_half_away_from_zero(run, value: float | None, digits: int | None, expected: Any) -> None:
    text = "round(x)" if digits is None else f"round(x, {digits})"
    result = run(text, xs(value))[0]
    assert result == expected
    if digits is None and result is not None:
        assert isinstance(result, int)


def test_round_of_integers_keeps_them(run) -> None:
    assert run("round(n)", ns(7, None)) == [7, None]
    assert run("round(n, 1)", ns(7)) == [7.0]


def test_ceil_floor(run) -> None:
    assert run("floor(x)", xs(-1.5, 1.5, 2.0, None)) == [-2, 1, 2, None]
    assert run("ceil(x)", xs(-1.5, 1.5, 2.0, None)) == [-1, 2, 2, None]
    assert run("floor(n / 2)", ns(5, -5)) == [2, -3]


def test_coalesce(run) -> None:
    rows = [customer("a", x=None, n=4), customer("b", x=2.5, n=None), customer("c")]
    assert run("coalesce(x, n, 0)", rows) == [4.0, 2.5, 0.0]
    assert run("coalesce(s, t)", [customer("a", t="b"), customer("b", s="x", t="y"), customer("c")]) == ["b", "x", None]


def test_if_else_null_condition_takes_else_branch(run) -> None:
    rows = [customer("a", flag=True), customer("b", flag=False), customer("c", flag=None)]
    assert run("if_else(flag, 'yes', 'no')", rows) == ["yes", "no", "no"]
    assert run("if_else(flag, 1, null)", rows) == [1, None, None]


def test_text_functions(run) -> None:
    rows = [customer("a", s="Big Bank AG", t="Bank"), customer("b", s="shop", t="o"), customer("c", s=None, t="x"),
            customer("d", s="abc", t=None)]
    assert run("lower(s)", rows) == ["big bank ag", "shop", None, "abc"]
    assert run("upper(s)", rows) == ["BIG BANK AG", "SHOP", None, "ABC"]
    assert run("contains(s, t)", rows) == [True, True, None, None]
    assert run("contains(s, 'bank')", rows) == [False, False, None, False]
    assert run("startswith(s, 'Big')", rows) == [True, False, None, False]
    assert run("startswith(s, t)", rows) == [False, False, None, None]


def test_days_since_is_negative_for_future_dates(run, expr_context) -> None:
    rows = [customer("a", d=dt.date(2026, 1, 1)), customer("b", d=dt.date(2026, 2, 10)), customer("c", d=None),
            customer("d", d=expr_context.as_of)]
    assert expr_context.as_of == dt.date(2026, 1, 31)
    assert run("days_since(d)", rows) == [30, -10, None, 0]


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (dt.date(2026, 1, 31), 0),   # same day
        (dt.date(2025, 12, 31), 1),  # exactly a month
        (dt.date(2026, 1, 1), 0),
        (dt.date(2025, 1, 31), 12),
        (dt.date(2024, 2, 29), 23),
        (dt.date(2025, 11, 30), 2),
        (dt.date(2025, 12, 1), 1),
        (dt.date(2026, 2, 1), -1),   # future: floored, as the formula says
        (dt.date(2026, 3, 15), -2),
    ],
)
def test_months_since(run, since: dt.date, expected: int) -> None:
    assert run("months_since(d)", [customer("a", d=since)]) == [expected]


def test_months_since_end_of_month(builtin_functions) -> None:
    node = parse_checked("months_since(d)", Source("t", "p"), _scope(), builtin_functions, allow_population=False)
    ctx = EvalContext(dt.date(2026, 2, 28), builtin_functions)
    frame = pl.DataFrame([customer("a", d=dt.date(2026, 1, 31)), customer("b", d=dt.date(2026, 1, 28))],
                         schema=CUSTOMER_SCHEMA)
    assert derive(frame, [("m", node)], {}, ctx)["m"].to_list() == [0, 1]


# -- population --------------------------------------------------------------------
TIES = [10.0, 30.0, 10.0, None, 0.0]


def test_rank_ties_share_lowest_rank(run) -> None:
    assert run("rank(x)", xs(*TIES)) == [2, 1, 2, None, 4]


def test_row_number_breaks_ties_by_key(run) -> None:
    rows = [customer(k, x=v) for k, v in zip("cabed", TIES)]  # c=10, a=30, b=10, e=null, d=0
    assert run("row_number(x)", rows) == [3, 1, 2, None, 4]


def test_rank_pct_and_ntile(run) -> None:
    assert run("rank_pct(x)", xs(*TIES)) == [0.5, 0.25, 0.5, None, 1.0]
    assert run("ntile(x, 2)", xs(*TIES)) == [1, 1, 1, None, 2]
    assert run("ntile(x, 3)", xs(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)) == [3, 3, 3, 2, 2, 1, 1]


def test_share_and_cumshare_hold_ties_together(run) -> None:
    assert run("share(x)", xs(*TIES)) == [0.2, 0.6, 0.2, None, 0.0]
    assert run("cumshare(x)", xs(*TIES)) == [1.0, 0.6, 1.0, None, 1.0]
    assert run("cumshare(n)", ns(5, 3, 2, None)) == [0.5, 0.8, 1.0, None]
    assert run("share(x)", xs(0.0, None)) == [None, None]  # nothing to share


def test_population_summaries(run) -> None:
    assert run("median(x)", xs(*TIES)) == [10.0] * 5
    assert run("mean(x)", xs(*TIES)) == [12.5] * 5
    assert run("sum(x)", xs(*TIES)) == [50.0] * 5
    assert run("count(x)", xs(*TIES)) == [4] * 5
    assert run("customer_count()", xs(*TIES)) == [5] * 5
    assert run("sum(1)", xs(*TIES)) == [5] * 5
    assert run("mean(x)", xs(None, None)) == [None, None]
    assert run("sum(n)", ns(None)) == [0]


def test_population_is_over_the_whole_frame_in_any_order(run) -> None:
    rows = [customer(k, x=v) for k, v in zip("abcde", TIES)]
    shuffled = [rows[i] for i in (3, 0, 4, 2, 1)]
    by_key = dict(zip("daecb", run("row_number(x)", shuffled)))
    assert by_key == {"a": 2, "b": 1, "c": 3, "d": None, "e": 4}


# -- aggregates ----------------------------------------------------------------------
CUSTOMERS = [customer("a"), customer("b"), customer("c")]
CONTACTS = [
    contact("a", "budget", 4, dt.date(2026, 1, 5), 1.5),
    contact("a", "budget", 2, dt.date(2026, 1, 5), None),
    contact("a", "user", 5, dt.date(2025, 12, 1), 2.0),
    contact("a", None, None, None, 0.5),
    contact("b", "user", 1, dt.date(2025, 6, 1), 3.0),
    contact("zz", "budget", 9, dt.date(2026, 1, 1), 1.0),  # no such customer
]


def test_count_of_with_and_without_filter(run) -> None:
    assert run("count_of(contacts)", CUSTOMERS, CONTACTS) == [4, 1, 0]
    assert run("count_of(contacts, role == 'budget' and strength >= 3)", CUSTOMERS, CONTACTS) == [1, 0, 0]
    assert run("count_of(contacts, days_since(met_on) <= 30)", CUSTOMERS, CONTACTS) == [2, 0, 0]
    assert run("count_of(contacts, true)", CUSTOMERS, CONTACTS) == [4, 1, 0]


def test_sum_and_mean_of(run) -> None:
    assert run("sum_of(contacts, strength)", CUSTOMERS, CONTACTS) == [11, 1, 0]
    assert run("sum_of(contacts, strength, role == 'budget')", CUSTOMERS, CONTACTS) == [6, 0, 0]
    assert run("sum_of(contacts, 1)", CUSTOMERS, CONTACTS) == [4, 1, 0]
    assert run("mean_of(contacts, weight)", CUSTOMERS, CONTACTS) == [4.0 / 3, 3.0, None]
    assert run("mean_of(contacts, weight, role == 'budget')", CUSTOMERS, CONTACTS) == [1.5, None, None]


def test_min_max_of_including_dates(run) -> None:
    assert run("max_of(contacts, met_on)", CUSTOMERS, CONTACTS) == [dt.date(2026, 1, 5), dt.date(2025, 6, 1), None]
    assert run("min_of(contacts, strength)", CUSTOMERS, CONTACTS) == [2, 1, None]
    assert run("min_of(contacts, role)", CUSTOMERS, CONTACTS) == ["budget", "user", None]
    assert run("max_of(contacts, strength, role == 'nobody')", CUSTOMERS, CONTACTS) == [None, None, None]


def test_count_distinct_ignores_nulls(run) -> None:
    assert run("count_distinct_of(contacts, role)", CUSTOMERS, CONTACTS) == [2, 1, 0]
    assert run("count_distinct_of(contacts, met_on, strength > 1)", CUSTOMERS, CONTACTS) == [2, 0, 0]


def test_max_per_day(run) -> None:
    assert run("max_per_day(contacts, met_on)", CUSTOMERS, CONTACTS) == [2, 1, 0]
    assert run("max_per_day(contacts, met_on, role == 'user')", CUSTOMERS, CONTACTS) == [1, 1, 0]


def test_aggregates_inside_expressions(run) -> None:
    text = "count_of(contacts, role == 'budget') / count_of(contacts)"
    assert run(text, CUSTOMERS, CONTACTS) == [0.5, 0.0, None]
    assert run("days_since(max_of(contacts, met_on))", CUSTOMERS, CONTACTS) == [26, 244, None]


def test_spec_metadata_is_complete() -> None:
    names = {spec.name: spec for spec in clientwise_functions()}
    assert set(names) == {
        "abs", "min", "max", "round", "ceil", "floor", "coalesce", "if_else", "lower", "upper", "contains",
        "startswith", "date", "days_since", "months_since", "rank", "row_number", "rank_pct", "share", "cumshare",
        "ntile", "median", "mean", "sum", "count", "customer_count", "count_of", "sum_of", "mean_of", "min_of",
        "max_of", "count_distinct_of", "max_per_day", "previous", "change", "runs_since", "days_since_review",
    }
    for spec in names.values():
        assert spec.doc and spec.example and spec.signature.startswith(spec.name + "(")
    assert names["rank"].kind == "population" and names["count_of"].kind == "aggregate"
    assert names["count_of"].empty == 0 and names["mean_of"].empty is None


def test_every_builtin_is_documented_with_its_signature_and_example(docs) -> None:
    text = (docs / "expressions.md").read_text()
    for spec in clientwise_functions():
        assert f"`{spec.signature}`" in text, spec.signature
        assert f"`{spec.example}`" in text, spec.example


def test_every_builtin_function_gives_the_same_values_on_polars_and_in_python(host) -> None:
    # what clientwise.sdk.testing.assert_plugin_valid asks of plugin functions, asked of ours
    import clientwise
    from clientwise.host.function_check import disagreements

    registry = host.functions()
    builtins = [registry.get(name) for name in sorted(registry.names())
                if host.origin(registry.provider(name))[0] == "clientwise"]
    assert len(builtins) >= 30
    scope = Scope.from_data(clientwise.load_ruleset("default", host=host).core.data)
    assert disagreements(builtins, registry, scope) == []

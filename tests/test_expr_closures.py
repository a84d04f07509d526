"""Expressions compiled to closures (clientwise.expr.backends.closures) give the reference
evaluator's values, types and errors, exactly; a program compiles each expression once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_conformance import AS_OF
from test_expr_polars import EXPRESSIONS, SCOPE, SETTINGS, population_values, rows
from test_overflow import CTX, FRAME, ROWS, typed

import clientwise
from clientwise.compiler.plan import Source
from clientwise.expr import EvalContext, evaluate_rows, parse_checked, to_polars
from clientwise.expr.backends import closures
from clientwise.expr.backends.closures import ExpressionCache, compile_closures, row_columns
from clientwise.expr.numbers import NumberOverflow
from clientwise.sample import generate


def outcome(node: Any, data: list[dict[str, Any]], ctx: EvalContext,
            related: dict[str, list[dict[str, Any]]] | None = None) -> Any:
    """The values (each with its type), or the error as (type, expression, value, key)."""
    try:
        return [(type(value), value) for value in evaluate_rows(node, data, ctx, related)]
    except NumberOverflow as error:
        return NumberOverflow, error.expression, error.value, error.key


def compiled(ctx: EvalContext) -> EvalContext:
    return dataclasses.replace(ctx, compiled=ExpressionCache())


@SETTINGS
@given(EXPRESSIONS, rows())
def test_random_expressions_compile_to_the_reference_values(expr_context: EvalContext, text: str,
                                                            data: list[dict[str, Any]]) -> None:
    node = parse_checked(text, Source("t.toml", "p"), SCOPE, expr_context.functions, allow_population=False)
    assert outcome(node, data, compiled(expr_context)) == outcome(node, data, expr_context), text


@SETTINGS
@given(population_values, st.randoms(use_true_random=False))
def test_population_functions_see_every_row(expr_context: EvalContext, numbers: list[int | None],
                                            random: Any) -> None:
    keys = [f"k{n:02d}" for n in range(len(numbers))]
    random.shuffle(keys)
    data = [{"customer_id": k, "i": v, "f": None if v is None else v / 4} | {x: None for x in "jgsbcd"}
            for k, v in zip(keys, numbers)]
    for text in ["rank(i)", "rank_pct(f) * 2", "share(i) + cumshare(f)", "ntile(i, 3) + i", "median(f) - f",
                 "rank(i * 2 + 1)", "if_else(rank(i) > 2, share(f), null)", "customer_count() - rank(f)",
                 "rank(rank(f) + i)"]:
        node = parse_checked(text, Source("t", "p"), SCOPE, expr_context.functions, allow_population=True)
        assert outcome(node, data, compiled(expr_context)) == outcome(node, data, expr_context), text


@pytest.mark.parametrize("text", [
    "n * 2", "-n", "abs(n)", "x * x", "(n - 1) + (n * 2)", "(x * x) + (n - 1)", "n - 1 + 1",
    "sum(n * 0 + 4611686018427387904)", "9223372036854775807 + customer_count()", "if_else(n > 0, n * 2 - 1, 0)",
    "n + 0", "x * 1e8", "if_else(n > 2, x, n) * 2", "rank(n) + n * 2",
])
def test_overflows_are_the_reference_errors(text: str) -> None:
    # where two operations overflow for different customers, the error is still the one
    # the reference (and polars) reports: the first operation's first customer
    node = typed(text)
    assert outcome(node, ROWS, compiled(CTX)) == outcome(node, ROWS, CTX)


def test_every_operand_is_computed_as_polars_does() -> None:
    # `and` does not stop at a false operand: an overflow in a later one stops the run
    node = typed("n > 5 and n * 4 > 0")
    with pytest.raises(NumberOverflow):
        FRAME.with_columns(to_polars(node, CTX).alias("v"))
    with pytest.raises(NumberOverflow, match="n \\* 4"):
        evaluate_rows(node, ROWS, compiled(CTX))


def test_aggregates_read_each_customers_related_rows(expr_context: EvalContext) -> None:
    scope = clientwise.expr.Scope({"customer_id": clientwise.expr.STRING},
                                  {"contacts": {"customer_id": clientwise.expr.STRING,
                                                "strength": clientwise.expr.INTEGER}})
    customers = [{"customer_id": key} for key in ("a", "b", "c")]
    contacts = [{"customer_id": key, "strength": strength}
                for key, strength in (("a", 3), ("a", None), ("b", 5), (None, 9), ("a", 4))]
    for text in ["count_of(contacts)", "sum_of(contacts, strength) * 2", "max_of(contacts, strength)",
                 "count_of(contacts, strength > 3)", "mean_of(contacts, strength)"]:
        node = parse_checked(text, Source("t", "p"), scope, expr_context.functions, allow_population=True)
        related = {"contacts": contacts}
        assert outcome(node, customers, compiled(expr_context), related) == \
            outcome(node, customers, expr_context, related), text


def test_an_expression_is_compiled_once_per_run_date(expr_context: EvalContext) -> None:
    cache = ExpressionCache()
    ctx = dataclasses.replace(expr_context, compiled=cache)
    node = parse_checked("i * 2 + rank(f)", Source("t", "p"), SCOPE, expr_context.functions, allow_population=True)
    first = cache.compiled(node, ctx)
    assert cache.compiled(node, ctx) is first
    later = dataclasses.replace(ctx, as_of=ctx.as_of + dt.timedelta(days=1))
    assert cache.compiled(node, later) is not first
    same_text = parse_checked("i * 2 + rank(f)", Source("t", "p"), SCOPE, expr_context.functions,
                              allow_population=True)
    assert cache.compiled(same_text, ctx) is not first  # by identity: equal text may differ in types


def test_uncached_evaluations_compile_for_themselves(expr_context: EvalContext) -> None:
    node = parse_checked("i + 1", Source("t", "p"), SCOPE, expr_context.functions, allow_population=False)
    data = [{"customer_id": "a", "i": 1}, {"customer_id": "b", "i": None}]
    assert row_columns(expr_context)(node, data) == [2, None]
    assert compile_closures(node, expr_context).node is node


def test_a_program_compiles_its_expressions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compilations: list[Any] = []

    def counting(node: Any, ctx: EvalContext) -> Any:
        compilations.append(node)
        return compile_closures(node, ctx)

    monkeypatch.setattr(closures, "compile_closures", counting)
    evaluator = clientwise.Evaluator("default")
    portfolio = generate(5, seed=3)
    first = evaluator.evaluate(portfolio, as_of=AS_OF)
    assert compilations and len(evaluator.program.expressions) == len(compilations)
    compiled_first = len(compilations)
    again = evaluator.evaluate(portfolio, as_of=AS_OF)
    assert len(compilations) == compiled_first  # the second evaluation compiled nothing
    assert_frame_equal(again.customers, first.customers)
    assert evaluator.program.with_steps({}).expressions is evaluator.program.expressions  # test-case copies

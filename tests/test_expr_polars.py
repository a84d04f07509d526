"""The polars compiler agrees with the reference evaluator, value for value.

Random well-typed expressions (ints and floats mixed, nulls everywhere, Kleene
logic, in / not in, is null, scalar functions) are compiled to polars and evaluated
in plain Python over the same random rows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientwise.compiler.plan import Source
from clientwise.expr import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    STRING,
    EvalContext,
    Scope,
    evaluate,
    evaluate_rows,
    parse_checked,
    to_polars,
)

SCHEMA = {"customer_id": pl.String, "i": pl.Int64, "j": pl.Int64, "f": pl.Float64, "g": pl.Float64,
          "s": pl.String, "b": pl.Boolean, "c": pl.Boolean, "d": pl.Date}
SCOPE = Scope({"customer_id": STRING, "i": INTEGER, "j": INTEGER, "f": NUMBER, "g": NUMBER, "s": STRING,
               "b": BOOLEAN, "c": BOOLEAN, "d": DATE})
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- random data ------------------------------------------------------------------
floats = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
values = {
    "i": st.integers(-50, 50), "j": st.integers(-3, 3), "f": floats, "g": st.sampled_from([0.0, 0.5, 2.5, -1.25, 3.0]),
    "s": st.text("abAÉé ", max_size=3), "b": st.booleans(), "c": st.booleans(),
    "d": st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
}


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 8))
    return [
        {"customer_id": f"k{n}", **{name: draw(st.none() | strategy) for name, strategy in values.items()}}
        for n in range(count)
    ]


# -- random well-typed expressions ------------------------------------------------
SMALL = st.sampled_from(["2", "-1", "0", "3", "0.5", "-2.5", "1.5"])


def number(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["i", "j", "f", "g", "1", "0", "-3", "2.5", "0.1"])
    if depth == 0:
        return leaf
    sub = number(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, SMALL).map(lambda t: f"({t[0]} * {t[1]})"),  # bounded growth: no int64 overflow
        sub.map(lambda a: f"-({a})"),
        sub.map(lambda a: f"(null + {a})"),
        st.tuples(st.sampled_from(["abs", "floor", "ceil", "round"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, st.integers(0, 3)).map(lambda t: f"round({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(["min", "max", "coalesce"]), sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(boolean(depth - 1), sub, sub).map(lambda t: f"if_else({t[0]}, {t[1]}, {t[2]})"),
        date(depth - 1).map(lambda d: f"days_since({d})"),
        date(depth - 1).map(lambda d: f"months_since({d})"),
    )


def string(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["s", "'a'", "'É'", "''"])
    if depth == 0:
        return leaf
    sub = string(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(["lower", "upper"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(boolean(depth - 1), sub).map(lambda t: f"if_else({t[0]}, {t[1]}, null)"),
    )


def date(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["d", "date('2026-01-31')", "date('2025-02-28')"])
    if depth == 0:
        return leaf
    sub = date(depth - 1)
    return st.one_of(leaf, st.tuples(st.sampled_from(["min", "max", "coalesce"]), sub, sub)
                     .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"))


def boolean(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["b", "c", "true", "false", "null"])
    if depth == 0:
        return leaf
    sub = boolean(depth - 1)
    num, text, day = number(depth - 1), string(depth - 1), date(depth - 1)
    compare = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        leaf,
        st.tuples(num, compare, num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(text, compare, text).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(day, compare, day).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub.filter(lambda t: t != "null"), st.sampled_from(["==", "!="]), sub.filter(lambda t: t != "null"))
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: "(" + " and ".join(xs) + ")"),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: "(" + " or ".join(xs) + ")"),
        sub.map(lambda a: f"(not {a})"),
        st.tuples(num, st.sampled_from(["in", "not in"]), st.lists(SMALL | num, min_size=1, max_size=3))
        .map(lambda t: f"({t[0]} {t[1]} [{', '.join(t[2])}])"),
        st.tuples(st.sampled_from(["i", "j"]), st.sampled_from(["in", "not in"]))
        .map(lambda t: f"({t[0]} {t[1]} [1, -3, 0])"),
        st.tuples(text, st.sampled_from(["in", "not in"])).map(lambda t: f"({t[0]} {t[1]} ['a', 'É', ''])"),
        st.tuples(day, st.sampled_from(["in", "not in"])).map(lambda t: f"({t[0]} {t[1]} [date('2026-01-31')])"),
        st.tuples(st.one_of(num, text, day, sub), st.sampled_from(["is null", "is not null"]))
        .map(lambda t: f"({t[0]} {t[1]})"),
        st.tuples(st.sampled_from(["contains", "startswith"]), text, text).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


EXPRESSIONS = st.one_of(number(3), boolean(3), string(2), date(2))


def agree(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    return got == want


@SETTINGS
@given(EXPRESSIONS, rows())
def test_random_expressions_agree_with_reference(expr_context: EvalContext, text: str,
                                                 data: list[dict[str, Any]]) -> None:
    node = parse_checked(text, Source("t.toml", "p"), SCOPE, expr_context.functions, allow_population=False)
    frame = pl.DataFrame(data, schema=SCHEMA)
    got = frame.with_columns(to_polars(node, expr_context).alias("__out"))["__out"].to_list()
    want = evaluate_rows(node, data, expr_context)
    assert all(agree(g, w) for g, w in zip(got, want)), (text, got, want)
    assert agree(evaluate(node, data[0], expr_context), want[0])


LOGIC = [None, True, False]


def test_kleene_truth_tables(builtin_functions, expr_context) -> None:
    data = [{"customer_id": f"k{n}", "b": x, "c": y} | {k: None for k in "ijfgsd"}
            for n, (x, y) in enumerate((x, y) for x in LOGIC for y in LOGIC)]
    frame = pl.DataFrame(data, schema=SCHEMA)
    expected = {
        "b and c": [None, None, False, None, True, False, False, False, False],
        "b or c": [None, True, None, True, True, True, None, True, False],
        "not b": [None, None, None, False, False, False, True, True, True],
        "b is null": [True, True, True, False, False, False, False, False, False],
        "b == c": [None, None, None, None, True, False, None, False, True],
    }
    for text, want in expected.items():
        node = parse_checked(text, Source("t", "p"), SCOPE, builtin_functions, allow_population=False)
        assert frame.with_columns(to_polars(node, expr_context).alias("o"))["o"].to_list() == want, text
        assert evaluate_rows(node, data, expr_context) == want, text


def test_null_semantics_examples(builtin_functions, expr_context) -> None:
    row = {"customer_id": "k", "i": None, "j": 0, "f": 2.5, "g": None, "s": None, "b": None, "c": False, "d": None}
    cases = {
        "i > 1": None, "i + 1": None, "f / j": None, "f / 0": None, "i in [1, 2]": None, "i not in [1, 2]": None,
        "i is null": True, "s is not null": False, "b and c": False, "b or true": True, "f > 2": True,
        "j == 0.0": True, "2 == 2.0": True, "f in [2.5, 3]": True, "j in [0.0]": True,
    }
    frame = pl.DataFrame([row], schema=SCHEMA)
    for text, want in cases.items():
        node = parse_checked(text, Source("t", "p"), SCOPE, builtin_functions, allow_population=False)
        assert frame.with_columns(to_polars(node, expr_context).alias("o"))["o"].to_list() == [want], text
        assert evaluate(node, row, expr_context) == want, text


def test_division_is_correctly_rounded_like_python(builtin_functions, expr_context) -> None:
    node = parse_checked("f / 10", Source("t", "p"), SCOPE, builtin_functions, allow_population=False)
    frame = pl.DataFrame({"f": [33.0, 1.0, 7.0]})
    assert frame.with_columns(to_polars(node, expr_context).alias("o"))["o"].to_list() == [33.0 / 10, 1.0 / 10, 7.0 / 10]


population_values = st.lists(st.none() | st.sampled_from([0, 1, 2, 2, 5, 10, -3]) | st.integers(-20, 20),
                             min_size=1, max_size=12)


@SETTINGS
@given(population_values, st.randoms(use_true_random=False))
def test_population_functions_agree_with_reference(builtin_functions, expr_context, numbers: list[int | None], random: Any) -> None:
    keys = [f"k{n:02d}" for n in range(len(numbers))]
    random.shuffle(keys)
    data = [{"customer_id": k, "i": v, "f": None if v is None else v / 4} | {x: None for x in "jgsbcd"}
            for k, v in zip(keys, numbers)]
    frame = pl.DataFrame(data, schema=SCHEMA)
    for text in ["rank(i)", "row_number(i)", "rank_pct(f)", "share(i)", "cumshare(f)", "ntile(i, 3)",
                 "median(f)", "mean(i)", "sum(f)", "count(i)", "customer_count()", "rank(i) + share(f)"]:
        node = parse_checked(text, Source("t", "p"), SCOPE, builtin_functions, allow_population=True)
        got = frame.with_columns(to_polars(node, expr_context).alias("o"))["o"].to_list()
        want = evaluate_rows(node, data, expr_context)
        for g, w in zip(got, want):
            assert (g is None and w is None) or (g is not None and w is not None and math.isclose(g, w, rel_tol=1e-12)), \
                (text, numbers, got, want)

"""``because`` templates: parsing, checking, and identical rendering in polars and Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientwise.compiler.plan import Source
from clientwise.errors import Problem, RulesetError
from clientwise.expr import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    STRING,
    EvalContext,
    FunctionRegistry,
    Placeholder,
    Scope,
    Template,
    check_template,
    parse_template,
    render_template,
    render_text,
    render_texts,
)

SRC = Source("rules.toml", "rules[0].because")
SCOPE = Scope({"customer_id": STRING, "name": STRING, "revenue": NUMBER, "visits": INTEGER,
               "last_visit": DATE, "partner": BOOLEAN, "margin": NUMBER})
SCHEMA = {"customer_id": pl.String, "name": pl.String, "revenue": pl.Float64, "visits": pl.Int64,
          "last_visit": pl.Date, "partner": pl.Boolean, "margin": pl.Float64}


@pytest.fixture(scope="module")
def template(builtin_functions: FunctionRegistry) -> Callable[[str], Template]:
    """``template(text)``: the parsed and checked ``because`` template."""

    def checked(text: str) -> Template:
        return check_template(parse_template(text, SRC), SCOPE, builtin_functions, source=SRC)

    return checked


@pytest.fixture(scope="module")
def both(template: Callable[[str], Template], expr_context: EvalContext) -> Callable[..., list[str]]:
    """``both(text, rows)``: the texts rendered by polars, after checking Python renders the same."""

    def render(text: str, rows: list[dict[str, Any]]) -> list[str]:
        checked = template(text)
        frame = pl.DataFrame(rows, schema=SCHEMA)
        polars_texts = frame.with_columns(render_template(checked, expr_context).alias("t"))["t"].to_list()
        python_texts = render_texts(checked, rows, expr_context)
        assert polars_texts == python_texts, (text, polars_texts, python_texts)
        return polars_texts

    return render


def row(**values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in SCHEMA} | {"customer_id": values.get("customer_id", "k")}


@pytest.fixture(scope="module")
def errors(template: Callable[[str], Template]) -> Callable[[str], list[Problem]]:
    """``errors(text)``: the problems checking the template reports."""

    def reported(text: str) -> list[Problem]:
        with pytest.raises(RulesetError) as info:
            template(text)
        return info.value.problems

    return reported


def test_parts_and_escapes(template) -> None:
    parsed = parse_template("{{literal}} Sponsor last visited {days_since(last_visit)} days ago", SRC)
    assert parsed.parts[0] == "{literal} Sponsor last visited "
    assert isinstance(parsed.parts[1], Placeholder) and parsed.parts[1].spec is None
    assert parsed.parts[1].span == (33, 57)
    assert parsed.parts[2] == " days ago"
    assert template("a}}b{{c").parts == ("a}b{c",)


def test_render_basic_values(both) -> None:
    rows = [row(name="Acme", visits=3, revenue=1234.5, last_visit=dt.date(2026, 1, 1), partner=True),
            row(name=None, visits=None, revenue=None, last_visit=None, partner=None)]
    text = "{name}: {visits} visits, {revenue} revenue, last {last_visit} ({days_since(last_visit)} days), partner {partner}"
    assert both(text, rows) == [
        "Acme: 3 visits, 1,234.5 revenue, last 2026-01-01 (30 days), partner yes",
        "no data: no data visits, no data revenue, last no data (no data days), partner no data",
    ]


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("", 2.0, "2"), ("", 2.5, "2.5"), ("", 2.456, "2.46"), ("", -0.001, "0"), ("", -2.125, "-2.13"),
        ("", 1e15, "1,000,000,000,000,000"), (":d", 123456, "123,456"), (":.2f", -1234.5, "-1,234.50"),
        (":money", 1234.5, "1,235"), (":money", -99.4, "-99"), (":percent", 0.1067, "10.7%"), (":number", 17.5, "17.5"),
        (":.2f", 2.0, "2.00"), (":.0f", 2.5, "3"), (":.3f", -0.0005, "-0.001"), (":.1f", 0.05, "0.1"),
        (":.1%", 0.1234, "12.3%"), (":.0%", 0.5, "50%"), (":.2%", -0.00001, "0.00%"),
        (":d", 2.5, "3"), (":d", -2.5, "-3"), (":d", 7.2, "7"),
        (":.2f", None, "no data"), (":.1%", None, "no data"), (":money", None, "no data"),
    ],
)
def test_number_formats(both, spec: str, value: float | None, expected: str) -> None:
    assert both("{revenue" + spec + "}", [row(revenue=value)]) == [expected]


def test_integers_render_without_decimals(both) -> None:
    assert both("{visits} / {visits:.1f} / {visits * 2}", [row(visits=12)]) == ["12 / 12.0 / 24"]


def test_placeholder_with_colon_and_brace_inside_a_string(both) -> None:
    assert both("{if_else(partner, 'a:b}', 'c')}!", [row(partner=True), row(partner=False)]) == ["a:b}!", "c!"]


def test_render_text_for_one_customer(template, expr_context) -> None:
    checked = template("{name} has {round(margin * 100, 1)}% margin")
    assert render_text(checked, row(name="Acme", margin=0.2345), expr_context) == "Acme has 23.5% margin"


def test_population_placeholder_needs_permission(errors, builtin_functions) -> None:
    problem = errors("rank {rank(revenue)}")[0]
    assert problem.hint == "compute it in [derive] as a named field and use that name here"
    allowed = check_template(parse_template("rank {rank(revenue)}", SRC), SCOPE, builtin_functions,
                             allow_population=True, source=SRC)
    assert [p.node.type for p in allowed.placeholders] == [INTEGER]


def test_fields_used(template) -> None:
    assert template("{name} {days_since(last_visit)} {{x}}").fields_used() == {"name", "last_visit"}


def test_errors_point_into_the_template(errors) -> None:
    problem = errors("Revenue {revenu:.1f} is high")[0]
    assert problem.message == "unknown field 'revenu'"
    assert problem.location == "rules[0].because"
    assert problem.excerpt == "Revenue {revenu:.1f} is high\n         ^^^^^^"
    problem = errors("Revenue {a.b} is high")[0]
    assert problem.excerpt == "Revenue {a.b} is high\n         ^^^"


def test_every_placeholder_problem_is_reported(errors) -> None:
    found = errors("{revenu} and {tier > 3} and {name:.2f}")
    assert [p.message for p in found] == [
        "unknown field 'revenu'",
        "unknown field 'tier'",
        "format '.2f' needs a number, but name is text",
    ]


def test_syntax_problems_in_templates(errors) -> None:
    problem = errors("oops {revenue")[0]
    assert problem.message == "'{' is never closed"
    assert problem.hint == "close the placeholder with }, or write {{ for a literal brace"
    assert errors("a } b")[0].message == "single '}' in a template"
    problem = errors("{revenue:.2x}")[0]
    assert problem.message == "unknown format '.2x'"
    assert problem.excerpt == "{revenue:.2x}\n         ^^^"
    assert errors("{}")[0].message == "expression is empty"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.floats(-1e9, 1e9, allow_nan=False), st.none() | st.integers(-10**6, 10**6),
                  st.none() | st.floats(-2, 2, allow_nan=False)),
        min_size=1, max_size=6,
    ),
    st.sampled_from(["", ":.0f", ":.1f", ":.3f", ":.1%", ":.0%", ":d"]),
)
def test_polars_and_python_render_identically(both, values: list, spec: str) -> None:
    rows = [row(customer_id=f"k{i}", revenue=r, visits=v, margin=m) for i, (r, v, m) in enumerate(values)]
    both("{revenue" + spec + "} {visits} {visits" + spec + "} {margin" + spec + "} {revenue / visits" + spec + "}",
         rows)

"""Type checking: names, functions, types, where population/aggregates may appear."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clientwise.compiler.plan import Source
from clientwise.errors import PluginError, Problem, RulesetError
from clientwise.expr import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    STRING,
    Call,
    Field,
    FunctionRegistry,
    Literal,
    Node,
    Scope,
    Type,
    calls_used,
    check,
    fields_used,
    parse,
    parse_checked,
    tables_used,
)
from clientwise.ruleset.data import DataConfig

SRC = Source("rules.toml", "derive.score")
SCOPE = Scope(
    {"customer_id": STRING, "revenue": NUMBER, "employees": INTEGER, "tier": STRING,
     "last_visit": DATE, "partner": BOOLEAN, "sponsor": STRING},
    {"contacts": {"customer_id": STRING, "role": STRING, "strength": INTEGER, "met_on": DATE}},
)


@pytest.fixture(scope="module")
def typed(builtin_functions: FunctionRegistry) -> Callable[..., Node]:
    """``typed(text, population=True, scope=SCOPE)``: the checked expression."""

    def check_text(text: str, *, population: bool = True, scope: Scope = SCOPE) -> Node:
        return parse_checked(text, SRC, scope, builtin_functions, allow_population=population)

    return check_text


@pytest.fixture(scope="module")
def problems(typed: Callable[..., Node]) -> Callable[..., list[Problem]]:
    """``problems(text, population=False, scope=SCOPE)``: what checking the expression reports."""

    def reported(text: str, *, population: bool = False, scope: Scope = SCOPE) -> list[Problem]:
        with pytest.raises(RulesetError) as info:
            typed(text, population=population, scope=scope)
        return info.value.problems

    return reported


@pytest.fixture(scope="module")
def only(problems: Callable[..., list[Problem]]) -> Callable[..., Problem]:
    """``only(text, ...)``: the one problem checking the expression reports."""

    def the_problem(text: str, **kwargs: Any) -> Problem:
        found = problems(text, **kwargs)
        assert len(found) == 1, [p.message for p in found]
        return found[0]

    return the_problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("revenue * 2", NUMBER),
        ("employees * 2 - 1", INTEGER),
        ("employees / 2", NUMBER),
        ("employees + 0.5", NUMBER),
        ("-employees", INTEGER),
        ("revenue > 1 and not partner", BOOLEAN),
        ("tier in ['a', 'b']", BOOLEAN),
        ("employees in [1, 2.5]", BOOLEAN),
        ("sponsor is null", BOOLEAN),
        ("days_since(last_visit)", INTEGER),
        ("round(revenue)", INTEGER),
        ("round(revenue, 2)", NUMBER),
        ("coalesce(employees, 0)", INTEGER),
        ("coalesce(employees, 0.5)", NUMBER),
        ("if_else(partner, 'yes', null)", STRING),
        ("rank(revenue)", INTEGER),
        ("share(revenue)", NUMBER),
        ("count_of(contacts, role == 'budget' and strength >= 3)", INTEGER),
        ("max_of(contacts, met_on)", DATE),
        ("sum_of(contacts, strength)", INTEGER),
        ("null", Type("null")),
    ],
)
def test_result_types(typed, text: str, expected: Type) -> None:
    assert typed(text).type == expected


def test_every_node_is_typed(typed) -> None:
    node = typed("revenue > 1 and tier in ['a']")
    from clientwise.expr import walk

    assert all(sub.type is not None for sub in walk(node))


def test_date_literal_is_folded(typed) -> None:
    node = typed("last_visit >= date('2026-01-31')")
    assert node.right == Literal(dt.date(2026, 1, 31), span=(14, 32), type=DATE)  # type: ignore[attr-defined]


def test_aggregate_columns_and_tables_are_marked(typed) -> None:
    node = typed("count_of(contacts, strength >= 3) + employees")
    call = node.left  # type: ignore[attr-defined]
    assert isinstance(call, Call)
    assert call.args[0] == Field("contacts", span=(9, 17), type=Type.table_of("contacts"))
    assert call.args[1].left == Field("strength", table="contacts", span=(19, 27), type=INTEGER)
    assert fields_used(node) == {"employees"}
    assert tables_used(node) == {"contacts"}
    assert calls_used(node) == {"count_of"}


def test_dependencies_of_parsed_only_nodes(builtin_functions) -> None:
    node = parse("count_of(contacts, role == 'x') + max(seats, 2) + mystery(orders, total)", SRC)
    assert fields_used(node, builtin_functions) == {"seats", "orders", "total"}
    assert tables_used(node, builtin_functions) == {"contacts"}
    assert fields_used(node) == {"seats", "orders", "total"}  # without a registry: known table names


def test_unknown_field_with_suggestion_and_caret(only) -> None:
    problem = only("revenu > 3 and tier == 'x'")
    assert problem.message == "unknown field 'revenu'"
    assert problem.hint == "did you mean 'revenue'?"
    assert problem.file == "rules.toml" and problem.location == "derive.score"
    assert problem.excerpt == "revenu > 3 and tier == 'x'\n^^^^^^"


def test_unknown_function_with_suggestion(only) -> None:
    problem = only("day_since(last_visit) > 3")
    assert problem.message == "unknown function 'day_since'"
    assert problem.hint == "did you mean 'days_since'?"


def test_all_problems_are_reported(problems) -> None:
    found = problems("revenu > 3 and tier > 3 and foo(1)")
    assert [p.message for p in found] == [
        "unknown field 'revenu'",
        "cannot compare text with a whole number: tier > 3",
        "unknown function 'foo'",
    ]


def test_string_number_comparison(only) -> None:
    problem = only("tier > 3")
    assert problem.hint == "compare text with text ('gold') and numbers with numbers (3)"
    assert problem.excerpt == "tier > 3\n^^^^^^^^"


def test_date_string_comparison_hints_date_function(only) -> None:
    problem = only("last_visit > '2026-01-31'")
    assert problem.message == "cannot compare a date with text: last_visit > '2026-01-31'"
    assert problem.hint == "write the date as date('2026-01-31')"
    assert only("last_visit == tier").hint == "write the date as date('2026-01-31')"


def test_comparing_with_null_suggests_is_null(only) -> None:
    assert only("sponsor == null").hint == "use 'x is null'"
    assert only("sponsor != None").hint == "use 'x is not null'"


def test_booleans_are_not_ordered(only) -> None:
    assert only("partner > true").message == "true/false values can only be compared with == or !=, not '>'"


def test_in_list_type_mismatch_points_at_item(only) -> None:
    problem = only("tier in ['a', 2]")
    assert problem.message == "list item 2 is a whole number, but tier is text"
    assert problem.excerpt == "tier in ['a', 2]\n              ^"
    assert only("tier in ['a', null]").message == "null in a list never matches anything"
    assert only("tier in []").message == "the list after 'in' is empty"


def test_arithmetic_on_text_and_dates(only) -> None:
    problem = only("tier + 1")
    assert problem.message == "arithmetic on text: '+' needs numbers, but tier is text"
    assert problem.excerpt == "tier + 1\n^^^^"
    assert "days_since" in (only("last_visit - 30").hint or "")
    assert "if_else(flag, 1, 0)" in (only("partner * 2").hint or "")


def test_logic_needs_booleans(only) -> None:
    problem = only("revenue and partner")
    assert problem.message == "'and' needs true/false values, but revenue is a number"
    assert problem.hint == "compare it, e.g. revenue > 0"


def test_population_function_not_allowed_in_a_condition(only) -> None:
    problem = only("rank(revenue) <= 10")
    assert problem.message == "rank() is a population function (it compares customers with each other) " \
                              "and cannot be used here"
    assert problem.hint == "compute it in [derive] as a named field and use that name here"
    assert problem.excerpt == "rank(revenue) <= 10\n^^^^^^^^^^^^^"


def test_aggregate_not_allowed_in_a_condition(only) -> None:
    problem = only("count_of(contacts) > 2")
    assert problem.message == "count_of() is an aggregate over a related table and cannot be used here"
    assert problem.hint == "compute it in [derive] as a named field and use that name here"


def test_aggregate_needs_a_related_table(only) -> None:
    problem = only("count_of(revenue)", population=True)
    assert problem.message == "the first argument of count_of() must be a related table (contacts, interactions)"
    assert only("count_of(contact)", population=True).hint == "did you mean 'contacts'?"


def test_aggregate_over_a_table_the_data_does_not_provide(only) -> None:
    problem = only("count_of(interactions, kind == 'support')", population=True)
    assert problem.message == "count_of() needs the 'interactions' table, which the data section does not provide"
    assert problem.hint == "declare [data.interactions] with its fields and provide interactions data " \
                           "(interactions.csv or similar)"
    assert problem.excerpt == "count_of(interactions, kind == 'support')\n         ^^^^^^^^^^^^"


def test_names_inside_an_aggregate_are_table_columns(only) -> None:
    problem = only("count_of(contacts, revenue > 3)", population=True)
    assert problem.message == "'revenue' is not a column of contacts"
    assert problem.hint == "inside count_of(contacts, ...) names are contacts columns: customer_id, met_on, role, strength"
    assert only("count_of(contacts, strenght > 3)", population=True).hint == "did you mean 'strength'?"


def test_no_nesting_inside_aggregates(typed, only) -> None:
    problem = only("count_of(contacts, strength > mean(strength))", population=True)
    assert problem.message == "mean() cannot be used inside count_of()"
    assert typed("count_of(contacts, days_since(met_on) <= 30)").type == INTEGER


def test_aggregate_filter_must_be_boolean(only) -> None:
    problem = only("count_of(contacts, strength)", population=True)
    assert problem.message == "the filter of count_of() must be true/false, but strength is a whole number"


def test_argument_count_and_types(only) -> None:
    problem = only("days_since(last_visit, 2)")
    assert problem.message == "days_since() takes 1 argument, got 2"
    assert problem.hint == "call it as days_since(date)"
    problem = only("days_since(tier) > 1")
    assert problem.message == "days_since(): argument 1 must be a date, got text"
    assert problem.excerpt == "days_since(tier) > 1\n           ^^^^"
    assert only("min(revenue)").message == "min() takes at least 2 arguments, got 1"
    assert only("min(revenue, tier)").message == "min(): argument 2 is text, but argument 1 is a number"
    assert only("if_else(partner, 1, 'a')").message == "if_else(): both results must be of one kind: a whole number and text"


def test_literal_arguments(only) -> None:
    problem = only("round(revenue, employees)")
    assert problem.message == "argument 2 of round() must be written as a whole number from 0 to 10"
    assert only("round(revenue, 11)").message == "argument 2 of round() must be written as a whole number from 0 to 10"
    assert only("ntile(revenue, 0)", population=True).message == \
        "argument 2 of ntile() must be written as a whole number from 1 to 1000"


def test_bad_date_literal(only) -> None:
    problem = only("last_visit > date('2026-02-30')")
    assert problem.message == "date(): '2026-02-30' is not a valid date"
    assert problem.hint == "write dates as date('2026-01-31')"
    assert problem.excerpt == "last_visit > date('2026-02-30')\n                  ^^^^^^^^^^^^"
    assert only("date(tier) > last_visit").message == \
        "argument 1 of date() must be written as a text literal 'YYYY-MM-DD'"


def test_misused_names(only) -> None:
    assert only("customer_count > 3").hint == "call it: customer_count()"
    assert only("contacts > 3").message == "'contacts' is a table, not a field"
    assert only("[1, 2]").message == "a list can only be used after 'in'"


def test_check_uses_text_recorded_by_parse(builtin_functions) -> None:
    text = "tier > 3"
    with pytest.raises(RulesetError) as info:
        check(parse(text, SRC), SCOPE, builtin_functions, allow_population=False, source=SRC)
    assert info.value.problems[0].excerpt == "tier > 3\n^^^^^^^^"


def test_scope_from_data_section() -> None:
    data = DataConfig.model_validate({
        "customers": {"fields": {"customer_id": {"type": "string"}, "revenue": {"type": "money"},
                                 "seats": {"type": "integer"}, "since": {"type": "date"}}},
        "contacts": {"fields": {"customer_id": {"type": "string"}, "role": {"type": "string"}}},
    })
    scope = Scope.from_data(data, {"profit": NUMBER})
    assert scope.fields == {"customer_id": STRING, "revenue": NUMBER, "seats": INTEGER, "since": DATE,
                            "profit": NUMBER}
    assert scope.tables == {"contacts": {"customer_id": STRING, "role": STRING}}
    assert scope.with_fields({"x": BOOLEAN}).fields["x"] == BOOLEAN
    assert "x" not in scope.fields


def test_registry_rejects_duplicate_names_naming_both_providers(builtin_functions) -> None:
    spec = builtin_functions.get("abs")
    with pytest.raises(PluginError) as info:
        FunctionRegistry({"functions": [spec], "acme_plugin": [spec]})
    assert "function 'abs' is provided twice: by 'functions' and by 'acme_plugin'" in str(info.value)


def test_registry_lookup(builtin_functions) -> None:
    assert builtin_functions.get("rank") is not None and builtin_functions.get("rank").kind == "population"  # type: ignore[union-attr]
    assert builtin_functions.provider("count_of") == "functions"
    assert builtin_functions.suggest("cout_of") == "did you mean 'count_of'?"
    assert "nope" not in builtin_functions

"""Compiling a ruleset: every problem at once, key paths, chained rules, cycles, missing tables."""

from __future__ import annotations

import polars as pl
import pytest

import clientwise
from clientwise import DataError, Evaluator, RulesetError, parse_ruleset

BASE = """
schema = 1
[metadata]
name = "t"
[data.customers.fields]
customer_id = { type = "string", required = true }
revenue = { type = "money" }
region = { type = "string" }
"""


def compile_error(text: str) -> RulesetError:
    with pytest.raises(RulesetError) as error:
        Evaluator(parse_ruleset(text, origin="t.toml"))
    return error.value


def test_problems_in_every_part_are_reported_together() -> None:
    error = compile_error(BASE + """
[derive]
big = "revenue > '100'"
[[rules]]
id = "a"
when = "regon == 'north'"
action = "x"
because = "y {revenue:.1f"
""")
    rendered = str(error)
    assert "t.toml: derive.big:" in rendered
    assert "t.toml: rules[0].when: unknown field 'regon'" in rendered
    assert "did you mean 'region'?" in rendered
    assert "t.toml: rules[0].because:" in rendered
    assert error.total == 3


def test_a_failed_field_does_not_flood_its_readers() -> None:
    error = compile_error(BASE + """
[derive]
a = "revenu * 2"
b = "a + 1"
c = "b + 1"
[[rules]]
id = "r"
when = "c > 3"
action = "x"
because = "y"
""")
    assert error.total == 1
    assert "unknown field 'revenu'" in str(error)


def test_population_functions_are_not_allowed_in_rules() -> None:
    error = compile_error(BASE + '[[rules]]\nid = "r"\nwhen = "rank(revenue) <= 3"\naction = "x"\nbecause = "y"\n')
    assert "rules[0].when" in str(error)
    assert "[derive]" in str(error)


def test_a_condition_must_be_boolean() -> None:
    error = compile_error(BASE + '[[rules]]\nid = "r"\nwhen = "revenue + 1"\naction = "x"\nbecause = "y"\n')
    assert "a condition must be true or false" in str(error)


def test_derived_name_cannot_shadow_a_data_field() -> None:
    error = compile_error(BASE + '[derive]\nrevenue = "1"\n')
    assert "'revenue' is already a data field" in str(error)


def test_cycle_between_derived_fields_is_reported_with_members() -> None:
    error = compile_error(BASE + '[derive]\na = "b + 1"\nb = "a + 1"\n')
    assert "cycle" in str(error) and "derive.a" in str(error) and "derive.b" in str(error)


def test_chained_rules_a_derived_field_and_a_rule_read_outputs_of_decisions() -> None:
    ruleset = parse_ruleset("""
extends = "default"
[metadata]
name = "chained"
[derive]
is_top = "tier == 'strategic' and value_class == 'value_creator'"
[[rules]]
id = "celebrate"
when = "is_top"
action = "Thank them"
priority = 1
because = "A {tier} customer who creates value"
""")
    customers = pl.DataFrame({  # 5 customers: only A is top 10% (strategic) and top 20% by profit
        "customer_id": ["A", "B", "C", "D", "E"], "name": ["a", "b", "c", "d", "e"],
        "revenue": [1000.0, 500.0, 300.0, 200.0, 100.0], "gross_margin": [0.5] * 5,
    })
    empty_contacts = pl.DataFrame(schema={"customer_id": pl.String, "role": pl.String, "strength": pl.Int64})
    empty_interactions = pl.DataFrame(schema={"customer_id": pl.String, "date": pl.Date, "type": pl.String})
    result = clientwise.evaluate(ruleset, {"customers": customers, "contacts": empty_contacts,
                                           "interactions": empty_interactions}, as_of="2026-06-30")
    fired = result.actions.filter(pl.col("rule") == "celebrate")
    assert fired["customer_id"].to_list() == ["A"]
    assert fired["because"].to_list() == ["A strategic customer who creates value"]
    trace = result.explain("A")
    step = next(d for d in trace.derived if d.name == "is_top")
    assert step.value is True and step.inputs == {"tier": "strategic", "value_class": "value_creator"}


def test_a_needed_table_that_is_missing_fails_at_load_naming_who_needs_it() -> None:
    ruleset = parse_ruleset(BASE + '[data.contacts.fields]\ncustomer_id = { type = "string" }\nrole = { type = "string" }\n'
                            '[derive]\nbudget = "count_of(contacts, role == \'budget\')"\n', origin="t.toml")
    with pytest.raises(DataError) as error:
        clientwise.evaluate(ruleset, {"customers": pl.DataFrame({"customer_id": ["A"], "revenue": [1.0], "region": ["n"]})})
    assert "the ruleset needs the 'contacts' table, but the data has none" in str(error.value)
    assert "derive.budget" in str(error.value)


def test_check_covers_the_shipped_default() -> None:
    evaluator = Evaluator("default")
    assert evaluator.program.tables_needed == {"contacts", "interactions"}
    outputs = {c.name for c in evaluator.program.outputs}
    assert {"tier", "checklist_score", "profit", "value_class", "health_score", "health_band"} <= outputs

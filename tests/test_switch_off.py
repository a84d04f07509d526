"""Switching an inherited section off: ``enabled = false``, or ``[plugins] disable`` in an
``extends`` chain. The rules that read the section's outputs are left out and listed when
the ruleset loads, instead of failing as unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

import clientwise
from clientwise.errors import RulesetError

AS_OF = "2026-06-30"
RELATIONSHIP_ACTIONS = {"relationship_plan", "multi_thread"}


@pytest.mark.parametrize("switch", ['[relationship]\nenabled = false\n', '[plugins]\ndisable = ["relationship"]\n'])
def test_an_inherited_section_switched_off(write_ruleset, demo_data: Path, switch: str) -> None:
    ruleset = clientwise.load_ruleset(write_ruleset(f'extends = "default"\n{switch}'))
    assert "relationship" not in ruleset.sections and set(ruleset.switched_off) == {"relationship"}
    with clientwise.Evaluator(ruleset) as evaluator:
        [note] = evaluator.program.notes
        assert "left out rules[4] 'relationship_plan' (reads missing_role_count), rules[9] 'multi_thread' " \
               "(reads active_threads)" in note
        result = evaluator.evaluate(demo_data, as_of=AS_OF)
    assert "health_score" not in result.customers.columns
    assert not set(result.actions["rule"]) & RELATIONSHIP_ACTIONS
    assert result.summary("relationship") is None
    assert f"switched off: {note}" in result.warnings
    # the other sections are as in the default
    default = clientwise.evaluate("default", demo_data, as_of=AS_OF)
    for column in ("tier", "checklist_pct", "value_class"):
        assert result.customers[column].to_list() == default.customers[column].to_list()


def test_what_reads_a_switched_off_section_is_left_out_in_turn(write_ruleset, demo_data: Path, invoke) -> None:
    path = write_ruleset("""
extends = "default"
[relationship]
enabled = false

[derive]
health_gap = { expr = "100 - health_score" }
big = { expr = "revenue > 1000000" }

[[rules]]
id = "mind_the_gap"
when = "health_gap > 50"
action = "Mind the gap"
because = "Gap {health_gap}"
priority = 5
""")
    evaluator = clientwise.Evaluator(path)
    [note] = evaluator.program.notes
    assert "derive.health_gap (reads health_score)" in note and "'mind_the_gap' (reads health_gap)" in note
    assert "big" in {step.name for step in evaluator.program.derived()}
    code, out, _ = invoke("check", str(path))
    assert code == 0 and "  switched off: [relationship] enabled = false in " in out


def test_enabled_must_be_true_or_false(write_ruleset) -> None:
    with pytest.raises(RulesetError) as raised:
        clientwise.load_ruleset(write_ruleset('extends = "default"\n[relationship]\nenabled = "no"\n'))
    [problem] = raised.value.problems
    assert (problem.location, problem.message) == ("relationship.enabled", "enabled must be true or false")


def test_enabled_true_keeps_the_section(write_ruleset) -> None:
    ruleset = clientwise.load_ruleset(write_ruleset('extends = "default"\n[relationship]\nenabled = true\n'))
    assert "relationship" in ruleset.sections and not ruleset.switched_off


def test_disabling_the_plugin_of_a_section_in_the_same_file_is_still_an_error(write_ruleset) -> None:
    with pytest.raises(RulesetError) as raised:
        clientwise.load_ruleset(write_ruleset('[plugins]\ndisable = ["relationship"]\n[relationship]\nmin_strength = 3\n'))
    assert "belongs to plugin 'relationship', which is disabled by" in str(raised.value)


def test_a_switched_off_section_needs_no_contacts(write_ruleset, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,name,revenue\nA,Alpha,100\nB,Beta,50\n", encoding="utf-8")
    path = write_ruleset('extends = "default"\n[relationship]\nenabled = false\n')
    result = clientwise.evaluate(path, data, as_of=AS_OF)
    assert result.customers["tier"].to_list() == ["strategic", "core"]
    assert not [f for f in result.findings if f.section == "relationship"]

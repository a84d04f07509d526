"""Ruleset loading: TOML errors, extends chains, merge by id, validation messages, hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientwise import PluginHost, RulesetError, build_host, load_ruleset, parse_ruleset
from clientwise.ruleset import content_hash, read_raw, shipped_rulesets
from clientwise.ruleset.merge import merge

CORE_ONLY = """
schema = 1
[metadata]
name = "t"
[data.customers.fields]
customer_id = { type = "string", required = true }
revenue = { type = "money" }
"""


def core_host() -> PluginHost:
    """A host with the built-in function library only: no plugin sections."""
    from clientwise.plugins import functions

    return build_host(entry_points=False, plugins=[functions])


def test_default_is_shipped_and_valid() -> None:
    assert "default" in shipped_rulesets()
    ruleset = load_ruleset("default")
    assert ruleset.name == "default"
    assert {"segmentation", "checklist", "profitability", "relationship"} <= set(ruleset.sections)
    assert len(ruleset.hash) == 64


def test_invalid_toml_names_the_file(write_ruleset) -> None:
    path = write_ruleset("schema = 1\n[metadata\nname = 'x'\n", "bad.toml")
    with pytest.raises(RulesetError) as error:
        load_ruleset(path, host=core_host())
    assert str(path) in str(error.value)
    assert "not valid TOML" in str(error.value)


def test_unknown_key_suggests_the_right_one() -> None:
    text = CORE_ONLY + '[[rules]]\nid = "a"\nwhen = "revenue > 1"\naction = "x"\nbecuase = "y"\n'
    with pytest.raises(RulesetError) as error:
        parse_ruleset(text, origin="client.toml", host=core_host())
    message = str(error.value)
    assert "client.toml: rules[0].becuase: unknown key 'becuase'" in message
    assert "did you mean 'because'?" in message


def test_all_problems_are_reported_at_once() -> None:
    text = CORE_ONLY + """
[[rules]]
id = "a"
when = "revenue > 1"
action = "x"
because = "y"
priority = "high"

[[rules]]
id = "b"
action = "x"
because = "y"
"""
    with pytest.raises(RulesetError) as error:
        parse_ruleset(text, origin="c.toml", host=core_host())
    locations = {p.location for p in error.value.problems}
    assert {"rules[0].priority", "rules[1].when"} <= locations
    priority = next(p for p in error.value.problems if p.location == "rules[0].priority")
    assert priority.value == "'high'"
    assert priority.hint == "write a whole number, without quotes"


def test_unsupported_schema_says_what_to_do() -> None:
    with pytest.raises(RulesetError) as error:
        parse_ruleset(CORE_ONLY.replace("schema = 1", "schema = 9"), host=core_host())
    assert "schema 9 is not supported" in str(error.value)


def test_unhandled_section_is_an_error() -> None:
    with pytest.raises(RulesetError) as error:
        parse_ruleset(CORE_ONLY + "[rfm]\nbins = 5\n", origin="c.toml", host=core_host())
    assert "c.toml: rfm: section [rfm] is not handled by any installed plugin" in str(error.value)


def test_misspelt_section_gets_a_suggestion() -> None:
    with pytest.raises(RulesetError) as error:
        parse_ruleset('extends = "default"\n[segmentaton]\nmeasure = "revenue"\n', origin="c.toml")
    assert "did you mean 'segmentation'?" in str(error.value)


def test_requires_names_the_missing_plugin() -> None:
    text = CORE_ONLY.replace('name = "t"', 'name = "t"\nrequires = ["rfm"]')
    with pytest.raises(RulesetError) as error:
        parse_ruleset(text, origin="c.toml", host=core_host())
    assert "requires plugin 'rfm', which is not installed" in str(error.value)
    assert error.value.exit_code == 2


def test_extends_merges_rules_by_id(write_ruleset, tmp_path: Path) -> None:
    write_ruleset(CORE_ONLY + """
[[rules]]
id = "big"
when = "revenue > 100"
action = "Call"
because = "Big"
priority = 3

[[rules]]
id = "small"
when = "revenue < 10"
action = "Email"
because = "Small"
""", "base.toml")
    child = write_ruleset("""
extends = "base.toml"
[metadata]
name = "client"

[[rules]]
id = "big"
when = "revenue > 500"

[[rules]]
id = "small"
remove = true

[[rules]]
id = "new"
when = "revenue is null"
action = "Ask"
because = "Unknown revenue"
""", "client.toml")
    ruleset = load_ruleset(child, host=core_host())
    rules = {r.id: r for r in ruleset.core.rules}
    assert list(rules) == ["big", "new"]
    assert rules["big"].when == "revenue > 500"
    assert rules["big"].action == "Call" and rules["big"].priority == 3
    assert ruleset.name == "client"
    assert ruleset.files == (str(tmp_path / "base.toml"), str(child))


def test_removing_an_unknown_id_lists_the_inherited_ones(write_ruleset) -> None:
    write_ruleset(CORE_ONLY + '[[rules]]\nid = "big"\nwhen = "revenue > 1"\naction = "a"\nbecause = "b"\n', "base.toml")
    child = write_ruleset('extends = "base.toml"\n[[rules]]\nid = "bigg"\nremove = true\n', "c.toml")
    with pytest.raises(RulesetError) as error:
        load_ruleset(child, host=core_host())
    assert "no inherited item has that id" in str(error.value)
    assert "inherited ids are: big" in str(error.value)


def test_extends_cycle_is_reported(write_ruleset, tmp_path: Path) -> None:
    write_ruleset('extends = "b.toml"\n', "a.toml")
    write_ruleset('extends = "a.toml"\n', "b.toml")
    with pytest.raises(RulesetError) as error:
        load_ruleset(tmp_path / "a.toml", host=core_host())
    assert "extends forms a cycle" in str(error.value)


def test_extends_default_by_name_inherits_everything() -> None:
    ruleset = parse_ruleset('extends = "default"\n[metadata]\nname = "acme"\n')
    default = load_ruleset("default")
    assert ruleset.name == "acme"
    assert set(ruleset.sections) == set(default.sections)
    assert ruleset.hash != default.hash


def test_unknown_shipped_name() -> None:
    with pytest.raises(RulesetError) as error:
        read_raw("defualt")
    assert "did you mean 'default'?" in str(error.value)


def test_merge_tables_by_key_and_replaces_plain_lists() -> None:
    base = {"data": {"true_values": ["yes"], "key": "id"}, "x": 1}
    merged = merge(base, {"data": {"true_values": ["ja"]}}, file="f")
    assert merged == {"data": {"true_values": ["ja"], "key": "id"}, "x": 1}
    assert base["data"]["true_values"] == ["yes"]  # inputs untouched


def test_hash_ignores_formatting_but_not_values() -> None:
    a = parse_ruleset(CORE_ONLY, host=core_host())
    b = parse_ruleset("# a comment\n" + CORE_ONLY.replace(" = ", "="), host=core_host())
    c = parse_ruleset(CORE_ONLY.replace('"money"', '"number"'), host=core_host())
    assert a.hash == b.hash
    assert a.hash != c.hash
    assert content_hash({"b": 1, "a": 2}) == content_hash({"a": 2, "b": 1})

"""Dependency ordering of derived fields and decisions (chained rules) and cycle reports."""

from __future__ import annotations

import pytest

from clientwise.compiler.order import Node, strata, topological_order
from clientwise.errors import RulesetError


def node(label: str, produces: tuple[str, ...], reads: set[str], decision: bool = False) -> Node:
    return Node(label, produces, frozenset(reads), decision, "r.toml", label)


def test_order_follows_dependencies_not_declaration() -> None:
    nodes = [
        node("b", ("b",), {"a"}),
        node("a", ("a",), {"revenue"}),
        node("tier", ("tier",), {"b"}, decision=True),
        node("after_tier", ("after_tier",), {"tier"}),
    ]
    order = topological_order(nodes)
    labels = [nodes[i].label for i in order]
    assert labels == ["a", "b", "tier", "after_tier"]


def test_ties_keep_declaration_order_and_prefer_derived_fields() -> None:
    nodes = [
        node("class", ("class",), {"x"}, decision=True),
        node("x", ("x",), set()),
        node("y", ("y",), set()),
    ]
    assert [nodes[i].label for i in topological_order(nodes)] == ["x", "y", "class"]


def test_cycle_names_every_member() -> None:
    nodes = [
        node("derive.a", ("a",), {"c"}),
        node("derive.b", ("b",), {"a"}),
        node("derive.c", ("c",), {"b"}),
        node("derive.ok", ("ok",), set()),
    ]
    with pytest.raises(RulesetError) as error:
        topological_order(nodes)
    message = str(error.value)
    assert "cycle" in message
    for label in ("derive.a", "derive.b", "derive.c"):
        assert label in message
    assert "derive.ok" not in message


def test_self_reference_is_a_cycle() -> None:
    with pytest.raises(RulesetError) as error:
        topological_order([node("derive.x", ("x",), {"x"})])
    assert "derive.x -> derive.x" in str(error.value)


def test_strata_split_chained_decisions() -> None:
    nodes = [
        node("m", ("m",), set()),
        node("tier", ("tier",), {"m"}, decision=True),
        node("klass", ("klass",), {"m"}, decision=True),
        node("uses_tier", ("uses_tier",), {"tier"}, decision=True),
        node("late", ("late",), {"uses_tier"}),
    ]
    order = topological_order(nodes)
    runs = [[nodes[i].label for i in run] for run in strata(nodes, order)]
    assert runs == [["m"], ["tier", "klass"], ["uses_tier"], ["late"]]

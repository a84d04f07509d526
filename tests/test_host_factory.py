"""One host factory for every command, and ruleset loading that never changes a host.

The bugs this guards against: a ruleset's ``[plugins] disable`` leaked into the host
another ruleset was then loaded with (``diff`` failed in one argument order, or ended
in a KeyError), and ``CLIENTWISE_DISABLE_PLUGINS`` applied to some commands but not to
others (``test``, ``explain``, ``diff`` and ``schema`` built their own host).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clientwise import Evaluator, load_ruleset
from clientwise.sample import DEMO_AS_OF, demo_path
from clientwise.sdk.testing import isolated_host

#: A client ruleset of its own (no extends) that runs without the relationship plugin.
WITHOUT_RELATIONSHIP = '''schema = 1

[metadata]
name = "tiers-only"

[plugins]
disable = ["relationship"]

[data.customers.fields]
customer_id = { type = "string", required = true }
name = { type = "string" }
revenue = { type = "money" }

[segmentation]
measure = "revenue"
'''

AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture
def disabling(write_ruleset: Callable[..., Path]) -> Path:
    return write_ruleset(WITHOUT_RELATIONSHIP, "a.toml")


def test_loading_a_disabling_ruleset_leaves_the_host_as_it_was(clientwise_host, disabling: Path) -> None:
    host = clientwise_host
    ruleset = load_ruleset(disabling, host=host)
    assert ruleset.disabled == {"relationship": f"disabled by {disabling}: plugins.disable"}
    assert "relationship" in host.sections()
    assert load_ruleset("default", host=host).disabled == {}
    evaluators = [Evaluator(ruleset, host=host), Evaluator("default", host=host)]
    assert "relationship" not in evaluators[0].host.sections()
    assert "relationship" in evaluators[1].host.sections()


@pytest.mark.parametrize("order", ["disabling first", "default first"])
def test_diff_of_the_rulesets_works_in_both_orders(invoke, disabling: Path, order: str) -> None:
    pair = [str(disabling), "default"] if order == "disabling first" else ["default", str(disabling)]
    rules = invoke("diff", *pair, "--rules")
    assert rules.code == 0, rules.output
    assert "relationship" in rules.stdout  # the section one of them has and the other has not
    figures = invoke("diff", *pair, str(demo_path()), "--as-of", AS_OF, "--json")
    assert figures.code == 0, figures.output
    compared = json.loads(figures.stdout)
    names = [compared["a"].split()[0], compared["b"].split()[0]]
    assert names == (["tiers-only", "default"] if order == "disabling first" else ["default", "tiers-only"])
    assert sum(row["customers"] for row in compared["tier_matrix"]) == 300


COMMANDS = {
    "check": ["check", "default"],
    "test": ["test", "default"],
    "explain": ["explain", "default", str(demo_path()), "C0001", "--as-of", AS_OF],
    "diff": ["diff", "default", "default", str(demo_path()), "--as-of", AS_OF],
    "evaluate": ["evaluate", "default", str(demo_path()), "--as-of", AS_OF],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_environment_disable_list_applies_to_every_command(invoke, command: str) -> None:
    code, _, err = invoke(*COMMANDS[command], env={"CLIENTWISE_DISABLE_PLUGINS": "relationship"})
    assert code == 2, err
    assert "section [relationship]" in err
    assert "relationship" in err and "CLIENTWISE_DISABLE_PLUGINS" in err


def test_the_environment_disable_list_applies_to_the_schema(invoke) -> None:
    code, out, _ = invoke("schema", env={"CLIENTWISE_DISABLE_PLUGINS": "relationship"})
    assert code == 0
    assert "relationship" not in json.loads(out)["properties"]
    assert "relationship" in json.loads(invoke("schema").stdout)["properties"]


def test_disable_plugin_on_the_command_line_applies_like_the_environment(invoke) -> None:
    code, _, err = invoke("explain", "default", str(demo_path()), "C0001", "--as-of", AS_OF,
                          "--disable-plugin", "relationship")
    assert code == 2
    assert "section [relationship]" in err and "--disable-plugin" in err


def test_the_durable_engine_without_its_extra_is_not_installed_rather_than_failed(invoke, monkeypatch) -> None:
    import sys

    import clientwise.plugins.engines.durable as package

    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # the C extension the worker drives
    for module in ("engine", "worker"):
        monkeypatch.delitem(sys.modules, f"clientwise.plugins.engines.durable.{module}", raising=False)
        monkeypatch.delattr(package, module, raising=False)
    info = {i.name: i for i in isolated_host().plugin_infos()}["durable_engine"]
    assert info.status == "not installed"
    assert "pip install 'clientwise[durable]'" in (info.error or "")
    listed = invoke("plugins", "--all")
    assert listed.code == 0
    line = next(line for line in listed.stdout.splitlines() if line.startswith("durable_engine"))
    assert "not installed" in line and "failed" not in listed.output

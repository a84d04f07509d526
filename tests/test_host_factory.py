"""One host factory for every command, and ruleset loading that never changes a host.

The bugs this guards against: a ruleset's ``[plugins] disable`` leaked into the host
another ruleset was then loaded with (``diff`` failed in one argument order, or ended
in a KeyError), and ``CLIENTWISE_DISABLE_PLUGINS`` applied to some commands but not to
others (``test``, ``explain``, ``diff`` and ``schema`` built their own host).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clientwise import Evaluator, build_host, load_ruleset
from clientwise.cli.app import cli
from clientwise.sample import DEMO_AS_OF, demo_path

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
def disabling(tmp_path: Path) -> Path:
    path = tmp_path / "a.toml"
    path.write_text(WITHOUT_RELATIONSHIP)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_loading_a_disabling_ruleset_leaves_the_host_as_it_was(disabling: Path) -> None:
    host = build_host(environ={})
    ruleset = load_ruleset(disabling, host=host)
    assert ruleset.disabled == {"relationship": f"disabled by {disabling}: plugins.disable"}
    assert "relationship" in host.sections()
    assert load_ruleset("default", host=host).disabled == {}
    evaluators = [Evaluator(ruleset, host=host), Evaluator("default", host=host)]
    assert "relationship" not in evaluators[0].host.sections()
    assert "relationship" in evaluators[1].host.sections()


@pytest.mark.parametrize("order", ["disabling first", "default first"])
def test_diff_of_the_rulesets_works_in_both_orders(disabling: Path, order: str) -> None:
    pair = [str(disabling), "default"] if order == "disabling first" else ["default", str(disabling)]
    code, output = run("diff", *pair, "--rules")
    assert code == 0, output
    assert "relationship" in output  # the section one of them has and the other has not
    code, output = run("diff", *pair, str(demo_path()), "--as-of", AS_OF, "--json")
    assert code == 0, output
    compared = json.loads(output)
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
def test_the_environment_disable_list_applies_to_every_command(command: str) -> None:
    code, output = run(*COMMANDS[command], env={"CLIENTWISE_DISABLE_PLUGINS": "relationship"})
    assert code == 2, output
    assert "section [relationship]" in output
    assert "relationship" in output and "CLIENTWISE_DISABLE_PLUGINS" in output


def test_the_environment_disable_list_applies_to_the_schema() -> None:
    code, output = run("schema", env={"CLIENTWISE_DISABLE_PLUGINS": "relationship"})
    assert code == 0
    assert "relationship" not in json.loads(output)["properties"]
    assert "relationship" in json.loads(run("schema")[1])["properties"]


def test_disable_plugin_on_the_command_line_applies_like_the_environment() -> None:
    code, output = run("explain", "default", str(demo_path()), "C0001", "--as-of", AS_OF,
                       "--disable-plugin", "relationship")
    assert code == 2
    assert "section [relationship]" in output and "--disable-plugin" in output


def test_the_durable_engine_without_its_extra_is_not_installed_rather_than_failed(monkeypatch) -> None:
    import sys

    import clientwise.plugins.engines.durable as package

    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # the C extension the worker drives
    for module in ("engine", "worker"):
        monkeypatch.delitem(sys.modules, f"clientwise.plugins.engines.durable.{module}", raising=False)
        monkeypatch.delattr(package, module, raising=False)
    info = {i.name: i for i in build_host(environ={}).plugin_infos()}["durable_engine"]
    assert info.status == "not installed"
    assert "pip install 'clientwise[durable]'" in (info.error or "")
    code, output = run("plugins", "--all")
    assert code == 0
    line = next(line for line in output.splitlines() if line.startswith("durable_engine"))
    assert "not installed" in line and "failed" not in output

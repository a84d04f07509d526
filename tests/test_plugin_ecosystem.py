"""Plugin management: disable/allow lists, compatibility, [plugins.<name>] settings,
fault isolation with attribution, provenance, `plugins show`, and the test harness itself.

Most tests register the plugins they need into an isolated host (the SDK's fixtures);
those marked ``installed_plugins`` are about discovery and use the example plugin
``clientwise-nps`` as installed on the machine.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
from types import ModuleType, SimpleNamespace
from typing import Any

import polars as pl
import pytest
from pydantic import Field

from clientwise import Evaluator, InputError, RulesetError, build_host, hookimpl
from clientwise.errors import FAULT_EXIT_CODE, PluginFailure
from clientwise.host.selection import incompatibility
from clientwise.ruleset import Strict
from clientwise.sample import DEMO_AS_OF, demo_path
from clientwise.sdk.testing import assert_plugin_valid, make_plugin

RULESET = 'extends = "default"\n[metadata]\nname = "t"\n'


class LoyaltySettings(Strict):
    weight: float = Field(1.0, ge=0, description="How much loyalty counts.")


def settings_plugin() -> ModuleType:
    seen: list[float] = []

    def after(context, result):
        seen.append(context.plugin_settings("loyalty").weight)

    return make_plugin(
        clientwise_plugin_config=hookimpl(lambda: LoyaltySettings),
        clientwise_after_evaluate=hookimpl(after),
        seen=seen,
    )


def test_disable_and_allow_lists_and_essential_builtins() -> None:
    host = build_host(disable=["relationship"])
    infos = {i.name: i for i in host.plugin_infos()}
    assert (infos["relationship"].status, infos["relationship"].error) == ("disabled", "disabled by --disable-plugin")
    assert "relationship" not in host.sections()
    host = build_host(environ={"CLIENTWISE_LOAD_PLUGINS": "segmentation"})
    assert set(host.sections()) == {"segmentation"}
    assert {i.name: i.error for i in host.plugin_infos()}["checklist"] == "not in CLIENTWISE_LOAD_PLUGINS"
    assert "polars" in host.engines()  # essentials are always loaded
    with pytest.raises(InputError) as error:
        build_host(environ={"CLIENTWISE_DISABLE_PLUGINS": "nps, loaders"})
    assert "the built-in plugin 'loaders' cannot be disabled" in error.value.render()
    assert "CLIENTWISE_DISABLE_PLUGINS" in error.value.render()


@pytest.mark.installed_plugins
def test_a_ruleset_disables_plugins_and_cannot_disable_essentials() -> None:
    from clientwise import parse_ruleset

    host = build_host()
    text = RULESET + '[plugins]\ndisable = ["nps"]\n'
    ruleset = parse_ruleset(text, host=host)
    assert ruleset.disabled == {"nps": "disabled by <string>: plugins.disable"} and ruleset.name == "t"
    assert "nps" in host.sections()  # loading a ruleset never changes the host
    view = Evaluator(ruleset, host=host).host
    assert "nps" not in view.sections()
    assert {i.name: (i.status, i.error) for i in view.plugin_infos()}["nps"] == ("disabled", "disabled by <string>: plugins.disable")
    with pytest.raises(RulesetError) as error:
        parse_ruleset(text.replace("nps", "writers"), origin="r.toml", host=build_host())
    assert "r.toml: plugins.disable: the built-in plugin 'writers' cannot be disabled" in error.value.render()


@pytest.mark.installed_plugins
def test_an_incompatible_plugin_is_skipped_with_the_versions_it_supports(monkeypatch) -> None:
    dist = SimpleNamespace(metadata={"Name": "clientwise-old"}, requires=["clientwise<0.1,>=0.0.1", "polars"],
                           name="clientwise-old", version="2.0")
    assert incompatibility(dist, "0.1.0") == (  # type: ignore[arg-type]
        "built for clientwise <0.1,>=0.0.1, but this is clientwise 0.1.0; install a version of clientwise-old "
        "made for clientwise 0.1.0, or clientwise<0.1,>=0.0.1")
    assert incompatibility(dist, "0.0.5") is None  # type: ignore[arg-type]
    point = SimpleNamespace(name="old", dist=dist, load=lambda: pytest.fail("an incompatible plugin is never imported"))
    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points", lambda **kw: [*real(**kw), point] if kw.get("group") == "clientwise" else real(**kw))
    info = {i.name: i for i in build_host().plugin_infos()}["old"]
    assert info.status == "incompatible" and "built for clientwise <0.1,>=0.0.1" in (info.error or "")


def test_plugin_settings_are_validated_and_reach_hooks(clientwise_host, register_plugin, evaluate_records) -> None:
    from clientwise import parse_ruleset

    plugin = settings_plugin()
    register_plugin(plugin, name="loyalty")
    with pytest.raises(RulesetError) as error:
        parse_ruleset(RULESET + "[plugins.loyalty]\nweight = -1\nwieght = 2\n", origin="r.toml", host=clientwise_host)
    text = error.value.render()
    assert "r.toml: plugins.loyalty.weight: Input should be greater than or equal to 0" in text
    assert "fix: use a value >= 0.0" in text
    assert "r.toml: plugins.loyalty.wieght: unknown key 'wieght'" in text and "did you mean 'weight'?" in text
    with pytest.raises(RulesetError) as error:
        parse_ruleset(RULESET + "[plugins.loyalt]\nweight = 1\n", origin="r.toml", host=clientwise_host)
    assert "no installed plugin is named 'loyalt'" in error.value.render()
    assert "did you mean 'loyalty'?" in error.value.render()
    with pytest.raises(RulesetError) as error:
        parse_ruleset(RULESET + "[plugins.segmentation]\nx = 1\n", origin="r.toml", host=clientwise_host)
    assert "the plugin 'segmentation' takes no settings" in error.value.render()
    rows = [{"customer_id": "A", "name": "Alpha", "revenue": "10"}]
    evaluate_records(RULESET + "[plugins.loyalty]\nweight = 2.5\n", customers=rows)
    evaluate_records(RULESET.replace("\n[metadata]", "\n\n[metadata]"), customers=rows)
    assert plugin.seen == [2.5, 1.0]


def failing_summary_plugin():
    from clientwise_nps import NpsSection

    class Broken(NpsSection):
        def summarize(self, config, table, context):
            raise ZeroDivisionError("division by zero")

    def before(context):
        raise KeyError("missing")

    return make_plugin(clientwise_sections=hookimpl(lambda: [Broken()]),
                           clientwise_before_evaluate=hookimpl(before))


NPS = RULESET + "[nps]\npromoter_min = 9\n"
ROWS = [{"customer_id": "A", "name": "Alpha", "revenue": "10", "satisfaction_score": "9"}]


def test_a_failing_plugin_is_isolated_attributed_and_marked(register_plugin, evaluate_records) -> None:
    register_plugin(failing_summary_plugin(), name="broken_nps")
    result = evaluate_records(NPS, customers=ROWS, strict_plugins=False)
    assert [f.render() for f in result.faults] == [
        "plugin 'broken_nps', hook clientwise_before_evaluate: KeyError: 'missing'",
        "plugin 'broken_nps', hook summarize, section [nps]: ZeroDivisionError: division by zero",
    ]
    summary = result.summary("nps")
    assert summary.error == "plugin 'broken_nps', hook summarize, section [nps]: ZeroDivisionError: division by zero"
    assert result.customers["nps_group"].to_list() == ["promoter"]  # the rest of the run went on
    assert result.summary("segmentation") is not None and result.summary("segmentation").error is None
    header = result.header()
    assert header["plugin_errors"][1] == {"plugin": "broken_nps", "version": None, "hook": "summarize",
                                          "section": "nps", "rule": None, "customer": None,
                                          "error": "ZeroDivisionError: division by zero"}
    with pytest.raises(PluginFailure) as error:
        evaluate_records(NPS, customers=ROWS, strict_plugins=True)
    assert "plugin 'broken_nps', hook clientwise_before_evaluate: KeyError" in str(error.value)


def test_the_cli_exits_3_and_reports_each_fault(write_ruleset, register_plugin, run_cli, tmp_path) -> None:
    register_plugin(failing_summary_plugin(), name="broken_nps")
    ruleset = write_ruleset(NPS, "r.toml")
    out = tmp_path / "out.json"
    outcome = run_cli("evaluate", str(ruleset), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(out))
    assert outcome.exit_code == FAULT_EXIT_CODE
    assert "warning: plugin error: plugin 'broken_nps', hook summarize, section [nps]: ZeroDivisionError" in outcome.output
    assert "error: 2 plugin error(s); the affected sections are marked as errors" in outcome.output
    to_stdout = run_cli("evaluate", str(ruleset), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat(), "-f", "csv")
    assert to_stdout.exit_code == FAULT_EXIT_CODE
    assert "error: plugin failed: plugin 'broken_nps', hook summarize, section [nps]: ZeroDivisionError" in to_stdout.output
    document = json.loads(out.read_text())
    assert document["portfolio"]["nps"]["error"].endswith("ZeroDivisionError: division by zero")
    strict = run_cli("evaluate", str(ruleset), str(demo_path()), "-o", str(tmp_path / "s.json"), "--strict-plugins")
    assert strict.exit_code == FAULT_EXIT_CODE and not (tmp_path / "s.json").exists()
    assert "--disable-plugin broken_nps" in strict.output


@pytest.mark.installed_plugins  # the provenance of an installed distribution
def test_provenance_names_the_plugin_and_version_of_each_section(invoke, write_ruleset) -> None:
    import clientwise

    result = clientwise.evaluate(clientwise.parse_ruleset(NPS), demo_path(), as_of=DEMO_AS_OF)
    assert result.provenance["nps"] == {"plugin": "nps", "distribution": "clientwise-nps", "version": "0.1.0"}
    assert result.provenance["segmentation"]["distribution"] == "clientwise"
    assert result.provenance["engine"]["plugin"] == "polars_engine"
    ruleset = write_ruleset(NPS, "r.toml")
    table = invoke("evaluate", str(ruleset), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat())
    assert table.code == 0, table.output
    assert "by plugin nps (clientwise-nps 0.1.0)" in table.stdout
    assert "by plugin segmentation (clientwise 0.1.0)" in table.stdout


@pytest.mark.installed_plugins
def test_plugins_list_and_show(invoke) -> None:
    listed = invoke("plugins")
    assert listed.code == 0
    assert "(built-in)       loaded  clientwise 0.1.0: checklist, duckdb_backend, durable_engine, functions" in listed.stdout
    assert "nps              loaded  clientwise-nps 0.1.0" in listed.stdout
    assert "segmentation     loaded" not in listed.output
    assert "segmentation     loaded  clientwise 0.1.0" in invoke("plugins", "--all").stdout
    disabled = json.loads(invoke("plugins", "--json", "--disable-plugin", "nps").stdout)
    assert {d["name"]: d["status"] for d in disabled}["nps"] == "disabled"
    shown = invoke("plugins", "show", "nps")
    assert shown.code == 0
    assert shown.stdout.splitlines()[:5] == [
        "nps (loaded) from clientwise-nps 0.1.0",
        "  hooks: clientwise_functions, clientwise_sections, clientwise_writers",
        "  section: nps - Net promoter score",
        "  function: clamp - clamp(x, low, high)",
        "  format: tsv - Tab-separated customers table (from the clientwise-nps example plugin).",
    ]
    described = json.loads(invoke("plugins", "show", "nps", "--json").stdout)
    assert described["sections"][0]["schema"]["properties"]["promoter_min"]["default"] == 9
    missing = invoke("plugins", "show", "np")
    assert missing.code == 2 and "no plugin named 'np'" in missing.stderr and "did you mean 'nps'?" in missing.stderr


def test_assert_plugin_valid_catches_the_usual_mistakes() -> None:
    assert_plugin_valid(settings_plugin())
    typo = make_plugin(clientwise_section=hookimpl(lambda: []))
    with pytest.raises(AssertionError, match="clientwise_section: no such hook"):
        assert_plugin_valid(typo)

    def after(context, result=None):
        return None

    with pytest.raises(AssertionError, match="argument 'result' has a default"):
        assert_plugin_valid(make_plugin(clientwise_after_evaluate=hookimpl(after)))

    class NoDefaults(Strict):
        weight: float

    with pytest.raises(AssertionError, match="the settings need defaults"):
        assert_plugin_valid(make_plugin(clientwise_plugin_config=hookimpl(lambda: NoDefaults)))


def test_assert_plugin_valid_catches_a_function_whose_two_implementations_disagree() -> None:
    import clientwise_nps
    from clientwise.expr import FunctionSpec, Type

    def spec(polars: Any) -> FunctionSpec:
        return FunctionSpec(name="bounded", kind="scalar", min_args=2, max_args=2, returns=lambda _t: Type("number"),
                            polars=polars, python=lambda v, _c: None if None in v else min(v[0], v[1]),
                            doc="x, at most y (null if any is null).", example="bounded(headroom, 10)",
                            signature="bounded(x, y)")

    # min_horizontal skips nulls: bounded(null, 10) would be 10 on polars but null in Python
    sloppy = spec(lambda args, _call: pl.min_horizontal(args[0], args[1]))
    with pytest.raises(AssertionError) as failure:
        assert_plugin_valid(make_plugin(clientwise_functions=hookimpl(lambda: [sloppy])))
    message = str(failure.value)
    assert "clientwise_functions: bounded() disagrees with itself: bounded(headroom, 10) with headroom=None" in message
    assert "is 10.0 on polars but None in Python" in message and "nulls included" in message
    careful = spec(lambda args, _call: pl.when(args[0].is_null() | args[1].is_null()).then(None)
                   .otherwise(pl.min_horizontal(args[0], args[1])))
    assert_plugin_valid(make_plugin(clientwise_functions=hookimpl(lambda: [careful])))
    assert_plugin_valid(clientwise_nps)  # its clamp() had this very bug until the check found it


def test_assert_plugin_valid_does_not_depend_on_the_plugin_authors_environment(monkeypatch) -> None:
    """The function check reads the default ruleset's fields from the built-ins, whatever the
    shell switches off: the default ruleset needs the relationship plugin."""
    import clientwise_nps

    monkeypatch.setenv("CLIENTWISE_DISABLE_PLUGINS", "relationship")
    assert_plugin_valid(clientwise_nps)


def test_hook_calls_follow_the_documented_lifecycle(register_plugin, hook_calls, evaluate_records) -> None:
    register_plugin(settings_plugin(), name="loyalty")
    evaluate_records(RULESET, customers=[{"customer_id": "A", "name": "Alpha", "revenue": "10"}])
    names = list(dict.fromkeys(hook_calls.names()))
    assert names.index("clientwise_plugin_config") < names.index("clientwise_after_evaluate")
    assert hook_calls.calls[-1].hook == "clientwise_after_evaluate"
    assert set(hook_calls.calls[-1].kwargs) == {"context", "result"}


def test_the_test_harness_is_registered_as_a_pytest_plugin() -> None:
    points = {ep.name: ep.value for ep in metadata.entry_points(group="pytest11")}
    assert points["clientwise"] == "clientwise.sdk.testing"
    assert pl.DataFrame  # the harness imports nothing heavy itself (checked below)
    import subprocess
    import sys

    code = "import sys, clientwise.sdk.testing; print('polars' in sys.modules, 'clientwise.runtime.evaluator' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False False\n"


def per_row_plugin():
    """A function that raises for one customer, and an engine that fails on that customer too."""
    from clientwise.expr.functions import FunctionSpec
    from clientwise.expr.types import Type
    from clientwise.plugins.engines.polars import PolarsEngine

    def shout(value):
        if value == "Beta":
            raise ValueError("cannot shout Beta")
        return value.upper()

    spec = FunctionSpec(
        name="shout", kind="scalar", min_args=1, max_args=1, returns=lambda _t: Type("string"),
        polars=lambda args, _call: args[0].map_elements(shout, return_dtype=pl.String),
        python=lambda values, _call: shout(values[0]), doc="upper case", example="shout(name)", signature="shout(x)",
    )

    class Picky(PolarsEngine):
        name = "picky"
        description = "fails when customer C is present"

        def decide(self, frame, decisions, context):
            if "C" in frame["customer_id"].to_list():
                raise RuntimeError("customer C breaks me")
            return super().decide(frame, decisions, context)

    return make_plugin(clientwise_functions=hookimpl(lambda: [spec]), clientwise_engines=hookimpl(lambda: [Picky()]))


SHOUT = RULESET + '[derive]\nloud = "shout(name)"\nsize = "revenue * 2"\n'
THREE = [{"customer_id": k, "name": n, "revenue": r} for k, n, r in [("A", "Alpha", "30"), ("B", "Beta", "20"), ("C", "Gamma", "10")]]


def test_a_plugin_function_failing_on_one_customer_is_attributed_to_that_customer(register_plugin, evaluate_records) -> None:
    register_plugin(per_row_plugin(), name="shouter")
    result = evaluate_records(SHOUT, customers=THREE, strict_plugins=False)
    assert len(result.faults) == 1
    fault = result.faults[0]
    assert fault.render().startswith("plugin 'shouter', hook derive, section [derive], field loud, customer B: ")
    assert fault.error == "ValueError: cannot shout Beta"
    assert (fault.plugin, fault.hook, fault.rule, fault.customer) == ("shouter", "derive", "loud", "B")
    trace = {step.name: step.value for step in result.explain("A").derived}
    assert trace["size"] == 60 and trace["loud"] is None  # the rest of the stratum still ran
    assert result.customers.height == 3
    assert any(w.startswith("plugin error: plugin 'shouter', hook derive") for w in result.warnings)


def test_a_plugin_engine_failing_on_one_customer_marks_its_decisions_unknown(register_plugin, evaluate_records) -> None:
    register_plugin(per_row_plugin(), name="shouter")
    result = evaluate_records(RULESET, customers=THREE, engine="picky", strict_plugins=False)
    decide_faults = [f for f in result.faults if f.hook == "decide"]
    assert decide_faults and {f.plugin for f in decide_faults} == {"shouter"}
    assert {f.customer for f in decide_faults} == {"C"}
    assert decide_faults[0].error == "RuntimeError: customer C breaks me"
    assert result.customers["tier"].to_list() == [None, None, None]


def chaining_plugin() -> SimpleNamespace:
    from clientwise.plugins.engines.polars import PolarsEngine

    class Chainer(PolarsEngine):
        """Chains (gets the classifications and the actions in one call) and cannot rank value classes."""

        name = "chainer"
        description = "a chaining engine that fails on value_class"
        chains = True

        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def decide(self, frame, decisions, context):
            self.calls.append([d.output for d in decisions])
            if any(d.output == "value_class" for d in decisions):
                raise RuntimeError("value classes are beyond me")
            return super().decide(frame, decisions, context)

    engine = Chainer()
    return make_plugin(clientwise_engines=hookimpl(lambda: [engine]), engine=engine)


def test_a_chaining_engine_failing_in_one_decision_loses_only_that_decision(register_plugin, evaluate_records) -> None:
    plugin = chaining_plugin()
    register_plugin(plugin, name="chainer")
    # with the map review column (empty), so relationship health is computed (not unknown for lack of it)
    customers = [{**customer, "relationship_map_reviewed": None} for customer in THREE]
    result = evaluate_records(RULESET, customers=customers, engine="chainer", strict_plugins=False)
    assert [f.rule for f in result.faults if f.hook == "decide"] == ["value_class"]
    assert result.customers["value_class"].to_list() == [None, None, None]
    assert result.customers["tier"].to_list() == ["strategic", "core", "transactional"]  # decided as usual
    assert result.customers["health_band"].null_count() == 0
    calls = plugin.engine.calls
    assert calls[:3] == [["tier", "value_class", "health_band", "actions"],  # one chained call first,
                         ["tier", "value_class", "health_band"],  # then stratum by stratum,
                         ["tier"]]  # then (in the stratum that failed) decision by decision
    assert ["health_band"] in calls and calls[-1] == ["actions"]


def test_the_plugins_table_schema_has_every_plugin_config(clientwise_host, register_plugin) -> None:
    from clientwise.host.settings import plugins_table_schema

    register_plugin(settings_plugin(), name="loyalty")
    schema = plugins_table_schema(clientwise_host)
    assert sorted(schema["properties"]) == ["disable", "loyalty"]
    weight = schema["properties"]["loyalty"]["properties"]["weight"]
    assert (weight["default"], weight["minimum"], weight["description"]) == (1.0, 0, "How much loyalty counts.")
    assert schema["additionalProperties"] is False


def test_a_registration_hook_that_raises_is_attributed(run_cli, register_plugin) -> None:
    def sections():
        raise AttributeError("'NoneType' object has no attribute 'model'")

    register_plugin(make_plugin(clientwise_sections=hookimpl(sections)), name="halfbaked")
    outcome = run_cli("check", "default")
    assert outcome.exit_code == 2
    assert ("plugin 'halfbaked' failed in clientwise_sections: AttributeError: 'NoneType' object has no "
            "attribute 'model'") in outcome.output
    assert "--disable-plugin halfbaked" in outcome.output
    assert run_cli("check", "default", "--disable-plugin", "halfbaked").exit_code == 0


def every_hook_plugin() -> ModuleType:
    """Implements every hook (registering nothing), so each call shows up in hook_calls."""
    return make_plugin(
        clientwise_sections=hookimpl(lambda: []), clientwise_functions=hookimpl(lambda: []),
        clientwise_loaders=hookimpl(lambda: []), clientwise_writers=hookimpl(lambda: []),
        clientwise_engines=hookimpl(lambda: []), clientwise_plugin_config=hookimpl(lambda: None),
        clientwise_before_evaluate=hookimpl(lambda context: None),
        clientwise_after_evaluate=hookimpl(lambda context, result: None),
    )


def test_the_documented_lifecycle_is_the_order_hooks_are_called_in(register_plugin, hook_calls, run_cli, docs,
                                                                     tmp_path) -> None:
    import re

    register_plugin(every_hook_plugin(), name="everything")
    out = tmp_path / "out.csv"
    outcome = run_cli("evaluate", "default", str(demo_path()), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(out))
    assert outcome.exit_code == 0, outcome.output
    called = list(dict.fromkeys(name for name in hook_calls.names()))
    doc = (docs / "plugin-hooks.md").read_text()
    lifecycle = doc[doc.index("## Lifecycle"):doc.index("## clientwise_sections()")]
    documented = list(dict.fromkeys(re.findall(r"`(clientwise_\w+)`", lifecycle)))
    assert sorted(called) == sorted(documented)
    # each hook is first called no earlier than the step the table puts it in
    step_of = {}
    for line in lifecycle.splitlines():
        match = re.match(r"\| (\d+) \|", line)
        for name in re.findall(r"`(clientwise_\w+)`", line) if match else ():
            step_of.setdefault(name, int(match.group(1)))
    steps = [step_of[name] for name in called]
    assert steps == sorted(steps), list(zip(called, steps))


@pytest.mark.installed_plugins
def test_the_environment_disables_plugins_for_the_cli(invoke) -> None:
    listed = invoke("plugins", "--json", env={"CLIENTWISE_DISABLE_PLUGINS": "nps"})
    assert {d["name"]: d["error"] for d in json.loads(listed.stdout)}["nps"] == "disabled by CLIENTWISE_DISABLE_PLUGINS"
    refused = invoke("check", "default", "--disable-plugin", "polars_engine")
    assert refused.code == 2
    assert "the built-in plugin 'polars_engine' cannot be disabled: the core cannot run without it" in refused.stderr


@pytest.mark.installed_plugins
def test_a_required_plugin_that_is_disabled_is_reported_as_such() -> None:
    from clientwise import parse_ruleset

    text = RULESET.replace('name = "t"', 'name = "t"\nrequires = ["nps"]')
    with pytest.raises(RulesetError) as error:
        parse_ruleset(text, origin="r.toml", host=build_host(disable=["nps"]))
    assert ("r.toml: metadata.requires: the ruleset requires plugin 'nps', which is disabled: "
            "disabled by --disable-plugin") in error.value.render()
    assert "fix: enable it again" in error.value.render()


def test_evaluation_context_fixture_gives_hooks_their_real_context(evaluation_context) -> None:
    context = evaluation_context(RULESET, customers=[{"customer_id": "A", "name": "Alpha", "revenue": "1.5"}])
    assert context.as_of.isoformat() == "2026-06-30" and context.engine.name == "polars"
    assert context.tables["customers"]["revenue"].to_list() == [1.5]
    assert context.tables["interactions"].height == 0
    assert context.plugin_settings("nobody") is None

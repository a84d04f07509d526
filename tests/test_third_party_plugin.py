"""A real third-party plugin package (examples/clientwise-nps), installed by `make test`
and discovered through its entry point: it adds a section, a function and a format.

Unlike the rest of the suite, these tests see the plugins installed on the machine: being
found there is what they test.
"""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

import polars as pl
import pytest

import clientwise
from clientwise.sample import DEMO_AS_OF, demo_path

pytestmark = pytest.mark.installed_plugins

NPS_RULESET = """
schema = 1
extends = "default"

[metadata]
name = "with-nps"
requires = ["nps"]

[nps]
promoter_min = 9
detractor_max = 6

[derive]
margin_clamped = "clamp(gross_margin, 0, 0.5)"

[[rules]]
id = "call_detractor"
when = "nps_group == 'detractor' and tier in ['strategic', 'core']"
action = "Call the detractor"
priority = 2
because = "Satisfaction is {satisfaction_score}"
"""


def test_a_single_customer_gets_its_batch_result_with_the_plugins_function_and_section() -> None:
    # evaluate_one derives row-local fields with each function's Python implementation
    from clientwise.sample import generate

    ruleset = clientwise.parse_ruleset(NPS_RULESET, origin="with-nps.toml")
    evaluator = clientwise.Evaluator(ruleset)
    tables = generate(200, seed=3)
    batch = evaluator.evaluate(tables, as_of="2026-06-30")
    clamped = set()
    for record in tables["customers"].gather(range(0, 200, 7)).to_dicts():
        one = evaluator.evaluate_one(record)
        key = record["customer_id"]
        assert one.customers.equals(batch.customers.filter(pl.col("customer_id") == key))
        assert one.actions.equals(batch.actions.filter(pl.col("customer_id") == key))
        value = next(step.value for step in one.explain(key).derived if step.name == "margin_clamped")  # plugin's clamp()
        assert value == next(step.value for step in batch.explain(key).derived if step.name == "margin_clamped")
        clamped.add(value)
    assert {0.0, None} <= clamped and len(clamped) > 3  # negative margins clamped to 0, none stay none, others kept


def test_the_plugin_is_installed_as_a_distribution_with_an_entry_point() -> None:
    points = {ep.name: ep for ep in metadata.entry_points(group="clientwise")}
    assert "nps" in points
    assert points["nps"].dist is not None and points["nps"].dist.name == "clientwise-nps"
    info = {i.name: i for i in clientwise.build_host().plugin_infos()}["nps"]
    assert info.status == "loaded"
    assert set(info.hooks) == {"clientwise_sections", "clientwise_functions", "clientwise_writers"}


def customers() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "name": ["Alpha", "Beta", "Gamma", "Delta"],
            "revenue": [400.0, 300.0, 200.0, 100.0],
            "gross_margin": [0.9, 0.3, -0.2, None],
            "satisfaction_score": [9.0, 7.0, 3.0, None],
        }
    )


def empty(table: str) -> pl.DataFrame:
    ruleset = clientwise.load_ruleset("default")
    fields = getattr(ruleset.core.data, table).fields
    return pl.DataFrame(schema={name: pl.String for name in fields})


def test_section_function_and_chained_rule_work_end_to_end() -> None:
    ruleset = clientwise.parse_ruleset(NPS_RULESET, origin="with-nps.toml")
    assert "nps" in ruleset.sections
    data = {"customers": customers(), "contacts": empty("contacts"), "interactions": empty("interactions")}
    result = clientwise.evaluate(ruleset, data, as_of="2026-06-30")
    groups = dict(zip(result.customers["customer_id"], result.customers["nps_group"]))
    assert groups == {"A": "promoter", "B": "passive", "C": "detractor", "D": None}
    summary = result.summary("nps")
    assert summary is not None and summary.figures["nps"] == 0.0  # (1 promoter - 1 detractor) / 3
    trace = result.explain("A")
    clamped = next(step for step in trace.derived if step.name == "margin_clamped")
    assert clamped.value == pytest.approx(0.5)
    assert clamped.inputs == {"gross_margin": pytest.approx(0.9)}
    tiers = dict(zip(result.customers["customer_id"], result.customers["tier"]))
    fired = set(result.actions.filter(pl.col("rule") == "call_detractor")["customer_id"])
    # 4 customers: strategic = max(1, ceil(0.4)) = 1, core = the next max(1, ceil(1.2)) = 2
    assert tiers == {"A": "strategic", "B": "core", "C": "core", "D": "transactional"}
    assert fired == {"C"}
    because = result.actions.filter(pl.col("rule") == "call_detractor")["because"].to_list()
    assert because == ["Satisfaction is 3"]


def test_the_plugin_format_is_offered_by_the_cli(invoke, write_ruleset, tmp_path: Path) -> None:
    ruleset = write_ruleset(NPS_RULESET, "with-nps.toml")
    out = tmp_path / "result.tsv"
    outcome = invoke("evaluate", str(ruleset), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(out))
    assert outcome.code == 0, outcome.output
    lines = out.read_text().splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["customer_id", "name"] and "nps_group" in header
    assert len(lines) == 301


def test_a_bad_plugin_setting_is_reported_with_its_key_path() -> None:
    with pytest.raises(clientwise.RulesetError) as error:
        clientwise.parse_ruleset(NPS_RULESET.replace("detractor_max = 6", "detractor_max = 11"), origin="n.toml")
    assert "n.toml: nps.detractor_max" in str(error.value)
    assert "use a value <= 10" in str(error.value)

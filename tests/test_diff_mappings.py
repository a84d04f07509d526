"""``clientwise diff A B DATA`` reads DATA with each ruleset's own ``[data]``, in either order.

Two client rulesets over the same raw exports: the second reads the contacts' strength
words more generously, or switches relationship health off. Each side must read the
files with its own mapping (the same mapping on both sides would show no difference),
and loading one must not change what the other sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientwise.runtime.evaluator import Evaluator

DATA = Path(__file__).resolve().parent / "data"
RAW, RULESET = DATA / "mueller_raw", DATA / "mueller.toml"
AS_OF = "2026-01-15"


@pytest.fixture
def generous(write_ruleset) -> Path:
    return write_ruleset(f'extends = "{RULESET}"\n[metadata]\nname = "generous"\n'
                         "[data.contacts.fields.strength.map]\nignore_case = { schwach = 2, mittel = 3 }\n",
                         "generous.toml")


@pytest.fixture
def without_relationship(write_ruleset) -> Path:
    return write_ruleset(f'extends = "{RULESET}"\n[metadata]\nname = "no-health"\n[relationship]\nenabled = false\n',
                         "no-health.toml")


def health(path: Path) -> float:
    with Evaluator(path) as evaluator:
        summary = evaluator.evaluate(RAW, as_of=AS_OF).summary("relationship")
    assert summary is not None
    return summary.figures["mean_health_score"]


@pytest.mark.parametrize("generous_first", [True, False])
def test_diff_reads_the_data_with_each_rulesets_mapping(invoke, generous: Path, generous_first: bool) -> None:
    pair = [str(generous), str(RULESET)] if generous_first else [str(RULESET), str(generous)]
    run = invoke("diff", *pair, str(RAW), "--as-of", AS_OF, "--json")
    assert run.code == 0, run.output
    compared = json.loads(run.stdout)
    assert [compared["a"].split()[0], compared["b"].split()[0]] == (
        ["generous", "mueller"] if generous_first else ["mueller", "generous"])
    figures = {f"{row['section']}.{row['figure']}": (row["a"], row["b"]) for row in compared["figures"]}
    a, b = figures["relationship.mean_health_score"]
    expected = (health(generous), health(RULESET))
    assert (a, b) == pytest.approx(expected if generous_first else expected[::-1])
    assert expected[0] > expected[1]  # "mittel" counts as strong: more roles covered
    assert sum(row["customers"] for row in compared["tier_matrix"]) == 8


@pytest.mark.parametrize("switched_first", [True, False])
def test_diff_with_a_ruleset_that_switches_a_section_off(invoke, without_relationship: Path,
                                                         switched_first: bool) -> None:
    pair = [str(without_relationship), str(RULESET)] if switched_first else [str(RULESET), str(without_relationship)]
    run = invoke("diff", *pair, str(RAW), "--as-of", AS_OF)
    assert run.code == 0, run.output
    assert "0 customers change tier." in run.stdout  # the same tiers: segmentation reads the same mapping
    [line] = [line for line in run.stdout.splitlines() if line.split()[:1] == ["relationship.mean_health_score"]]
    assert line.endswith("*")  # one side has relationship health, the other has none

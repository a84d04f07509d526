"""[checklist]: compiled fields, validation, the summary, and scores evaluated end to end."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from clientwise.contracts import CompileContext
from clientwise.errors import RulesetError
from clientwise.plan import SectionPlan
from clientwise.plugins.checklist import BandSpec, ChecklistConfig, ChecklistHandler, Question
from clientwise.ruleset.data import DataConfig

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = tomllib.loads((ROOT / "rulesets" / "default.toml").read_text())
CONTEXT = CompileContext("test.toml", DataConfig.model_validate(DEFAULT["data"]))

TWO = [
    {"id": "renewal", "text": "Renewal process?", "field": "renewal_process"},
    {"id": "sponsor", "text": "Sponsor assigned?", "when": "executive_sponsor is not null", "weight": 2},
]


def compile_section(**section: object) -> SectionPlan:
    return ChecklistHandler().compile(ChecklistConfig.model_validate(section), CONTEXT)


def derived(plan: SectionPlan) -> dict[str, str]:
    return {f.name: f.expression for f in plan.derived}  # type: ignore[union-attr]


def test_compiles_to_a_gated_weighted_scorecard() -> None:
    plan = compile_section(questions=TWO)
    assert derived(plan) == {
        "checklist_assessed": "segment_rank <= 10",
        "checklist_renewal": "if_else(checklist_assessed, renewal_process, null)",
        "checklist_sponsor": "if_else(checklist_assessed, executive_sponsor is not null, null)",
        "checklist_score": "if_else(checklist_assessed, if_else(checklist_renewal, 1, 0) + if_else(checklist_sponsor, 2, 0), null)",
        "checklist_possible": "if_else(checklist_assessed, if_else(checklist_renewal is null, 0, 1) + "
                              "if_else(checklist_sponsor is null, 0, 2), null)",
        "checklist_pct": "if_else(checklist_possible > 0, 100 * checklist_score / checklist_possible, null)",
        "checklist_answered": "if_else(checklist_assessed, if_else(checklist_renewal is null, 0, 1) + "
                              "if_else(checklist_sponsor is null, 0, 1), null)",
        "checklist_applicable": "checklist_answered",
    }
    assert [(c.name, c.kind) for c in plan.outputs] == [
        ("checklist_score", "number"), ("checklist_pct", "percent"), ("checklist_answered", "integer"),
        ("checklist_renewal", "boolean"), ("checklist_sponsor", "boolean")]
    assert plan.outputs[3].label == "Renewal process?"
    assert plan.classifications == []


def test_key_paths() -> None:
    sources = {f.name: f.source.path for f in compile_section(questions=TWO).derived}
    assert sources["checklist_assessed"] == "checklist.assess"
    assert sources["checklist_renewal"] == "checklist.questions[0].field"
    assert sources["checklist_sponsor"] == "checklist.questions[1].when"
    assert sources["checklist_pct"] == "checklist.questions"


def test_unanswered_as_no_keeps_the_weight_in_the_denominator() -> None:
    fields = derived(compile_section(questions=TWO, unanswered="no", assess="true"))
    assert fields["checklist_possible"] == "if_else(checklist_assessed, 3, null)"
    assert fields["checklist_applicable"] == "if_else(checklist_assessed, 2, null)"


def test_bands_become_a_classification() -> None:
    plan = compile_section(questions=TWO, bands=[{"id": "strong"}, {"id": "weak", "up_to": 50}])
    (band,) = plan.classifications
    assert band.output == "checklist_band"
    assert [(r.id, r.when, r.then) for r in band.rules] == [
        ("weak", "checklist_pct <= 50", "'weak'"), ("strong", "checklist_pct is not null", "'strong'")]
    assert band.rules[0].source.path == "checklist.bands[1]"
    assert ("checklist_band", "text") in [(c.name, c.kind) for c in plan.outputs]


def test_no_questions_only_the_assess_field() -> None:
    plan = compile_section()
    assert derived(plan) == {"checklist_assessed": "segment_rank <= 10"}
    assert plan.outputs == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"questions": [*TWO, {"id": "renewal", "text": "again", "field": "renewal_process"}]},
         "question id 'renewal' appears twice: checklist.questions[0] and checklist.questions[2]"),
        ({"questions": [{"id": "q", "text": "t"}]}, "question 'q' needs exactly one of field"),
        ({"questions": [{"id": "q", "text": "t", "field": "a", "when": "b"}]}, "question 'q' needs exactly one of field"),
        ({"questions": [{"id": "q", "text": "t", "field": "a", "weight": -1}]}, "greater than or equal to 0"),
        ({"questions": [{"id": "q-1", "text": "t", "field": "a"}]}, "should match pattern"),
        ({"bands": [{"id": "a"}, {"id": "b"}]}, "checklist.bands: only the top band may leave out up_to"),
        ({"bands": [{"id": "a", "up_to": 5}, {"id": "a", "up_to": 6}]},
         "band id 'a' appears twice: checklist.bands[0] and checklist.bands[1]"),
        ({"unanswered": "skip"}, "Input should be 'not_applicable' or 'no'"),
    ],
)
def test_invalid_sections(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        ChecklistConfig.model_validate(section)
    assert message in str(error.value)


def test_a_non_boolean_field_is_an_error_at_its_key() -> None:
    with pytest.raises(RulesetError) as error:
        compile_section(questions=[*TWO, {"id": "news", "text": "t", "field": "newsletter_recipients"}])
    (problem,) = error.value.problems
    assert problem.location == "checklist.questions[2].field" and problem.file == "test.toml"
    assert "'newsletter_recipients', which is integer, not a yes/no field" in problem.message


def test_the_default_ruleset_has_twenty_questions() -> None:
    config = ChecklistConfig.model_validate(DEFAULT["checklist"])
    assert len(config.questions) == 20
    assert config.assess == ChecklistConfig().assess and config.unanswered == "not_applicable" and config.bands == []
    by_id = {q.id: q for q in config.questions}
    assert [by_id[i].field for i in ("management_knows_top", "marketing_knows_top", "service_knows_top")] == [
        "management_knows_top", "marketing_knows_top", "service_knows_top"]
    assert by_id["competitor_known"].when == "competitor_pilot is not null"
    assert by_id["satisfaction_known"].when == "satisfaction_score is not null"
    assert by_id["newsletter_reach"].when == "newsletter_recipients >= 3"
    assert all(q.weight == 1 for q in config.questions)


def test_default_ruleset_derives_the_names_other_sections_rely_on() -> None:
    assert {"last_sponsor_visit", "last_pricing_discussion", "last_roadmap_meeting", "roadmap_meetings_6m",
            "roadmap_product_led_share_6m", "roadmap_listen_share_6m", "requirements_delivered_6m"} <= set(DEFAULT["derive"])
    assert DEFAULT["derive"]["last_sponsor_visit"]["expr"] == (
        "max_of(interactions, date, type == 'visit' and by_sponsor and channel == 'in_person')")


def test_every_key_is_documented() -> None:
    text = (ROOT / "docs" / "plugins" / "checklist.md").read_text()
    for model in (ChecklistConfig, Question, BandSpec):
        for name in model.model_fields:
            assert f"`{name}`" in text, f"docs/plugins/checklist.md does not mention `{name}`"
    assert "## Weighted scorecards" in text


# -- summary ----------------------------------------------------------------------
def test_summary_counts_answers_of_assessed_customers_only() -> None:
    frame = pl.DataFrame({
        "customer_id": ["A", "B", "C", "D"],
        "checklist_assessed": [True, True, True, False],
        "checklist_renewal": [True, False, None, None],
        "checklist_sponsor": [True, True, True, None],
        "checklist_pct": [100.0, 200 / 3, 100.0, None],
    })
    summary = ChecklistHandler().summarize(ChecklistConfig.model_validate({"questions": TWO}), frame)
    assert summary.tables["questions"].to_dicts() == [
        {"question": "renewal", "text": "Renewal process?", "weight": 1.0, "yes": 1, "no": 1, "answered": 2,
         "not_applicable": 1, "yes_share": 0.5},
        {"question": "sponsor", "text": "Sponsor assigned?", "weight": 2.0, "yes": 3, "no": 0, "answered": 3,
         "not_applicable": 0, "yes_share": 1.0},
    ]
    assert summary.figures["assessed"] == 3 and summary.figures["scored"] == 3
    assert summary.figures["mean_pct"] == pytest.approx((100 + 200 / 3 + 100) / 3)
    assert summary.warnings == []


def test_summary_warns_when_nobody_is_assessed() -> None:
    frame = pl.DataFrame({"checklist_assessed": [False, None], "checklist_renewal": [None, None],
                          "checklist_sponsor": [None, None], "checklist_pct": [None, None]},
                         schema_overrides={"checklist_renewal": pl.Boolean, "checklist_sponsor": pl.Boolean,
                                           "checklist_pct": pl.Float64})
    summary = ChecklistHandler().summarize(ChecklistConfig.model_validate({"questions": TWO}), frame)
    assert summary.figures["assessed"] == 0 and summary.figures["mean_pct"] is None
    assert summary.tables["questions"].get_column("yes_share").to_list() == [None, None]
    assert summary.warnings == [
        "No customer was assessed with the checklist: checklist.assess (segment_rank <= 10) held for no one"]


def test_summary_band_counts() -> None:
    frame = pl.DataFrame({"checklist_assessed": [True, True, True, False],
                          "checklist_pct": [20.0, 80.0, 90.0, None],
                          "checklist_band": ["weak", "strong", "strong", None]})
    config = ChecklistConfig.model_validate({"bands": [{"id": "weak", "up_to": 50}, {"id": "strong"}]})
    summary = ChecklistHandler().summarize(config, frame)
    assert summary.tables["bands"].to_dicts() == [{"band": "strong", "customers": 2}, {"band": "weak", "customers": 1}]
    assert summary.warnings == ["The checklist has no questions: add [[checklist.questions]]"]

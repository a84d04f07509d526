"""[checklist]: compiled fields, validation, the summary, and scores evaluated end to end."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

import clientwise
from clientwise.compiler.plan import SectionPlan
from clientwise.errors import RulesetError
from clientwise.host.contracts import CompileContext, SummaryContext
from clientwise.host.manager import PluginHost
from clientwise.plugins.sections.checklist import (
    BandSpec,
    ChecklistConfig,
    ChecklistHandler,
    Question,
)
from clientwise.ruleset.data import DataConfig

SUMMARY = SummaryContext(key="customer_id", name="name", as_of=dt.date(2026, 6, 30))

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
        ("checklist_score", "number"), ("checklist_pct", "number"), ("checklist_answered", "integer"),
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
        ({"questions": [{"id": "pct", "text": "t", "field": "a"}]}, "checklist.questions[0].id: 'pct' is reserved"),
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
    summary = ChecklistHandler().summarize(ChecklistConfig.model_validate({"questions": TWO}), frame, SUMMARY)
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
    summary = ChecklistHandler().summarize(ChecklistConfig.model_validate({"questions": TWO}), frame, SUMMARY)
    assert summary.figures["assessed"] == 0 and summary.figures["mean_pct"] is None
    assert summary.tables["questions"].get_column("yes_share").to_list() == [None, None]
    assert summary.warnings == [
        "No customer was assessed with the checklist: checklist.assess (segment_rank <= 10) held for no one"]


def test_summary_band_counts() -> None:
    frame = pl.DataFrame({"checklist_assessed": [True, True, True, False],
                          "checklist_pct": [20.0, 80.0, 90.0, None],
                          "checklist_band": ["weak", "strong", "strong", None]})
    config = ChecklistConfig.model_validate({"bands": [{"id": "weak", "up_to": 50}, {"id": "strong"}]})
    summary = ChecklistHandler().summarize(config, frame, SUMMARY)
    assert summary.tables["bands"].to_dicts() == [{"band": "strong", "customers": 2}, {"band": "weak", "customers": 1}]
    assert summary.warnings == ["The checklist has no questions: add [[checklist.questions]]"]


# -- end to end: clientwise.parse_ruleset + clientwise.evaluate -------------------
AS_OF = dt.date(2026, 6, 30)
DATA = '''
schema = 1
[metadata]
name = "checklist-test"
[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }
revenue = { type = "money" }
renewal_process = { type = "boolean" }
executive_sponsor = { type = "string" }
newsletter_recipients = { type = "integer" }
'''
QUESTIONS = '''
[[checklist.questions]]
id = "renewal"
text = "Renewal process?"
field = "renewal_process"
[[checklist.questions]]
id = "sponsor"
text = "Sponsor assigned?"
when = "executive_sponsor is not null"
weight = 2
[[checklist.questions]]
id = "news"
text = "Newsletter reaches 3 or more?"
when = "newsletter_recipients >= 3"
'''


def portfolio(revenue: list[float] | None = None) -> pl.DataFrame:
    """C000: yes, yes, n/a; C001: no, no, yes; C002: n/a, yes, no; the rest: no, no, no."""
    revenue = revenue or [float(120 - 10 * i) for i in range(12)]
    n = len(revenue)
    return pl.DataFrame({
        "customer_id": [f"C{i:03d}" for i in range(n)],
        "revenue": revenue,
        "renewal_process": [True, False, None, *[False] * (n - 3)],
        "executive_sponsor": ["Ann", None, "Bob", *[None] * (n - 3)],
        "newsletter_recipients": [None, 5, 1, *[0] * (n - 3)],
    }, schema_overrides={"renewal_process": pl.Boolean, "newsletter_recipients": pl.Int64})


def run(host: PluginHost, section: str, frame: pl.DataFrame | None = None) -> clientwise.Result:
    ruleset = clientwise.parse_ruleset(DATA + section, host=host)
    return clientwise.evaluate(ruleset, {"customers": frame if frame is not None else portfolio()},
                               as_of=AS_OF, host=host)


def column(result: clientwise.Result, name: str) -> list[object]:
    return result.customers.get_column(name).to_list()


def test_scores_weights_and_not_applicable(host: PluginHost) -> None:
    result = run(host, "[segmentation]\n[checklist]\n" + QUESTIONS)
    assert column(result, "checklist_score")[:3] == [3, 1, 2]
    assert column(result, "checklist_answered")[:3] == [2, 3, 2]
    assert column(result, "checklist_pct")[:3] == pytest.approx([100.0, 25.0, 200 / 3])
    assert column(result, "checklist_news")[:3] == [None, True, False]
    assert column(result, "checklist_pct")[3] == 0.0


def test_only_assessed_customers_are_scored(host: PluginHost) -> None:
    result = run(host, "[segmentation]\n[checklist]\n" + QUESTIONS)
    # the default assess is segment_rank <= 10: C010 and C011 are not assessed
    assert column(result, "checklist_pct")[10:] == [None, None]
    assert column(result, "checklist_score")[10:] == [None, None]
    assert column(result, "checklist_answered")[10:] == [None, None]
    assert column(result, "checklist_renewal")[10:] == [None, None]
    summary = result.summary("checklist")
    assert summary is not None and summary.figures["assessed"] == 10


def test_ties_at_the_assess_cutoff_are_all_assessed(host: PluginHost) -> None:
    revenue = [float(120 - 10 * i) for i in range(12)]
    revenue[10] = revenue[9]  # C009 and C010 share rank 10
    result = run(host, "[segmentation]\n[checklist]\n" + QUESTIONS, portfolio(revenue))
    assert [v is not None for v in column(result, "checklist_pct")] == [True] * 11 + [False]


def test_unanswered_as_no(host: PluginHost) -> None:
    result = run(host, '[segmentation]\n[checklist]\nunanswered = "no"\n' + QUESTIONS)
    assert column(result, "checklist_pct")[:3] == pytest.approx([75.0, 25.0, 50.0])
    assert column(result, "checklist_answered")[:3] == [2, 3, 2]


def test_assess_with_a_population_function_and_no_segmentation(host: PluginHost) -> None:
    result = run(host, '[checklist]\nassess = "rank(revenue) <= 2"\n' + QUESTIONS)
    assert [v is not None for v in column(result, "checklist_pct")] == [True, True] + [False] * 10


def test_nothing_answered_gives_a_null_score(host: PluginHost) -> None:
    frame = portfolio().with_columns(pl.lit(None, pl.Boolean).alias("renewal_process"))
    result = run(host, '[checklist]\nassess = "true"\n[[checklist.questions]]\nid = "renewal"\n'
                       'text = "Renewal?"\nfield = "renewal_process"\n', frame)
    assert set(column(result, "checklist_pct")) == {None}
    assert set(column(result, "checklist_answered")) == {0}


def test_bands(host: PluginHost) -> None:
    bands = '[[checklist.bands]]\nid = "strong"\n[[checklist.bands]]\nid = "weak"\nup_to = 50\n'
    result = run(host, "[segmentation]\n[checklist]\n" + QUESTIONS + bands)
    assert column(result, "checklist_band")[:4] == ["strong", "weak", "strong", "weak"]
    assert column(result, "checklist_band")[10:] == [None, None]
    summary = result.summary("checklist")
    assert summary is not None
    assert summary.tables["bands"].to_dicts() == [{"band": "strong", "customers": 2}, {"band": "weak", "customers": 8}]


def test_summary_through_evaluate(host: PluginHost) -> None:
    summary = run(host, "[segmentation]\n[checklist]\n" + QUESTIONS).summary("checklist")
    assert summary is not None
    table = summary.tables["questions"].select("question", "yes", "no", "answered", "not_applicable")
    assert table.rows() == [("renewal", 1, 8, 9, 1), ("sponsor", 2, 8, 10, 0), ("news", 1, 8, 9, 1)]


def test_duplicate_question_ids_are_a_load_error_naming_the_key_path(host: PluginHost) -> None:
    twice = QUESTIONS + '[[checklist.questions]]\nid = "sponsor"\ntext = "again"\nfield = "renewal_process"\n'
    with pytest.raises(clientwise.RulesetError) as error:
        clientwise.parse_ruleset(DATA + "[checklist]\n" + twice, host=host)
    (problem,) = error.value.problems
    assert problem.location == "checklist.questions[3].id"
    assert "id 'sponsor' is used twice in this list (first at checklist.questions[1])" in problem.message


# -- the shipped default ruleset: [derive] fields feeding the 20 questions ----------
def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def test_default_ruleset_answers_from_interactions(host: PluginHost) -> None:
    customers = pl.DataFrame({
        "customer_id": ["A", "B"], "name": ["Alpha", "Beta"], "revenue": [1000.0, 500.0],
        "executive_sponsor": ["Ann", "Bob"], "management_knows_top": [True, None],
    })
    rows = [
        ("A", ago(30), "visit", "in_person", True, None, None),       # sponsor visit in person
        ("B", ago(10), "visit", "phone", True, None, None),            # a call is not a visit
        ("B", ago(200), "visit", "in_person", True, None, None),       # too long ago
        ("A", ago(150), "pricing_discussion", None, None, None, None),
        ("B", ago(200), "pricing_discussion", None, None, None, None),
        ("A", ago(20), "roadmap_meeting", "in_person", None, "product", 0.7),
        ("A", ago(100), "roadmap_meeting", "video", None, "sales", 0.4),
        ("A", ago(40), "requirement_delivered", None, None, None, None),
    ]
    interactions = pl.DataFrame(rows, orient="row", schema={
        "customer_id": pl.String, "date": pl.Date, "type": pl.String, "channel": pl.String,
        "by_sponsor": pl.Boolean, "led_by": pl.String, "listen_share": pl.Float64})
    contacts = pl.DataFrame(schema={"customer_id": pl.String, "role": pl.String, "strength": pl.Int64})
    result = clientwise.evaluate(clientwise.load_ruleset("default", host=host),
                                 {"customers": customers, "contacts": contacts, "interactions": interactions},
                                 as_of=AS_OF, host=host)
    answers = {q: column(result, f"checklist_{q}") for q in (
        "management_knows_top", "sponsor_visited", "pricing_discussed", "roadmap_shared", "roadmap_listened",
        "roadmap_led_by_product", "requirements_delivered", "satisfaction_known")}
    assert answers == {
        "management_knows_top": [True, None],
        "sponsor_visited": [True, False],
        "pricing_discussed": [True, False],
        "roadmap_shared": [True, False],
        "roadmap_listened": [True, None],          # mean listen share 0.55 > 0.5; n/a without a meeting
        "roadmap_led_by_product": [True, None],    # 1 of 2 led by product: >= 0.5
        "requirements_delivered": [True, False],
        # the data has no satisfaction_score column: unknown, not "no" (clientwise.runtime.absent)
        "satisfaction_known": [None, None],
    }
    assert column(result, "tier") == ["strategic", "core"]
    # fields missing from the data are null: not applicable, left out of the denominator; questions
    # asking whether a column the data lacks is filled in (competitor_known, satisfaction_known)
    # are unknown too, not "no"
    assert column(result, "checklist_answered") == [8, 5]
    assert column(result, "checklist_score") == [8, 1]
    assert column(result, "checklist_pct") == pytest.approx([100.0, 100 / 5])
    assert column(result, "checklist_competitor_known") == [None, None]

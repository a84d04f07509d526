"""The reasons the sections write (health bands, tiers, value classes) read in the report's
language, with its number format; the rule statuses read as words. The JSON keeps the
English reasons and the status ids; the ruleset's own ``because`` texts stay as written."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from report_inputs import GERMAN, german_result, hostile_data, hostile_result

import clientwise
from clientwise.compiler.plan import Source
from clientwise.expr import (
    NUMBER,
    STRING,
    EvalContext,
    FunctionRegistry,
    Scope,
    Template,
    check_template,
    parse_template,
    render_text,
)
from clientwise.output.messages import Messages
from clientwise.plugins.io.writers import JsonWriter
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports.model import Report, build
from clientwise.plugins.reports.traces import translated
from clientwise.sample import DEMO_AS_OF
from clientwise.sdk import (
    Classification,
    CompileContext,
    OutputColumn,
    Reason,
    Rule,
    SectionHandler,
    SectionPlan,
    Strict,
    hookimpl,
    number_text,
)

STATUSES = {"fired", "not_met", "unknown", "skipped"}


def _fired(report: Report, decision: str) -> dict[str, str]:
    """Customer key -> the because text of the rule that decided ``decision``."""
    return {c["key"]: t["because"] for c in report.customers for t in c["trace"]
            if t["decision"] == decision and t["status"] == "fired"}


def _json_traces(result: clientwise.Result) -> dict[str, list[dict[str, Any]]]:
    stream = io.BytesIO()
    JsonWriter(traces=True).write(result, stream)
    return {c["key"]: c["explanation"]["rules"] for c in json.loads(stream.getvalue())["customers"]}


@functools.lru_cache(maxsize=None)
def _german() -> tuple[Report, str]:
    return build(german_result(), details=True), report_html.render(german_result())


def test_a_german_report_gives_the_health_band_reason_in_german_with_german_numbers() -> None:
    report, _ = _german()
    scores = dict(zip(german_result().customers["customer_id"], german_result().customers["health_score"]))
    reasons = _fired(report, "health_band")
    assert len(reasons) == len(scores) == 300
    for key, because in reasons.items():
        match = re.fullmatch(r"Punktzahl (\S+) liegt (nicht )?über (\d+)", because)
        assert match, because
        assert match.group(1) == report.fmt.show(scores[key], "number")  # as the tables write it
    assert sum("," in text for text in reasons.values()) > 50  # decimal commas: 17,5, not 17.5


def test_a_german_report_gives_tier_value_class_and_override_reasons_in_german() -> None:
    report, _ = _german()
    tiers, classes = _fired(report, "tier"), _fired(report, "value_class")
    assert tiers["C00107"] == "Rang 1 von 300 nach Umsatz; die ersten 30 bilden das Segment Strategisch"
    assert tiers["C00013"] == "Segmentvorgabe: Key logo in the region"  # the reason in the data, as written
    assert tiers["C00125"] == "Segmentvorgabe: kein Grund erfasst"
    assert classes["C00203"] == ("Gewinn -343.271\u00a0€ liegt unter 0\u00a0€: Betreuungskosten 280.581\u00a0€ "
                                 "bei einem Rohertrag von -62.690\u00a0€")
    assert all(re.match(r"Rang \d|Segmentvorgabe:", text) for text in tiers.values())
    assert all(text.startswith("Gewinn ") for text in classes.values())


def test_a_german_report_shows_rule_statuses_and_decisions_in_words() -> None:
    _, document = _german()
    cells = re.findall(r'<td class="status-(\w+)">([^<]*)</td>', document)
    shown = dict(cells)
    assert shown == {"fired": "Ausgelöst", "not_met": "Nicht erfüllt", "unknown": "Unbekannt: Daten fehlen",
                     "skipped": "Nicht geprüft"}
    assert len(cells) > 5000 and len(set(cells)) == 4  # every status cell, each status always the same words
    assert '<td>Gesundheitsstufe</td><td>green</td><td class="status-fired">Ausgelöst</td>' in document
    assert "<td>health_band</td>" not in document and "<td>actions</td>" not in document


def test_an_english_report_keeps_the_english_reasons_and_words_for_statuses() -> None:
    result = hostile_result()
    report = build(result, details=True)
    scores = dict(zip(result.customers["customer_id"], result.customers["health_score"]))
    for key, because in _fired(report, "health_band").items():
        assert re.fullmatch(rf"Score {re.escape(report.fmt.show(scores[key], 'number'))} is (at most|above) \d+",
                            because), because
    assert _fired(report, "tier")["C00107"] == "Ranked 1 of 300 by revenue; the top 30 are strategic"
    document = report_html.render(result)
    assert dict(re.findall(r'<td class="status-(\w+)">([^<]*)</td>', document)) == {
        "fired": "Fired", "not_met": "Not met", "unknown": "Unknown: data missing", "skipped": "Not evaluated"}


def test_the_json_keeps_the_english_reasons_and_the_status_ids() -> None:
    traces = _json_traces(german_result())
    assert {step["status"] for steps in traces.values() for step in steps} == STATUSES
    bands = [step["because"] for steps in traces.values() for step in steps
             if step["decision"] == "health_band" and step["status"] == "fired"]
    assert len(bands) == 300
    # the ruleset's locale writes the numbers (as before), the words stay English
    assert all(re.fullmatch(r"Score \S+ is (at most|above) \d+", text) for text in bands)
    tier = next(step for step in traces["C00107"] if step["decision"] == "tier" and step["status"] == "fired")
    assert tier["because"] == "Ranked 1 of 300 by revenue; the top 30 are strategic"


# -- a third-party section's own reasons, in its own catalogue ----------------------------


class LoyaltyConfig(Strict):
    loyal_from: float = 1_000_000


class LoyaltySection(SectionHandler[LoyaltyConfig]):
    """Classifies customers as loyal with a reason of its own, translated in its own catalogue."""

    name: ClassVar[str] = "loyalty"
    model: ClassVar[type[LoyaltyConfig]] = LoyaltyConfig
    title: ClassVar[str] = "Loyalty"

    def compile(self, config: LoyaltyConfig, context: CompileContext) -> SectionPlan:
        source = context.source("loyalty")
        limit = number_text(config.loyal_from)
        rules = (Rule("loyal", f"revenue >= {limit}", "'loyal'", source,
                      Reason("Revenue {revenue} reaches {limit}", revenue="revenue:money", limit=f"{limit}:money")),
                 Rule("other", "revenue is not null", "'other'", source, "Below the bar: {revenue:money}"))
        return SectionPlan("loyalty", classifications=[Classification("loyalty", rules, source)],
                           outputs=[OutputColumn("loyalty", "Loyalty", "text")])


CATALOGUE = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Revenue {revenue} reaches {limit}"
msgstr "Umsatz {revenue} erreicht {limit}"
'''


def test_a_third_party_sections_reason_reads_in_its_own_catalogues_translation(tmp_path: Path) -> None:
    (tmp_path / "de.po").write_text(CATALOGUE, encoding="utf-8")

    class Translated(LoyaltySection):
        messages: ClassVar[Path | None] = tmp_path

    class Plugin:
        @hookimpl
        def clientwise_sections(self) -> list[SectionHandler[Any]]:
            return [Translated()]

    host = clientwise.build_host()
    host.register(Plugin(), name="loyalty")
    ruleset = clientwise.parse_ruleset(GERMAN + "[loyalty]\nloyal_from = 1000000\n", origin="acme.toml", host=host)
    with clientwise.Evaluator(ruleset, host=host) as evaluator:
        result = evaluator.evaluate(hostile_data(), as_of=DEMO_AS_OF)
    report = build(result, details=True)
    reasons = _fired(report, "loyalty")
    revenue = dict(zip(result.customers["customer_id"], result.customers["revenue"]))
    assert reasons["C00107"] == f"Umsatz {report.fmt.show(revenue['C00107'], 'money')} erreicht 1.000.000\u00a0€"
    assert reasons["C00107"] == "Umsatz 5.650.844\u00a0€ erreicht 1.000.000\u00a0€"
    small = next(key for key, value in revenue.items() if value is not None and value < 1_000_000)
    assert reasons[small] == f"Below the bar: {report.fmt.show(revenue[small], 'money')}"  # the ruleset's text
    json_reason = next(step["because"] for step in _json_traces(result)["C00107"]
                       if step["decision"] == "loyalty" and step["status"] == "fired")
    assert json_reason == "Revenue 5.650.844\u00a0€ reaches 1.000.000\u00a0€"


# -- Reason and its translation -------------------------------------------------------------

SRC = Source("plugin", "reason")
SCOPE = Scope({"score": NUMBER, "tier": STRING, "note": STRING})


def _checked(reason: Reason, functions: FunctionRegistry) -> Template:
    return check_template(parse_template(reason.template, SRC), SCOPE, functions, source=SRC)


def test_a_reason_is_an_english_template_with_each_field_filled() -> None:
    reason = Reason("Score {score} of {tier} ({why}; {note})", score="score:number", texts={"tier": "a {b}"},
                    templates={"why": "{tier} said so"}, note="coalesce(note, 'no note')")
    assert reason.template == "Score {score:number} of a {{b}} ({tier} said so; {coalesce(note, 'no note')})"
    assert Reason("Literal {{braces}} and {x}", x="score").template == "Literal {{braces}} and {score}"


@pytest.mark.parametrize(("message", "fields", "error"), [
    ("Score {score}", {}, r"fields without a value \['score'\]"),
    ("Score", {"score": "score"}, r"values it does not name \['score'\]"),
    ("Score {score:.1f}", {"score": "score"}, "without a format"),
])
def test_a_reason_whose_fields_do_not_match_its_message_is_refused(message: str, fields: dict[str, str],
                                                                   error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Reason(message, **fields)


def test_a_translation_is_filled_with_the_checked_placeholders(builtin_functions: FunctionRegistry,
                                                              expr_context: EvalContext) -> None:
    reason = Reason("Score {score} of {tier} ({why}; {note})", score="score:number", texts={"tier": "strategic"},
                    templates={"why": "{tier} said {{so}}"}, note="coalesce(note, 'no note')")
    english = _checked(reason, builtin_functions)
    german = Messages("de-DE", {reason.message: "{note}: {why}, Punktzahl {score} im Segment {tier}",
                                "Strategic": "Strategisch", "no note": "keine Notiz"})
    row = {"score": 17.5, "tier": "core", "note": None}
    assert render_text(english, row, expr_context) == "Score 17.5 of strategic (core said {so}; no note)"
    assert render_text(translated(english, reason, german), row, expr_context) == (
        "keine Notiz: core said {so}, Punktzahl 17.5 im Segment Strategisch")
    # English, or a translation naming a field the reason lacks: the template as it was
    assert translated(english, reason, Messages()) is english
    broken = Messages("de-DE", {reason.message: "Punktzahl {scor}"})
    assert render_text(translated(english, reason, broken), row, expr_context) == render_text(english, row,
                                                                                              expr_context)

"""The linter of clientwise check: each finding, its key path and fix, and --strict."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from clientwise import Evaluator, PluginHost, hookimpl
from clientwise.authoring.lint import lint
from clientwise.compiler.plan import Classification, Rule, SectionPlan
from clientwise.host.contracts import SectionHandler
from clientwise.sdk.testing import isolated_host

HEAD = 'schema = 1\nextends = "default"\n\n[metadata]\nname = "acme"\n\n'


def findings(tmp_path: Path, body: str, host: PluginHost | None = None) -> list[str]:
    path = tmp_path / "acme.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return [f"{f.code} | {f.problem.location} | {f.problem.message} | {f.problem.hint}"
            for f in lint(Evaluator(path, host=host).program)]


def action(rule_id: str, when: str, because: str = 'because = "b"') -> str:
    return f'[[rules]]\nid = "{rule_id}"\nwhen = "{when}"\naction = "a"\n{because}\n\n'


def test_the_default_ruleset_and_a_fresh_client_have_no_findings(tmp_path: Path) -> None:
    assert lint(Evaluator("default").program) == []
    assert findings(tmp_path, "") == []


def test_a_condition_that_can_never_hold(tmp_path: Path) -> None:
    found = findings(tmp_path, action("never", "revenue > 100 and revenue < 50") + action("off", "false"))
    assert found == [
        "never-true | rules[18].when | rule 'never' can never fire: no value of revenue meets all its conditions | "
        "one of the comparisons is the wrong way round or a threshold is off",
        "never-true | rules[19].when | rule 'off' can never fire: its condition is false | "
        "remove the rule, or write the condition it should have",
    ]


def test_thresholds_outside_the_sensible_range(tmp_path: Path) -> None:
    found = findings(tmp_path, action("pct", "health_score > 120 or satisfaction_score > 11")
                     + action("days", "days_since(relationship_map_reviewed) > -5")
                     + action("gold", "tier == 'gold'") + action("share", "checklist_pct <= 100"))
    assert found == [
        "range | rules[18].when | this part never holds: health_score > 120 is outside what health_score can be "
        "(>= 0 and <= 100) | check the threshold or the value's spelling",
        "range | rules[18].when | this part never holds: satisfaction_score > 11 is outside what satisfaction_score "
        "can be (>= 0 and <= 10) | check the threshold or the value's spelling",
        "range | rules[19].when | days_since(relationship_map_reviewed) > -5 always holds: "
        "days_since(relationship_map_reviewed) is always >= 0 | check the threshold against what the value can "
        "be: a percentage is 0 to 100, a share 0 to 1",
        "range | rules[20].when | rule 'gold' can never fire: tier == 'gold' is outside what tier can be (one of "
        "core, strategic, transactional) | check the threshold or the value's spelling",
        "range | rules[21].when | checklist_pct <= 100 always holds: checklist_pct is always >= 0 and <= 100 | "
        "check the threshold against what the value can be: a percentage is 0 to 100, a share 0 to 1",
    ]


def test_rank_tiers_that_overlap_and_targets_that_cannot_be_met(tmp_path: Path) -> None:
    body = ('[[segmentation.tiers]]\nid = "strategic"\nshare = 0.5\ntarget = [0.5, 0.6]\n\n'
            '[[segmentation.tiers]]\nid = "core"\nshare = 0.6\n\n')
    assert findings(tmp_path, body) == [
        "tiers | segmentation.tiers | the tier shares add up to 1.1: the tiers overlap the whole portfolio and the "
        "last tier 'transactional' gets no ranked customer | make the shares of all tiers but the last add up to "
        "less than 1",
        "tiers | segmentation.tiers | the tier targets cannot all be met: their minimums add up to 1.05 and their "
        "maximums to 1.5, but the tiers share 100% of the customers | widen the targets so the minimums add up to "
        "at most 1 and the maximums to at least 1",
    ]


CONDITIONS = """[segmentation]
method = "conditions"
override_field = ""

[[segmentation.tiers]]
id = "strategic"
remove = true

[[segmentation.tiers]]
id = "core"
remove = true

[[segmentation.tiers]]
id = "transactional"
remove = true

[[segmentation.tiers]]
id = "A"
when = "revenue >= 100000"

[[segmentation.tiers]]
id = "B"
when = "revenue >= 50000 and revenue < 200000"

[[segmentation.tiers]]
id = "B2"
when = "revenue >= 120000 and revenue < 150000"

[[segmentation.tiers]]
id = "C"
when = "revenue >= 10000 and revenue < 50000"

[[rules]]
id = "assign_sponsor"
when = "tier == 'A' and executive_sponsor is null"

"""


def test_condition_tiers_shadowed_overlapping_and_leaving_gaps(tmp_path: Path) -> None:
    found = findings(tmp_path, CONDITIONS)
    assert ("shadowed | segmentation.tiers[2].when | rule 'B2' of tier never decides: every customer it matches is "
            "already taken by the earlier rule 'A' (revenue >= 100000) | narrow or reorder the earlier rule, or "
            "remove this one") in found
    assert ("tiers | segmentation.tiers[1].when | tiers 'A' and 'B' overlap: customers with revenue >= 100000 and "
            "< 200000 match both and get 'A' (the first) | make the conditions exclusive so each customer's tier is "
            "intended") in found
    gap = [f for f in found if "do not cover every customer" in f]
    assert gap == ["tiers | segmentation.tiers[3].when | the tier conditions do not cover every customer: they admit "
                   "only >= 100000; >= 50000 and < 200000; >= 120000 and < 150000; >= 10000 and < 50000 of revenue; "
                   "the others fall into the last tier 'C' although its condition does not hold | leave out the when "
                   "of the last tier so it openly takes the rest, or close the gap"]


def test_unused_fields_of_own_files_and_rules_without_because(tmp_path: Path) -> None:
    body = ('[data.customers.fields]\nshoe_size = { type = "number" }\n\n'
            '[data.contacts.fields]\nhobby = { type = "string" }\n\n' + action("quiet", "revenue > 1", ""))
    assert findings(tmp_path, body) == [
        "no-because | rules[18].because | action rule 'quiet' has no because: the client will not see why it fired "
        "| add because = \"...\" with the values that matter, e.g. \"{days_since(last_visit)} days since the last "
        "visit\"",
        "unused-field | data.customers.fields.shoe_size | field 'shoe_size' is declared but no rule, derived field "
        "or section reads it | remove the declaration (only declared columns are read), or use the field",
        "unused-field | data.contacts.fields.hobby | field 'hobby' is declared but no rule, derived field or "
        "section reads it | remove the declaration (only declared columns are read), or use the field",
    ]


class _Bands(BaseModel):
    model_config = {"extra": "forbid"}
    top: float | None = None


class _BandsHandler(SectionHandler[_Bands]):
    """A third-party section whose classification has no default and a gap at the top."""

    name: ClassVar[str] = "bands"
    model: ClassVar[type[BaseModel]] = _Bands
    title: ClassVar[str] = "Bands"

    def compile(self, config: _Bands, context) -> SectionPlan:  # type: ignore[no-untyped-def]
        src = context.source
        upper = "" if config.top is None else f" and checklist_pct <= {config.top}"
        rules = (Rule("low", "checklist_pct <= 50", "'low'", src("bands")),
                 Rule("high", f"checklist_pct > 50{upper}", "'high'", src("bands.top")))
        return SectionPlan(self.name, classifications=[Classification("band", rules, src("bands"))])


class _BandsPlugin:
    @hookimpl
    def clientwise_sections(self) -> list:
        return [_BandsHandler()]


def test_a_classification_that_leaves_values_without_an_outcome(tmp_path: Path) -> None:
    host = isolated_host(_BandsPlugin())
    found = findings(tmp_path, "[bands]\ntop = 90\n", host=host)
    assert found == ["gap | bands | not every customer gets a band: the rules cover only <= 50; > 50 and <= 90 of "
                     "checklist_pct (>= 0 and <= 100) | let the last rule take the rest (e.g. a last band without "
                     "up_to)"]
    assert findings(tmp_path, "[bands]\n", host=host) == []
    assert findings(tmp_path, "[bands]\ntop = 120\n", host=host) == [
        "range | bands.top | checklist_pct <= 120.0 always holds: checklist_pct is always >= 0 and <= 100 | check the "
        "threshold against what the value can be: a percentage is 0 to 100, a share 0 to 1"]


def test_check_prints_warnings_and_strict_fails(write_ruleset, invoke) -> None:
    path = write_ruleset(HEAD + action("never", "revenue > 100 and revenue < 50"), "acme.toml")
    result = invoke("check", str(path))
    assert result.code == 0
    assert f"warning [never-true]: {path}: rules[18].when: rule 'never' can never fire" in result.stderr
    assert "  value: revenue > 100 and revenue < 50" in result.stderr
    assert "  lint: 1 warning (see above; --strict makes them errors)" in result.stdout
    strict = invoke("check", str(path), "--strict")
    assert strict.code == 2 and "error: 1 warning with --strict" in strict.stderr
    clean = invoke("check", "default", "--strict")
    assert clean.code == 0 and "  lint: no warnings" in clean.stdout


def test_duplicate_checklist_question_ids_are_errors(write_ruleset, invoke) -> None:
    path = write_ruleset(HEAD.replace('extends = "default"\n', "") + '[checklist]\n[[checklist.questions]]\nid = "q"\n'
                         'text = "?"\nwhen = "true"\n\n[[checklist.questions]]\nid = "q"\ntext = "?"\nwhen = "true"\n',
                         "acme.toml")
    result = invoke("check", str(path))
    assert result.code == 2 and "question id 'q' appears twice" in result.stderr


def test_an_action_rule_without_because_still_runs(write_ruleset) -> None:
    path = write_ruleset(HEAD + action("quiet", "revenue >= 0", ""), "acme.toml")
    from clientwise.sample import DEMO_AS_OF, demo_path

    result = Evaluator(path).evaluate(demo_path(), as_of=DEMO_AS_OF)
    quiet = result.actions.filter(result.actions["rule"] == "quiet")
    assert quiet.height == result.customers.height and set(quiet["because"]) == {""}


def test_population_and_count_values_and_derived_conditions_have_ranges(tmp_path: Path) -> None:
    body = ('[checklist]\nassess = "segment_rank <= 0"\n\n[derive]\n'
            'none = "count_of(contacts, strength > 1) < 0"\ntop = "rank_pct(revenue) <= 1.5"\n\n')
    assert findings(tmp_path, body) == [
        "range | derive.none | 'none' is never true: count_of(contacts, strength > 1) < 0 is outside what "
        "count_of(contacts, strength > 1) can be (>= 0) | check the threshold or the value's spelling",
        "range | derive.top | rank_pct(revenue) <= 1.5 always holds: rank_pct(revenue) is always >= 0 and <= 1 | "
        "check the threshold against what the value can be: a percentage is 0 to 100, a share 0 to 1",
        "range | checklist.assess | 'checklist_assessed' is never true: segment_rank <= 0 is outside what "
        "segment_rank can be (>= 1) | check the threshold or the value's spelling",
    ]


def test_check_also_checks_the_test_cases(write_ruleset, invoke) -> None:
    path = write_ruleset(HEAD + '[[tests]]\nid = "t"\nas_of = 2026-06-30\n'
                         'customers = [{ customer_id = "C1", name = "A", revenu = 1 }]\n'
                         'expect = { value_clas = "neutral", actions = ["reprise"] }\n', "acme.toml")
    result = invoke("check", str(path), "--strict")
    assert result.code == 2
    err = result.stderr
    assert f"warning [tests]: {path}: tests[0].expect.value_clas: expects a value for 'value_clas', which the " \
           "ruleset does not compute" in err
    assert "fix: did you mean 'value_class'?" in err
    assert f"warning [tests]: {path}: tests[0].expect.actions: no action rule has id 'reprise'" in err
    assert f"warning [tests]: {path}: tests[0].customers[0].revenu: 'revenu' is not a field of the customers table" in err
    assert "error: 3 warnings with --strict" in err

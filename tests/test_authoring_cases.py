"""clientwise test: cases inside rulesets, failures with traces, -k, --json, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientwise import Evaluator, load_ruleset
from clientwise.authoring.cases_io import load_cases
from clientwise.authoring.coverage import measure
from clientwise.authoring.runner import run_cases
from clientwise.errors import RulesetError

HEAD = 'schema = 1\nextends = "default"\n\n[metadata]\nname = "acme"\n\n'

BIG = '{ customer_id = "C1", name = "Big", revenue = 1000000, gross_margin = 0.3 }'
SMALL = '{ customer_id = "P1", name = "Small", revenue = 1000, gross_margin = 0.3 }'

PASSING = f"""
[[tests]]
id = "big_is_strategic"
as_of = 2026-06-30
customers = [{BIG}]
population = [{SMALL}]
expect = {{ tier = "strategic", value_class = "neutral", actions = ["assign_sponsor"], not_actions = ["annual_review"] }}

[[tests]]
id = "fixed_rank_is_core"
as_of = 2026-06-30
customers = [{{ customer_id = "C1", name = "Big", revenue = 1000, gross_margin = 0.3 }}]
fixed = {{ segment_rank = 3, segment_count = 10 }}
expect = {{ tier = "core", segment_rank = 3, actions = ["annual_review"] }}
"""

FAILING = """
[[tests]]
id = "sponsored_is_wrong"
description = "Deliberately wrong expectations"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "Big", revenue = 1000, gross_margin = 0.3, executive_sponsor = "Ann" }]
tolerance = 0.5
expect = { tier = "core", health_score = 5, actions = ["assign_sponsor"], not_actions = ["measure_satisfaction"] }
"""


def test_passing_cases_print_pass_and_coverage(invoke, write_ruleset) -> None:
    path = write_ruleset(HEAD + PASSING, "acme.toml")
    code, out, err = invoke("test", str(path))
    assert code == 0, out
    assert "  PASS  big_is_strategic" in out and "  PASS  fixed_rank_is_core" in out
    assert out.rstrip().endswith("2 passed") and err == ""
    assert "  coverage: 42% (16 of 38 rules and outcomes)" in out
    assert "outcomes no case reaches: tier = transactional, value_class = value_creator" in out


def test_a_failure_shows_expected_actual_and_the_rules_involved(invoke, write_ruleset) -> None:
    path = write_ruleset(HEAD + FAILING, "acme.toml")
    code, out, err = invoke("test", str(path))
    assert code == 1 and err == ""
    assert "  FAIL  sponsored_is_wrong  (Deliberately wrong expectations)" in out
    assert "      customer C1, tier: expected 'core', got 'strategic'" in out
    assert "          [fired] strategic: segment_rank <= segment_cutoff_strategic" in out
    assert "            with segment_cutoff_strategic = 1, segment_rank = 1" in out
    assert "            - tier_override is not null is false  [tier_override = null]" in out
    assert "      customer C1, health_score: expected 5, got 0" in out
    assert "      customer C1, action assign_sponsor: expected it to fire, but it was not met" in out
    assert "          - executive_sponsor is null is false  [executive_sponsor = 'Ann']" in out
    assert "      customer C1, action measure_satisfaction: expected it not to fire, but it was fired" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_numbers_match_within_the_tolerance(invoke, write_ruleset) -> None:
    case = FAILING.replace('tier = "core", health_score = 5, actions = ["assign_sponsor"], not_actions = ["measure_satisfaction"]',
                           "health_score = 0.4")
    code, out, _ = invoke("test", str(write_ruleset(HEAD + case, "acme.toml")))
    assert code == 0, out
    code, out, _ = invoke("test", str(write_ruleset(HEAD + case.replace("0.4", "0.6"), "acme.toml")))
    assert code == 1 and "health_score: expected 0.6, got 0" in out


def test_k_selects_cases_and_json_reports_them(invoke, write_ruleset) -> None:
    path = write_ruleset(HEAD + PASSING + FAILING, "acme.toml")
    fixed = invoke("test", str(path), "-k", "fixed")
    assert fixed.code == 0 and "fixed_rank_is_core" in fixed.stdout
    assert "big_is_strategic" not in fixed.output and "sponsored" not in fixed.output
    passing = invoke("test", str(path), "-k", "not sponsored")
    assert passing.code == 0 and "1 failed" not in passing.output and passing.output.rstrip().endswith("2 passed")
    code, out, err = invoke("test", str(path), "--json")
    assert code == 1
    report = json.loads(out)["rulesets"][0]
    assert report["counts"] == {"passed": 2, "failed": 1, "error": 0}
    failed = report["cases"][2]
    assert failed["id"] == "sponsored_is_wrong" and failed["status"] == "failed" and failed["path"] == "tests[2]"
    assert failed["mismatches"][0] == {**failed["mismatches"][0], "customer": "C1", "what": "tier",
                                       "expected": "core", "actual": "strategic"}
    assert report["coverage"]["total"] == 38
    code, out, err = invoke("test", str(path), "-k", "nothing_matches")
    assert code == 2 and "no test case ran" in err and "check the -k text" in err


@pytest.mark.parametrize(("expression", "selected"), [
    ("alpha", {"alpha_one", "Alpha_two"}),  # any case, as pytest -k
    ("alpha and not two", {"alpha_one"}),
    ("one or beta", {"alpha_one", "beta_one"}),
    ("not (alpha or gamma)", {"beta_one"}),
    ("(one or two) and not beta", {"alpha_one", "Alpha_two"}),
    ("not not gamma", {"gamma"}),
])
def test_k_takes_pytest_style_expressions(expression: str, selected: set[str]) -> None:
    from clientwise.authoring.keywords import keyword_matcher

    ids = ["alpha_one", "Alpha_two", "beta_one", "gamma"]
    matches = keyword_matcher(expression)
    assert {case_id for case_id in ids if matches(case_id)} == selected


@pytest.mark.parametrize(("expression", "why"), [
    ("alpha and", "it ends where a word was expected"),
    ("(alpha or beta", "a '(' is not closed"),
    ("alpha beta", "unexpected 'beta'"),
    ("or alpha", "'or' where a word was expected"),
    ("", "it ends where a word was expected"),
])
def test_a_malformed_k_expression_is_an_error_saying_where(invoke, write_ruleset, expression: str, why: str) -> None:
    path = write_ruleset(HEAD + PASSING, "acme.toml")
    code, _, err = invoke("test", str(path), "-k", expression)
    assert code == 2
    assert f"cannot read the expression: {why}" in err and "-k" in err and "and not slow" in err


def test_a_case_matching_any_repeated_k_expression_runs(invoke, write_ruleset) -> None:
    path = write_ruleset(HEAD + PASSING + FAILING, "acme.toml")
    ran = invoke("test", str(path), "-k", "big and not fixed", "-k", "FIXED")
    assert ran.code == 0 and "big_is_strategic" in ran.stdout and "fixed_rank_is_core" in ran.stdout
    assert "sponsored" not in ran.output


def test_min_coverage_fails_below_the_threshold(invoke, write_ruleset) -> None:
    path = write_ruleset(HEAD + PASSING, "acme.toml")
    assert invoke("test", str(path), "--min-coverage", "40").code == 0
    code, _, err = invoke("test", str(path), "--min-coverage", "50")
    assert code == 1 and "coverage below --min-coverage 50%" in err


def test_sibling_tests_file_and_inherited_cases(invoke, write_ruleset) -> None:
    base = write_ruleset(HEAD + PASSING, "base.toml")
    write_ruleset(FAILING.replace("sponsored_is_wrong", "from_sibling"), "base.tests.toml")
    child = write_ruleset('schema = 1\nextends = "base.toml"\n\n[metadata]\nname = "child"\n', "child.toml")
    write_ruleset(FAILING.replace("sponsored_is_wrong", "from_sibling")
                  .replace('tier = "core", health_score = 5, actions = ["assign_sponsor"], not_actions = ["measure_satisfaction"]',
                           'tier = "strategic"'), "child.tests.toml")
    ids = [c.case.id for c in load_cases(load_ruleset(child), child)]
    assert ids == ["big_is_strategic", "fixed_rank_is_core", "from_sibling"]
    assert invoke("test", str(child)).code == 0  # the child's sibling case replaced the failing one
    assert invoke("test", str(base)).code == 1


def test_cases_do_not_change_the_content_hash(write_ruleset) -> None:
    plain = load_ruleset(write_ruleset(HEAD, "a.toml"))
    with_cases = load_ruleset(write_ruleset(HEAD + PASSING, "b.toml"))
    assert plain.hash == with_cases.hash and len(with_cases.core.tests) == 2


def test_invalid_cases_are_reported_with_key_paths(invoke, write_ruleset, tmp_path: Path) -> None:
    bad = HEAD + '[[tests]]\nid = "x"\nas_of = "yesterday"\ncustomers = []\nexpect = { actions = "a" }\n'
    code, _, err = invoke("test", str(write_ruleset(bad, "acme.toml")))
    assert code == 2
    assert "acme.toml: tests[0].as_of" in err
    assert "acme.toml: tests[0].customers" in err
    assert "acme.toml: tests[0].expect.actions" in err
    write_ruleset(HEAD, "acme.toml")
    write_ruleset('[[tests]]\nid = "x"\nas_of = 2026-06-30\ncustomers = [{ a = 1 }]\n'
                  'expect = {}\nbogus = 1\n\n[[tests]]\nid = "x"\nas_of = 2026-06-30\ncustomers = [{ a = 1 }]\nexpect = {}\n', "acme.tests.toml")
    with pytest.raises(RulesetError) as error:
        load_cases(load_ruleset(tmp_path / "acme.toml"), tmp_path / "acme.toml")
    assert "acme.tests.toml: tests[0].bogus: unknown key 'bogus'" in error.value.render()


def test_a_case_with_unknown_columns_or_actions_is_an_error_but_the_others_run(invoke, write_ruleset) -> None:
    bad = f"""
[[tests]]
id = "typos"
as_of = 2026-06-30
customers = [{BIG}]
fixed = {{ segment_rnk = 1 }}
expect = {{ tierr = "core", actions = ["asign_sponsor"] }}

[[tests]]
id = "bad_record"
as_of = 2026-06-30
customers = [{{ customer_id = "C1", name = "X", revenue = "lots" }}]
expect = {{ tier = "core" }}
"""
    code, out, _ = invoke("test", str(write_ruleset(HEAD + PASSING + bad, "acme.toml")))
    assert code == 2
    assert "  PASS  big_is_strategic" in out and "  ERROR typos" in out and "  ERROR bad_record" in out
    assert "tests[2].fixed.segment_rnk: fixed value for 'segment_rnk', which is not a derived field" in out
    assert "fix: did you mean 'segment_rank'?" in out
    code, out, _ = invoke("test", str(write_ruleset(HEAD + bad.replace("segment_rnk", "segment_rank"), "acme.toml")))
    assert "tests[0].expect.tierr: expects a value for 'tierr', which the ruleset does not compute" in out
    assert "fix: did you mean 'tier'?" in out
    assert "tests[0].expect.actions: no action rule has id 'asign_sponsor'" in out
    assert "acme.toml: tests[1] (bad_record): customers, row 1, column 'revenue': not an amount of money" in out
    assert "value: lots" in out


def test_python_api_runs_cases_and_measures_coverage(write_ruleset) -> None:
    path = write_ruleset(HEAD + PASSING + FAILING, "acme.toml")
    evaluator = Evaluator(path)
    outcomes = run_cases(evaluator, path, ("big", "sponsored"))
    assert [(o.id, o.status) for o in outcomes] == [("big_is_strategic", "passed"), ("sponsored_is_wrong", "failed")]
    assert {m.what for m in outcomes[1].mismatches} == {"tier", "health_score", "action assign_sponsor",
                                                         "action measure_satisfaction"}
    coverage = measure(evaluator.program, outcomes[0].fired, outcomes[0].outcomes)
    assert "tier/strategic" not in coverage.uncovered_rules and "tier/core" in coverage.uncovered_rules
    assert ("tier", "strategic") not in coverage.uncovered_outcomes
    assert coverage.total == 38 and coverage.covered == 38 - len(coverage.uncovered_rules) - len(coverage.uncovered_outcomes)


def test_a_broken_ruleset_does_not_stop_the_others(invoke, write_ruleset) -> None:
    good = write_ruleset(HEAD + PASSING, "good.toml")
    bad = write_ruleset(HEAD + "[metadata]\n", "bad.toml")
    code, out, err = invoke("test", str(bad), str(good))
    assert code == 2
    assert "  PASS  big_is_strategic" in out
    assert f"error: {bad}: not valid TOML" in err


def test_the_example_case_in_the_docs_passes(invoke, write_ruleset, docs) -> None:
    import re

    text = (docs / "authoring.md").read_text()
    block = next(b for b in re.findall(r"```toml[^\n]*\n(.*?)```", text, re.S) if "[[tests]]" in b)
    code, out, _ = invoke("test", str(write_ruleset(HEAD + block, "doc.toml")))
    assert code == 0, out
    assert "  PASS  loss_maker_is_repriced" in out


RENAMED = """
[data.customers.rename]
"Account ID" = "customer_id"
"Revenue TTM" = "revenue"

[[tests]]
id = "field_names"
as_of = 2026-06-30
customers = [{ customer_id = "C1", name = "A", revenue = 1000, gross_margn = 0.3 }]
expect = { tier = "strategic" }

[[tests]]
id = "client_names"
as_of = 2026-06-30
customers = [{ "Account ID" = "C1", name = "A", "Revenue TTM" = 1000 }]
population = [{ "Account ID" = "C2", name = "B", "Revenue TTM" = 2000 }]
expect = { tier = "core" }
"""


def test_records_use_field_or_client_names_and_unknown_keys_are_errors(invoke, write_ruleset) -> None:
    code, out, _ = invoke("test", str(write_ruleset(HEAD + RENAMED, "acme.toml")))
    assert code == 2
    assert "tests[0].customers[0].gross_margn: 'gross_margn' is not a field of the customers table, so it would " \
           "be ignored" in out
    assert "fix: did you mean 'gross_margin'?" in out and "  PASS  client_names" in out
    code, out, err = invoke("test", str(write_ruleset(HEAD + RENAMED.replace("gross_margn", "gross_margin"), "acme.toml")))
    assert code == 0 and out.rstrip().endswith("2 passed") and err == ""


def test_only_actions_forbids_every_other_action(invoke, write_ruleset) -> None:
    case = f"""
[[tests]]
id = "only"
as_of = 2026-06-30
customers = [{BIG}]
population = [{SMALL}]
expect = {{ actions = ["assign_sponsor"], only_actions = true }}
"""
    ran = invoke("test", str(write_ruleset(HEAD + case, "acme.toml")))
    assert ran.code == 1
    assert "      customer C1, action relationship_plan: expected it not to fire, but it was fired" in ran.stdout
    assert "action assign_sponsor:" not in ran.output

"""clientwise explain (with --why-not) and clientwise diff, through the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientwise import Evaluator, expr, load_ruleset
from clientwise.authoring.diff import diff_documents, diff_results, flatten
from clientwise.authoring.trace import render_trace, render_why_not
from clientwise.authoring.whynot import reasons
from clientwise.compiler.plan import Source
from clientwise.errors import InputError
from clientwise.sample import DEMO_AS_OF, demo_path

AS_OF = DEMO_AS_OF.isoformat()
TOP5 = ('schema = 1\nextends = "default"\n\n[metadata]\nname = "top5"\nversion = "2"\n\n'
        '[[segmentation.tiers]]\nid = "strategic"\nshare = 0.05\n\n[[rules]]\nid = "annual_review"\nremove = true\n')


@pytest.fixture
def top5(write_ruleset) -> Path:  # type: ignore[no-untyped-def]
    return write_ruleset(TOP5, "top5.toml")


@pytest.fixture(scope="module")
def evaluated() -> tuple[Evaluator, object]:
    evaluator = Evaluator("default")
    return evaluator, evaluator.evaluate(demo_path(), as_of=DEMO_AS_OF)


def test_why_not_names_the_false_and_the_null_parts(expr_context) -> None:  # type: ignore[no-untyped-def]
    scope = expr.Scope(fields={"tier": expr.STRING, "sponsor": expr.STRING, "revenue": expr.NUMBER})
    node = expr.parse_checked("tier in ['core'] and (sponsor is null or revenue > 10)", Source("f", "p"), scope,
                              expr_context.functions, allow_population=False)
    context = expr_context
    row = {"tier": "core", "sponsor": "Ann", "revenue": None}
    assert reasons(node, row, context) == [
        "- none of these holds:",
        "  - sponsor is null is false  [sponsor = 'Ann']",
        "  - revenue > 10 is unknown (null)  [revenue = null]",
    ]
    assert reasons(node, {**row, "revenue": 11}, context) == []
    assert reasons(node, {**row, "tier": "x"}, context)[0] == "- tier in ['core'] is false  [tier = 'x']"


def test_explain_prints_the_full_trace_with_why_not(invoke, evaluated) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = invoke("explain", "default", str(demo_path()), "C00018", "--as-of", AS_OF)
    assert code == 0
    assert out.startswith("Customer C00018 (Ferreira Machining AG)\n")
    assert "Derived values (each computed from the values in brackets):" in out
    assert "tier (rules are tried in order; the first that holds decides):" in out
    assert "        - segment_override_expired is true, so its negation is false  [segment_override_expired = True]" in out
    assert "  [FIRED] strategic: segment_rank <= segment_cutoff_strategic" in out
    assert "      that is: 21 <= 30" in out
    assert ("      that is: 'strategic' is not null and 'strategic' in ['strategic', 'core', 'transactional'] "
            "and not true") in out
    assert "      rule 'strategic' decided first" in out
    assert "actions (every rule that holds recommends its action):" in out
    evaluator, result = evaluated
    assert render_trace(evaluator, result, "C00018") == out.rstrip("\n")


def test_why_not_a_single_rule(evaluated) -> None:  # type: ignore[no-untyped-def]
    evaluator, result = evaluated
    assert render_why_not(evaluator, result, "C00001", "core") == (
        "Customer C00001 (Öresund Shipping Sp. z o.o.), rule tier/core: segment_rank <= segment_cutoff_core\n"
        "It did not fire:\n"
        "  that is: 238 <= 120\n"
        "  - segment_rank <= segment_cutoff_core is false  [segment_cutoff_core = 120, segment_rank = 238]")
    fired = render_why_not(evaluator, result, "C00001", "tier/transactional")
    assert fired.endswith("It fired: tier = 'transactional' (because: Ranked 238 of 300 by revenue; below the top 120)")
    skipped = render_why_not(evaluator, result, "C00001", "green")
    assert "It was not evaluated: rule 'red' came first and decided health_band = 'red' (first match wins)." in skipped
    assert "Had it been evaluated:\n  that is: 8.3333 is not null\n  - its condition holds" in skipped
    unknown = render_why_not(evaluator, result, "C00001", "retention_plan")
    assert "It did not fire: a value it needs is unknown (null):\n  that is: null\n  - competitor_pilot is unknown (null)" in unknown


def test_explain_errors_exit_2_with_a_fix(invoke) -> None:
    code, _, err = invoke("explain", "default", str(demo_path()), "C00001", "--as-of", AS_OF, "--why-not", "asign_sponsor")
    assert code == 2 and "error: --why-not: no rule 'asign_sponsor' to explain" in err
    assert "fix: did you mean 'assign_sponsor'?" in err
    code, _, err = invoke("explain", "default", str(demo_path()), "C0001", "--as-of", AS_OF)
    assert code == 2 and "error: KEY: no customer with key 'C0001'" in err and "did you mean 'C00201'?" in err
    ruleset = load_ruleset("default")
    assert ruleset.name == "default"


def test_an_action_id_wins_over_a_decision_rule_of_the_same_name(write_ruleset, evaluated) -> None:  # type: ignore[no-untyped-def]
    path = write_ruleset('schema = 1\nextends = "default"\n[metadata]\nname = "amb"\n[[rules]]\nid = "core"\n'
                         'when = "tier == \'core\'"\naction = "a"\nbecause = "b"\n', "amb.toml")
    evaluator = Evaluator(path)
    result = evaluator.evaluate(demo_path(), as_of=DEMO_AS_OF)
    assert "rule core: tier == 'core'" in render_why_not(evaluator, result, "C00001", "core")  # the action id wins
    with pytest.raises(InputError) as error:
        render_why_not(evaluator, result, "C00001", "red_band")
    assert "no rule 'red_band'" in error.value.render()


def test_diff_shows_migrations_actions_and_figures(top5, invoke) -> None:
    code, out, _ = invoke("diff", "default", str(top5), str(demo_path()), "--as-of", AS_OF)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "A = default 1.0.0, B = top5 2"
    assert lines[3:9] == [
        "          A \\ B      strategic           core  transactional          total",
        "      strategic             17             15              0             32",
        "           core              0             75             15             90",
        "  transactional              0              0            178            178",
        "          total             17             90            193            300",
        "30 customers change tier.",
    ]
    assert "  C00018 (Ferreira Machining AG): strategic -> core" in lines
    assert "  C00018 (Ferreira Machining AG): - annual_review" not in lines
    assert any(line.startswith("Actions: ") and "lost" in line for line in lines)
    assert "Portfolio figures (* = differs):" in lines
    assert any(line.split()[:3] == ["segmentation.customers", "300", "300"] for line in lines)


def test_diff_json_and_api_agree(top5, invoke) -> None:
    code, out, _ = invoke("diff", "default", str(top5), str(demo_path()), "--as-of", AS_OF, "--json")
    data = json.loads(out)
    assert code == 0 and {"from": "strategic", "to": "core", "customers": 15} in data["tier_matrix"]
    moves = [m for m in data["moves"] if m["output"] == "tier"]
    assert len(moves) == 30 and moves[0]["key"] == "C00018"
    a = Evaluator("default").evaluate(demo_path(), as_of=DEMO_AS_OF)
    b = Evaluator(top5).evaluate(demo_path(), as_of=DEMO_AS_OF)
    diff = diff_results(a, b, ["tier", "value_class", "health_band"])
    assert diff.matrix[("core", "transactional")] == 15 and diff.tiers == ["strategic", "core", "transactional"]
    lost = {change.key: change.lost for change in diff.actions}
    core_customers = a.customers.filter(a.customers["tier"] == "core")["customer_id"].to_list()
    assert all("annual_review" in lost[key] for key in core_customers)
    assert len(data["actions"]) == len(diff.actions)


def test_diff_of_the_rulesets_themselves(top5, invoke) -> None:
    code, out, _ = invoke("diff", "--rules", "default", str(top5))
    assert code == 0
    assert out.splitlines()[:2] == ["--- default", f"+++ {top5}"]
    assert "~ segmentation.tiers[id=strategic].share: 0.1 -> 0.05" in out
    assert "- rules[id=annual_review].when = tier == 'core'" in out
    assert "~ metadata.name: default -> top5" in out
    assert invoke("diff", "--rules", "default", "default").stdout.strip() == "default and default hold the same criteria."
    assert flatten({"a": [{"id": "x", "v": 1}], "b": [1, 2]}) == {"a[id=x].v": 1, "b": [1, 2]}
    changes = diff_documents({"a": 1, "b": 2}, {"b": 3, "c": 4})
    assert [(c.path, c.kind) for c in changes] == [("a", "removed"), ("b", "changed"), ("c", "added")]


def test_diff_without_data_says_what_to_do(invoke) -> None:
    code, _, err = invoke("diff", "default", "default")
    assert code == 2 and "diff needs DATA" in err and "use --rules" in err


def test_customer_text_cannot_reach_the_terminal_as_control_codes(invoke, tmp_path: Path) -> None:
    import polars as pl

    customers = pl.read_csv(demo_path() / "customers.csv", infer_schema_length=0)
    customers = customers.with_columns(pl.when(pl.col("customer_id") == "C00001").then(pl.lit("Evil\x1b[31mRed\x07"))
                                       .otherwise(pl.col("name")).alias("name"))
    data = tmp_path / "data"
    data.mkdir()
    customers.write_csv(data / "customers.csv")
    for name in ("contacts.csv", "interactions.csv"):
        (data / name).write_bytes((demo_path() / name).read_bytes())
    explained = invoke("explain", "default", str(data), "C00001", "--as-of", AS_OF)
    out = explained.stdout
    assert explained.code == 0 and "\x1b" not in explained.output and "\x07" not in explained.output
    assert out.startswith("Customer C00001 (Evil\ufffd[31mRed\ufffd)")
    evaluated = invoke("evaluate", "default", str(data), "--as-of", AS_OF, "--explain", "C00001")
    assert evaluated.code == 0 and evaluated.stdout == out
    rendered = Evaluator("default").evaluate(data, as_of=DEMO_AS_OF).explain("C00001").render()
    assert rendered.startswith("Customer C00001 (Evil\ufffd[31mRed\ufffd)") and "\x1b" not in rendered


def test_the_python_trace_is_the_cli_trace_without_the_why_not(evaluated) -> None:  # type: ignore[no-untyped-def]
    evaluator, result = evaluated
    plain = result.explain("C00018").render()
    assert plain.startswith("Customer C00018 (Ferreira Machining AG)\n")
    assert "Derived values (each computed from the values in brackets):" in plain
    assert "tier (rules are tried in order; the first that holds decides):" in plain
    assert "actions (every rule that holds recommends its action):" in plain
    assert "      rule 'strategic' decided first" in plain
    assert "that is:" not in plain and "why not:" not in plain
    full = render_trace(evaluator, result, "C00018").splitlines()
    annotations = [i for i, line in enumerate(full) if line.startswith(("      that is: ", "      why not:", "        "))]
    assert annotations and plain.splitlines() == [line for i, line in enumerate(full) if i not in annotations]

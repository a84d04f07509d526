"""The weighted-scorecard mechanism: the exact expressions it writes and how they score."""

from __future__ import annotations

import ast

import polars as pl
import pytest
from pydantic import BaseModel

import clientwise
from clientwise.compiler.plan import SectionPlan, Source
from clientwise.errors import RulesetError
from clientwise.host.contracts import CompileContext, SectionHandler
from clientwise.host.spec import hookimpl
from clientwise.ruleset.data import Strict
from clientwise.sdk.scorecard import (
    GROUP,
    MAX_SUM_TEXT,
    Band,
    Criterion,
    Scorecard,
    ScorecardNames,
    compile_scorecard,
    number_text,
)

SRC = Source("card.toml", "card")


def crit(cid: str, expression: str, weight: float = 1, **kw: object) -> Criterion:
    return Criterion(cid, expression, weight, SRC.child("criteria").child(cid), **kw)  # type: ignore[arg-type]


def fields(card: Scorecard) -> dict[str, str]:
    return {f.name: f.expression for f in compile_scorecard(card).derived}


def test_number_text_has_no_float_noise() -> None:
    assert [number_text(v) for v in (1, 1.0, 2.5, 0.1, 100)] == ["1", "1", "2.5", "0.1", "100"]
    assert number_text(1e-7) == "0.0000001"


def test_fields_and_formulas_are_written_out() -> None:
    card = Scorecard("card", (crit("a", "x > 1"), crit("b", "flag", 2), crit("c", "ratio", 0.5, kind="number")), SRC)
    assert fields(card) == {
        "card_a": "x > 1",
        "card_b": "flag",
        "card_c": "ratio",
        "card_points": "if_else(card_a, 1, 0) + if_else(card_b, 2, 0) + coalesce(card_c, 0) * 0.5",
        "card_possible": "if_else(card_a is null, 0, 1) + if_else(card_b is null, 0, 2) + if_else(card_c is null, 0, 0.5)",
        "card_score": "if_else(card_possible > 0, 100 * card_points / card_possible, null)",
        "card_answered": "if_else(card_a is null, 0, 1) + if_else(card_b is null, 0, 1) + if_else(card_c is null, 0, 1)",
        "card_applicable": "card_answered",
    }


def test_policy_no_keeps_unanswered_in_the_denominator() -> None:
    card = Scorecard("card", (crit("a", "p"), crit("b", "q", 3, unanswered="not_applicable")), SRC, unanswered="no")
    out = fields(card)
    assert out["card_possible"] == "if_else(card_b is null, 0, 3) + 1"
    assert out["card_applicable"] == "if_else(card_b is null, 0, 1) + 1"
    assert out["card_points"] == "if_else(card_a, 1, 0) + if_else(card_b, 3, 0)"


def test_applies_gates_values_and_totals_but_not_the_score() -> None:
    card = Scorecard("card", (crit("a", "p"),), SRC, applies="card_in_scope")
    out = fields(card)
    assert out["card_a"] == "if_else(card_in_scope, p, null)"
    assert out["card_points"] == "if_else(card_in_scope, if_else(card_a, 1, 0), null)"
    assert out["card_possible"] == "if_else(card_in_scope, if_else(card_a is null, 0, 1), null)"
    assert out["card_answered"] == "if_else(card_in_scope, if_else(card_a is null, 0, 1), null)"
    assert out["card_score"] == "if_else(card_possible > 0, 100 * card_points / card_possible, null)"


def test_renamed_outputs() -> None:
    names = ScorecardNames.for_prefix("chk", points="chk_score", score="chk_pct")
    card = Scorecard("chk", (crit("a", "p"),), SRC, names=names)
    out = fields(card)
    assert out["chk_pct"] == "if_else(chk_possible > 0, 100 * chk_score / chk_possible, null)"
    assert names.value("a") == "chk_a" and names.band == "chk_band"


def test_bands_are_sorted_by_up_to_and_the_last_catches_the_rest() -> None:
    bands = (Band("strong", None, SRC.child("b3")), Band("weak", 40, SRC.child("b1")), Band("fair", 70, SRC.child("b2")))
    band = compile_scorecard(Scorecard("card", (crit("a", "p"),), SRC, bands=bands)).band
    assert band is not None and band.output == "card_band" and band.default is None
    assert [(r.id, r.when, r.then) for r in band.rules] == [
        ("weak", "card_score <= 40", "'weak'"),
        ("fair", "card_score <= 70", "'fair'"),
        ("strong", "card_score is not null", "'strong'"),
    ]
    assert band.rules[2].because_template == "Score {card_score:number} is above {70:number}"
    assert band.rules[0].source == SRC.child("b1")


def test_highest_band_with_up_to_still_catches_higher_scores() -> None:
    bands = (Band("low", 50, SRC), Band("high", 90, SRC))
    band = compile_scorecard(Scorecard("card", (crit("a", "p"),), SRC, bands=bands)).band
    assert band is not None
    assert [r.when for r in band.rules] == ["card_score <= 50", "card_score is not null"]


def test_no_bands_no_classification() -> None:
    assert compile_scorecard(Scorecard("card", (crit("a", "p"),), SRC)).band is None


def _depth(text: str) -> int:
    def depth(node: ast.AST) -> int:
        return 1 + max((depth(c) for c in ast.iter_child_nodes(node)), default=0)
    return depth(ast.parse(text, mode="eval").body)


def test_long_sums_are_grouped_so_they_stay_shallow() -> None:
    criteria = tuple(crit(f"q{i}", "p") for i in range(20))
    out = fields(Scorecard("card", criteria, SRC))
    points = out["card_points"]
    assert points.startswith("(if_else(card_q0, 1, 0) + ") and points.count("(if_else(card_q") == 3  # 8 + 8 + 4
    assert _depth(points) < 20
    assert GROUP == 8


def test_very_long_sums_are_split_into_part_fields() -> None:
    criteria = tuple(crit(f"question_with_a_long_name_{i}", "p") for i in range(60))
    out = fields(Scorecard("card", criteria, SRC))
    parts = sorted(name for name in out if name.startswith("card_points_part"))
    assert len(parts) >= 2
    assert all(len(out[name]) <= MAX_SUM_TEXT for name in parts)
    assert out["card_points"] == " + ".join(parts)
    terms = sum(out[name].count("if_else(") for name in parts)
    assert terms == 60


@pytest.mark.parametrize(
    ("card", "message", "location"),
    [
        (Scorecard("c", (crit("a", "p"), crit("a", "q")), SRC), "criterion id 'a' is used twice", "card.criteria.a"),
        (Scorecard("c", (crit("1st", "p"),), SRC), "criterion id '1st' is not a valid name", "card.criteria.1st"),
        (Scorecard("c", (crit("a", "p", -1),), SRC), "a weight must be zero or more", "card.criteria.a"),
        (Scorecard("c", (), SRC), "a scorecard needs at least one criterion", "card"),
        (Scorecard("c", (crit("score", "p"),), SRC), "criterion id 'score' would overwrite the field 'c_score'",
         "card.criteria.score"),
        (Scorecard("c", (crit("a", "p"),), SRC, bands=(Band("x", None, SRC.child("x")), Band("y", None, SRC.child("y")))),
         "only one band may have no up_to", "card.y"),
        (Scorecard("c", (crit("a", "p"),), SRC, bands=(Band("x", 1, SRC), Band("x", 2, SRC))),
         "band 'x' is defined twice", "card"),
    ],
)
def test_invalid_scorecards_name_the_key(card: Scorecard, message: str, location: str) -> None:
    with pytest.raises(RulesetError) as error:
        compile_scorecard(card)
    problem = error.value.problems[0]
    assert message in problem.message
    assert problem.location == location and problem.file == "card.toml"


def test_output_columns() -> None:
    card = Scorecard("card", (crit("a", "p"), crit("b", "r", kind="number")), SRC,
                     bands=(Band("low", 50, SRC), Band("high", None, SRC)))
    columns = compile_scorecard(card).outputs("Health", values=True)
    assert [(c.name, c.kind) for c in columns] == [
        ("card_points", "number"), ("card_score", "number"), ("card_answered", "integer"), ("card_band", "text"),
        ("card_a", "boolean"), ("card_b", "number")]
    assert columns[1].label == "Health score (0-100)"


# -- a third-party section built on the scorecard, evaluated end to end ------------
class HealthConfig(Strict):
    applies: str = "in_scope"


class HealthHandler(SectionHandler[HealthConfig]):
    """A minimal section: 2 x flag_a, 1 x ratio (0..1), 1 x flag_c (unanswered = no), two bands."""

    name = "health"
    model: type[BaseModel] = HealthConfig
    title = "Health"

    def compile(self, config: HealthConfig, context: CompileContext) -> SectionPlan:
        src = context.source
        card = Scorecard(
            "health",
            (Criterion("a", "flag_a", 2, src("health.a")),
             Criterion("r", "ratio", 1, src("health.r"), kind="number"),
             Criterion("c", "flag_c", 1, src("health.c"), unanswered="no")),
            src("health"), (Band("low", 50, src("health.low")), Band("high", None, src("health.high"))),
            applies=config.applies)
        compiled = compile_scorecard(card)
        return SectionPlan(self.name, derived=list(compiled.derived), classifications=[compiled.band],  # type: ignore[list-item]
                           outputs=compiled.outputs("Health"))


class HealthPlugin:
    @hookimpl
    def clientwise_sections(self) -> list[HealthHandler]:
        return [HealthHandler()]


def test_a_third_party_scorecard_scores_numbers_and_both_policies(clientwise_host, register_plugin) -> None:
    register_plugin(HealthPlugin(), name="health-test")
    host = clientwise_host
    ruleset = clientwise.parse_ruleset('''
schema = 1
[metadata]
name = "health-test"
[data.customers.fields]
customer_id = { type = "string" }
in_scope = { type = "boolean" }
flag_a = { type = "boolean" }
flag_c = { type = "boolean" }
ratio = { type = "number" }
[health]
''', host=host)
    frame = pl.DataFrame({
        "customer_id": ["X", "Y", "Z", "W"],
        "in_scope": [True, True, True, False],
        "flag_a": [True, None, None, True],
        "flag_c": [None, False, None, True],
        "ratio": [0.5, None, None, 1.0],
    })
    result = clientwise.evaluate(ruleset, {"customers": frame}, as_of="2026-06-30", host=host)
    out = result.customers  # sorted by key: W, X, Y, Z
    assert out.get_column("health_points").to_list() == [None, 2.5, 0, 0]
    assert out.get_column("health_score").to_list() == [None, 62.5, 0.0, 0.0]  # X: 2.5 / (2 + 1 + 1)
    assert out.get_column("health_answered").to_list() == [None, 2, 1, 0]
    assert out.get_column("health_band").to_list() == [None, "high", "low", "low"]
    explained = result.explain("X").to_dict()
    applicable = next(d for d in explained["derived"] if d["field"] == "health_applicable")
    assert applicable["value"] == 3  # a and r answered, c counts as no

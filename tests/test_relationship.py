"""The [relationship] section: role coverage, threads, recency, health score and bands."""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl
import pytest

import clientwise
from clientwise.errors import RulesetError
from clientwise.host.contracts import CompileContext
from clientwise.plugins.sections.relationship import (
    RelationshipConfig,
    RelationshipHandler,
    missing_roles_builder,
    missing_roles_text_builder,
    summarize_relationship,
)

AS_OF = "2026-06-30"
TODAY = dt.date(2026, 6, 30)

CUSTOMERS = {
    "customer_id": pl.String, "name": pl.String, "revenue": pl.Float64,
    "relationship_map_reviewed": pl.Date, "tier_override": pl.String, "tier_override_reason": pl.String,
}
CONTACTS = {
    "customer_id": pl.String, "contact_name": pl.String, "role": pl.String, "covered_by": pl.String,
    "strength": pl.Int64, "last_contact": pl.Date,
}
INTERACTIONS = {"customer_id": pl.String, "date": pl.Date, "type": pl.String}


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def customer(key: str, *, reviewed: int | None = None, tier: str | None = None) -> tuple:
    return (key, f"Customer {key}", 1_000.0, None if reviewed is None else ago(reviewed), tier,
            "pinned for the test" if tier else None)


def contact(key: str, role: str, strength: int, days: int | None, by: str | None = "Ann") -> tuple:
    return (key, f"{role} at {key}", role, by, strength, None if days is None else ago(days))


def evaluate(customers: list[tuple], contacts: list[tuple], ruleset: clientwise.Ruleset | None = None):
    tables = {
        "customers": pl.DataFrame(customers, schema=CUSTOMERS, orient="row"),
        "contacts": pl.DataFrame(contacts, schema=CONTACTS, orient="row"),
        "interactions": pl.DataFrame([], schema=INTERACTIONS),
    }
    return clientwise.evaluate(ruleset or default_ruleset(), tables, as_of=AS_OF)


@functools.cache
def default_ruleset() -> clientwise.Ruleset:
    """Loaded once: rulesets are immutable, and loading validates every section."""
    return clientwise.load_ruleset("default")


def rows(result: clientwise.Result) -> dict[str, dict]:
    return {row["customer_id"]: row for row in result.customers.iter_rows(named=True)}


def derived(result: clientwise.Result, name: str) -> dict[str, object]:
    """A derived (non-output) field per customer, read from the explanations."""
    return {
        explanation.key: next(step.value for step in explanation.derived if step.name == name)
        for explanation in result.explanations()
    }


def full_house(key: str, strength: int = 2, days: int = 10) -> list[tuple]:
    return [contact(key, role, strength, days) for role in ("budget", "gatekeeper", "user")]


# -- role coverage --------------------------------------------------------------------
def test_a_role_needs_strength_2_and_someone_on_our_side() -> None:
    result = evaluate(
        [customer("A"), customer("B"), customer("C")],
        [
            *full_house("A"),
            contact("B", "Budget", 1, 10), contact("B", "gatekeeper", 2, 10), contact("B", "user", 4, 10),
            contact("C", "budget", 3, 10, by=None), contact("C", "gatekeeper", 2, 10), contact("C", "coach", 0, 10),
        ],
    )
    r = rows(result)
    assert r["A"]["missing_roles"] == []
    assert r["A"]["roles_covered"] == 3
    assert r["B"]["missing_roles"] == ["budget"]  # strength 1 is not enough ('Budget' matches ignoring case)
    assert r["B"]["roles_covered"] == 2
    assert r["C"]["missing_roles"] == ["budget", "user"]  # nobody of ours covers C's budget holder
    assert r["C"]["roles_covered"] == 1


def test_a_customer_without_contacts_misses_every_required_role() -> None:
    r = rows(evaluate([customer("A")], []))["A"]
    assert r["missing_roles"] == ["budget", "gatekeeper", "user"]
    assert r["roles_covered"] == 0
    assert r["active_threads"] == 0
    assert r["health_score"] == 0.0
    assert r["health_band"] == "red"


def test_min_strength_and_optional_roles_are_keys() -> None:
    ruleset = clientwise.parse_ruleset(
        'extends = "default"\n[relationship]\nmin_strength = 3\n'
        "[[relationship.roles]]\nid = 'coach'\nrequired = true\n"
        "[[relationship.roles]]\nid = 'user'\nremove = true\n")
    r = rows(evaluate([customer("A")], [*full_house("A", strength=3), contact("A", "coach", 2, 5)], ruleset))["A"]
    assert r["missing_roles"] == ["coach"]
    assert r["roles_covered"] == 2


# -- threads and recency --------------------------------------------------------------
def test_active_threads_count_only_recent_working_contacts() -> None:
    r = rows(evaluate([customer("A")], [
        contact("A", "budget", 2, 90),          # active: exactly 90 days
        contact("A", "user", 3, 91),            # too old
        contact("A", "user", 1, 1),             # too weak
        contact("A", "gatekeeper", 4, None),    # never contacted
        contact("A", "coach", 4, 5, by=None),   # nobody of ours
    ]))["A"]
    assert r["active_threads"] == 1


def test_budget_holder_contacted_within_90_days() -> None:
    result = evaluate([customer("A"), customer("B"), customer("C")], [
        contact("A", "budget", 1, 90), contact("B", "budget", 4, 91), contact("C", "user", 4, 1),
    ])
    assert derived(result, "health_budget_contact") == {"A": True, "B": False, "C": None}


def test_map_review_within_92_days() -> None:
    result = evaluate([customer("A", reviewed=92), customer("B", reviewed=93), customer("C")], [])
    assert derived(result, "health_map_reviewed") == {"A": True, "B": False, "C": None}
    r = rows(result)
    # only the map counts: 10 of 100 points
    assert r["A"]["health_score"] == 10.0
    assert r["B"]["health_score"] == 0.0
    assert r["C"]["health_score"] == 0.0


# -- score and bands -------------------------------------------------------------------
def test_score_and_band_boundaries() -> None:
    result = evaluate(
        [customer(k, reviewed=30) for k in ("R50", "Y51", "Y75", "G76")],
        [
            # roles 30 + map 10 + strength 2/4 x 20 = 50 -> red (50 is still red)
            *full_house("R50", strength=2, days=200),
            # strengths 2, 2, 3: average 7/3 -> 11.67 points -> 51.67 -> yellow
            contact("Y51", "budget", 2, 200), contact("Y51", "gatekeeper", 2, 200), contact("Y51", "user", 3, 200),
            # roles 30 + threads 20 + map 10 + 3/4 x 20 = 75 -> yellow (budget holder 100 days ago)
            contact("Y75", "budget", 3, 100), contact("Y75", "gatekeeper", 3, 10), contact("Y75", "user", 3, 10),
            # as Y75 but one contact of strength 4: 76.67 -> green
            contact("G76", "budget", 3, 100), contact("G76", "gatekeeper", 4, 10), contact("G76", "user", 3, 10),
        ],
    )
    r = rows(result)
    assert r["R50"]["health_score"] == 50.0
    assert r["R50"]["health_band"] == "red"
    assert r["Y51"]["health_score"] == pytest.approx(30 + 10 + 20 * 7 / 12)
    assert r["Y51"]["health_band"] == "yellow"
    assert r["Y75"]["health_score"] == 75.0
    assert r["Y75"]["health_band"] == "yellow"
    assert r["G76"]["health_score"] == pytest.approx(60 + 20 * 10 / 12)
    assert r["G76"]["health_band"] == "green"


def test_perfect_account_scores_100() -> None:
    r = rows(evaluate([customer("A", reviewed=0)], full_house("A", strength=4, days=0)))["A"]
    assert r["health_score"] == 100.0
    assert r["health_band"] == "green"
    assert r["active_threads"] == 3


def test_weights_and_bands_are_keys() -> None:
    ruleset = clientwise.parse_ruleset(
        'extends = "default"\n[relationship.weights]\nroles_covered = 0\nactive_threads = 0\n'
        "budget_contact = 0\naverage_strength = 0\nmap_reviewed = 5\n"
        "[[relationship.bands]]\nid = 'red'\nup_to = 99\n[[relationship.bands]]\nid = 'yellow'\nremove = true\n")
    r = rows(evaluate([customer("A", reviewed=1), customer("B", reviewed=200)], [], ruleset))
    assert (r["A"]["health_score"], r["A"]["health_band"]) == (100.0, "green")
    assert (r["B"]["health_score"], r["B"]["health_band"]) == (0.0, "red")


def test_not_applicable_policy_leaves_unknown_measures_out() -> None:
    ruleset = clientwise.parse_ruleset('extends = "default"\n[relationship]\nunanswered = "not_applicable"\n')
    # no contacts: average strength and budget contact are unknown and left out;
    # roles (0), threads (0) and the reviewed map (10) remain: 10 of 60 points
    r = rows(evaluate([customer("A", reviewed=1)], [], ruleset))["A"]
    assert r["health_score"] == pytest.approx(100 * 10 / 60)


def test_unknown_budget_role_is_rejected() -> None:
    with pytest.raises(RulesetError, match="budget_role 'sponsor'"):
        clientwise.parse_ruleset('extends = "default"\n[relationship]\nbudget_role = "sponsor"\n')


# -- portfolio summary ----------------------------------------------------------------
def test_summary_bands_matrix_and_missing_role_counts() -> None:
    result = evaluate(
        [customer("S", reviewed=1, tier="strategic"), customer("K", tier="core"),
         customer("T", tier="transactional")],
        [*full_house("S", strength=4, days=1), contact("K", "budget", 3, 10), contact("T", "user", 2, 10)],
    )
    summary = result.summary("relationship")
    assert summary is not None
    bands = dict(zip(summary.tables["bands"]["band"], summary.tables["bands"]["customers"]))
    assert bands == {"red": 2, "yellow": 0, "green": 1, None: 0}
    matrix = summary.tables["coverage_matrix"]
    assert matrix["customer_id"].to_list() == ["K", "S"]
    assert matrix["budget_strength"].to_list() == [3, 4]
    assert matrix["user_strength"].to_list() == [None, 4]
    assert matrix["user_covered"].to_list() == [False, True]
    missing = {row["role"]: row for row in summary.tables["missing_roles"].iter_rows(named=True)}
    assert missing["budget"]["customers_missing"] == 1          # T
    assert missing["budget"]["matrix_customers_missing"] == 0
    assert missing["gatekeeper"]["customers_missing"] == 2      # K and T
    assert missing["gatekeeper"]["matrix_customers_missing"] == 1
    assert missing["coach"]["customers_missing"] == 3
    assert any("1 strategic/core customers have no gatekeeper" in w for w in summary.warnings)


def test_summarize_on_a_hand_made_frame_without_tiers() -> None:
    config = RelationshipConfig()
    table = pl.DataFrame({
        "customer_id": ["A", "B"],
        **{f"role_{r}_strength": [3, None] for r in ("budget", "gatekeeper", "user", "coach")},
        **{f"role_{r}_covered": [True, False] for r in ("budget", "gatekeeper", "user", "coach")},
        "roles_covered": [3, 0], "active_threads": [3, 0],
        "health_score": [80.0, 0.0], "health_band": ["green", "red"],
    })
    summary = summarize_relationship(config, table, "customer_id")
    assert summary.figures["single_threaded"] == 1
    assert summary.figures["fully_covered"] == 1
    assert summary.figures["mean_health_score"] == 40.0
    assert summary.tables["coverage_matrix"].height == 2
    assert any("No 'tier' field" in w for w in summary.warnings)


# -- compile --------------------------------------------------------------------------
def test_missing_roles_builders_keep_role_order() -> None:
    roles = RelationshipConfig().required()
    frame = pl.DataFrame({"role_budget_covered": [True, None, True], "role_gatekeeper_covered": [False, True, True],
                          "role_user_covered": [False, False, True]})
    frame = frame.with_columns(missing_roles_text_builder(roles).alias("missing_roles_text"))
    assert frame["missing_roles_text"].to_list() == ["gatekeeper, user", "budget, user", ""]
    assert frame.select(missing_roles_builder()).to_series().to_list() == [
        ["gatekeeper", "user"], ["budget", "user"], []]


def test_compile_drops_criteria_that_are_switched_off() -> None:
    data_config = default_ruleset().core.data
    config = RelationshipConfig(budget_role="", map_review_field="")
    plan = RelationshipHandler().compile(config, CompileContext("r.toml", data_config))
    names = {d.name for d in plan.derived}
    assert "health_budget_contact" not in names and "health_map_reviewed" not in names
    assert {"health_roles_covered", "health_active_threads", "health_average_strength", "health_score"} <= names
    assert [c.name for c in plan.outputs] == [
        "health_score", "health_band", "missing_roles", "roles_covered", "active_threads"]


# -- the default [[rules]] on a crafted portfolio ----------------------------------------
PORTFOLIO_CUSTOMERS = {
    "customer_id": pl.String, "name": pl.String, "revenue": pl.Float64, "gross_margin": pl.Float64,
    "discounts": pl.Float64, "payment_terms_days": pl.Int64, "executive_sponsor": pl.String,
    "tier_override": pl.String, "tier_override_reason": pl.String, "relationship_map_reviewed": pl.Date,
    "competitor_pilot": pl.Boolean, "satisfaction_score": pl.Float64,
}
PORTFOLIO_INTERACTIONS = {
    "customer_id": pl.String, "date": pl.Date, "type": pl.String, "channel": pl.String, "by_sponsor": pl.Boolean,
}

#: customer -> (tier, changes to the healthy baseline, the actions expected)
CASES: dict[str, tuple[str, dict, set[str]]] = {
    "HEALTHY_S": ("strategic", {}, set()),
    "HEALTHY_C": ("core", {}, {"annual_review"}),
    "HEALTHY_T": ("transactional", {}, set()),
    "NOSPONSOR": ("core", {"executive_sponsor": None}, {"assign_sponsor", "annual_review"}),
    "OLDVISIT": ("strategic", {"sponsor_visit": 91}, {"sponsor_visit"}),
    "PRICING": ("core", {"pricing": 214}, {"pricing_discussion", "annual_review"}),
    "ROADMAP": ("strategic", {"roadmap": None}, {"share_roadmap"}),
    "NOSAT": ("transactional", {"satisfaction_score": None}, {"measure_satisfaction"}),
    "PILOT": ("transactional", {"competitor_pilot": True}, {"retention_plan"}),
    "ABUSE": ("transactional", {"support_calls": 35}, {"fix_support_root_cause"}),
    # 10 000 x 0.1 - (2 000 discounts + 150 visit) = -1 150: -11.5% of revenue
    "MILDLOSS": ("core", {"revenue": 10_000.0, "gross_margin": 0.1, "discounts": 2_000.0},
                 {"reprice", "annual_review"}),
    # 1 000 x 0.1 - 1 000 = -900: -90% of revenue
    "BIGLOSS": ("transactional", {"revenue": 1_000.0, "gross_margin": 0.1, "discounts": 1_000.0},
                {"consider_exit", "move_to_self_service"}),
    "STRATLOSS": ("strategic", {"revenue": 10_000.0, "gross_margin": 0.1, "discounts": 5_000.0},
                  {"leadership_exit_review"}),
    "MISSING": ("core", {"drop_role": "gatekeeper"}, {"relationship_plan", "annual_review"}),
    "SINGLE": ("strategic", {"threads": 1}, {"multi_thread"}),
    "STALEMAP": ("strategic", {"map_reviewed": 93}, {"review_relationship_map"}),
}


def crafted_portfolio() -> dict[str, pl.DataFrame]:
    customers, contacts, interactions = [], [], []
    for key, (tier, change, _expected) in CASES.items():
        c = {"revenue": 100_000.0, "gross_margin": 0.5, "discounts": 0.0, "executive_sponsor": "Eve",
             "competitor_pilot": False, "satisfaction_score": 8.0, "map_reviewed": 30,
             "sponsor_visit": 30, "pricing": 30, "roadmap": 30, "support_calls": 0, "threads": 3,
             "drop_role": None, **change}
        customers.append((key, key.title(), c["revenue"], c["gross_margin"], c["discounts"], 30,
                          c["executive_sponsor"], tier, "pinned for the test", ago(c["map_reviewed"]),
                          c["competitor_pilot"], c["satisfaction_score"]))
        if tier != "transactional":
            for kind, days in (("visit", c["sponsor_visit"]), ("pricing_discussion", c["pricing"]),
                               ("roadmap_meeting", c["roadmap"])):
                if days is not None:
                    interactions.append((key, ago(days), kind, "in_person", kind == "visit"))
            for index, role in enumerate(("budget", "gatekeeper", "user")):
                if role != c["drop_role"]:
                    contacts.append(contact(key, role, 3, 10 if index < c["threads"] else 200))
        interactions += [(key, ago(3), "support_call", "phone", False)] * c["support_calls"]
    return {
        "customers": pl.DataFrame(customers, schema=PORTFOLIO_CUSTOMERS, orient="row"),
        "contacts": pl.DataFrame(contacts, schema=CONTACTS, orient="row"),
        "interactions": pl.DataFrame(interactions, schema=PORTFOLIO_INTERACTIONS, orient="row"),
    }


@pytest.fixture(scope="module")
def crafted() -> clientwise.Result:
    return clientwise.evaluate(default_ruleset(), crafted_portfolio(), as_of=AS_OF)


def test_each_default_action_fires_for_the_customer_built_for_it(crafted: clientwise.Result) -> None:
    fired = {key: set(actions) for key, actions in crafted.customers.select("customer_id", "actions").iter_rows()}
    assert {key: fired[key] for key in CASES} == {key: expected for key, (_t, _c, expected) in CASES.items()}
    trend = {"health_falling", "lost_strategic", "persistent_destroyer"}  # need an earlier run: tests/test_history_trend.py
    every_rule = {rule.id for rule in default_ruleset().core.rules} - trend
    assert set().union(*fired.values()) == every_rule


def test_tiers_are_the_pinned_ones(crafted: clientwise.Result) -> None:
    tiers = dict(crafted.customers.select("customer_id", "tier").iter_rows())
    assert tiers == {key: tier for key, (tier, _c, _e) in CASES.items()}


def test_actions_are_listed_by_priority_with_their_reasons(crafted: clientwise.Result) -> None:
    actions = crafted.actions
    nosponsor = actions.filter(pl.col("customer_id") == "NOSPONSOR")
    assert nosponsor["rule"].to_list() == ["assign_sponsor", "annual_review"]
    assert nosponsor["priority"].to_list() == [1, 5]
    because = dict(zip(actions["rule"], actions["because"]))
    assert because["sponsor_visit"] == (
        f"No in-person visit by sponsor Eve in the last 90 days (last visit: {ago(91):%d/%m/%Y})")
    assert because["relationship_plan"] == "Required roles without a contact of strength 2+: gatekeeper"
    assert because["multi_thread"].startswith("Only 1 active thread(s)")
    assert because["fix_support_root_cause"].startswith("35 support calls on a single day")
    assert because["consider_exit"] == "Loses 900 on revenue of 1,000: more than 25% of revenue"


def test_a_wrong_map_field_is_reported_at_its_key() -> None:
    with pytest.raises(RulesetError) as error:
        clientwise.Evaluator(clientwise.parse_ruleset(
            'extends = "default"\n[relationship]\nmap_review_field = "relationship_map_reviewd"\n'))
    problem = error.value.problems[0]
    assert problem.location == "relationship.map_review_field"
    assert "relationship_map_reviewd" in problem.message


def test_model_defaults_match_the_default_ruleset() -> None:
    assert default_ruleset().sections["relationship"] == RelationshipConfig()

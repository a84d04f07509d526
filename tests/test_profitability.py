"""The [profitability] section: profit formula, cost drivers, value classes, whale curve."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import clientwise
from clientwise.errors import RulesetError
from clientwise.host.contracts import CompileContext
from clientwise.plugins.sections.profitability import (
    ProfitabilityConfig,
    ProfitabilityHandler,
    summarize_profitability,
    whale_curve,
)
from clientwise.ruleset.data import DataConfig

AS_OF = "2026-06-30"
TODAY = dt.date(2026, 6, 30)

CUSTOMERS = {
    "customer_id": pl.String, "name": pl.String, "revenue": pl.Float64, "gross_margin": pl.Float64,
    "discounts": pl.Float64, "payment_terms_days": pl.Int64,
}
INTERACTIONS = {"customer_id": pl.String, "date": pl.Date, "type": pl.String}
CONTACTS = {"customer_id": pl.String, "role": pl.String, "strength": pl.Int64}


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def data(customers: list[tuple], interactions: list[tuple] = ()) -> dict[str, pl.DataFrame]:
    return {
        "customers": pl.DataFrame(customers, schema=CUSTOMERS, orient="row"),
        "contacts": pl.DataFrame([], schema=CONTACTS),
        "interactions": pl.DataFrame(list(interactions), schema=INTERACTIONS, orient="row"),
    }


def calls(customer: str, day: dt.date, n: int, kind: str = "support_call") -> list[tuple]:
    return [(customer, day, kind)] * n


@pytest.fixture(scope="module")
def default() -> clientwise.Ruleset:
    return clientwise.load_ruleset("default")


def run(ruleset: clientwise.Ruleset, tables: dict[str, pl.DataFrame]) -> dict[str, dict]:
    result = clientwise.evaluate(ruleset, tables, as_of=AS_OF)
    return {row["customer_id"]: row for row in result.customers.iter_rows(named=True)}


def profits_portfolio(profits: list[float]) -> dict[str, pl.DataFrame]:
    """Customers whose profit is exactly the given number: margin 1, losses as discounts."""
    rows = [(f"C{i:02d}", f"Customer {i}", max(p, 0.0), 1.0, max(-p, 0.0), 30) for i, p in enumerate(profits)]
    return data(rows)


# -- profit formula and cost drivers ------------------------------------------------
def test_profit_is_gross_margin_minus_each_cost_driver(default: clientwise.Ruleset) -> None:
    interactions = [
        *calls("A", ago(10), 3),                # 3 support calls in the last year
        *calls("A", ago(400), 1),               # too old: not counted
        *calls("A", ago(365), 1, "order"),      # exactly a year ago: counted
        *calls("A", ago(20), 1, "order"),
        *calls("A", ago(30), 1, "visit"),
        *calls("A", ago(40), 1, "return"),
        *calls("B", ago(5), 10),
        *calls("B", ago(6), 20, "order"),
        *calls("B", ago(7), 2, "visit"),
    ]
    rows = run(default, data([
        ("A", "Alpha", 36_500.0, 0.4, 200.0, 60),   # terms 30 days beyond standard
        ("B", "Beta", 10_000.0, 0.1, 500.0, None),   # no terms recorded: standard 30
    ], interactions))
    a, b = rows["A"], rows["B"]
    assert a["cost_support_calls"] == 75.0
    assert a["cost_orders"] == 30.0
    assert a["cost_visits"] == 150.0
    assert a["cost_returns"] == 40.0
    assert a["cost_discounts"] == 200.0
    assert a["cost_payment_terms"] == pytest.approx(240.0)  # 36 500 x 30/365 x 8%
    assert a["cost_to_serve"] == pytest.approx(735.0)
    assert a["profit"] == pytest.approx(14_600.0 - 735.0)
    assert a["profit_margin"] == pytest.approx(13_865.0 / 36_500.0)
    assert b["cost_payment_terms"] == 0.0
    assert b["cost_to_serve"] == pytest.approx(250.0 + 300.0 + 300.0 + 500.0)
    assert b["profit"] == pytest.approx(1_000.0 - 1_350.0)
    assert b["value_class"] == "value_destroyer"


def test_unknown_margin_means_unknown_profit_unless_default_margin(default: clientwise.Ruleset) -> None:
    tables = data([("A", "Alpha", 1_000.0, None, 100.0, 30), ("B", "Beta", 1_000.0, 0.5, 0.0, 30)])
    rows = run(default, tables)
    assert rows["A"]["profit"] is None
    assert rows["A"]["value_class"] is None
    assert rows["A"]["cost_to_serve"] == 100.0
    assumed = clientwise.parse_ruleset('extends = "default"\n[profitability]\ndefault_margin = 0.3\n')
    rows = run(assumed, tables)
    assert rows["A"]["profit"] == pytest.approx(200.0)
    assert rows["B"]["profit"] == pytest.approx(500.0)


def test_custom_driver_and_unit_cost_override(default: clientwise.Ruleset) -> None:
    ruleset = clientwise.parse_ruleset(
        'extends = "default"\n'
        "[[profitability.cost_drivers]]\nid = 'visits'\nunit_cost = 400.0\n"
        "[[profitability.cost_drivers]]\nid = 'discounts'\nremove = true\n"
        "[[profitability.cost_drivers]]\nid = 'newsletters'\nlabel = 'Newsletters'\n"
        "count = \"count_of(interactions, type == 'newsletter')\"\nunit_cost = 2.5\n"
    )
    interactions = [*calls("A", ago(3), 2, "visit"), *calls("A", ago(900), 4, "newsletter")]
    result = clientwise.evaluate(ruleset, data([("A", "Alpha", 10_000.0, 0.5, 999.0, 30)], interactions), as_of=AS_OF)
    row = result.customers.row(0, named=True)
    assert row["cost_visits"] == 800.0
    assert row["cost_newsletters"] == 10.0
    assert "cost_discounts" not in result.customers.columns
    assert row["cost_to_serve"] == 810.0
    assert row["profit"] == 5_000.0 - 810.0


# -- value classes -----------------------------------------------------------------
def test_classes_with_ties_at_the_top_20_percent_and_zero_profit(default: clientwise.Ruleset) -> None:
    #           C00  C01 C02 C03 C04 C05 C06 C07 C08 C09
    profits = [100, 90, 90, 50, 40, 30, 20, 10, 0, -5]
    rows = run(default, profits_portfolio(profits))
    classes = [rows[f"C{i:02d}"]["value_class"] for i in range(10)]
    # the two 90s share rank 2 -> rank_pct 0.2: both are in the top 20%
    assert classes == ["value_creator"] * 3 + ["neutral"] * 6 + ["value_destroyer"]
    assert rows["C08"]["profit"] == 0.0


def test_a_tie_that_crosses_the_cut_off_is_left_out(default: clientwise.Ruleset) -> None:
    # 5 customers: 100 is rank 1 (0.2); the 90s share rank 2 (0.4) -> only one creator
    rows = run(default, profits_portfolio([100, 90, 90, 10, 0]))
    assert [rows[f"C{i:02d}"]["value_class"] for i in range(5)] == [
        "value_creator", "neutral", "neutral", "neutral", "neutral"]


def test_top_ranked_customer_without_profit_is_not_a_creator(default: clientwise.Ruleset) -> None:
    rows = run(default, profits_portfolio([0, -1, -2, -3, -4]))
    assert rows["C00"]["value_class"] == "neutral"
    assert [rows[f"C{i:02d}"]["value_class"] for i in range(1, 5)] == ["value_destroyer"] * 4


def test_thresholds_are_keys() -> None:
    ruleset = clientwise.parse_ruleset(
        'extends = "default"\n[profitability]\nvalue_creator_top = 0.4\n'
        "value_creator_min_profit = 50\nvalue_destroyer_below = 15\n")
    rows = run(ruleset, profits_portfolio([100, 60, 50, 15, 14]))
    assert [rows[f"C{i:02d}"]["value_class"] for i in range(5)] == [
        "value_creator", "value_creator", "neutral", "neutral", "value_destroyer"]


def test_creator_floor_below_destroyer_threshold_is_rejected() -> None:
    with pytest.raises(RulesetError, match="value_creator_min_profit"):
        clientwise.parse_ruleset(
            'extends = "default"\n[profitability]\nvalue_creator_min_profit = -10\nvalue_destroyer_below = 0\n')


# -- support abuse -----------------------------------------------------------------
def test_support_abuse_at_35_calls_on_one_day(default: clientwise.Ruleset) -> None:
    interactions = [
        *calls("A", ago(10), 34), *calls("A", ago(11), 34),    # 68 calls, at most 34 a day
        *calls("B", ago(10), 35),
        *calls("C", ago(10), 34), *calls("C", ago(10), 1, "order"),  # an order is not a call
        *calls("D", ago(400), 50),                              # a storm more than a year ago
    ]
    customers = [(k, k, 1_000_000.0, 0.5, 0.0, 30) for k in "ABCD"]
    rows = run(default, data(customers, interactions))
    assert {k: rows[k]["support_abuse"] for k in "ABCD"} == {"A": False, "B": True, "C": False, "D": False}
    assert rows["A"]["cost_support_calls"] == 68 * 25.0


def test_support_abuse_threshold_is_a_key() -> None:
    ruleset = clientwise.parse_ruleset('extends = "default"\n[profitability]\nsupport_abuse_calls = 3\n')
    rows = run(ruleset, data([("A", "A", 1_000.0, 0.5, 0.0, 30)], calls("A", ago(1), 3)))
    assert rows["A"]["support_abuse"] is True


# -- portfolio summary ----------------------------------------------------------------
def frame(profits: list[float | None], classes: list[str | None] | None = None) -> pl.DataFrame:
    n = len(profits)
    return pl.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)],
        "revenue": [1_000.0] * n,
        "profit": profits,
        "cost_to_serve": [100.0] * n,
        "value_class": classes or [None] * n,
        "support_abuse": [False] * n,
    }, schema_overrides={"profit": pl.Float64, "value_class": pl.String})


def test_whale_curve_peak_and_top_share_hand_computed() -> None:
    profits = [500.0, 300, 200, 100, 50, 0, -50, -100, -150, -250]
    classes = ["value_creator"] * 2 + ["neutral"] * 4 + ["value_destroyer"] * 4
    summary = summarize_profitability(ProfitabilityConfig(), frame(profits, classes), "customer_id")
    f = summary.figures
    assert f["total_profit"] == 600.0
    assert f["total_revenue"] == 10_000.0
    assert f["total_cost_to_serve"] == 1_000.0
    # cumulative: 500 800 1000 1100 1150 1150 1100 1000 850 600 -> first peak at customer 5 of 10
    assert f["whale_peak_customer_share"] == 0.5
    assert f["whale_peak_profit_share"] == pytest.approx(1150 / 600)
    assert f["top_customers"] == 2
    assert f["top_profit_share"] == pytest.approx(800 / 600)
    assert (f["value_creator_count"], f["neutral_count"], f["value_destroyer_count"]) == (2, 4, 4)
    assert f["value_destroyer_share"] == 0.4
    assert any("4 of 10 customers (40%) are value destroyers" in w for w in summary.warnings)
    curve = summary.tables["whale_curve"]
    assert curve["cumulative_profit"].to_list() == [500, 800, 1000, 1100, 1150, 1150, 1100, 1000, 850, 600]
    assert curve["cumulative_profit_share"][-1] == pytest.approx(1.0)


def test_whale_curve_of_seven_customers() -> None:
    # top 20% of 7 is 1 customer (floor of 1.4)
    summary = summarize_profitability(ProfitabilityConfig(), frame([40.0, 30, 20, 10, -10, -20, -30]), "customer_id")
    f = summary.figures
    assert f["total_profit"] == 40.0
    assert f["whale_peak_customer_share"] == pytest.approx(4 / 7)
    assert f["whale_peak_profit_share"] == pytest.approx(100 / 40)
    assert f["top_customers"] == 1
    assert f["top_profit_share"] == pytest.approx(1.0)
    assert f["value_destroyer_share"] == 0.0  # classes are read from value_class, all null here
    assert f["unclassified_count"] == 7


def test_total_profit_not_positive_leaves_shares_undefined() -> None:
    for profits in ([100.0, -100.0], [-5.0, -10.0]):
        summary = summarize_profitability(ProfitabilityConfig(), frame(profits), "customer_id")
        f = summary.figures
        assert f["whale_peak_profit_share"] is None
        assert f["whale_peak_customer_share"] is None
        assert f["top_profit_share"] is None
        assert summary.tables["whale_curve"]["cumulative_profit_share"].null_count() == len(profits)
        assert any("not positive" in w for w in summary.warnings)


def test_summary_of_an_empty_or_unknown_portfolio() -> None:
    summary = summarize_profitability(ProfitabilityConfig(), frame([None, None]), "customer_id")
    assert summary.figures["customers_with_profit"] == 0
    assert summary.figures["whale_peak_profit_share"] is None
    assert summary.tables["whale_curve"].height == 0
    assert any("2 customers have no known profit" in w for w in summary.warnings)


def test_whale_curve_table_ranks_ties_by_key() -> None:
    table = pl.DataFrame({"key": ["b", "a", "c", "d"], "profit": [1.0, 1.0, None, 2.0]})
    curve = whale_curve(table, "key")
    assert curve.columns == ["rank", "key", "customer_share", "profit", "cumulative_profit", "cumulative_profit_share"]
    assert curve["key"].to_list() == ["d", "a", "b"]
    assert curve["customer_share"].to_list() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert curve["cumulative_profit_share"].to_list() == [0.5, 0.75, 1.0]


def test_summary_through_evaluate(default: clientwise.Ruleset) -> None:
    result = clientwise.evaluate(default, profits_portfolio([500, 300, 200, 100, -100]), as_of=AS_OF)
    summary = result.summary("profitability")
    assert summary is not None
    f = summary.figures
    assert f["total_profit"] == 1_000.0
    assert (f["value_creator_count"], f["neutral_count"], f["value_destroyer_count"]) == (1, 3, 1)
    assert f["top_profit_share"] == 0.5
    assert f["whale_peak_customer_share"] == 0.8
    assert f["whale_peak_profit_share"] == pytest.approx(1.1)
    drivers = summary.tables["cost_drivers"]
    assert drivers.filter(pl.col("driver") == "discounts")["cost"].item() == 100.0


# -- compile ------------------------------------------------------------------------
def test_compile_names_every_output_and_driver_column() -> None:
    data_config = clientwise.load_ruleset("default").core.data
    plan = ProfitabilityHandler().compile(ProfitabilityConfig(), CompileContext("r.toml", data_config))
    outputs = [c.name for c in plan.outputs]
    assert outputs[:5] == ["cost_to_serve", "profit", "profit_margin", "value_class", "support_abuse"]
    assert "cost_payment_terms" in outputs
    derived = {d.name: d for d in plan.derived}
    assert derived["profit"].expression == "gross_profit - cost_to_serve"
    assert derived["cost_visits"].source.path == "profitability.cost_drivers[2].unit_cost"
    assert derived["support_abuse"].expression == "support_calls_peak_day >= 35"
    assert isinstance(data_config, DataConfig)


def test_a_bad_driver_count_is_reported_at_its_key() -> None:
    ruleset = clientwise.parse_ruleset(
        'extends = "default"\n[[profitability.cost_drivers]]\nid = "visits"\ncount = "count_of(interactions, typ == \'visit\')"\n')
    with pytest.raises(RulesetError) as error:
        clientwise.Evaluator(ruleset)
    problem = error.value.problems[0]
    # the user's own file and index, not the merged list's [2]
    assert problem.location == "profitability.cost_drivers[0].count (id 'visits')"
    assert "typ" in problem.message


def test_model_defaults_match_the_default_ruleset(default: clientwise.Ruleset) -> None:
    assert default.sections["profitability"] == ProfitabilityConfig()

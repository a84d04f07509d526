"""[segmentation]: the exact fields and rules it compiles to, validation, the summary,
and (at the end) tiers evaluated end to end: ties, rounding, null measures, overrides.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

import clientwise
from clientwise.compiler.plan import OutputColumn, SectionPlan
from clientwise.host.contracts import CompileContext, ReportContext, SummaryContext
from clientwise.host.manager import PluginHost
from clientwise.output.blocks import Range, Table
from clientwise.plugins.sections.segmentation import SegmentationHandler
from clientwise.plugins.sections.segmentation_config import Override, SegmentationConfig, Tier
from clientwise.ruleset.data import DataConfig

SUMMARY = SummaryContext(key="customer_id", name="name", as_of=dt.date(2026, 6, 30))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = tomllib.loads((ROOT / "rulesets" / "default.toml").read_text())
CONTEXT = CompileContext("test.toml", DataConfig.model_validate(DEFAULT["data"]))


def compile_section(**section: object) -> SectionPlan:
    return SegmentationHandler().compile(SegmentationConfig.model_validate(section), CONTEXT)


def derived(plan: SectionPlan) -> dict[str, str]:
    return {f.name: f.expression for f in plan.derived}  # type: ignore[union-attr]


def rules(plan: SectionPlan) -> list[tuple[str, str, str, str | None]]:
    (tier,) = plan.classifications
    return [(r.id, r.when, r.then, r.because_template) for r in tier.rules]


# -- defaults ---------------------------------------------------------------------
def test_model_defaults_match_the_default_ruleset() -> None:
    shipped = SegmentationConfig.model_validate(DEFAULT["segmentation"])
    assert shipped.tier_list() == SegmentationConfig().tier_list()
    assert shipped.model_dump(exclude={"tiers"}) == SegmentationConfig().model_dump(exclude={"tiers"})
    assert [(t.id, t.share, t.target) for t in shipped.tier_list()] == [
        ("strategic", 0.10, (0.05, 0.10)), ("core", 0.30, (0.15, 0.30)), ("transactional", None, (0.40, 0.60))]


def test_rank_method_compiles_to_cutoffs_and_rank_rules() -> None:
    plan = compile_section()
    assert derived(plan) == {
        "segment_measure": "revenue",
        "segment_rank": "rank(segment_measure)",
        "segment_count": "count(segment_measure)",
        "segment_override_expired": "tier_override_expires is not null and days_since(tier_override_expires) > 0",
        "segment_cutoff_strategic": "max(1, ceil(round(0.1 * segment_count, 9)))",
        "segment_cutoff_core": "segment_cutoff_strategic + max(1, ceil(round(0.3 * segment_count, 9)))",
    }
    assert rules(plan) == [
        ("override",
         "tier_override is not null and tier_override in ['strategic', 'core', 'transactional'] "
         "and not segment_override_expired",
         "tier_override", "Override: {coalesce(tier_override_reason, 'no reason recorded')}"),
        ("strategic", "segment_rank <= segment_cutoff_strategic", "'strategic'",
         "Ranked {segment_rank} of {segment_count} by revenue; the top {segment_cutoff_strategic:.0f} are strategic"),
        ("core", "segment_rank <= segment_cutoff_core", "'core'",
         "Ranked {segment_rank} of {segment_count} by revenue; "
         "ranks {segment_cutoff_strategic + 1:.0f} to {segment_cutoff_core:.0f} are core"),
        ("transactional", "segment_rank > segment_cutoff_core", "'transactional'",
         "Ranked {segment_rank} of {segment_count} by revenue; below the top {segment_cutoff_core:.0f}"),
        ("transactional.unranked", "segment_measure is null", "'transactional'",
         "No revenue value, so not ranked: transactional"),
    ]
    (tier,) = plan.classifications
    assert tier.output == "tier" and tier.default == "'transactional'"
    assert [(c.name, c.kind, c.context) for c in plan.outputs] == [
        ("revenue", "money", True), ("tier", "text", False), ("segment_rank", "integer", False)]


def test_key_paths_point_at_the_users_keys() -> None:
    plan = compile_section()
    sources = {f.name: f.source.path for f in plan.derived}
    assert sources["segment_cutoff_core"] == "segmentation.tiers[1].share"
    assert sources["segment_measure"] == "segmentation.measure"
    (tier,) = plan.classifications
    assert [r.source.path for r in tier.rules] == [
        "segmentation.override_field", "segmentation.tiers[0]", "segmentation.tiers[1]",
        "segmentation.tiers[2]", "segmentation.tiers[2]"]
    assert all(r.source.file == "test.toml" for r in tier.rules)


def test_custom_measure_and_shares() -> None:
    plan = compile_section(measure="revenue * gross_margin", tiers=[
        {"id": "gold", "share": 0.05}, {"id": "silver", "share": 0.15}, {"id": "bronze", "share": 0.3}, {"id": "rest"}])
    fields = derived(plan)
    assert fields["segment_measure"] == "revenue * gross_margin"
    assert fields["segment_cutoff_bronze"] == "segment_cutoff_silver + max(1, ceil(round(0.3 * segment_count, 9)))"
    assert [r[:2] for r in rules(plan)][1:] == [
        ("gold", "segment_rank <= segment_cutoff_gold"), ("silver", "segment_rank <= segment_cutoff_silver"),
        ("bronze", "segment_rank <= segment_cutoff_bronze"), ("rest", "segment_rank > segment_cutoff_bronze"),
        ("rest.unranked", "segment_measure is null")]
    assert rules(plan)[1][3] == ("Ranked {segment_rank} of {segment_count} by revenue * gross_margin; "
                                 "the top {segment_cutoff_gold:.0f} are gold")


def test_cumshare_method() -> None:
    plan = compile_section(method="cumshare", override_field="")
    assert derived(plan) == {
        "segment_measure": "revenue",
        "segment_rank": "rank(segment_measure)",
        "segment_count": "count(segment_measure)",
        "segment_share": "share(segment_measure)",
        "segment_cumshare": "cumshare(segment_measure)",
        "segment_share_ahead": "round(segment_cumshare - segment_share, 9)",
    }
    assert rules(plan) == [
        ("A", "segment_share_ahead < 0.8", "'A'",
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (A: under {0.8:.0%})"),
        ("B", "segment_share_ahead < 0.95", "'B'",
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (B: from {0.8:.0%} to under {0.95:.0%})"),
        ("C", "segment_share_ahead >= 0.95", "'C'",
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (C: {0.95:.0%} or more)"),
        ("C.unranked", "segment_measure is null", "'C'", "No revenue value, so not ranked: C"),
    ]


def test_conditions_method_last_tier_catches_the_rest() -> None:
    plan = compile_section(method="conditions", override_field="", tiers=[
        {"id": "key", "when": "revenue >= 1000"}, {"id": "other", "because": "Everything else"}])
    assert rules(plan) == [
        ("key", "revenue >= 1000", "'key'", "Meets the key condition: revenue >= 1000"),
        ("other", "true", "'other'", "Everything else"),
    ]


def test_rule_overrides_come_first_with_expiry() -> None:
    plan = compile_section(
        override_reason_field="", override_expires_field="",
        overrides=[
            {"id": "flagship", "when": "customer_id in ['C042']", "tier": "strategic",
             "reason": "Signed a framework agreement", "expires": "2026-12-31"},
            {"id": "exit", "when": "industry == 'tobacco'", "tier": "transactional", "reason": "Exit market"},
        ])
    assert "segment_override_expired" not in derived(plan)
    # an override that can expire keeps its condition in a field, for the summary's expiry warning
    assert derived(plan)["segment_override_flagship_matches"] == "customer_id in ['C042']"
    assert "segment_override_exit_matches" not in derived(plan)
    assert rules(plan)[:3] == [
        ("override", "tier_override is not null and tier_override in ['strategic', 'core', 'transactional']",
         "tier_override", "Override from the data"),
        ("override.flagship", "(customer_id in ['C042']) and days_since(date('2026-12-31')) <= 0", "'strategic'",
         "Override flagship: Signed a framework agreement"),
        ("override.exit", "(industry == 'tobacco')", "'transactional'", "Override exit: Exit market"),
    ]
    (tier,) = plan.classifications
    assert tier.rules[1].source.path == "segmentation.overrides[0]"


def test_without_override_field_there_is_no_data_override() -> None:
    plan = compile_section(override_field="")
    assert [r[0] for r in rules(plan)] == ["strategic", "core", "transactional", "transactional.unranked"]
    assert "segment_override_expired" not in derived(plan)


def test_default_override_fields_are_used_only_if_the_data_declares_them() -> None:
    bare = CompileContext("test.toml", DataConfig.model_validate(
        {"customers": {"fields": {"customer_id": {"type": "string"}, "revenue": {"type": "money"}}}}))
    plan = SegmentationHandler().compile(SegmentationConfig(), bare)
    assert [r.id for r in plan.classifications[0].rules][0] == "strategic"
    assert "segment_override_expired" not in derived(plan)
    explicit = SegmentationHandler().compile(SegmentationConfig(override_field="pinned_tier"), bare)
    assert explicit.classifications[0].rules[0].when == (
        "pinned_tier is not null and pinned_tier in ['strategic', 'core', 'transactional']")


def test_single_tier() -> None:
    plan = compile_section(override_field="", tiers=[{"id": "all"}])
    assert rules(plan)[0][:2] == ("all", "segment_rank >= 1")


# -- validation -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"tiers": [{"id": "a", "share": 0.1}, {"id": "a"}]},
         "tier id 'a' appears twice: segmentation.tiers[0] and segmentation.tiers[1]"),
        ({"tiers": [{"id": "a"}, {"id": "b"}]}, "segmentation.tiers[0] ('a') needs share for method 'rank'"),
        ({"tiers": [{"id": "a", "share": 0.1}, {"id": "b", "share": 0.2}]},
         "segmentation.tiers[1] ('b') is the last tier and takes every remaining customer; remove its share"),
        ({"method": "cumshare", "tiers": [{"id": "a", "up_to": 0.9}, {"id": "b", "up_to": 0.5}, {"id": "c"}]},
         "segmentation.tiers: up_to must increase from tier to tier"),
        ({"method": "cumshare", "tiers": [{"id": "a", "share": 0.1}, {"id": "b"}]},
         "segmentation.tiers[0] ('a') needs up_to for method 'cumshare'"),
        ({"method": "conditions"}, "segmentation.tiers: method 'conditions' needs tiers"),
        ({"tiers": [{"id": "override", "share": 0.1}, {"id": "b"}]}, "segmentation.tiers[0].id: 'override' is reserved"),
        ({"overrides": [{"id": "x", "when": "true", "tier": "gold", "reason": "r"}]},
         "segmentation.overrides[0].tier: 'gold' is not a tier; tiers are strategic, core, transactional"),
        ({"overrides": [{"id": "x", "when": "true", "tier": "core", "reason": "r"}] * 2},
         "override id 'x' appears twice: segmentation.overrides[0] and segmentation.overrides[1]"),
        ({"tiers": [{"id": "a", "share": 0.1, "target": [0.2, 0.1]}, {"id": "b"}]}, "target must be [min, max]"),
        ({"tiers": [{"id": "a", "share": 1.5}, {"id": "b"}]}, "less than or equal to 1"),
        ({"tiers": [{"id": "top tier", "share": 0.1}, {"id": "b"}]}, "should match pattern"),
        ({"method": "pareto"}, "Input should be 'rank', 'cumshare' or 'conditions'"),
        ({"tier": []}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_sections_say_which_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        SegmentationConfig.model_validate(section)
    assert message in str(error.value)


def test_keys_of_another_method_are_ignored() -> None:
    config = SegmentationConfig.model_validate(
        {"method": "cumshare", "tiers": [{"id": "A", "share": 0.1, "up_to": 0.8}, {"id": "B", "share": 0.3}]})
    assert rules(SegmentationHandler().compile(config, CONTEXT))[1][:2] == ("A", "segment_share_ahead < 0.8")


def test_every_key_is_documented() -> None:
    text = (ROOT / "docs" / "plugins" / "segmentation.md").read_text()
    for model in (SegmentationConfig, Tier, Override):
        for name in model.model_fields:
            assert f"`{name}`" in text, f"docs/plugins/segmentation.md does not mention `{name}`"


# -- summary ----------------------------------------------------------------------
def portfolio(**extra: list[object]) -> pl.DataFrame:
    """Seven customers, revenue 70..10, ranked and tiered as the default rank method does."""
    return pl.DataFrame({
        "customer_id": [f"C{i}" for i in range(7)],
        "name": list("abcdefg"),
        "segment_measure": [70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
        "tier": ["strategic", "core", "core", "core", "transactional", "transactional", "transactional"],
        **extra,
    })


def test_summary_tiers_targets_and_warnings() -> None:
    summary = SegmentationHandler().summarize(SegmentationConfig(), portfolio(), SUMMARY)
    assert summary.tables["tiers"].to_dicts() == [
        {"tier": "strategic", "customers": 1, "customer_share": 1 / 7, "measure_share": 70 / 280,
         "target_min": 0.05, "target_max": 0.10, "target_met": False},
        {"tier": "core", "customers": 3, "customer_share": 3 / 7, "measure_share": 150 / 280,
         "target_min": 0.15, "target_max": 0.30, "target_met": False},
        {"tier": "transactional", "customers": 3, "customer_share": 3 / 7, "measure_share": 60 / 280,
         "target_min": 0.40, "target_max": 0.60, "target_met": True},
    ]
    assert summary.warnings == [
        "Tier 'strategic' has 14.3% of customers (1 of 7), outside its target 5%-10%: "
        "change segmentation.tiers[0].share (now 10%) or segmentation.tiers[0].target",
        "Tier 'core' has 42.9% of customers (3 of 7), outside its target 15%-30%: "
        "change segmentation.tiers[1].share (now 30%) or segmentation.tiers[1].target",
    ]


def test_summary_concentration_figures() -> None:
    figures = SegmentationHandler().summarize(SegmentationConfig(), portfolio(), SUMMARY).figures
    assert figures["customers"] == 7 and figures["ranked"] == 7 and figures["measure_total"] == 280
    assert figures["top_customers"] == 2  # ceil(0.2 * 7)
    assert figures["top_measure_share"] == pytest.approx(130 / 280)
    assert figures["largest_customer"] == "C0"
    assert figures["largest_customer_share"] == pytest.approx(0.25)


def test_the_summary_reads_only_its_own_fields() -> None:
    """Another section's amounts (a profit column) never reach the summary."""
    with_profit = SegmentationHandler().summarize(SegmentationConfig(), portfolio(profit=[10.0, 5, 5, 0, -5, 5, 0]), SUMMARY)
    without = SegmentationHandler().summarize(SegmentationConfig(), portfolio(), SUMMARY)
    assert with_profit.tables["tiers"].equals(without.tables["tiers"])
    assert "profit_share" not in with_profit.tables["tiers"].columns


def _tier_table(frame: pl.DataFrame, measures: tuple[OutputColumn, ...]) -> Table:
    summary = SegmentationHandler().summarize(SegmentationConfig(), frame, SUMMARY)
    context = ReportContext("customer_id", "name", SUMMARY.as_of, frame, columns=tuple(compile_section().outputs),
                            measures=measures)
    blocks = SegmentationHandler().report(SegmentationConfig(), summary, context)
    return next(b for b in blocks if isinstance(b, Table) and b.id == "tier-table")


def test_the_tier_table_shows_each_tiers_share_of_the_amounts_other_sections_declare() -> None:
    frame = portfolio(profit=[10.0, 5, 5, 0, -5, 5, 0], margin_total=[1.0, 1, 1, 1, 1, 1, 2])
    measures = (OutputColumn("profit", "Profit", "money"), OutputColumn("margin_total", "Margin", "money"))
    tiers = _tier_table(frame, measures)
    assert [c.label for c in tiers.columns] == [
        "Tier", "Customers", "% customers", "% revenue", "% profit", "% margin", "Target", "Met"]
    assert [row[4] for row in tiers.rows] == [0.5, 0.5, 0.0]  # profit 20: 10, 10 and 0
    assert [row[5] for row in tiers.rows] == pytest.approx([1 / 8, 3 / 8, 4 / 8])
    assert [(row[0], row[1], row[6], row[7]) for row in tiers.rows] == [
        ("strategic", 1, Range(0.05, 0.10), False), ("core", 3, Range(0.15, 0.30), False),
        ("transactional", 3, Range(0.40, 0.60), True)]
    assert dict(tiers.columns[0].tones) == {"strategic": "strong", "core": "medium", "transactional": "light"}
    # without declared amounts (no [profitability]) there is no such column
    assert [c.label for c in _tier_table(portfolio(profit=[1.0] * 7), ()).columns][4] == "Target"
    # a total of zero gives no share rather than a division by zero
    assert [row[4] for row in _tier_table(portfolio(profit=[0.0] * 7), measures[:1]).rows] == [None, None, None]


def test_pareto_table() -> None:
    table = SegmentationHandler().summarize(SegmentationConfig(), portfolio(), SUMMARY).tables["pareto"]
    assert table.columns == ["position", "customer_id", "measure", "customer_share", "cumulative_share"]
    assert table.get_column("customer_id").to_list() == [f"C{i}" for i in range(7)]
    assert table.get_column("cumulative_share").to_list() == pytest.approx(
        [70 / 280, 130 / 280, 180 / 280, 220 / 280, 250 / 280, 270 / 280, 1.0])
    assert table.get_column("customer_share").to_list() == pytest.approx([i / 7 for i in range(1, 8)])


def test_summary_leaves_unranked_customers_out_of_the_pareto_table() -> None:
    frame = portfolio().with_columns(
        pl.when(pl.col("customer_id") == "C0").then(None).otherwise(pl.col("segment_measure")).alias("segment_measure"),
        pl.when(pl.col("customer_id") == "C0").then(pl.lit("transactional")).otherwise(pl.col("tier")).alias("tier"))
    summary = SegmentationHandler().summarize(SegmentationConfig(), frame, SUMMARY)
    assert summary.figures["ranked"] == 6 and summary.figures["largest_customer"] == "C1"
    assert summary.figures["largest_customer_share"] == pytest.approx(60 / 210)
    assert summary.tables["pareto"].height == 6
    assert summary.tables["tiers"].get_column("customers").to_list() == [0, 3, 4]


def test_ten_percent_of_ten_meets_the_target_exactly() -> None:
    frame = pl.DataFrame({
        "customer_id": [f"C{i}" for i in range(10)],
        "segment_measure": [float(10 - i) for i in range(10)],
        "tier": ["strategic"] + ["core"] * 3 + ["transactional"] * 6,
    })
    summary = SegmentationHandler().summarize(SegmentationConfig(), frame, SUMMARY)
    assert summary.tables["tiers"].get_column("target_met").to_list() == [True, True, True]
    assert summary.warnings == []


def test_summary_override_warnings() -> None:
    frame = portfolio(
        tier_override=["gold", None, "core", "strategic", None, None, None],
        tier_override_reason=[None] * 7,
        segment_override_expired=[False, False, True, False, False, False, False],
    )
    warnings = SegmentationHandler().summarize(SegmentationConfig(), frame, SUMMARY).warnings[2:]
    assert warnings == [
        "1 customer(s) have a tier_override that is not a tier (e.g. C0: 'gold'); it was ignored: "
        "use one of strategic, core, transactional",
        "1 tier override(s) expired before the as-of date and were ignored: review tier_override_expires",
        "1 tier override(s) have no reason: fill in tier_override_reason",
    ]


def test_last_tier_off_target_names_the_other_tiers_keys() -> None:
    frame = portfolio().with_columns(pl.lit("strategic").alias("tier"))
    config = SegmentationConfig.model_validate({"method": "cumshare", "tiers": [
        {"id": "strategic", "up_to": 0.8}, {"id": "rest", "target": [0.5, 0.9]}]})
    assert SegmentationHandler().summarize(config, frame, SUMMARY).warnings == [
        "Tier 'rest' has 0.0% of customers (0 of 7), outside its target 50%-90%: "
        "change the other tiers' up_to or segmentation.tiers[1].target"]


# -- end to end: clientwise.parse_ruleset + clientwise.evaluate -------------------
AS_OF = "2026-06-30"
DATA = '''
schema = 1
[metadata]
name = "segmentation-test"
[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }
name = { type = "string" }
revenue = { type = "money" }
tier_override = { type = "string" }
tier_override_reason = { type = "string" }
tier_override_expires = { type = "date" }
'''
SCHEMA = {"customer_id": pl.String, "revenue": pl.Float64, "tier_override": pl.String,
          "tier_override_reason": pl.String, "tier_override_expires": pl.Date}


def run(host: PluginHost, revenue: list[float | None], section: str = "[segmentation]",
        **columns: list[object]) -> clientwise.Result:
    keys = [f"C{i:03d}" for i in range(len(revenue))]
    frame = pl.DataFrame({"customer_id": keys, "revenue": revenue, **columns},
                         schema={k: v for k, v in SCHEMA.items() if k in ("customer_id", "revenue", *columns)})
    ruleset = clientwise.parse_ruleset(DATA + section, host=host)
    return clientwise.evaluate(ruleset, {"customers": frame}, as_of=AS_OF, host=host)


def tiers(result: clientwise.Result) -> list[str]:
    return result.customers.get_column("tier").to_list()


def sizes(result: clientwise.Result) -> tuple[int, ...]:
    found = tiers(result)
    return tuple(found.count(t) for t in dict.fromkeys(["strategic", "core", "transactional", *found]))


def because(result: clientwise.Result, key: str) -> str | None:
    fired = [r for r in result.explain(key).rules if r.decision == "tier" and r.status == "fired"]
    return fired[0].because


@pytest.mark.parametrize(("n", "expected"), [
    (7, (1, 3, 3)),        # ceil(0.7) = 1, ceil(2.1) = 3
    (10, (1, 3, 6)),       # 0.3 * 10 = 3.0000000000000004 must not become 4
    (300, (30, 90, 180)),  # 0.1 * 300 = 30.000000000000004 must not become 31
    (3, (1, 1, 1)),        # at least one per tier
    (2, (1, 1, 0)),        # the sizes exceed N: the last tier is empty
    (1, (1, 0, 0)),
])
def test_tier_sizes_round_up_with_at_least_one(host: PluginHost, n: int, expected: tuple[int, ...]) -> None:
    result = run(host, [float(1000 - i) for i in range(n)])
    assert sizes(result) == expected
    assert result.customers.get_column("segment_rank").to_list() == list(range(1, n + 1))


def test_ties_at_a_cutoff_share_the_better_tier(host: PluginHost) -> None:
    # ranks 1, 2, 3, 4, 4, 6...: the core cut-off is rank 4 (1 + 3 of 10), both 70s are core
    result = run(host, [100.0, 90, 80, 70, 70, 60, 50, 40, 30, 20])
    assert result.customers.get_column("segment_rank").to_list() == [1, 2, 3, 4, 4, 6, 7, 8, 9, 10]
    assert tiers(result)[:6] == ["strategic", "core", "core", "core", "core", "transactional"]
    # two customers tied at the top: both strategic
    top = run(host, [100.0, 100, 90, 80, 70, 60, 50, 40, 30, 20])
    assert tiers(top)[:5] == ["strategic", "strategic", "core", "core", "transactional"]


def test_null_measure_gets_the_last_tier_and_is_not_counted(host: PluginHost) -> None:
    result = run(host, [None, *[float(100 - i) for i in range(10)]])
    assert tiers(result)[0] == "transactional"
    assert result.customers.get_column("segment_rank").to_list()[:2] == [None, 1]
    assert sizes(result) == (1, 3, 7)  # N = 10 ranked customers, plus the unranked one
    assert because(result, "C000") == "No revenue value, so not ranked: transactional"
    assert because(result, "C001") == "Ranked 1 of 10 by revenue; the top 1 are strategic"
    assert because(result, "C003") == "Ranked 3 of 10 by revenue; ranks 2 to 4 are core"
    assert because(result, "C010") == "Ranked 10 of 10 by revenue; below the top 4"


@pytest.mark.parametrize(("revenue", "expected"), [
    ([50.0, 30, 20], ["A", "A", "B"]),                # 80% exactly ahead of the third: A is complete
    ([50.0, 25, 15, 10], ["A", "A", "A", "B"]),       # the third crosses 80% (75% ahead): A
    ([50.0, 30, 15, 5], ["A", "A", "B", "C"]),        # 95% exactly ahead of the last: C
    ([90.0, 6, 4], ["A", "B", "C"]),                  # the largest alone holds 90%: still A
    ([90.0, 5, 5], ["A", "C", "C"]),                  # ties share a tier (95% ahead of both)
])
def test_cumshare_boundaries(host: PluginHost, revenue: list[float], expected: list[str]) -> None:
    result = run(host, revenue, '[segmentation]\nmethod = "cumshare"\n')
    assert tiers(result) == expected


def test_cumshare_reason_and_null_measure(host: PluginHost) -> None:
    result = run(host, [50.0, 25, 15, 10, None], '[segmentation]\nmethod = "cumshare"\n')
    assert tiers(result) == ["A", "A", "A", "B", "C"]
    assert because(result, "C002") == "Customers ahead of it hold 75.0% of revenue (A: under 80%)"
    assert because(result, "C003") == "Customers ahead of it hold 90.0% of revenue (B: from 80% to under 95%)"
    assert because(result, "C004") == "No revenue value, so not ranked: C"


def test_data_overrides_with_reason_and_expiry(host: PluginHost) -> None:
    day = dt.date(2026, 6, 30)
    result = run(
        host, [float(100 - i) for i in range(10)],
        tier_override=[None, None, None, None, None, None, "strategic", "strategic", "strategic", "core"],
        tier_override_reason=[None, None, None, None, None, None, "New framework deal", None, "Old deal", None],
        tier_override_expires=[None, None, None, None, None, None, day, None, day - dt.timedelta(days=1), None],
    )
    assert tiers(result)[6:] == ["strategic", "strategic", "transactional", "core"]
    assert because(result, "C006") == "Override: New framework deal"  # applies on its expiry day
    assert because(result, "C007") == "Override: no reason recorded"
    assert because(result, "C008") == "Ranked 9 of 10 by revenue; below the top 4"  # expired: ignored
    summary = result.summary("segmentation")
    assert summary is not None
    assert "1 tier override(s) expired before the as-of date and were ignored: review tier_override_expires" \
        in summary.warnings
    assert "2 tier override(s) have no reason: fill in tier_override_reason" in summary.warnings


def test_an_override_that_is_not_a_tier_is_ignored_with_a_warning(host: PluginHost) -> None:
    result = run(host, [3.0, 2, 1], tier_override=[None, None, "gold"])
    assert tiers(result) == ["strategic", "core", "transactional"]
    summary = result.summary("segmentation")
    assert summary is not None and any("have a tier_override that is not a tier (e.g. C002: 'gold')" in w
                                       for w in summary.warnings)


def test_rule_overrides_come_first_and_expire(host: PluginHost) -> None:
    section = '''
[segmentation]
override_field = ""
[[segmentation.overrides]]
id = "flagship"
when = "customer_id == 'C004'"
tier = "strategic"
reason = "Signed a framework agreement at {revenue:.0f}"
[[segmentation.overrides]]
id = "old"
when = "customer_id == 'C003'"
tier = "strategic"
reason = "Expired pin"
expires = 2026-06-29
[[segmentation.overrides]]
id = "demote"
when = "customer_id == 'C000'"
tier = "transactional"
reason = "Leaving the market"
expires = 2026-06-30
'''
    result = run(host, [5.0, 4, 3, 2, 1], section)
    # overrides do not re-rank: C001 stays core although C000 was demoted (N = 5: ranks 1 | 2-3 | 4-5)
    assert tiers(result) == ["transactional", "core", "core", "transactional", "strategic"]
    assert because(result, "C004") == "Override flagship: Signed a framework agreement at 1"
    assert because(result, "C000") == "Override demote: Leaving the market"
    expired = [w for w in result.warnings if w.startswith("Ruleset override")]
    assert expired == [  # 'demote' still applies on its expiry day: no warning
        "Ruleset override 'old' expired on 2026-06-29, before the as-of date 2026-06-30, and was ignored for the "
        "1 customer(s) its condition selects: remove it, or extend segmentation.overrides[1].expires"]


def test_expired_ruleset_overrides_are_summarized(invoke, write_ruleset, tmp_path: Path) -> None:
    import json

    from clientwise.sample import DEMO_AS_OF, demo_path

    path = write_ruleset('''schema = 1
extends = "default"
[metadata]
name = "acme"
[[segmentation.overrides]]
id = "key_account_2025"
when = "customer_id in ['C00001', 'C00002']"
tier = "strategic"
reason = "Key account for 2025"
expires = 2026-01-31
[[segmentation.overrides]]
id = "gone"
when = "customer_id == 'NO-SUCH-CUSTOMER'"
tier = "core"
reason = "A customer that left"
expires = 2025-12-31
''', "acme.toml")
    warning = ("Ruleset override 'key_account_2025' expired on 2026-01-31, before the as-of date 2026-06-30, and was "
               "ignored for the 2 customer(s) its condition selects: remove it, or extend "
               "segmentation.overrides[0].expires")
    unmatched = ("Ruleset override 'gone' expired on 2025-12-31, before the as-of date 2026-06-30, and was ignored "
                 "(its condition selects no customer): remove it, or extend segmentation.overrides[1].expires")
    result = clientwise.evaluate(clientwise.load_ruleset(path), demo_path(), as_of=DEMO_AS_OF)
    summary = result.summary("segmentation")
    assert summary is not None
    assert [w for w in summary.warnings if w.startswith("Ruleset override")] == [warning, unmatched]
    assert warning in result.warnings and unmatched in result.warnings
    assert result.customers.filter(pl.col("customer_id") == "C00001").get_column("tier").to_list() == ["transactional"]

    table = invoke("evaluate", str(path), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat())
    assert table.code == 0 and f"! {warning}" in " ".join(table.stdout.split())
    written = invoke("evaluate", str(path), str(demo_path()), "--as-of", DEMO_AS_OF.isoformat(),
                     "-o", str(tmp_path / "out.json"))
    assert written.code == 0 and f"warning: {warning}\n" in written.stderr
    assert warning in json.loads((tmp_path / "out.json").read_text())["warnings"]

    before = clientwise.evaluate(clientwise.load_ruleset(path), demo_path(), as_of="2025-12-31")
    assert not [w for w in before.warnings if w.startswith("Ruleset override")]  # neither has expired yet
    assert before.customers.filter(pl.col("customer_id") == "C00001").get_column("tier").to_list() == ["strategic"]


def test_conditions_method(host: PluginHost) -> None:
    section = '''
[segmentation]
method = "conditions"
override_field = ""
[[segmentation.tiers]]
id = "key"
when = "revenue >= 100"
[[segmentation.tiers]]
id = "small"
'''
    result = run(host, [150.0, 100, 99, None], section)
    assert tiers(result) == ["key", "key", "small", "small"]
    assert because(result, "C000") == "Meets the key condition: revenue >= 100"
    assert because(result, "C003") == "No other tier's condition holds: small"


def test_summary_through_evaluate(host: PluginHost) -> None:
    result = run(host, [float(v) for v in (400, 300, 100, 80, 60, 30, 20, 10)])
    summary = result.summary("segmentation")
    assert summary is not None
    assert summary.figures["largest_customer"] == "C000"
    assert summary.figures["largest_customer_share"] == pytest.approx(0.4)
    assert summary.figures["top_customers"] == 2 and summary.figures["top_measure_share"] == pytest.approx(0.7)
    assert summary.tables["tiers"].get_column("customers").to_list() == [1, 3, 4]
    assert summary.tables["tiers"].get_column("measure_share").to_list() == pytest.approx([0.4, 0.48, 0.12])
    assert result.warnings[:2] == [
        "Tier 'strategic' has 12.5% of customers (1 of 8), outside its target 5%-10%: "
        "change segmentation.tiers[0].share (now 10%) or segmentation.tiers[0].target",
        "Tier 'core' has 37.5% of customers (3 of 8), outside its target 15%-30%: "
        "change segmentation.tiers[1].share (now 30%) or segmentation.tiers[1].target",
    ]


def test_a_bad_section_is_reported_at_its_key_by_the_loader(host: PluginHost) -> None:
    with pytest.raises(clientwise.RulesetError) as error:
        clientwise.parse_ruleset(DATA + '[segmentation]\nmesure = "revenue"\n', host=host)
    problem = error.value.problems[0]
    assert problem.location == "segmentation.mesure" and "did you mean 'measure'" in (problem.hint or "")


def test_a_measure_type_error_points_at_segmentation_measure(host: PluginHost) -> None:
    ruleset = clientwise.parse_ruleset(DATA + '[segmentation]\nmeasure = "name"\n', host=host)
    with pytest.raises(clientwise.RulesetError) as error:
        clientwise.Evaluator(ruleset, host=host)
    assert any(p.location and p.location.startswith("segmentation.") for p in error.value.problems)


def test_tier_shares_of_a_measure_are_sums_in_row_order_whatever_the_chunks():
    """The report's share of each measure per tier adds in row order (as Python's sum),
    so a workbook written twice has the same digits (polars' parallel group-by sums did not)."""
    import random

    from clientwise.plugins.sections.segmentation_report import _measure_shares

    rng = random.Random(5)
    rows = 60_000
    tiers = [rng.choice(["strategic", "core", None]) for _ in range(rows)]
    values = [rng.uniform(0, 1e6) if rng.random() > 0.01 else None for _ in range(rows)]
    parts = [pl.DataFrame({"tier": tiers[i:i + 7_000], "revenue": values[i:i + 7_000]},
                          schema={"tier": pl.String, "revenue": pl.Float64}) for i in range(0, rows, 7_000)]
    table = pl.concat(parts, rechunk=False)
    total = sum(v for v in values if v is not None)
    shares = _measure_shares(table, ["revenue"])["revenue"]
    for tier in ("strategic", "core", None):
        assert shares[tier] == sum(v for t, v in zip(tiers, values) if t == tier and v is not None) / total

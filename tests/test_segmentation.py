"""[segmentation]: the exact fields and rules it compiles to, validation, the summary,
and (at the end) tiers evaluated end to end: ties, rounding, null measures, overrides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from clientwise.contracts import CompileContext
from clientwise.plan import SectionPlan
from clientwise.plugins.segmentation import Override, SegmentationConfig, SegmentationHandler, Tier
from clientwise.ruleset.data import DataConfig

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = tomllib.loads((ROOT / "rulesets" / "default.toml").read_text())
CONTEXT = CompileContext("test.toml", DataConfig.model_validate(DEFAULT["data"]))


def compile_section(**section: object) -> SectionPlan:
    return SegmentationHandler().compile(SegmentationConfig.model_validate(section), CONTEXT)


def derived(plan: SectionPlan) -> dict[str, str]:
    return {f.name: f.expression for f in plan.derived}  # type: ignore[union-attr]


def rules(plan: SectionPlan) -> list[tuple[str, str, str, str | None]]:
    (tier,) = plan.classifications
    return [(r.id, r.when, r.then, r.because) for r in tier.rules]


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
    assert [(c.name, c.kind) for c in plan.outputs] == [("tier", "text"), ("segment_rank", "integer")]


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
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (A: under 80%)"),
        ("B", "segment_share_ahead < 0.95", "'B'",
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (B: from 80% to under 95%)"),
        ("C", "segment_share_ahead >= 0.95", "'C'",
         "Customers ahead of it hold {segment_share_ahead:.1%} of revenue (C: 95% or more)"),
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
    summary = SegmentationHandler().summarize(SegmentationConfig(), portfolio())
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
    figures = SegmentationHandler().summarize(SegmentationConfig(), portfolio()).figures
    assert figures["customers"] == 7 and figures["ranked"] == 7 and figures["measure_total"] == 280
    assert figures["top_customers"] == 2  # ceil(0.2 * 7)
    assert figures["top_measure_share"] == pytest.approx(130 / 280)
    assert figures["largest_customer"] == "C0"
    assert figures["largest_customer_share"] == pytest.approx(0.25)


def test_summary_profit_share_only_with_a_profit_column() -> None:
    with_profit = SegmentationHandler().summarize(SegmentationConfig(), portfolio(profit=[10.0, 5, 5, 0, -5, 5, 0]))
    assert with_profit.tables["tiers"].get_column("profit_share").to_list() == [0.5, 0.5, 0.0]
    without = SegmentationHandler().summarize(SegmentationConfig(), portfolio())
    assert "profit_share" not in without.tables["tiers"].columns


def test_pareto_table() -> None:
    table = SegmentationHandler().summarize(SegmentationConfig(), portfolio()).tables["pareto"]
    assert table.columns == ["position", "customer_id", "measure", "customer_share", "cumulative_share"]
    assert table.get_column("customer_id").to_list() == [f"C{i}" for i in range(7)]
    assert table.get_column("cumulative_share").to_list() == pytest.approx(
        [70 / 280, 130 / 280, 180 / 280, 220 / 280, 250 / 280, 270 / 280, 1.0])
    assert table.get_column("customer_share").to_list() == pytest.approx([i / 7 for i in range(1, 8)])


def test_summary_leaves_unranked_customers_out_of_the_pareto_table() -> None:
    frame = portfolio().with_columns(
        pl.when(pl.col("customer_id") == "C0").then(None).otherwise(pl.col("segment_measure")).alias("segment_measure"),
        pl.when(pl.col("customer_id") == "C0").then(pl.lit("transactional")).otherwise(pl.col("tier")).alias("tier"))
    summary = SegmentationHandler().summarize(SegmentationConfig(), frame)
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
    summary = SegmentationHandler().summarize(SegmentationConfig(), frame)
    assert summary.tables["tiers"].get_column("target_met").to_list() == [True, True, True]
    assert summary.warnings == []


def test_summary_override_warnings() -> None:
    frame = portfolio(
        tier_override=["gold", None, "core", "strategic", None, None, None],
        tier_override_reason=[None] * 7,
        segment_override_expired=[False, False, True, False, False, False, False],
    )
    warnings = SegmentationHandler().summarize(SegmentationConfig(), frame).warnings[2:]
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
    assert SegmentationHandler().summarize(config, frame).warnings == [
        "Tier 'rest' has 0.0% of customers (0 of 7), outside its target 50%-90%: "
        "change the other tiers' up_to or segmentation.tiers[1].target"]

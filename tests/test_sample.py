"""The sample portfolio: reproducible, shaped like the default ruleset's data, varied enough to matter.

The demo data ships in the wheel and every tutorial runs on it, so these tests pin
what it must keep being: byte-identical to a fresh generation, exactly the declared
schema, skewed like a real B2B book, and rich enough that every default rule fires.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import clientwise
from clientwise import sample
from clientwise.runtime.validate import FIELD_DTYPES
from clientwise.sample.draws import (
    Draws,
    cents,
    choose,
    choose_by,
    choose_within,
    decimals,
)

TABLES = ("customers", "contacts", "interactions")


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    return sample.generate()


@pytest.fixture(scope="module")
def ruleset() -> clientwise.Ruleset:
    return clientwise.load_ruleset("default")


@pytest.fixture(scope="module")
def demo_result(ruleset: clientwise.Ruleset) -> clientwise.Result:
    return clientwise.evaluate(ruleset, sample.demo_path(), as_of=sample.DEMO_AS_OF)


# -- reproducibility -----------------------------------------------------------------


def test_same_seed_gives_identical_tables() -> None:
    first, second = sample.generate(150, seed=3), sample.generate(150, seed=3)
    for name in TABLES:
        assert_frame_equal(first[name], second[name])


def test_another_seed_gives_other_tables() -> None:
    first, second = sample.generate(150, seed=3), sample.generate(150, seed=4)
    for name in TABLES:
        assert not first[name].equals(second[name])


def test_written_files_are_byte_identical(tmp_path: Path) -> None:
    for run in ("a", "b"):
        sample.write(sample.generate(120, seed=5), tmp_path / run, "csv")
        sample.write(sample.generate(120, seed=5), tmp_path / run, "jsonl")
    for name in TABLES:
        for suffix in (".csv", ".jsonl"):
            file = f"{name}{suffix}"
            assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_bundled_demo_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    """Regenerate with ``python -m clientwise.sample core/sample/data`` when this fails on purpose."""
    written = sample.write(sample.generate(), tmp_path, "csv")
    assert sorted(p.name for p in sample.demo_path().iterdir()) == ["contacts.csv", "customers.csv", "interactions.csv"]
    for name, path in written.items():
        assert (sample.demo_path() / path.name).read_bytes() == path.read_bytes(), name


def test_demo_defaults_are_the_documented_ones(demo: dict[str, pl.DataFrame]) -> None:
    assert (sample.DEMO_CUSTOMERS, sample.DEMO_SEED, sample.DEMO_AS_OF) == (300, 7, dt.date(2026, 6, 30))
    assert demo["customers"].height == 300
    assert demo["customers"]["customer_id"].to_list()[:3] == ["C00001", "C00002", "C00003"]


# -- shape ---------------------------------------------------------------------------


def test_schema_is_exactly_the_default_rulesets_data(
    demo: dict[str, pl.DataFrame], ruleset: clientwise.Ruleset
) -> None:
    declared = ruleset.core.data.tables()
    assert set(declared) == set(TABLES)
    for name, spec in declared.items():
        expected = {field: FIELD_DTYPES[field_spec.type] for field, field_spec in spec.fields.items()}
        assert dict(demo[name].schema) == expected, name
        assert list(demo[name].columns) == list(spec.fields), name


def test_values_respect_the_declared_constraints(ruleset: clientwise.Ruleset) -> None:
    tables = sample.generate(2000, seed=11)
    for name, spec in ruleset.core.data.tables().items():
        frame = tables[name]
        for field, rule in spec.fields.items():
            column = frame[field]
            if rule.required and not rule.nullable:
                assert column.null_count() == 0, f"{name}.{field}"
            if rule.min is not None:
                assert column.min() >= rule.min, f"{name}.{field}"
            if rule.max is not None:
                assert column.max() <= rule.max, f"{name}.{field}"
            if rule.allowed is not None:
                assert set(column.drop_nulls().unique()) <= set(rule.allowed), f"{name}.{field}"


def test_every_table_has_rows_and_related_rows_belong_to_customers(demo: dict[str, pl.DataFrame]) -> None:
    keys = set(demo["customers"]["customer_id"])
    assert len(keys) == demo["customers"].height == 300
    for name in ("contacts", "interactions"):
        assert demo[name].height > demo["customers"].height
        assert set(demo[name]["customer_id"]) <= keys


def test_contacts_per_customer_range_from_one_to_eight(demo: dict[str, pl.DataFrame]) -> None:
    per_customer = demo["contacts"].group_by("customer_id").len()["len"]
    assert per_customer.len() == 300
    assert (per_customer.min(), per_customer.max()) == (1, 8)
    assert set(demo["contacts"]["role"]) == {"budget", "gatekeeper", "user", "coach"}
    assert set(demo["contacts"]["strength"]) == {0, 1, 2, 3, 4}


def test_interactions_cover_two_years_up_to_the_as_of_date(demo: dict[str, pl.DataFrame]) -> None:
    dates = demo["interactions"]["date"]
    assert dates.max() <= sample.DEMO_AS_OF
    assert dates.min() >= sample.DEMO_AS_OF - dt.timedelta(days=730)
    assert set(demo["interactions"]["type"]) == {
        "order", "support_call", "visit", "call", "pricing_discussion", "roadmap_meeting",
        "requirement_delivered", "satisfaction_survey", "return", "newsletter",
    }


def test_top_fifth_of_customers_hold_most_revenue(demo: dict[str, pl.DataFrame]) -> None:
    revenue = demo["customers"]["revenue"].sort(descending=True)
    top_share = revenue.head(60).sum() / revenue.sum()
    assert top_share > 0.65
    assert revenue[0] > 20 * revenue.median()  # a whale


def test_some_customers_have_a_support_storm(demo: dict[str, pl.DataFrame]) -> None:
    per_day = (
        demo["interactions"].filter(pl.col("type") == "support_call").group_by("customer_id", "date").len()
    )
    storms = per_day.filter(pl.col("len") >= 35)
    assert storms.height >= 3
    assert (storms["date"] > sample.DEMO_AS_OF - dt.timedelta(days=365)).all()


def test_special_cases_are_present(demo: dict[str, pl.DataFrame]) -> None:
    customers = demo["customers"]
    overrides = customers.filter(pl.col("tier_override").is_not_null())
    assert overrides.height >= 4
    assert overrides["tier_override_reason"].null_count() >= 1  # an override nobody explained
    assert (overrides["tier_override_expires"] < sample.DEMO_AS_OF).any()  # an expired one
    assert customers.filter(pl.col("gross_margin") < 0.1).height >= 10  # low-margin accounts
    assert customers["executive_sponsor"].null_count() > 0
    assert customers["relationship_map_reviewed"].null_count() > 0
    for answer in ("management_knows_top", "competitor_pilot", "renewal_process"):
        assert customers[answer].null_count() > 0, answer  # unknown answers are blank


def test_csv_looks_like_a_crm_export(tmp_path: Path) -> None:
    paths = sample.write(sample.generate(), tmp_path, "csv")
    text = paths["customers"].read_text(encoding="utf-8")
    assert text.startswith("customer_id,name,industry,region,account_manager,revenue,gross_margin,")
    assert '"' in text and "Ö" in text  # quoted names with commas, non-ASCII letters
    cells = pl.read_csv(paths["customers"], infer_schema_length=0)
    assert set(cells["management_knows_top"]) == {"Yes", "No", None}  # unknown answers are blank cells
    assert set(pl.read_csv(paths["interactions"], infer_schema_length=0)["by_sponsor"]) == {"Yes", "No", None}


def test_demo_csv_reads_back_exactly_as_generated(demo: dict[str, pl.DataFrame]) -> None:
    loaded = clientwise.Evaluator("default").load(sample.demo_path())
    for name in TABLES:
        assert_frame_equal(loaded[name].select(demo[name].columns), demo[name], check_row_order=False)


# -- the demo exercises the default ruleset -------------------------------------------


def test_every_default_rule_fires_on_the_demo(demo_result: clientwise.Result, ruleset: clientwise.Ruleset) -> None:
    fired = set(demo_result.actions["rule"])
    trend = {"health_falling", "lost_strategic", "persistent_destroyer"}  # need an earlier run: tests/test_history_trend.py
    ids = [rule.id for rule in ruleset.core.rules if rule.id not in trend]
    assert ids, "the default ruleset has action rules"
    assert [rule for rule in ids if rule not in fired] == []


def test_every_class_appears_on_the_demo(demo_result: clientwise.Result) -> None:
    customers = demo_result.customers
    assert set(customers["tier"]) == {"strategic", "core", "transactional"}
    assert set(customers["value_class"].drop_nulls()) == {"value_creator", "neutral", "value_destroyer"}
    assert customers["support_abuse"].fill_null(False).sum() >= 3
    assert set(customers["health_band"].drop_nulls()) == {"red", "yellow", "green"}


# -- building blocks -----------------------------------------------------------------


def test_choose_cuts_at_cumulative_weights() -> None:
    frame = pl.DataFrame({"u": [0.0, 0.2499, 0.25, 0.9999], "g": [1, 0, 1, 0]})
    picked = frame.select(
        plain=choose(pl.col("u"), ["a", "b"], [1, 3]),
        grouped=choose_by(pl.col("u"), pl.col("g"), ["a", "b"], [[1, 3], [3, 1]]),
    )
    assert picked["plain"].to_list() == ["a", "a", "b", "b"]
    assert picked["grouped"].to_list() == ["a", "a", "a", "b"]


def test_choose_within_picks_from_the_groups_list() -> None:
    frame = pl.DataFrame({"u": [0.0, 0.99, 0.5, 0.99], "g": [0, 0, 1, 1]})
    picked = frame.select(choose_within(pl.col("u"), pl.col("g"), [["x"], ["p", "q", "r"]]))
    assert picked.to_series().to_list() == ["x", "x", "q", "r"]


def test_rounding_is_half_up_and_prints_short() -> None:
    frame = pl.DataFrame({"x": [0.125, 5.64999, 0.625, -0.0449, 0.25]})
    rounded = frame.select(cents=cents(pl.col("x")), one=decimals(pl.col("x"), 1))
    assert rounded["cents"].to_list() == [0.13, 5.65, 0.63, -0.04, 0.25]  # half up, not half to even
    assert rounded["one"].to_list() == [0.1, 5.6, 0.6, 0.0, 0.3]
    assert rounded["one"].cast(pl.String).to_list() == ["0.1", "5.6", "0.6", "0.0", "0.3"]


def test_uniforms_are_reproducible_and_in_range() -> None:
    first, again, other = Draws(1).uniform("x", 1001), Draws(1).uniform("x", 1001), Draws(1).uniform("y", 1001)
    assert first.equals(again) and not first.equals(other)
    assert first.len() == 1001 and 0.0 <= first.min() and first.max() < 1.0
    assert 0.45 < first.mean() < 0.55


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sample.generate(0)
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        sample.write(sample.generate(5), tmp_path, "xml")  # type: ignore[arg-type]


# -- a portfolio over quarters (clientwise.sample.evolve) ----------------------------------------


@pytest.fixture(scope="module")
def quarters() -> list[sample.Quarter]:
    return sample.evolve(300, 4)


def test_quarters_are_reproducible_and_dated_at_quarter_ends(quarters: list[sample.Quarter]) -> None:
    again = sample.evolve(300, 4)
    for mine, theirs in zip(quarters, again, strict=True):
        for name in TABLES:
            assert_frame_equal(mine.tables[name], theirs.tables[name])
    assert [q.label for q in quarters] == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
    assert [q.as_of for q in quarters] == [dt.date(2026, 6, 30), dt.date(2026, 9, 30), dt.date(2026, 12, 31),
                                           dt.date(2027, 3, 31)]
    assert_frame_equal(quarters[0].tables["customers"], sample.generate()["customers"])  # the first is the demo
    other = sample.evolve(300, 2, seed=8)
    assert not other[1].tables["customers"].equals(quarters[1].tables["customers"])


def test_each_quarter_keeps_the_schema_and_its_dates(quarters: list[sample.Quarter]) -> None:
    for quarter in quarters:
        for name in TABLES:
            assert dict(quarter.tables[name].schema) == sample.SCHEMA[name]
        assert quarter.tables["customers"]["customer_id"].is_unique().all()
        assert quarter.tables["interactions"]["date"].max() <= quarter.as_of
        assert quarter.tables["contacts"]["last_contact"].max() <= quarter.as_of
        known = set(quarter.tables["customers"]["customer_id"])
        assert set(quarter.tables["contacts"]["customer_id"]) <= known
        assert set(quarter.tables["interactions"]["customer_id"]) <= known


def test_customers_come_and_go_and_relationships_move_both_ways(quarters: list[sample.Quarter]) -> None:
    seen: set[str] = set()
    for before, after in zip(quarters, quarters[1:]):
        old, new = (set(q.tables["customers"]["customer_id"]) for q in (before, after))
        gained, lost = new - old, old - new
        assert 5 <= len(gained) <= 30 and 5 <= len(lost) <= 30
        assert not gained & seen  # an id is never reused
        seen |= old
        scores = [clientwise.evaluate("default", q.tables, as_of=q.as_of).customers.select("customer_id", "health_score")
                  for q in (before, after)]
        moved = scores[0].join(scores[1], on="customer_id", suffix="_now").select(
            (pl.col("health_score_now") - pl.col("health_score")).alias("change"))["change"]
        assert (moved > 10).sum() >= 10 and (moved < -10).sum() >= 10


def test_the_sample_command_writes_one_folder_per_quarter(tmp_path: Path) -> None:
    from clientwise.sample.__main__ import main

    assert main([str(tmp_path), "--quarters", "2", "--customers", "50"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-Q2", "2026-Q3"]
    assert (tmp_path / "2026-Q3" / "customers.csv").read_text().startswith("customer_id,name")

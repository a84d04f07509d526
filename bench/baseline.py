"""Hand-written polars baseline: the default segmentation and profitability, no framework.

What a competent analyst would write directly in polars for the default ruleset's
``[segmentation]`` and ``[profitability]`` sections (rank-based 10/30/60 tiers with
data overrides; cost drivers, profit and value classes; the support-abuse flag). It
bounds how fast clientwise's derive and decide stages could be, so
``bench_evaluate.py`` reports clientwise's time as a multiple of this one.

Run: ``python bench/baseline.py DATA_DIR --as-of 2026-06-30 --out out.csv``; prints
one line of JSON with the timings and peak memory of this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import sys
import time
from pathlib import Path

import polars as pl

#: The default ruleset's numbers (rulesets/default.toml and the plugins' defaults).
TIERS = (("strategic", 0.10), ("core", 0.30))
LAST_TIER = "transactional"
UNIT_COSTS = {"support_call": 25.0, "order": 15.0, "visit": 150.0, "return": 40.0}
DRIVER_IDS = {"support_call": "support_calls", "order": "orders", "visit": "visits", "return": "returns"}
CAPITAL_COST = 0.08
STANDARD_TERMS = 30
VALUE_CREATOR_TOP = 0.20
SUPPORT_ABUSE_CALLS = 35

CUSTOMER_COLUMNS = [
    "customer_id", "name", "revenue", "gross_margin", "discounts", "payment_terms_days",
    "tier_override", "tier_override_expires",
]


def read(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    customers = pl.read_parquet(directory / "customers.parquet", columns=CUSTOMER_COLUMNS)
    interactions = pl.read_parquet(directory / "interactions.parquet", columns=["customer_id", "date", "type"])
    return customers, interactions


def tiers(customers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Rank by revenue (ties share the best rank); tier sizes ceil(share x ranked), at least 1."""
    ranked = customers.get_column("revenue").drop_nulls().len()
    cutoffs: list[tuple[str, int]] = []
    cumulative = 0
    for tier, share in TIERS:
        cumulative += max(1, math.ceil(round(share * ranked, 9)))  # round first: 0.1 * 300 is 30.000000000000004
        cutoffs.append((tier, cumulative))
    rank = pl.col("revenue").rank("min", descending=True).cast(pl.Int64)
    by_rank = pl.when(pl.col("segment_rank").is_null()).then(pl.lit(LAST_TIER))
    for tier, cutoff in cutoffs:
        by_rank = by_rank.when(pl.col("segment_rank") <= cutoff).then(pl.lit(tier))
    by_rank = by_rank.otherwise(pl.lit(LAST_TIER))
    expired = pl.col("tier_override_expires").is_not_null() & (pl.col("tier_override_expires") < pl.lit(as_of))
    valid = pl.col("tier_override").is_in([t for t, _ in TIERS] + [LAST_TIER]) & ~expired
    return customers.with_columns(segment_rank=rank).with_columns(
        tier=pl.when(valid).then(pl.col("tier_override")).otherwise(by_rank)
    )


def profitability(customers: pl.DataFrame, interactions: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Cost drivers over the last 365 days, profit, value classes and the support-abuse flag."""
    recent = interactions.filter((pl.lit(as_of) - pl.col("date")).dt.total_days() <= 365)
    counts = recent.group_by("customer_id").agg(
        (pl.col("type") == kind).sum().alias(f"count_{DRIVER_IDS[kind]}") for kind in UNIT_COSTS
    )
    peak = (
        recent.filter(pl.col("type") == "support_call")
        .group_by("customer_id", "date")
        .len()
        .group_by("customer_id")
        .agg(support_calls_peak_day=pl.col("len").max())
    )
    count_columns = [f"count_{DRIVER_IDS[kind]}" for kind in UNIT_COSTS]
    frame = (
        customers.join(counts, on="customer_id", how="left")
        .join(peak, on="customer_id", how="left")
        .with_columns(pl.col(*count_columns, "support_calls_peak_day").fill_null(0))  # no calls: a peak of 0
    )
    costs = {
        f"cost_{DRIVER_IDS[kind]}": pl.col(f"count_{DRIVER_IDS[kind]}") * cost for kind, cost in UNIT_COSTS.items()
    }
    costs["cost_discounts"] = pl.col("discounts").fill_null(0.0)
    terms = (pl.col("payment_terms_days").fill_null(STANDARD_TERMS) - STANDARD_TERMS).clip(lower_bound=0)
    costs["cost_payment_terms"] = pl.col("revenue") * terms / 365 * CAPITAL_COST
    frame = frame.with_columns(gross_profit=pl.col("revenue") * pl.col("gross_margin"), **costs)
    frame = frame.with_columns(cost_to_serve=pl.sum_horizontal(list(costs)))
    frame = frame.with_columns(profit=pl.col("gross_profit") - pl.col("cost_to_serve"))
    rank_pct = pl.col("profit").rank("min", descending=True) / pl.col("profit").count()
    return frame.with_columns(
        profit_margin=pl.when(pl.col("revenue") > 0).then(pl.col("profit") / pl.col("revenue")),
        value_class=pl.when((rank_pct <= VALUE_CREATOR_TOP) & (pl.col("profit") > 0))
        .then(pl.lit("value_creator"))
        .when(pl.col("profit") < 0)
        .then(pl.lit("value_destroyer"))
        .when(pl.col("profit").is_not_null())
        .then(pl.lit("neutral")),
        support_abuse=pl.col("support_calls_peak_day") >= SUPPORT_ABUSE_CALLS,
    )


def evaluate(customers: pl.DataFrame, interactions: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    frame = profitability(tiers(customers, as_of), interactions, as_of)
    return frame.select(
        "customer_id", "name", "tier", "segment_rank", "cost_to_serve", "profit", "profit_margin",
        "value_class", "support_abuse", pl.col("^cost_.*$").exclude("cost_to_serve"),
    ).sort("customer_id")


def peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="directory with customers.parquet and interactions.parquet")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args()
    started = time.perf_counter()
    customers, interactions = read(args.data)
    loaded = time.perf_counter()
    result = evaluate(customers, interactions, args.as_of)
    computed = time.perf_counter()
    result.write_csv(args.out)
    written = time.perf_counter()
    print(json.dumps({
        "customers": result.height,
        "load": loaded - started,
        "compute": computed - loaded,
        "write": written - computed,
        "total": written - started,
        "peak_mb": peak_memory_mb(),
    }))


if __name__ == "__main__":
    main()

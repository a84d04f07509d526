"""Sums are the same on every run: rows added in table order, whatever the thread count.

polars' group-by adds per-thread partial sums and merges them in an order that
changes with the thread count, and its column sums add pairwise: the same data gave
sums differing in the last digit between runs, which moved a customer's rank at a
tie (issue 14, class 8). A sum in clientwise is the sequential sum in row order
(:mod:`clientwise.expr.summation`), the reference evaluator's ``sum()``.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from clientwise.expr import summation
from clientwise.sample import generate

AS_OF = "2026-06-30"

#: Every sum the language has, over floats added in an order that matters, each in an
#: output column (cost drivers are printed with every digit) and in the profit ranks.
RULESET = """
extends = "default"
[metadata]
name = "sums"
[derive]
spend = "sum_of(interactions, amount)"
average_spend = "mean_of(interactions, amount, amount > 1)"
[[profitability.cost_drivers]]
id = "spend"
label = "Spend"
count = "spend"
unit_cost = 0.001
[[profitability.cost_drivers]]
id = "average"
label = "Average"
count = "coalesce(average_spend, 0)"
unit_cost = 0.001
[[profitability.cost_drivers]]
id = "share"
label = "Share"
count = "share(spend)"
unit_cost = 1.0
[[profitability.cost_drivers]]
id = "cumshare"
label = "Cumulative share"
count = "cumshare(spend)"
unit_cost = 1.0
[[profitability.cost_drivers]]
id = "total"
label = "Total"
count = "sum(spend) / 1000000000000"
unit_cost = 1.0
[[profitability.cost_drivers]]
id = "mean"
label = "Mean"
count = "mean(spend) / 1000000"
unit_cost = 1.0
"""


def portfolio(directory: Path, customers: int = 3000, per_customer: int = 40, seed: int = 11) -> Path:
    """The sample portfolio with many interactions per customer whose amounts span twelve
    orders of magnitude: any change in the order they are added changes last digits."""
    tables = generate(customers, seed=seed)
    rng = random.Random(seed)
    keys = tables["customers"]["customer_id"].to_list()
    template = tables["interactions"].head(1)
    rows = len(keys) * per_customer
    extra = pl.concat([template] * rows).with_columns(
        pl.Series("customer_id", [rng.choice(keys) for _ in range(rows)]),
        pl.Series("amount", [rng.uniform(1, 10) * 10.0 ** rng.randint(-3, 9) for _ in range(rows)]),
    )
    tables["interactions"] = pl.concat([tables["interactions"], extra])
    directory.mkdir()
    for name, frame in tables.items():
        frame.write_csv(directory / f"{name}.csv")
    return directory


def evaluate(ruleset: Path, data: Path, output: Path, threads: int) -> str:
    environment = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
    done = subprocess.run([str(Path(sys.executable).parent / "clientwise"), "evaluate", str(ruleset), str(data),
                           "--as-of", AS_OF, "-o", str(output)], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    return hashlib.sha256(output.read_bytes()).hexdigest()


def test_the_csv_output_is_byte_identical_at_every_thread_count(tmp_path: Path) -> None:
    ruleset = tmp_path / "sums.toml"
    ruleset.write_text(RULESET)
    data = portfolio(tmp_path / "data")
    digests = {(threads, run): evaluate(ruleset, data, tmp_path / f"out{threads}_{run}.csv", threads)
               for threads in (1, 2, 4) for run in range(2 if threads == 4 else 1)}
    assert len(set(digests.values())) == 1, digests
    out = pl.read_csv(tmp_path / "out1_0.csv")
    assert out["cost_spend"].n_unique() > 2000  # the sums are in the output, digit for digit


def test_a_sum_is_the_sequential_sum_in_row_order() -> None:
    rng = random.Random(3)
    values = [rng.uniform(1, 10) * 10.0 ** rng.randint(-8, 12) for _ in range(5000)]
    groups = [rng.randrange(7) for _ in values]
    expected = [0.0] * 7
    for group, value in zip(groups, values):
        expected[group] += value
    assert summation.sums(pl.Series(values), pl.Series(groups), 7).to_list() == expected
    assert summation.sums(pl.Series(values)).to_list() == [sum(values)]
    assert summation.sums(pl.Series(values)).to_list() != [pl.Series(values).sum()]  # polars adds pairwise
    assert summation.means(pl.Series([1.0, None, 2.0]), pl.Series([0, 0, 2]), 3).to_list() == [1.0, None, 2.0]


def test_whole_numbers_are_summed_exactly() -> None:
    total = summation.sums(pl.Series([2**62, 2**62, 1]), pl.Series([0, 0, 1]), 2)
    assert total.dtype == pl.Int128 and total.to_list() == [2**63, 1]  # the caller decides it overflows


@pytest.mark.parametrize("threads", [1, 4])
def test_aggregate_sums_match_the_reference_evaluator(threads: int, tmp_path: Path) -> None:
    # evaluate_one computes a customer's aggregates alone, with the reference evaluator:
    # it must get the batch's sums exactly, or a result would depend on how it was asked for
    data = portfolio(tmp_path / "data", customers=150, per_customer=60)
    code = f"""
import clientwise, polars as pl
from clientwise import Evaluator
evaluator = Evaluator(clientwise.parse_ruleset({RULESET!r}))
batch = evaluator.evaluate({str(data)!r}, as_of="{AS_OF}").customers
different = []
for record in pl.read_csv({str(data / "customers.csv")!r}, try_parse_dates=True).head(60).to_dicts():
    one = evaluator.evaluate_one(record).customers.select("cost_spend", "cost_average")
    if not one.equals(batch.filter(pl.col("customer_id") == record["customer_id"]).select(one.columns)):
        different.append(record["customer_id"])
print(different)
"""
    environment = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_summary_totals_are_added_in_row_order_however_the_column_is_chunked() -> None:
    """A summary's total (profitability's total profit, the report's amounts) is the
    sequential sum: polars' own ``Series.sum`` adds pairwise in blocks that follow the
    column's chunks, so the same values gave a last digit that changed between writes."""
    from clientwise.plugins.sections.profitability import ProfitabilityConfig, summarize_profitability
    from clientwise.sdk import ordered_sum

    rng = random.Random(4)
    values = [rng.uniform(-1e7, 1e7) for _ in range(5_000)]
    whole = pl.Series("profit", values)
    chunked = pl.concat([pl.Series("profit", values[i:i + 333]) for i in range(0, len(values), 333)], rechunk=False)
    assert chunked.n_chunks() > 1
    assert ordered_sum(whole) == ordered_sum(chunked) == sum(values)
    assert float(whole.sum()) != sum(values)  # the pairwise sum really is another number here
    table = pl.DataFrame({"customer_id": [f"K{i:05}" for i in range(len(values))], "revenue": [abs(v) for v in values],
                          "cost_to_serve": [0.0] * len(values), "profit": chunked, "value_class": ["neutral"] * len(values),
                          "support_abuse": [False] * len(values)})
    figures = summarize_profitability(ProfitabilityConfig(), table, "customer_id").figures
    assert figures["total_profit"] == sum(values)

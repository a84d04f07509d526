"""Benchmark: the framework's price on a four-rule ruleset, against the same logic in polars.

    python bench/bench_framework.py --rows 1000000 --repeat 3

The ruleset (``RULESET`` below) has three revenue tiers by condition (the
segmentation section's ``conditions`` method) and one value-destroyer action over
``revenue``, ``calls`` and ``cost``. The data is one in-memory DataFrame, generated
deterministically, handed to the Python API (``Evaluator.evaluate({"customers":
frame})``), so no file is read.

Each run is a fresh Python process (peak memory, ``ru_maxrss``, belongs to one
measurement only), the two runs alternate ``--repeat`` times and the fastest of each
is reported:

* ``clientwise``: ``Evaluator.evaluate`` over the frame (validation included; the
  ruleset is compiled before the clock starts, compile time is reported apart);
  ``validate`` is the share of it spent checking the input (``Result.timings["load"]``);
* ``polars``: the same work written directly in polars: the tier, the rank of revenue
  that the segmentation section outputs (``segment_rank``), the list of actions per
  customer and the one-row-per-action table, sorted by key.

The script checks both produce the same customers table (every column, every
customer) and the same actions, so the ratio compares equal work. ``CPU ratio``
divides the least CPU time (all threads) of each: on a shared machine it moves less
with the load than the wall-clock ratio. ``--against REV``
adds a third run, clientwise at git revision ``REV`` (see ``revision.py``), in the
same alternation, for before/after figures that share the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_evaluate import agree  # bench/ is the script's folder, so on the path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

RULESET = """
schema = 1
[metadata]
name = "four-rules"

[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }
revenue = { type = "number" }
calls = { type = "integer" }
cost = { type = "number" }

[segmentation]
method = "conditions"
override_field = ""
override_reason_field = ""
override_expires_field = ""

[[segmentation.tiers]]
id = "gold"
when = "revenue >= 500000"

[[segmentation.tiers]]
id = "silver"
when = "revenue >= 100000"

[[segmentation.tiers]]
id = "bronze"

[[rules]]
id = "value_destroyer"
when = "cost + calls * 25 > revenue"
action = "Review the cost to serve"
priority = 1
"""
AS_OF = "2026-06-30"


def peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def portfolio(rows: int, seed: int = 7) -> Any:
    """``rows`` customers in key order (as exports usually come), about 1% of revenues unknown."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(11.5, 1.3, rows).round(2)
    return pl.DataFrame({
        "customer_id": [f"C{i:08d}" for i in range(rows)],
        "revenue": pl.Series(revenue).set(pl.Series(rng.random(rows) < 0.01), None),
        "calls": rng.integers(0, 400, rows),
        "cost": rng.lognormal(10.5, 1.1, rows).round(2),
    })


def hand_written(frame: Any) -> tuple[Any, Any]:
    """What an analyst would write in polars for the four rules; outputs shaped like clientwise's."""
    import polars as pl

    revenue = pl.col("revenue")
    fires = (pl.col("cost") + pl.col("calls") * 25 > revenue).fill_null(False)
    customers = frame.sort("customer_id").select(
        "customer_id",
        "revenue",  # the tiers' measure: clientwise's customers table shows it beside the key
        tier=pl.when(revenue >= 500000).then(pl.lit("gold"))
        .when(revenue >= 100000).then(pl.lit("silver")).otherwise(pl.lit("bronze")),
        segment_rank=revenue.rank("min", descending=True).cast(pl.Int64),
        actions=pl.when(fires).then(pl.lit(["value_destroyer"])).otherwise(pl.lit([], pl.List(pl.String))),
        fires=fires,
    )
    actions = customers.filter("fires").select(
        "customer_id", rule=pl.lit("value_destroyer"), action=pl.lit("Review the cost to serve"),
        priority=pl.lit(1, pl.Int64),
    )
    return customers.drop("fires"), actions


# -- children: each runs in its own process -----------------------------------------


def child(kind: str, rows: int, out: Path) -> dict[str, Any]:
    frame = portfolio(rows)
    found: dict[str, Any] = {}
    if kind == "clientwise":
        import clientwise

        host = clientwise.build_host()
        started = time.perf_counter()
        evaluator = clientwise.Evaluator(clientwise.parse_ruleset(RULESET, origin="four-rules", host=host), host=host)
        compiled, cpu = time.perf_counter(), time.process_time()
        result = evaluator.evaluate({"customers": frame}, as_of=AS_OF)
        done, cpu = time.perf_counter(), time.process_time() - cpu
        customers, actions = result.customers, result.actions.select("customer_id", "rule", "action", "priority")
        found.update(compile=compiled - started, validate=result.timings["load"],
                     derive_decide=result.timings["derive+decide"])
    else:
        started, cpu = time.perf_counter(), time.process_time()
        customers, actions = hand_written(frame)
        done, cpu = time.perf_counter(), time.process_time() - cpu
    found.update(time=done - started if kind == "polars" else done - compiled, cpu=cpu, peak_mb=peak_memory_mb())
    customers.write_parquet(out.with_suffix(".customers.parquet"))
    actions.write_parquet(out.with_suffix(".actions.parquet"))
    return found


def run_child(kind: str, rows: int, out: Path, code: Path | None = None) -> dict[str, Any]:
    arguments = [sys.executable, __file__, "--child", kind, "--rows", str(rows), "--out", str(out)]
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    done = subprocess.run(arguments, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported")
    parser.add_argument("--against", metavar="REV", help="also run clientwise at this git revision")
    parser.add_argument("--child", choices=["clientwise", "polars"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.out)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    variants: dict[str, tuple[str, Path | None]] = {"clientwise": ("clientwise", None), "polars": ("polars", None)}
    if args.against:
        from revision import code_tree

        tree, commit = code_tree(args.against)
        variants = {f"clientwise@{commit}": ("clientwise", tree), **variants}
    outs = {name: OUT / f"framework-{args.rows}-{name.replace('@', '-')}" for name in variants}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, (kind, code) in variants.items():
            runs[name].append(run_child(kind, args.rows, outs[name], code))
    best = {name: min(found, key=lambda r: r["time"]) for name, found in runs.items()}
    theirs = best["polars"]
    agreement = {name: agree(outs[name], outs["polars"]) for name in variants if name != "polars"}
    (OUT / "framework.json").write_text(json.dumps({"rows": args.rows, "runs": runs, "agreement": agreement}, indent=2))
    print("| code | rows | clientwise (s) | of which validate (s) | derive+decide (s) | polars (s) | ratio "
          "| ratio without validation | CPU ratio | clientwise peak MB | polars peak MB | compile (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in agreement:
        ours = best[name]
        print(f"| {name} | {args.rows:,} | {ours['time']:.3f} | {ours['validate']:.3f} | {ours['derive_decide']:.3f} "
              f"| {theirs['time']:.3f} | {ours['time'] / theirs['time']:.1f}x "
              f"| {(ours['time'] - ours['validate']) / theirs['time']:.1f}x "
              f"| {min(r['cpu'] for r in runs[name]) / min(r['cpu'] for r in runs['polars']):.1f}x | {ours['peak_mb']:,.0f} "
              f"| {theirs['peak_mb']:,.0f} | {ours['compile']:.3f} |")
    for name, found in runs.items():
        print(f"{name} runs (s): {[round(r['time'], 3) for r in found]}, CPU (s): {[round(r['cpu'], 3) for r in found]}")
    print(f"agreement with polars: {agreement}")
    if not all(found["customers_equal"] and found["actions_equal"] for found in agreement.values()):
        raise SystemExit("clientwise and the hand-written polars disagree: the ratio compares unequal work")


if __name__ == "__main__":
    main()

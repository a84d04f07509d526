"""Benchmark: what "since the last review" costs the reports, with and without a previous run.

    python bench/bench_review.py --customers 100000 --repeat 2

Two quarters of the sample portfolio (``bench_history.py``'s data, generated and cached
under ``bench/out/``). The first quarter is evaluated and saved to a fresh store; the
second is evaluated with the history its trend rules read. Then, in this process, each
report format (html, md, xlsx) is written from the second quarter's result twice per
round, alternating: without a review (``result.review = None``: what every report
without a previous run does, so it must not get slower) and with the review attached,
plus the comparison itself (:func:`clientwise.history.since.since_last_review`: reading
the previous run from the store and comparing). The baseline of the ratios is polars
writing the customers table as NDJSON in the same round. CPU seconds (all threads) are
recorded beside wall seconds: on a shared machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_evaluate import OUT, ensure_data, machine  # noqa: E402
from bench_history import second_quarter  # noqa: E402


def timed(work: Callable[[], Any], name: str = "") -> dict[str, float]:
    """Wall and CPU seconds of ``work``, printed as soon as measured (a long run on a busy
    machine shows its figures as it goes)."""
    began, cpu = time.perf_counter(), time.process_time()
    work()
    figures = {"wall": time.perf_counter() - began, "cpu": time.process_time() - cpu}
    print(f"  {name}: {figures['wall']:.2f} s wall, {figures['cpu']:.2f} s CPU", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    import clientwise
    from clientwise import sample
    from clientwise.history.save import save_run
    from clientwise.history.since import since_last_review
    from clientwise.history.store import open_store
    from clientwise.history.trend import StoredHistory
    from clientwise.output.write import write_result
    from clientwise.runtime.evaluator import parse_as_of

    first, _ = ensure_data(args.customers, args.seed, regenerate=False)
    second, second_as_of = second_quarter(args.customers, args.seed)
    store = OUT / f"review-{args.customers}.duckdb"
    for leftover in (store, store.with_name(store.name + ".wal")):
        leftover.unlink(missing_ok=True)
    host = clientwise.build_host()
    evaluator = clientwise.Evaluator("default", host=host)
    q1 = evaluator.evaluate(first, as_of=sample.DEMO_AS_OF)
    with open_store(store, write=True) as opened:
        save_run(opened, evaluator, q1, first, label="q1")
    day = parse_as_of(second_as_of)
    history = StoredHistory.find(store, "customer_id", "default", day)
    result = evaluator.evaluate(second, as_of=day, history=history)
    review = since_last_review(result, history, "q2")
    writers = host.writers()
    rounds: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        row: dict[str, Any] = {"polars ndjson": timed(lambda: result.customers.write_ndjson(OUT / "review-floor.out"),
                                                      "polars ndjson"),
                               "compare": timed(lambda: since_last_review(result, history, "q2"), "compare")}
        for fmt in ("md", "xlsx", "html"):
            for state, value in (("without", None), ("with", review)):
                result.review = value
                row[f"{fmt} {state}"] = timed(lambda: write_result(result, writers[fmt], OUT / f"review.{fmt}"),
                                              f"{fmt} {state}")
        result.review = None
        rounds.append(row)
    figures = {"customers": result.customers.height, "machine": machine(), "load": os.getloadavg(),
               "rounds": rounds}
    (OUT / "review.json").write_text(json.dumps(figures, indent=2, default=str))
    print(f"{figures['customers']:,} customers; load average at the end {figures['load']}")
    print(f"{'measure':<16} {'wall s (each round)':<28} {'CPU s (each round)':<28} CPU / floor (median)")
    for name in rounds[0]:
        walls = [r[name]["wall"] for r in rounds]
        cpus = [r[name]["cpu"] for r in rounds]
        floor = statistics.median(r["polars ndjson"]["cpu"] for r in rounds) or 1e-9
        print(f"{name:<16} {', '.join(f'{w:.2f}' for w in walls):<28} {', '.join(f'{c:.2f}' for c in cpus):<28} "
              f"{statistics.median(cpus) / floor:.1f}x")


if __name__ == "__main__":
    main()

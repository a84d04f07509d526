"""Benchmark: writing one result as CSV, JSON, JSON Lines, HTML and xlsx, against polars writing the table.

    python bench/bench_outputs.py --customers 1000000
    PYTHONPATH=bench/out/code-REV python bench/bench_outputs.py --customers 100000 --formats html,xlsx

(the second runs another revision's code, extracted by ``revision.py``, for a before/after
comparison; alternate the two, the machine's load changes by the minute)

Evaluates the default ruleset once over the cached sample portfolio (see
``bench_evaluate.py``; generated if missing), then writes the result with each
built-in machine-readable writer, in this order, timing each and reading the
process's peak memory (``ru_maxrss``, which only grows) after each:

* ``polars ndjson``: ``result.customers.write_ndjson``, the floor for any JSON of
  the customers table (the baseline of the ratios);
* ``csv``, ``json``, ``jsonl``, ``html``, ``xlsx``: the writers as ``clientwise
  evaluate -o`` runs them (atomic file, no explanations; the reports for people with
  their charts, tables cut at the report's row limit);
* ``json --explain-all``: only with ``--traces N``, for the first N customers (a
  million explanations take many minutes and gigabytes).

``peak MB`` after a writer above the peak after evaluating is the memory the writer
needed beyond the result. ``CPU`` is the process's CPU time (all threads), which a
shared machine's load moves less than the wall clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench_evaluate import OUT, ensure_data, peak_memory_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--traces", type=int, default=0, help="also write this many customers with --explain-all")
    parser.add_argument("--formats", default="", help="only these writers, e.g. html,xlsx (default: all)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    directory, _ = ensure_data(args.customers, args.seed, regenerate=False)

    import clientwise
    from clientwise import sample
    from clientwise.output.write import write_result

    host = clientwise.build_host()
    started = time.perf_counter()
    result = clientwise.evaluate(clientwise.load_ruleset("default", host=host), directory,
                                 as_of=sample.DEMO_AS_OF, host=host)
    figures: dict[str, Any] = {"customers": result.customers.height,
                               "evaluate": time.perf_counter() - started, "peak_after_evaluate": peak_memory_mb()}
    writers = host.writers()
    runs: list[tuple[str, Any]] = [
        ("polars ndjson", lambda path: result.customers.write_ndjson(path)),
        ("csv", lambda path: write_result(result, writers["csv"], path)),
        ("json", lambda path: write_result(result, writers["json"], path)),
        ("jsonl", lambda path: write_result(result, writers["jsonl"], path)),
        ("html", lambda path: write_result(result, writers["html"], path)),
        ("xlsx", lambda path: write_result(result, writers["xlsx"], path)),
    ]
    if args.formats:
        runs = [runs[0], *(run for run in runs[1:] if run[0] in args.formats.split(","))]
    if args.traces:
        from clientwise.runtime.result import Result

        head = result.customers.head(args.traces)
        keys = head.get_column(result.key)
        part = Result(**{**result.__dict__, "customers": head,
                         "actions": result.actions.filter(result.actions.get_column(result.key).is_in(keys.implode()))})
        traced = writers["json"].configure(traces="true")
        runs.append((f"json --explain-all ({args.traces:,})", lambda path: write_result(part, traced, path)))
    rows = []
    for name, write in runs:
        path = OUT / f"outputs-{args.customers}-{name.split()[0]}{'-traced' if 'explain' in name else ''}.out"
        began, cpu = time.perf_counter(), time.process_time()
        write(path)
        rows.append({"writer": name, "seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu,
                     "peak_mb": peak_memory_mb(), "mb": path.stat().st_size / 2**20})
    figures["writers"] = rows
    (OUT / f"outputs-{args.customers}{'-' + args.formats if args.formats else ''}.json").write_text(
        json.dumps(figures, indent=2))
    floor = rows[0]["seconds"]
    print(f"{figures['customers']:,} customers evaluated in {figures['evaluate']:.2f} s, "
          f"peak {figures['peak_after_evaluate']:,.0f} MB")
    print("| writer | time (s) | CPU (s) | x polars ndjson | file MB | peak MB after |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['writer']} | {row['seconds']:.2f} | {row['cpu']:.2f} | {row['seconds'] / floor:.1f}x "
              f"| {row['mb']:,.0f} | {row['peak_mb']:,.0f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

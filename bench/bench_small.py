"""Benchmark: small evaluations, ``clientwise test`` cases and ``evaluate_one``, on the default ruleset.

    python bench/bench_small.py --cases 60 --calls 100 --repeat 3 [--against main]

Two measurements, each in a fresh process (so one's caches do not help the other):

* ``test case``: the three starter cases of ``clientwise init`` (a ruleset extending
  the default), compiled once, run ``--cases`` times in turn (``run_case``, what
  ``clientwise test`` does per case); the median milliseconds per case;
* ``evaluate_one``: the bundled sample portfolio (300 customers) evaluated once, then
  ``Evaluator.evaluate_one`` for ``--calls`` of its customers in turn; the median and
  95th percentile milliseconds per call.

The target is 10 ms for both. ``--against REV`` runs git revision ``REV`` (see
``revision.py``) in the same alternation, so the before/after ratio shares the
machine's load; ``CPU`` is the process's CPU time per case or call (all threads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def child_cases(count: int) -> dict[str, Any]:
    from clientwise import Evaluator, build_host, load_ruleset
    from clientwise.authoring.cases_io import LocatedCase
    from clientwise.authoring.init import init_client
    from clientwise.authoring.runner import run_case

    host = build_host()
    with tempfile.TemporaryDirectory() as folder:
        created = init_client("bench", directory=Path(folder), host=host)
        ruleset = load_ruleset(created.ruleset, host=host)
        evaluator = Evaluator(ruleset, host=host)
        cases = [LocatedCase(case, str(created.ruleset), f"tests[{i}]") for i, case in enumerate(ruleset.core.tests)]
        first = time.perf_counter()
        assert all(run_case(evaluator, case).status == "passed" for case in cases)
        warm = time.perf_counter() - first
        times, cpu = [], time.process_time()
        for i in range(count):
            started = time.perf_counter()
            outcome = run_case(evaluator, cases[i % len(cases)])
            times.append(time.perf_counter() - started)
            assert outcome.status == "passed", outcome.to_dict()
        cpu = time.process_time() - cpu
    return {"median_ms": statistics.median(times) * 1000, "cpu_ms": cpu / count * 1000, "first_ms": warm * 1000}


def child_one(calls: int) -> dict[str, Any]:
    from clientwise import Evaluator, build_host, load_ruleset
    from clientwise.sample import DEMO_AS_OF, demo_path

    host = build_host()
    evaluator = Evaluator(load_ruleset("default", host=host), host=host)
    batch = evaluator.evaluate(demo_path(), as_of=DEMO_AS_OF)
    records = batch.customers.head(calls).get_column(batch.key).to_list()
    customers = evaluator.load(demo_path())["customers"]
    rows = {row[batch.key]: row for row in customers.filter(
        customers.get_column(batch.key).is_in(records)).iter_rows(named=True)}
    evaluator.evaluate_one(rows[records[0]])  # first call: caches
    times, cpu = [], time.process_time()
    for key in records:
        started = time.perf_counter()
        evaluator.evaluate_one(rows[key])
        times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    times.sort()
    return {"median_ms": statistics.median(times) * 1000, "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
            "cpu_ms": cpu / len(times) * 1000}


def run_child(kind: str, count: int, code: Path | None) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--count", str(count)],
                          capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest median is reported")
    parser.add_argument("--against", metavar="REV", help="also run clientwise at this git revision")
    parser.add_argument("--child", choices=["cases", "one"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_cases(args.count) if args.child == "cases" else child_one(args.count)))
        return
    variants: dict[str, Path | None] = {"current": None}
    if args.against:
        from revision import code_tree

        tree, commit = code_tree(args.against)
        variants = {f"at {commit}": tree, **variants}
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(args.repeat):
        for name, code in variants.items():
            for kind, count in (("cases", args.cases), ("one", args.calls)):
                runs.setdefault((name, kind), []).append(run_child(kind, count, code))
    print("| code | test case median (ms) | CPU per case (ms) | evaluate_one median (ms) | p95 (ms) | CPU per call (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in variants:
        case = min(runs[(name, "cases")], key=lambda r: r["median_ms"])
        one = min(runs[(name, "one")], key=lambda r: r["median_ms"])
        print(f"| {name} | {case['median_ms']:.1f} | {case['cpu_ms']:.1f} | {one['median_ms']:.1f} "
              f"| {one['p95_ms']:.1f} | {one['cpu_ms']:.1f} |")
    for (name, kind), found in runs.items():
        print(f"{name} {kind}: medians {[round(r['median_ms'], 1) for r in found]} ms")


if __name__ == "__main__":
    main()

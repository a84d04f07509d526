"""Benchmark: the authoring commands a consultant runs many times an hour.

    python bench/bench_authoring.py --cases 200 --customers 100000

* ``lint``: compiling the default ruleset and linting it (``clientwise check``'s extra work);
* ``test``: running ``--cases`` test cases (the three starter cases of ``clientwise init``,
  repeated) against one compiled ruleset: cases per second;
* ``diff``: evaluating ``default`` and a variant (top 5% strategic) over a generated
  portfolio of ``--customers`` customers and building the diff;
* ``explain``: one customer's full trace with why-not reasons, after that evaluation.

Each figure is the fastest of ``--repeat`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VARIANT = ('schema = 1\nextends = "default"\n\n[metadata]\nname = "top5"\n\n'
           '[[segmentation.tiers]]\nid = "strategic"\nshare = 0.05\n')


def fastest(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = work()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from clientwise import Evaluator, build_host, load_ruleset, sample
    from clientwise.authoring.cases_io import LocatedCase
    from clientwise.authoring.diff import diff_results
    from clientwise.authoring.init import init_client
    from clientwise.authoring.lint import lint
    from clientwise.authoring.runner import run_case
    from clientwise.authoring.trace import render_trace

    host = build_host()
    seconds, findings = fastest(args.repeat, lambda: lint(Evaluator(load_ruleset("default", host=host), host=host).program))
    print(f"lint (compile + lint default): {seconds:.3f} s, {len(findings)} findings")

    with tempfile.TemporaryDirectory() as folder:
        created = init_client("bench", directory=Path(folder), host=host)
        ruleset = load_ruleset(created.ruleset, host=host)
        evaluator = Evaluator(ruleset, host=host)
        starters = [LocatedCase(case, str(created.ruleset), f"tests[{i}]") for i, case in enumerate(ruleset.core.tests)]
        cases = [starters[i % len(starters)] for i in range(args.cases)]
        seconds, outcomes = fastest(args.repeat, lambda: [run_case(evaluator, case) for case in cases])
        assert all(o.status == "passed" for o in outcomes)
        print(f"test ({args.cases} cases): {seconds:.3f} s, {args.cases / seconds:,.0f} cases/s")

        data = Path(folder) / "portfolio"
        sample.write(sample.generate(args.customers, seed=1), data, "parquet")
        variant = Path(folder) / "top5.toml"
        variant.write_text(VARIANT, encoding="utf-8")
        evaluators = [Evaluator(load_ruleset(r, host=host), host=host) for r in ("default", variant)]

        def diff() -> Any:
            a, b = (e.evaluate(data, as_of=sample.DEMO_AS_OF) for e in evaluators)
            return a, diff_results(a, b, ["tier", "value_class", "health_band"])

        seconds, (result, changes) = fastest(args.repeat, diff)
        print(f"diff ({args.customers:,} customers, 2 evaluations): {seconds:.3f} s, "
              f"{sum(n for (f, t), n in changes.matrix.items() if f != t):,} tier changes")
        key = result.customers[result.key][0]
        seconds, _ = fastest(args.repeat, lambda: render_trace(evaluators[0], result, key))
        print(f"explain (one customer of {args.customers:,}): {seconds:.3f} s")


if __name__ == "__main__":
    main()

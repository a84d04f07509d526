"""Where the time of one default-ruleset evaluation goes, stage by stage (Parquet in, CSV out).

    python bench/bench_stages.py --customers 1000000 --against ab40304 --repeat 2

Each run is a fresh process that evaluates the cached sample portfolio of
``bench_evaluate.py`` (generate it there first) and writes the CSV report, with the
runtime's stage functions wrapped to add up their wall-clock and CPU time (all
threads): reading the files, validating, the vocabulary findings, the trend columns,
derive, the engine's decisions, the classification columns, the actions table, the
result and its summaries, writing. ``--against REV`` runs git revision ``REV``
(``revision.py``) alternately with the current code, so a shared machine's load hits
both alike; the fastest run of each is shown. Figures are indicative: the wrappers
name functions of the runtime, and a stage a revision lacks shows as ``-``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baseline import peak_memory_mb  # bench/ is the script's folder, so on the path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
EVALUATOR = "clientwise.runtime.evaluator"
#: (label, module, function, modules that imported it by name)
STAGES = [
    ("read files", "clientwise.runtime.load", "load_tables", [EVALUATOR]),
    ("validate", "clientwise.runtime.validate", "validate_tables", [EVALUATOR]),
    ("vocabulary findings", "clientwise.runtime.vocabulary", "vocabulary_findings", [EVALUATOR]),
    ("trend columns", "clientwise.runtime.trend", "with_trend", [EVALUATOR]),
    ("derive", "clientwise.runtime.derive", "derive_stratum", ["clientwise.plugins.backends.polars"]),
    ("classification columns", "clientwise.runtime.outputs", "classification_columns", ["clientwise.runtime.loop"]),
    ("actions table", "clientwise.runtime.outputs", "actions_table", ["clientwise.runtime.loop"]),
    ("result and summaries", "clientwise.runtime.assemble", "assemble", [EVALUATOR]),
]


def child(directory: Path, output: Path) -> dict[str, Any]:
    import clientwise
    from clientwise import sample
    from clientwise.output.write import write_result
    from clientwise.plugins.engines.polars import PolarsEngine

    spent: dict[str, list[float]] = {}

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                total = spent.setdefault(label, [0.0, 0.0])
                total[0] += time.perf_counter() - wall
                total[1] += time.process_time() - cpu
        return run

    for label, module_name, name, holders in STAGES:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            continue
        wrapped = timed(label, getattr(module, name))
        for holder in [module_name, *holders]:
            target = importlib.import_module(holder)
            if hasattr(target, name):
                setattr(target, name, wrapped)
    PolarsEngine.decide = timed("engine decisions", PolarsEngine.decide)  # type: ignore[method-assign]
    host = clientwise.build_host()
    ruleset = clientwise.load_ruleset("default", host=host)
    wall, cpu = time.perf_counter(), time.process_time()
    result = clientwise.evaluate(ruleset, directory, as_of=sample.DEMO_AS_OF, host=host)
    evaluated = time.perf_counter(), time.process_time()
    write_result(result, host.writers()["csv"], output)
    spent["write CSV"] = [time.perf_counter() - evaluated[0], time.process_time() - evaluated[1]]
    spent["end to end"] = [time.perf_counter() - wall, time.process_time() - cpu]
    return {"stages": spent, "peak_mb": peak_memory_mb()}


def run_child(directory: Path, output: Path, code: Path | None) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    done = subprocess.run([sys.executable, __file__, "--child", "--data", str(directory), "--output", str(output)],
                          capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"stage run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--against", metavar="REV")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.data, args.output)))
        return
    directory = OUT / f"data-{args.customers}-seed{args.seed}"
    if not (directory / "customers.parquet").exists():
        raise SystemExit(f"no data in {directory}: run bench_evaluate.py --customers {args.customers} first")
    variants: dict[str, Path | None] = {"current": None}
    if args.against:
        from revision import code_tree

        tree, commit = code_tree(args.against)
        variants = {commit: tree, **variants}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    load = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for name, code in variants.items():
            runs[name].append(run_child(directory, OUT / f"stages-{args.customers}-{name}.csv", code))
            load.append(os.getloadavg()[0])
    best = {name: min(found, key=lambda r: r["stages"]["end to end"][0]) for name, found in runs.items()}
    (OUT / "stages.json").write_text(json.dumps({"customers": args.customers, "runs": runs}, indent=2))
    labels = [label for label, *_ in STAGES] + ["engine decisions", "write CSV", "end to end"]
    print(f"{args.customers:,} customers; load average {min(load):.1f}-{max(load):.1f}; wall / CPU seconds")
    print("| stage | " + " | ".join(variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for label in sorted(labels, key=lambda la: labels.index(la)):
        cells = []
        for name in variants:
            found = best[name]["stages"].get(label)
            cells.append("-" if found is None else f"{found[0]:.2f} / {found[1]:.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| peak MB | " + " | ".join(f"{best[name]['peak_mb']:,.0f}" for name in variants) + " |")


if __name__ == "__main__":
    main()

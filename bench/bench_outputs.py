"""Benchmark: writing one result as CSV, JSON and JSON Lines (and the HTML and xlsx
reports), against polars writing the table.

    python bench/bench_outputs.py --customers 1000000
    python bench/bench_outputs.py --customers 100000 --writers html xlsx
    python bench/bench_outputs.py --customers 100000 --writers json html xlsx --against main

Evaluates the default ruleset once over the cached sample portfolio (see
``bench_evaluate.py``; generated if missing), then writes the result with each
built-in machine-readable writer, in this order, timing each and reading the
process's peak memory (``ru_maxrss``, which only grows) after each:

* ``polars ndjson``: ``result.customers.write_ndjson``, the floor for any JSON of
  the customers table (the baseline of the ratios);
* ``csv``, ``json``, ``jsonl``: the writers as ``clientwise evaluate -o`` runs them
  (atomic file, no explanations); ``--writers`` chooses among them and ``html``,
  ``xlsx`` (the reports; each is written a second time, untimed, and the script says whether
  the two files are identical);
* ``json --explain-all``: only with ``--traces N``, for the first N customers (a
  million explanations take many minutes and gigabytes).

``peak MB`` after a writer above the peak after evaluating is the memory the writer
needed beyond the result. ``CPU`` is the process's CPU time (all threads), which a
shared machine's load moves less than the wall clock.

``--against REV`` also runs git revision ``REV`` (see ``revision.py``): each revision
in its own process (evaluating once, then writing), the two alternating ``--repeat``
times, and the table gets a row per revision and writer; the script then says
whether each writer's file is byte-identical between the revisions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_evaluate import OUT, ensure_data, peak_memory_mb


def measure(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Evaluate once, write with each writer (files in ``out``); the figures."""
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
        *((name, lambda path, name=name: write_result(result, writers[name], path)) for name in args.writers),
    ]
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
        path = out / f"outputs-{args.customers}-{name.split()[0]}{'-traced' if 'explain' in name else ''}.out"
        began, cpu = time.perf_counter(), time.process_time()
        write(path)
        rows.append({"writer": name, "seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu,
                     "peak_mb": peak_memory_mb(), "mb": path.stat().st_size / 2**20, "path": str(path)})
    figures["writers"] = rows
    figures["rerun"] = {}
    for name in sorted({"html", "xlsx"} & set(args.writers)):  # reports must be byte-identical on a rerun
        first = out / f"outputs-{args.customers}-{name}.out"
        again = first.with_suffix(".again")
        write_result(result, writers[name], again)
        figures["rerun"][name] = again.read_bytes() == first.read_bytes()
        again.unlink()
    return figures


def child(args: argparse.Namespace, code: Path | None, out: Path) -> dict[str, Any]:
    """:func:`measure` in a new process, importing clientwise from ``code`` when given."""
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    command = [sys.executable, __file__, "--child", str(out), "--customers", str(args.customers), "--seed",
               str(args.seed), "--traces", str(args.traces), "--writers", *args.writers]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"the run at {code or 'the working tree'} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--traces", type=int, default=0, help="also write this many customers with --explain-all")
    parser.add_argument("--writers", nargs="+", default=["csv", "json", "jsonl"],
                        choices=["csv", "json", "jsonl", "html", "xlsx"])
    parser.add_argument("--out", type=Path, default=OUT, help="where the files are written (default bench/out)")
    parser.add_argument("--against", metavar="REV", help="also run clientwise at this git revision, alternating")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each revision (with --against)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.child.mkdir(parents=True, exist_ok=True)
        print(json.dumps(measure(args, args.child)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    ensure_data(args.customers, args.seed, regenerate=False)  # once, before any timing
    variants: dict[str, Path | None] = {"current": None}
    if args.against:
        from revision import code_tree

        tree, commit = code_tree(args.against)
        variants = {commit: tree, **variants}
    runs: list[tuple[str, dict[str, Any]]] = []
    for _ in range(args.repeat):
        for name, code in variants.items():
            load = os.getloadavg()[0]
            figures = child(args, code, args.out / f"outputs-{name}")
            figures["load"] = (load, os.getloadavg()[0])
            runs.append((name, figures))
    (args.out / "outputs.json").write_text(json.dumps(runs, indent=2))
    print("| code | writer | time (s) | CPU (s) | CPU x polars ndjson | file MB | peak MB after | load average |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for name, figures in runs:
        floor = figures["writers"][0]["cpu"]
        for row in figures["writers"]:
            print(f"| {name} | {row['writer']} | {row['seconds']:.2f} | {row['cpu']:.2f} | {row['cpu'] / floor:.1f}x "
                  f"| {row['mb']:,.0f} | {row['peak_mb']:,.0f} | {figures['load'][0]:.0f}-{figures['load'][1]:.0f} |")
    for name, figures in runs:
        print(f"{name}: {figures['customers']:,} customers evaluated in {figures['evaluate']:.2f} s, peak "
              f"{figures['peak_after_evaluate']:,.0f} MB; " + ", ".join(
                  f"{writer} identical on a rerun: {'yes' if same else 'NO'}" for writer, same in figures["rerun"].items()))
    if args.against:
        last = {name: figures for name, figures in runs}
        before, after = (last[name]["writers"] for name in variants)
        for old, new in zip(before, after):
            same = Path(old["path"]).read_bytes() == Path(new["path"]).read_bytes()
            print(f"{new['writer']}: {'the same bytes' if same else 'different bytes'} at both revisions")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

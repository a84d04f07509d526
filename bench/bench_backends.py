"""Benchmark: the default ruleset on the DuckDB backend against the polars backend.

```
python bench/bench_backends.py --customers 100000 1000000 --memory-limit 4GB
```

For each size the sample portfolio is generated as Parquet (cached in ``bench/out/``
by ``bench_evaluate.py``'s ``ensure_data``; never committed), then each backend runs
in a fresh Python process, so its peak memory (``ru_maxrss``, DuckDB's memory included:
it runs in the process) belongs to one measurement. Both write the customers as CSV;
the files must be byte-identical, or the run is reported as a failure. ``ratio`` is
DuckDB's derive+decide time over polars' in the same run. Raw figures go to
``bench/out/backends.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_evaluate import OUT, ensure_data, machine, peak_memory_mb  # noqa: E402

AS_OF = "2026-06-30"


def child(backend: str, data: Path, output: Path, memory_limit: str | None, spill: Path | None) -> None:
    """One evaluation in this process; prints its figures as JSON."""
    import clientwise
    from clientwise.host.contracts import BackendOptions
    from clientwise.output.write import choose_writer, write_result

    started = time.perf_counter()
    options = BackendOptions(memory_limit=memory_limit, spill_dir=spill) if backend != "polars" else None
    with clientwise.Evaluator("default", backend=backend, backend_options=options) as evaluator:
        result = evaluator.evaluate(data, as_of=AS_OF)
        write_result(result, choose_writer(evaluator.host.writers(), "csv", output), output)
    print(json.dumps({"backend": backend, "end_to_end": time.perf_counter() - started, "peak_mb": peak_memory_mb(),
                      **{k: round(v, 3) for k, v in result.timings.items()}}))


def run_child(backend: str, data: Path, output: Path, memory_limit: str | None, spill: Path | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", backend, "--data", str(data), "--out", str(output)]
    command += ["--memory-limit", memory_limit] if memory_limit else []
    command += ["--spill-dir", str(spill)] if spill else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"backend": backend, "error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--spill-dir", type=Path)
    parser.add_argument("--backends", nargs="+", default=["polars", "duckdb"])
    parser.add_argument("--child")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.out, args.memory_limit, args.spill_dir)
        return
    rows = []
    for size in args.customers:
        data, _ = ensure_data(size, args.seed, regenerate=False)
        figures = {}
        for backend in args.backends:
            output = OUT / f"backends-{size}-{backend}.csv"
            figures[backend] = run_child(backend, data, output, args.memory_limit, args.spill_dir)
            if "error" not in figures[backend]:
                figures[backend]["sha256"] = digest(output)
            print(size, json.dumps(figures[backend]), flush=True)
        hashes = {f.get("sha256") for f in figures.values()}
        same = len(hashes) == 1 and None not in hashes
        polars, duckdb = figures.get("polars", {}), figures.get("duckdb", {})
        ratio = (duckdb["derive+decide"] / polars["derive+decide"]
                 if "derive+decide" in duckdb and "derive+decide" in polars else None)
        rows.append({"customers": size, "identical_csv": same, "ratio": ratio, "memory_limit": args.memory_limit,
                     "runs": figures})
    (OUT / "backends.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    print("| customers | backend | end to end (s) | load (s) | derive+decide (s) | peak MB | ratio | identical CSV |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        for backend, run in row["runs"].items():
            if "error" in run:
                print(f"| {row['customers']:,} | {backend} | failed: {run['error']} | | | | | |")
                continue
            ratio = f"{row['ratio']:.2f}x" if backend == "duckdb" and row["ratio"] else ""
            print(f"| {row['customers']:,} | {backend} | {run['end_to_end']:.2f} | {run['load']:.2f} | "
                  f"{run['derive+decide']:.2f} | {run['peak_mb']:,.0f} | {ratio} | {row['identical_csv']} |")


if __name__ == "__main__":
    main()

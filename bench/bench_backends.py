"""Benchmark: the default ruleset on the DuckDB backend against the polars backend.

```
python bench/bench_backends.py --customers 100000 1000000 --memory-limit 4GB
python bench/bench_backends.py --customers 10000000 --chunk 1000000 --backends duckdb --memory-limit 4GB
```

For each size the sample portfolio is generated as Parquet (cached in ``bench/out/``;
never committed): by ``bench_evaluate.py``'s ``ensure_data``, or with ``--chunk`` chunk
by chunk (:mod:`clientwise.sample.chunked`), so that generating 10,000,000 customers
needs the memory of one chunk. Each backend runs ``clientwise evaluate ... -o
customers.csv`` (``Evaluator.evaluate_into``) in a fresh Python process, so its peak
memory (``ru_maxrss``, DuckDB's memory included: it runs in the process) belongs to
one measurement; on DuckDB the input is read by DuckDB and the CSV streamed from it.
DuckDB's own memory and spilled bytes (``duckdb_memory()``) are sampled every 0.2 s.
The CSV files must be byte-identical, or the run is reported as a failure. ``ratio``
is DuckDB's end-to-end time over polars' in the same run (the stages differ: DuckDB's
``derive+decide+write`` includes writing the file, polars' ``derive+decide`` does not). Raw figures go to
``bench/out/backends.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_evaluate import OUT, ensure_data, machine, peak_memory_mb  # noqa: E402

AS_OF = "2026-06-30"


class DuckDBMemory:
    """Samples DuckDB's own memory and spilled bytes while the run's input is open."""

    def __init__(self) -> None:
        self.peak_memory = self.peak_spilled = 0
        self.connections: list[Any] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def watch(self, backend_class: Any) -> None:
        original = backend_class.open_input

        def open_input(backend: Any, data: Path, config: Any) -> Any:
            opened = original(backend, data, config)
            if opened is not None:
                self.connections.append(opened.connection.cursor())
            return opened

        backend_class.open_input = open_input
        self.thread.start()

    def sample(self) -> None:
        while not self.stop.wait(0.2):
            for cursor in self.connections:
                try:
                    used, spilled = cursor.sql("SELECT sum(memory_usage_bytes), sum(temporary_storage_bytes) "
                                               "FROM duckdb_memory()").fetchall()[0]
                except Exception:  # the run closed the connection
                    self.connections.remove(cursor)
                    break
                self.peak_memory = max(self.peak_memory, int(used or 0))
                self.peak_spilled = max(self.peak_spilled, int(spilled or 0))


def child(backend: str, data: Path, output: Path, memory_limit: str | None, spill: Path | None) -> None:
    """One evaluation in this process; prints its figures as JSON."""
    import clientwise
    from clientwise.host.contracts import BackendOptions
    from clientwise.output.write import choose_writer
    from clientwise.plugins.backends.duckdb.backend import DuckDBBackend

    memory = DuckDBMemory()
    if backend == "duckdb":
        memory.watch(DuckDBBackend)
    started = time.perf_counter()
    options = BackendOptions(memory_limit=memory_limit, spill_dir=spill) if backend != "polars" else None
    with clientwise.Evaluator("default", backend=backend, backend_options=options) as evaluator:
        writer = choose_writer(evaluator.host.writers(), "csv", output)
        result = evaluator.evaluate_into(data, writer, output, as_of=AS_OF, progress=lambda stage: print(
            f"{time.perf_counter() - started:8.1f} s  {stage}", file=sys.stderr, flush=True))
    memory.stop.set()
    print(json.dumps({"backend": backend, "end_to_end": time.perf_counter() - started, "peak_mb": peak_memory_mb(),
                      "duckdb_peak_mb": memory.peak_memory / 2**20, "duckdb_spilled_mb": memory.peak_spilled / 2**20,
                      "streamed": result.customers.height == 0,
                      **{k: round(v, 3) for k, v in result.timings.items()}}))


def run_child(backend: str, data: Path, output: Path, memory_limit: str | None, spill: Path | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", backend, "--data", str(data), "--out", str(output)]
    command += ["--memory-limit", memory_limit] if memory_limit else []
    command += ["--spill-dir", str(spill)] if spill else []
    log = output.with_suffix(".log")  # the stages as they start, to follow a long run
    with log.open("w") as stages:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=stages, text=True, check=False)
    if done.returncode != 0:
        lines = log.read_text().strip().splitlines()
        return {"backend": backend, "error": lines[-1] if lines else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def chunked_data(customers: int, seed: int, chunk: int) -> Path:
    """The portfolio generated chunk by chunk (cached; a stamp says it is complete)."""
    from clientwise.sample.chunked import write_chunked

    directory = OUT / f"data-{customers}-chunked"
    stamp = directory / "stamp.json"
    wanted = {"customers": customers, "seed": seed, "chunk": chunk}
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        started = time.perf_counter()
        write_chunked(customers, directory, chunk=chunk, seed=seed)
        stamp.write_text(json.dumps(wanted))
        print(f"generated {customers:,} customers in {time.perf_counter() - started:.0f} s, peak "
              f"{peak_memory_mb():,.0f} MB", flush=True)
    return directory


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--spill-dir", type=Path)
    parser.add_argument("--backends", nargs="+", default=["polars", "duckdb"])
    parser.add_argument("--chunk", type=int, help="generate the data this many customers at a time")
    parser.add_argument("--child")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.out, args.memory_limit, args.spill_dir)
        return
    rows = []
    for size in args.customers:
        data = chunked_data(size, args.seed, args.chunk) if args.chunk else ensure_data(size, args.seed, False)[0]
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
        ratio = (duckdb["end_to_end"] / polars["end_to_end"]
                 if "end_to_end" in duckdb and "end_to_end" in polars else None)
        rows.append({"customers": size, "identical_csv": same, "ratio": ratio, "memory_limit": args.memory_limit,
                     "runs": figures})
    (OUT / "backends.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    print("| customers | backend | end to end (s) | load (s) | derive+decide(+write) (s) | peak MB | DuckDB peak MB "
          "| spilled MB | ratio | identical CSV |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        for backend, run in row["runs"].items():
            if "error" in run:
                print(f"| {row['customers']:,} | {backend} | failed: {run['error']} | | | | | | | |")
                continue
            ratio = f"{row['ratio']:.2f}x" if backend == "duckdb" and row["ratio"] else ""
            duck = f"{run['duckdb_peak_mb']:,.0f} | {run['duckdb_spilled_mb']:,.0f}" if backend == "duckdb" else " | "
            print(f"| {row['customers']:,} | {backend} | {run['end_to_end']:.2f} | {run['load']:.2f} | "
                  f"{run.get('derive+decide+write', run.get('derive+decide', 0)):.2f} | {run['peak_mb']:,.0f} | "
                  f"{duck} | {ratio} | "
                  f"{row['identical_csv'] if len(row['runs']) > 1 else 'n/a'} |")


if __name__ == "__main__":
    main()

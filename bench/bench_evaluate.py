"""Benchmark: clientwise end to end on a generated portfolio, against a plain-polars baseline.

    python bench/bench_evaluate.py --customers 10000 100000 1000000

For each size it generates the sample portfolio as Parquet once (cached in
``bench/out/``, regenerated when the generator changes), then runs, each in a fresh
Python process so peak memory (``ru_maxrss``) belongs to one measurement only:

* ``clientwise``: ``evaluate(load_ruleset("default"), dir)`` and writing the CSV
  report; the pipeline's own timings split out load, derive+decide and the rest;
* ``seg+prof``: the same with only the default ``[segmentation]`` and
  ``[profitability]`` sections, i.e. exactly the work the baseline does;
* ``baseline``: ``bench/baseline.py``, that work written directly in polars;
* ``default baseline``: ``bench/baseline_default.py``, everything the default ruleset
  computes written directly in polars, its customers and actions tables checked equal
  to clientwise's (every column of every customer, every action and its text).

The baselines' outputs are compared with clientwise's, so the ratios compare equal
work. ``--against REV`` also runs clientwise at git revision ``REV`` (``revision.py``),
alternating with the current code so a shared machine's load hits both alike.
Results go to the terminal and ``bench/out/latest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
#: Top-level ruleset tables kept for the seg+prof run (everything the baseline does).
SEG_PROF = ("metadata", "data", "segmentation", "profitability")


def peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import polars as pl

    cpu = platform.processor() or platform.machine()
    memory_gb: float | None = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
        meminfo = Path("/proc/meminfo").read_text()
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        memory_gb = round(int(total.group(1)) / 2**20, 1) if total else None
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "polars": pl.__version__,
        "date": dt.date.today().isoformat(),
    }


def seg_prof_ruleset_text() -> str:
    """The default ruleset cut down to the tables the baseline reproduces.

    Blocks are cut at top-level table headers, so the default's own keys, comments and
    numbers are used as they are and cannot drift from what the baseline assumes.
    """
    text = files("clientwise.rulesets").joinpath("default.toml").read_text(encoding="utf-8")
    kept: list[str] = []
    keep = True
    for line in text.splitlines():
        header = re.match(r"^\[\[?\s*([A-Za-z_][A-Za-z0-9_-]*)", line)
        if header:
            keep = header.group(1) in SEG_PROF
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


# -- children: each runs in its own process -----------------------------------------


def child_generate(customers: int, seed: int, directory: Path) -> dict[str, Any]:
    from clientwise import sample

    started = time.perf_counter()
    tables = sample.generate(customers, seed=seed)
    generated = time.perf_counter()
    sample.write(tables, directory, "parquet")
    written = time.perf_counter()
    return {
        "generate": generated - started,
        "write": written - generated,
        "rows": {name: frame.height for name, frame in tables.items()},
        "peak_mb": peak_memory_mb(),
    }


def child_evaluate(directory: Path, subset: bool, output: Path) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    import clientwise
    from clientwise import sample
    from clientwise.output.write import write_result

    imported = time.perf_counter()
    host = clientwise.build_host()
    if subset:
        origin = "default (segmentation+profitability)"
        ruleset = clientwise.parse_ruleset(seg_prof_ruleset_text(), origin=origin, host=host)
    else:
        ruleset = clientwise.load_ruleset("default", host=host)
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    result = clientwise.evaluate(ruleset, directory, as_of=sample.DEMO_AS_OF, host=host)
    evaluated = time.perf_counter()
    write_result(result, host.writers()["csv"], output)
    written, cpu_written = time.perf_counter(), time.process_time()
    peak = peak_memory_mb()
    # the tables the default baseline is checked against (after the measurement)
    result.customers.write_parquet(output.with_suffix(".customers.parquet"))
    result.actions.write_parquet(output.with_suffix(".actions.parquet"))
    timings = dict(getattr(result, "timings", {}) or {})
    return {
        "customers": result.customers.height,
        "actions": result.actions.height,
        "import": imported - started,
        "ruleset": loaded - imported,
        "evaluate": evaluated - loaded,
        "load": timings.get("load"),
        "derive_decide": timings.get("derive+decide"),
        "write": written - evaluated,
        "e2e": written - loaded,
        "cpu": cpu_written - cpu_loaded,
        "peak_mb": peak,
    }


def run_child(arguments: list[str], code: Path | None = None) -> dict[str, Any]:
    """Run this script (or a baseline) in a fresh interpreter, with clientwise from
    ``code`` if given (another revision); its last stdout line is JSON."""
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the orchestrator ----------------------------------------------------------------


def generator_fingerprint() -> str:
    """Changes whenever the generator's code does, so cached data is rebuilt."""
    import polars as pl

    digest = hashlib.sha256(pl.__version__.encode())
    package = files("clientwise.sample")
    for name in sorted(p.name for p in package.iterdir() if p.name.endswith(".py")):
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_data(customers: int, seed: int, regenerate: bool) -> tuple[Path, dict[str, Any] | None]:
    """The Parquet portfolio for this size, generated unless an up-to-date copy is cached."""
    directory = OUT / f"data-{customers}-seed{seed}"
    stamp = directory / "stamp.json"
    wanted = {"customers": customers, "seed": seed, "generator": generator_fingerprint()}
    if not regenerate and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return directory, None
    figures = run_child([__file__, "--child", "generate", "--customers", str(customers),
                         "--seed", str(seed), "--data", str(directory)])
    stamp.write_text(json.dumps(wanted))
    return directory, figures


def compare(clientwise_csv: Path, baseline_csv: Path) -> dict[str, Any]:
    """Do clientwise and the baseline agree? Counts of customers whose outputs differ."""
    import polars as pl

    ours = pl.read_csv(clientwise_csv, infer_schema_length=0)
    theirs = pl.read_csv(baseline_csv, infer_schema_length=0)
    both = ours.join(theirs, on="customer_id", how="full", suffix="_baseline", coalesce=True)
    found: dict[str, Any] = {"customers": both.height}
    for column in ("tier", "value_class", "support_abuse"):
        if column in ours.columns:
            other = pl.col(f"{column}_baseline")
            found[f"{column}_differs"] = both.filter(pl.col(column).ne_missing(other)).height
    if "profit" in ours.columns:
        gap = (pl.col("profit").cast(pl.Float64) - pl.col("profit_baseline").cast(pl.Float64)).abs()
        found["profit_max_abs_diff"] = both.select(gap.max()).item()
    return found


def agree(ours: Path, theirs: Path) -> dict[str, Any]:
    """Customer by customer and action by action: are clientwise's tables the default
    baseline's? Counts of differing rows per column where they are not."""
    import polars as pl

    found: dict[str, Any] = {}
    for table in ("customers", "actions"):
        a = pl.read_parquet(ours.with_suffix(f".{table}.parquet"))
        b = pl.read_parquet(theirs.with_suffix(f".{table}.parquet"))
        found[f"{table}_equal"] = a.equals(b)
        found[f"{table}_rows"] = a.height
        if not found[f"{table}_equal"] and a.columns == b.columns and a.height == b.height:
            found[f"{table}_differing"] = {column: a.filter(~a[column].eq_missing(b[column])).height
                                           for column in a.columns if not a[column].equals(b[column])}
    return found


def measure(customers: int, seed: int, regenerate: bool, repeat: int,
            against: tuple[Path, str] | None = None, subset: bool = True) -> dict[str, Any]:
    directory, generation = ensure_data(customers, seed, regenerate)
    evaluations: dict[str, tuple[bool, Path | None]] = {"clientwise": (False, None)}
    if subset:
        evaluations["seg+prof"] = (True, None)
    if against:
        evaluations = {f"clientwise@{against[1]}": (False, against[0]), **evaluations}
    baselines = ["baseline", "default baseline"] if subset else ["default baseline"]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*evaluations, *baselines]}
    outputs = {name: OUT / f"report-{customers}-{re.sub(r'[^a-z0-9]+', '_', name)}.csv" for name in runs}
    as_of = ["--as-of", "2026-06-30"]
    for _ in range(repeat):
        for name, (subset, code) in evaluations.items():
            args = [__file__, "--child", "evaluate", "--data", str(directory), "--output", str(outputs[name])]
            runs[name].append(run_child(args + (["--subset"] if subset else []), code))
        if subset:
            runs["baseline"].append(run_child([str(HERE / "baseline.py"), str(directory), *as_of,
                                               "--out", str(outputs["baseline"])]))
        runs["default baseline"].append(run_child([str(HERE / "baseline_default.py"), str(directory), *as_of,
                                                   "--out", str(outputs["default baseline"])]))
    best = {name: min(found, key=lambda r: r.get("e2e", r.get("total"))) for name, found in runs.items()}
    agreement = {name: agree(outputs[name], outputs["default baseline"]) for name in evaluations if name != "seg+prof"}
    return {
        "customers": customers,
        "generation": generation,
        "best": best,
        "runs": runs,
        "agreement": compare(outputs["seg+prof"], outputs["baseline"]) if subset else None,
        "default_agreement": agreement,
    }


def report(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, "
        f"Python {info['python']}, polars {info['polars']}, {info['date']}",
        "",
        "| customers | end to end (s) | customers/s | peak MB | load (s) | derive+decide (s) | write CSV (s) "
        "| seg+prof derive+decide (s) | baseline compute (s) | ratio | baseline e2e (s) | baseline peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for found in results:
        if "seg+prof" not in found["best"]:
            continue
        full, subset, base = found["best"]["clientwise"], found["best"]["seg+prof"], found["best"]["baseline"]
        ratio = (subset["derive_decide"] / base["compute"]) if subset.get("derive_decide") else None
        lines.append(
            f"| {found['customers']:,} | {full['e2e']:.2f} | {found['customers'] / full['e2e']:,.0f} "
            f"| {full['peak_mb']:,.0f} | {_num(full['load'])} | {_num(full['derive_decide'])} | {full['write']:.2f} "
            f"| {_num(subset.get('derive_decide'))} | {base['compute']:.2f} | {_num(ratio, 'x')} "
            f"| {base['total']:.2f} | {base['peak_mb']:,.0f} |"
        )
    lines += [
        "",
        "The whole default ruleset against `baseline_default.py` (ratio: clientwise derive+decide / baseline compute):",
        "",
        "| customers | code | end to end (s) | CPU (s) | peak MB | load (s) | derive+decide (s) | write CSV (s) "
        "| default baseline compute (s) | ratio | baseline CPU (s) | baseline peak MB | load average |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for found in results:
        base = found["best"]["default baseline"]
        for name in found["default_agreement"]:
            ours = found["best"][name]
            ratio = ours["derive_decide"] / base["compute"] if ours.get("derive_decide") else None
            lines.append(
                f"| {found['customers']:,} | {name} | {ours['e2e']:.2f} | {ours.get('cpu', 0):.2f} "
                f"| {ours['peak_mb']:,.0f} | {_num(ours['load'])} | {_num(ours['derive_decide'])} | {ours['write']:.2f} "
                f"| {base['compute']:.2f} | {_num(ratio, 'x')} | {base['compute_cpu']:.2f} | {base['peak_mb']:,.0f} "
                f"| {found['load_average']} |"
            )
    lines.append("")
    for found in results:
        generation = found["generation"]
        if generation:
            lines.append(
                f"{found['customers']:,} customers generated in {generation['generate']:.2f} s "
                f"(+ {generation['write']:.2f} s Parquet), peak {generation['peak_mb']:,.0f} MB, "
                f"rows {generation['rows']}"
            )
        if found["agreement"] is not None:
            lines.append(f"{found['customers']:,} customers: seg+prof vs baseline {found['agreement']}")
        lines.append(f"{found['customers']:,} customers: clientwise vs default baseline {found['default_agreement']}")
        for name, runs in found["runs"].items():
            lines.append(f"  {name} runs (s): {[round(r.get('e2e', r.get('total')), 2) for r in runs]}")
    return "\n".join(lines)


def _num(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.2f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is reported")
    parser.add_argument("--regenerate", action="store_true", help="ignore cached data")
    parser.add_argument("--against", metavar="REV", help="also run clientwise at this git revision, alternating")
    parser.add_argument("--default-only", action="store_true",
                        help="leave out the seg+prof run and its baseline (the default baseline only)")
    parser.add_argument("--child", choices=["generate", "evaluate"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--subset", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        print(json.dumps(child_generate(args.customers[0], args.seed, args.data)))
        return
    if args.child == "evaluate":
        print(json.dumps(child_evaluate(args.data, args.subset, args.output)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    against = None
    if args.against:
        from revision import code_tree

        against = code_tree(args.against)
    results = []
    for customers in args.customers:
        before = os.getloadavg()[0]
        results.append(measure(customers, args.seed, args.regenerate, args.repeat, against, not args.default_only))
        results[-1]["load_average"] = f"{before:.1f}-{os.getloadavg()[0]:.1f}"
        print(f"measured {customers:,} customers", file=sys.stderr, flush=True)
    (OUT / "latest.json").write_text(json.dumps({"machine": info, "results": results}, indent=2, default=str))
    print(report(results, info))
    if not all(found[f"{table}_equal"] for result in results for found in result["default_agreement"].values()
               for table in ("customers", "actions")):
        raise SystemExit("clientwise and the default baseline disagree: the ratio compares unequal work")


if __name__ == "__main__":
    main()

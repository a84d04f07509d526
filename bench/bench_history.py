"""Benchmark: what ``--save`` adds to ``clientwise evaluate``, and ``clientwise compare``'s speed.

    python bench/bench_history.py --customers 1000000 --repeat 2

Two quarters of the sample portfolio (``clientwise.sample.evolve``) are written as
Parquet under ``bench/out/`` (the first quarter is the ``bench_evaluate.py`` data).
Each measurement is a fresh ``clientwise`` process, timed from start to exit:

* ``evaluate``: ``clientwise evaluate default Q1 --as-of ... -o out.csv``;
* ``evaluate --save``: the same plus ``--save --store bench/out/runs-N.duckdb``;
* the second quarter without history (``--compare-with none``) and with it (the default
  ruleset's trend rules read the previous run from the store), once each;

repeated ``--repeat`` times, interleaved, so a busy spell of a shared machine hits
both alike. The figure is the extra time of ``--save`` relative to ``evaluate``
(fastest runs, and medians). Then Q2 is saved too and ``clientwise compare`` of the
two runs (terminal view, and ``--json``) is timed, with the store's size.

    python bench/bench_history.py --customers 1000000 --compare-only --repeat 3 --against main

times only ``clientwise compare`` again, on the store the last full run left; with
``--against REV`` that revision's compare too (``revision.py``), alternating, each on
its own copy of the store, and checks that both print the same ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from bench_evaluate import ensure_data, generator_fingerprint, machine  # noqa: E402


def clientwise(*args: str, code: Path | None = None, output: Path | None = None) -> dict[str, float]:
    """Wall seconds of one ``clientwise`` process, start to exit, and its CPU seconds (user +
    system, all threads): on a shared machine the CPU time is the steadier figure.

    ``code``: run that revision's clientwise (``revision.code_tree``); ``output``: keep stdout there.
    """
    environment = {**os.environ, "PYTHONPATH": str(code)} if code else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(output, "wb") if output else open(os.devnull, "wb") as sink:
        done = subprocess.run([sys.executable, "-c", "from clientwise.cli import main; main()", *args],
                              stdout=sink, stderr=subprocess.PIPE, text=True, check=False, env=environment)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"clientwise {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": elapsed, "cpu": cpu}


def second_quarter(customers: int, seed: int) -> tuple[Path, str]:
    """The portfolio one quarter on, as Parquet (cached like the first)."""
    from clientwise import sample
    from clientwise.sample.evolve import quarter_end

    directory = OUT / f"quarter2-{customers}-seed{seed}"
    stamp = directory / "stamp.json"
    wanted = {"customers": customers, "seed": seed, "generator": generator_fingerprint()}
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        quarters = sample.evolve(customers, 2, seed=seed)
        sample.write(quarters[1].tables, directory, "parquet")
        stamp.write_text(json.dumps(wanted))
    return directory, quarter_end(sample.DEMO_AS_OF, 1).isoformat()


def measure(customers: int, seed: int, repeat: int) -> dict[str, Any]:
    from clientwise.sample import DEMO_AS_OF

    first, _ = ensure_data(customers, seed, regenerate=False)
    second, second_as_of = second_quarter(customers, seed)
    store = OUT / f"runs-{customers}.duckdb"
    for leftover in (store, store.with_name(store.name + ".wal")):
        leftover.unlink(missing_ok=True)
    report = OUT / f"history-{customers}.csv"
    base = ["evaluate", "default", str(first), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(report), "--quiet"]
    plain, saving = [], []
    for index in range(repeat):
        plain.append(clientwise(*base))
        saving.append(clientwise(*base, "--save", "--label", f"q1-{index}", "--store", str(store)))
    q2 = ["evaluate", "default", str(second), "--as-of", second_as_of, "-o", str(report), "--quiet",
          "--store", str(store)]
    without_history = clientwise(*q2, "--compare-with", "none")
    with_history = clientwise(*q2)  # the trend rules read the previous run (a million customers)
    clientwise(*q2, "--save", "--label", "q2")
    compare = [clientwise("compare", "--store", str(store)) for _ in range(repeat)]
    compare_json = [clientwise("compare", "--store", str(store), "--json") for _ in range(repeat)]
    return {
        "customers": customers,
        "evaluate": plain,
        "evaluate_save": saving,
        "q2_without_history": without_history,
        "q2_with_history": with_history,
        "compare": compare,
        "compare_json": compare_json,
        "store_mb": store.stat().st_size / 2**20,
        "runs_in_store": repeat + 1,
    }


def compare_only(customers: int, repeat: int, against: tuple[Path, str] | None = None) -> dict[str, Any]:
    """Time ``clientwise compare`` again on the store the last full run left (``--compare-only``).

    With ``against`` (another revision's code tree and commit), that revision's compare is
    timed too, alternating with this code's, each on its own copy of the store: the
    revision reads ``runs-N@COMMIT.duckdb``, copied from the store before this code first
    opened it (a newer layout is one an older clientwise cannot read). Each side opens its
    store once untimed first (a store of an older layout is upgraded then), and the
    ``--json`` output of both is checked to be byte for byte the same.
    """
    store = OUT / f"runs-{customers}.duckdb"
    if not store.is_file():
        raise SystemExit(f"{store} is missing: run without --compare-only first")
    sides: dict[str, tuple[Path, Path | None]] = {"this code": (store, None)}
    if against:
        code, commit = against
        theirs = OUT / f"runs-{customers}@{commit}.duckdb"
        if not theirs.is_file():
            shutil.copyfile(store, theirs)
        sides = {f"clientwise@{commit}": (theirs, code), **sides}
    found: dict[str, Any] = {"customers": customers}
    for name, (path, code) in sides.items():  # upgrades a store of an older layout: timed apart
        found[name] = {"first_open": clientwise("history", "--store", str(path), code=code),
                       "compare": [], "compare_json": []}
    outputs = [OUT / f"compare-{index}.json" for index in range(len(sides))]
    for _ in range(repeat):
        for output, (name, (path, code)) in zip(outputs, sides.items(), strict=True):
            found[name]["compare"].append(clientwise("compare", "--store", str(path), code=code))
            found[name]["compare_json"].append(clientwise("compare", "--store", str(path), "--json", code=code,
                                                          output=output))
        if against:
            found.setdefault("identical", []).append(json_part(outputs[0]) == json_part(outputs[1]))
    return found


def json_part(path: Path) -> bytes:
    """The JSON a ``compare --json`` printed: up to and including the version on main at
    d09618d, DuckDB drew its progress bar on stdout before it (a query over 2 s)."""
    text = path.read_bytes()
    return text[text.index(b"{"):]  # the bar has no brace


def table(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, Python {info['python']}, "
             f"polars {info['polars']}, duckdb {info['duckdb']}, {info['date']}, load average before: "
             f"{info['load']}", "",
             "| customers | measure | evaluate (s) | evaluate --save (s) | added (fastest) | added (median) "
             "| compare (s) | compare --json (s) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        for kind in ("wall", "cpu"):
            plain = [x[kind] for x in r["evaluate"]]
            saving = [x[kind] for x in r["evaluate_save"]]
            fast = min(saving) / min(plain) - 1
            median = statistics.median(saving) / statistics.median(plain) - 1
            lines.append(f"| {r['customers']:,} | {kind} | {min(plain):.2f} | {min(saving):.2f} | {fast:.0%} "
                         f"| {median:.0%} | {min(x[kind] for x in r['compare']):.2f} "
                         f"| {min(x[kind] for x in r['compare_json']):.2f} |")
        lines.append(f"\nstore: {r['store_mb']:,.0f} MB for {r['runs_in_store']} runs of {r['customers']:,} customers")
        plain, read = r["q2_without_history"], r["q2_with_history"]
        lines.append(f"second quarter: evaluate --compare-with none {plain['wall']:.2f} s wall, {plain['cpu']:.2f} s CPU; "
                     f"reading the previous run for the trend rules {read['wall']:.2f} s wall, {read['cpu']:.2f} s CPU "
                     f"({read['cpu'] / plain['cpu'] - 1:+.0%} CPU)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--compare-only", action="store_true",
                        help="only time compare again, on the store the last full run left")
    parser.add_argument("--against", metavar="REV",
                        help="with --compare-only: also time compare at this git revision, alternating")
    args = parser.parse_args()
    import duckdb

    OUT.mkdir(parents=True, exist_ok=True)
    info = {**machine(), "duckdb": duckdb.__version__, "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    if args.compare_only:
        against = None
        if args.against:
            from revision import code_tree

            against = code_tree(args.against)
        found = [compare_only(n, args.repeat, against) for n in args.customers]
        (OUT / "history-compare.json").write_text(json.dumps({"machine": info, "results": found}, indent=2))
        print(f"load average before: {info['load']}, after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for r in found:
            for name, runs in r.items():
                if not isinstance(runs, dict):
                    continue
                print(f"{name}: first open of the store (history; upgrades an older layout): "
                      f"{runs['first_open']['wall']:.2f} s wall, {runs['first_open']['cpu']:.2f} s CPU")
                for kind in ("wall", "cpu"):
                    print(f"{r['customers']:,} customers, {name}, {kind}: compare "
                          + ", ".join(f"{x[kind]:.2f}" for x in runs["compare"])
                          + "; compare --json " + ", ".join(f"{x[kind]:.2f}" for x in runs["compare_json"]))
            if "identical" in r:
                print("--json output byte for byte the same: " + ", ".join(map(str, r["identical"])))
        return
    results = [measure(n, args.seed, args.repeat) for n in args.customers]
    (OUT / "history.json").write_text(json.dumps({"machine": info, "results": results}, indent=2))
    print(table(results, info))


if __name__ == "__main__":
    main()

"""Benchmark: the durable engine against polars and against raw durable-rules.

    python bench/bench_durable.py --customers 10000 100000

For each size it generates the sample portfolio in memory and measures, for the
default ruleset:

* ``polars``: ``Evaluator.evaluate`` with the polars engine (reference);
* ``durable xN``: the same with the durable engine in N worker processes; the time
  spent inside ``Engine.decide`` is reported apart (``engine``);
* ``raw``: the facts the durable engine posted (same fields, same precomputed
  columns), asserted through durable-rules' own ``Host`` API into a hand-written
  equivalent ruleset (one rule per clientwise rule, the TRUE condition only, Python
  actions recording the match) in this process: what a user would write by hand;
* ``evaluate_one``: per-call latency of a single customer after the batch, per engine.

``ratio`` is the durable engine's decide time with one worker over the raw time.
Results go to the terminal and ``bench/out/durable.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
AS_OF = "2026-06-30"


class Recording:
    """Wraps an engine: accumulates time in ``decide`` and keeps what it was given.

    Everything else (``name``, ``chains``, ``prepare``, ...) is the engine's own, so the
    core treats the wrapped engine exactly as the engine itself (forward chaining,
    early worker start).
    """

    def __init__(self, engine: Any):
        self.engine, self.seconds, self.calls = engine, 0.0, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def decide(self, frame: pl.DataFrame, decisions: Any, context: Any) -> pl.DataFrame:
        started = time.perf_counter()
        out = self.engine.decide(frame, decisions, context)
        self.seconds += time.perf_counter() - started
        self.calls.append((frame, decisions, context))
        return out


def run_engine(tables: dict[str, pl.DataFrame], engine: str, workers: int | None) -> tuple[float, float, Any]:
    from clientwise import Evaluator
    from clientwise.plugins.durable_engine import DurableEngine

    evaluator = Evaluator("default", engine=engine)
    if workers is not None:
        evaluator.engine = DurableEngine(workers=workers)
    recording = Recording(evaluator.engine)
    evaluator.engine = recording  # type: ignore[assignment]
    started = time.perf_counter()
    result = evaluator.evaluate(tables, as_of=AS_OF)
    return time.perf_counter() - started, recording.seconds, (result, recording, evaluator)


def raw_baseline(recording: Recording) -> float:
    """Post the same facts through durable-rules' Host API to hand-written TRUE rules."""
    from durable.engine import Host

    from clientwise.plugins.durable_engine import compile_plan

    matched: list[tuple[str, int]] = []

    class ByHand(Host):
        def _run(self) -> None:  # no background dispatch threads
            return None

        def get_action(self, name: str) -> Any:
            return lambda c: matched.append((name, c.m["__row"]))

    seconds = 0.0
    for frame, decisions, context in recording.calls:
        plan = compile_plan(decisions, context)
        posted = frame.select([e.alias(n) for n, e in plan.lowered.columns.items()])
        definitions = {}
        for group in plan.groups:
            definitions[group.name] = {name: copy.deepcopy(rule) for name, rule in group.definition.items()
                                       if name.startswith("t") or name == "seen"}
        started = time.perf_counter()
        host = ByHand(definitions)
        rows = [{k: v for k, v in row.items() if v is not None} for row in posted.to_dicts()]
        for start in range(0, len(rows), 2000):
            for group in plan.groups:
                facts = [{"__row": start + i, **{k: r[k] for k in group.fields if k in r}}
                         for i, r in enumerate(rows[start:start + 2000])]
                host.assert_facts(group.name, facts)
                host.retract_facts(group.name, facts)
        seconds += time.perf_counter() - started
    return seconds


def one_latency(evaluator: Any, tables: dict[str, pl.DataFrame], calls: int) -> tuple[float, float]:
    records = tables["customers"].head(calls).to_dicts()
    evaluator.evaluate_one(records[0])  # warm: compiles the durable rulesets once
    times = []
    for record in records:
        started = time.perf_counter()
        evaluator.evaluate_one(record)
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one-calls", type=int, default=100)
    args = parser.parse_args()
    from clientwise.sample import generate

    rows = []
    for size in args.customers:
        tables = generate(size, seed=1)
        polars_total, polars_engine, (polars_result, _, polars_eval) = run_engine(tables, "polars", None)
        figures: dict[str, Any] = {"customers": size, "polars_s": polars_total, "polars_engine_s": polars_engine}
        for workers in (1, 2):
            total, engine, (result, recording, evaluator) = run_engine(tables, "durable", workers)
            assert result.customers.equals(polars_result.customers) and result.actions.equals(polars_result.actions)
            figures[f"durable{workers}_s"], figures[f"durable{workers}_engine_s"] = total, engine
        figures["raw_s"] = raw_baseline(recording)
        figures["ratio"] = figures["durable1_engine_s"] / figures["raw_s"]
        figures["speedup_2_workers"] = figures["durable1_engine_s"] / figures["durable2_engine_s"]
        if size <= 10_000:
            durable_eval = evaluator
            durable_eval.engine = durable_eval.engine.engine  # unwrap the recording
            figures["one_polars_ms"] = one_latency(polars_eval, tables, args.one_calls)
            figures["one_durable_ms"] = one_latency(durable_eval, tables, args.one_calls)
        rows.append(figures)
        print(json.dumps(figures), flush=True)
    print()
    print("| customers | polars (s) | durable x1 (s) | engine x1 (s) | durable x2 (s) | engine x2 (s) "
          "| customers/s x2 | raw durable-rules (s) | engine x1 / raw | x1 / x2 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in rows:
        print(f"| {f['customers']:,} | {f['polars_s']:.2f} | {f['durable1_s']:.2f} | {f['durable1_engine_s']:.2f} "
              f"| {f['durable2_s']:.2f} | {f['durable2_engine_s']:.2f} | {f['customers'] / f['durable2_s']:,.0f} "
              f"| {f['raw_s']:.2f} | {f['ratio']:.2f}x | {f['speedup_2_workers']:.2f}x |")
    for f in rows:
        if "one_durable_ms" in f:
            print(f"evaluate_one at {f['customers']:,}: polars median {f['one_polars_ms'][0]:.1f} ms "
                  f"(p95 {f['one_polars_ms'][1]:.1f}), durable median {f['one_durable_ms'][0]:.1f} ms "
                  f"(p95 {f['one_durable_ms'][1]:.1f})")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "durable.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

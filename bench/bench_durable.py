"""Benchmark: the durable engine against polars, against raw durable-rules, and 1 vs 2 workers.

    python bench/bench_durable.py --customers 10000 100000 --repeat 3

For each size it generates the sample portfolio in memory and measures, for the
default ruleset, ``--repeat`` times each (interleaved, so a slow spell of a shared
machine hits every configuration alike):

* ``polars``: ``Evaluator.evaluate`` with the polars engine (reference);
* ``durable xN``: the same with the durable engine in N worker processes; the time
  spent inside ``Engine.decide`` is reported apart (``engine``). Results are checked
  identical to polars;
* ``raw``: the facts the durable engine posted (same fields, same precomputed
  columns, the decided tier/class/band given as plain fields instead of forward
  chained), asserted through durable-rules' own ``Host`` API into a hand-written
  equivalent ruleset (one rule per clientwise rule, the TRUE condition only, Python
  actions recording the match) in this process: what a user would write by hand;
* ``ceiling``: the machine's own limit for two workers: the engine's batches, as
  posted, run by ``durable_worker.decide_batch`` in one process and then split over
  two processes that were started (and imported everything) beforehand, with no
  clientwise orchestration at all;
* ``evaluate_one``: per-call latency of a single customer after a batch of 10,000.

Figures are the minimum over the repeats (the run least disturbed by other work on
the machine) and the median. Results go to the terminal and ``bench/out/durable.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
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
    from clientwise.plugins.engines.durable.engine import DurableEngine

    evaluator = Evaluator("default", engine=engine)
    if workers is not None:
        evaluator.engine = DurableEngine(workers=workers)
    recording = Recording(evaluator.engine)
    evaluator.engine = recording  # type: ignore[assignment]
    started = time.perf_counter()
    result = evaluator.evaluate(tables, as_of=AS_OF)
    elapsed = time.perf_counter() - started
    evaluator.close()  # stop the workers now, not when the evaluator is collected (not timed)
    return elapsed, recording.seconds, (result, recording, evaluator)


def raw_baseline(recording: Recording, decided: pl.DataFrame, key: str) -> float:
    """Post the same facts through durable-rules' Host API to hand-written TRUE rules.

    Each fact gets an ``id`` (its place in the chunk): with durable-rules' own content
    ids, about one chunk of 2,000 facts in 2,000 is rejected (see ``durable_worker``).
    """
    from durable.engine import Host

    from clientwise.plugins.engines.durable.engine import compile_plan

    matched: list[tuple[str, int]] = []

    class ByHand(Host):
        def _run(self) -> None:  # no background dispatch threads
            return None

        def get_action(self, name: str) -> Any:
            return lambda c: matched.append((name, c.m["__row"]))

    seconds = 0.0
    for frame, decisions, context in recording.calls:
        plan = compile_plan(decisions, context)
        with_decided = frame.join(decided, on=key, how="left", maintain_order="left")
        posted = with_decided.select([e.alias(n) for n, e in plan.lowered.columns.items()])
        definitions = {}
        for group in plan.groups:
            # the engine records matches itself; by hand, each rule names its action (`run`)
            definitions[group.name] = {name: {**copy.deepcopy(rule), "run": name} for name, rule in
                                       group.definition.items() if name.startswith("t") or name == "seen"}
        started = time.perf_counter()
        host = ByHand(definitions)
        rows = [{k: v for k, v in row.items() if v is not None} for row in posted.to_dicts()]
        for start in range(0, len(rows), 2000):
            for group in plan.groups:
                facts = [{"__row": start + i, "id": i, **{k: r[k] for k in group.fields if k in r}}
                         for i, r in enumerate(rows[start:start + 2000])]
                host.assert_facts(group.name, facts)
                host.retract_facts(group.name, facts)
        seconds += time.perf_counter() - started
    return seconds


def _replay(tasks: list[Any], layout: Any, ready: Any, go: Any, results: Any) -> None:
    """A worker of the ceiling measurement: import, say ready, wait, run, report."""
    from clientwise.plugins.engines.durable import worker as durable_worker

    durable_worker.decide_batch(tasks[0], layout)  # warm: rulesets created, as in a started engine
    ready.release()
    go.wait()
    started = time.time()
    for task in tasks:
        durable_worker.decide_batch(task, layout)
    results.put((started, time.time()))


def ceiling(tasks: list[Any], layout: Any, processes: int) -> float:
    """Wall time for ``tasks`` split over ``processes`` already-started processes."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    shares = [tasks[i::processes] for i in range(processes)]
    workers = [context.Process(target=_replay, args=(share, layout, ready, go, results)) for share in shares]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.time()
    go.set()
    ends = [results.get()[1] for _ in workers]
    for worker in workers:
        worker.join()
    return max(ends) - started


def captured_tasks(recording: Recording) -> tuple[list[Any], Any]:
    """The batches the two-worker engine posts for the (one) recorded call, and their layout."""
    from clientwise.plugins.engines.durable import worker as durable_worker
    from clientwise.plugins.engines.durable.engine import DurableEngine

    tasks: list[Any] = []
    layouts: list[Any] = []

    class Capturing(DurableEngine):
        def _run_all(self, batch, layout, bounds, frame, context):  # type: ignore[no-untyped-def]
            posted = list(batch)
            tasks.extend(posted)
            layouts.append(layout)
            return [durable_worker.decide_batch(task, layout) for task in posted]  # in this process

    engine = Capturing(workers=2)
    (frame, decisions, context), = recording.calls  # the default ruleset decides in one chained call
    engine.decide(frame, decisions, context)
    return tasks, layouts[0]


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


def measure(size: int, repeat: int, one_calls: int) -> dict[str, Any]:
    from clientwise.sample import generate

    tables = generate(size, seed=1)
    runs: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        runs.setdefault(name, []).append(value)

    recording = polars_result = polars_eval = durable_eval = None
    for _ in range(repeat):
        total, engine, (polars_result, _, polars_eval) = run_engine(tables, "polars", None)
        add("polars_s", total)
        for workers in (1, 2):
            total, engine, (result, recording, durable_eval) = run_engine(tables, "durable", workers)
            assert result.customers.equals(polars_result.customers) and result.actions.equals(polars_result.actions)
            add(f"durable{workers}_s", total)
            add(f"durable{workers}_engine_s", engine)
    assert recording is not None and polars_result is not None
    outputs = ["tier", "value_class", "health_band"]
    decided = polars_result.customers.select(polars_result.key, *outputs)
    tasks, layout = captured_tasks(recording)
    for _ in range(repeat):
        add("raw_s", raw_baseline(recording, decided, polars_result.key))
        add("ceiling1_s", ceiling(tasks, layout, 1))
        add("ceiling2_s", ceiling(tasks, layout, 2))
    figures: dict[str, Any] = {"customers": size, "repeat": repeat, "runs": runs}
    for name, values in runs.items():
        figures[name] = min(values)
        figures[f"{name}_median"] = statistics.median(values)
    figures["ratio_raw"] = figures["durable1_engine_s"] / figures["raw_s"]
    figures["speedup_engine"] = figures["durable1_engine_s"] / figures["durable2_engine_s"]
    figures["speedup_engine_median"] = figures["durable1_engine_s_median"] / figures["durable2_engine_s_median"]
    figures["speedup_total"] = figures["durable1_s"] / figures["durable2_s"]
    figures["speedup_ceiling"] = figures["ceiling1_s"] / figures["ceiling2_s"]
    if size <= 10_000 and one_calls:
        durable_eval.engine = durable_eval.engine.engine  # unwrap the recording
        figures["one_polars_ms"] = one_latency(polars_eval, tables, one_calls)
        figures["one_durable_ms"] = one_latency(durable_eval, tables, one_calls)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-calls", type=int, default=100)
    args = parser.parse_args()
    rows = []
    for size in args.customers:
        figures = measure(size, args.repeat, args.one_calls)
        rows.append(figures)
        print(json.dumps({k: v for k, v in figures.items() if k != "runs"}), flush=True)
    print()
    print("| customers | polars (s) | durable x1 (s) | engine x1 (s) | durable x2 (s) | engine x2 (s) "
          "| customers/s x2 | raw durable-rules (s) | engine x1 / raw | engine x1 / x2 (median) "
          "| end to end x1 / x2 | ceiling x1 / x2 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in rows:
        print(f"| {f['customers']:,} | {f['polars_s']:.2f} | {f['durable1_s']:.2f} | {f['durable1_engine_s']:.2f} "
              f"| {f['durable2_s']:.2f} | {f['durable2_engine_s']:.2f} | {f['customers'] / f['durable2_s']:,.0f} "
              f"| {f['raw_s']:.2f} | {f['ratio_raw']:.2f}x | {f['speedup_engine']:.2f}x "
              f"({f['speedup_engine_median']:.2f}x) | {f['speedup_total']:.2f}x | {f['speedup_ceiling']:.2f}x |")
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

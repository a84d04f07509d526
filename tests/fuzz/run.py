"""The long fuzz run, by hand: many more inputs than the test suite's bounded fuzzing.

    .venv/bin/python tests/fuzz/run.py expressions --count 1000000 --seconds 1200
    .venv/bin/python tests/fuzz/run.py rulesets --count 100000 --seconds 1200
    .venv/bin/python tests/fuzz/run.py data --count 100000 --seconds 1200

Inputs run in worker processes (``--jobs N`` of them share the count; worker ``i`` draws
from seed ``seed * 1000 + i``, so a run stays reproducible). A worker killed by its input
(a segfault or abort inside a native library, which no ``except`` can catch) counts as a
broken promise: the input it was on is regenerated from its seed and saved, and the
worker goes on from the next input. Each run stops at ``--count`` inputs or after
``--seconds``, whichever comes first, and prints one JSON line: the inputs tried, those
that broke a promise (an exception other than a located ``InputError``, or a dead
process), those that hung (over ``--timeout`` seconds) and the seconds taken. Every breaking input is saved under ``--crashers`` (default
``tests/fuzz/found/``) to minimise and add to ``tests/fuzz/corpus``. Runs are
reproducible from ``--seed``. The counts of the last runs are in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz import harness  # noqa: E402 - the tests folder is put on the path first


class Hang(Exception):
    """An input took longer than the per-input timeout."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise Hang


def expression_input(rng: random.Random) -> tuple[str, Callable[[Path], None]]:
    tokens = ["revenue", "tier", "name", "customer_count()", "rank(revenue)", "sum_of(interactions, amount)",
              "count_of(contacts, role == 'budget')", "days_since(relationship_map_reviewed)", "if_else(",
              " and ", " or ", " not ", " in ", " is null", "==", "<", ">=", "+", "-", "*", "/", "(", ")", "[",
              "]", ",", "'core'", "1", "0", "1.5", "-2", "true", "null"]
    if rng.random() < 0.5:
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 12)))
        text = harness.mutate_text(text, rng, rng.randint(0, 2)) if rng.random() < 0.5 else text
    else:
        text = harness.mutate_text("revenue > 1000 and tier in ['core', 'strategic']", rng)
    template = rng.random() < 0.2
    shown = "{" + text + "}" if template else text
    return shown, lambda _folder: harness.expression(shown, template=template)


def ruleset_input(rng: random.Random) -> tuple[str, Callable[[Path], None]]:
    text = harness.ruleset_variant(rng)
    return text, lambda folder: harness.ruleset(text, folder)


def data_input(rng: random.Random) -> tuple[bytes, Callable[[Path], None], str]:
    kind = rng.choice(harness.DATA_SEEDS)
    content = harness.mutate_data(kind, rng)
    return content, lambda folder: harness.data(kind, content, folder), kind


def next_input(target: str, rng: random.Random) -> tuple[str | bytes, Callable[[Path], None], str]:
    """The next input of ``target`` drawn from ``rng``: its content, how to run it, its file suffix."""
    if target == "expressions":
        content, run = expression_input(rng)
        return content, run, "txt"
    if target == "rulesets":
        content, run = ruleset_input(rng)
        return content, run, "toml"
    return data_input(rng)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=("expressions", "rulesets", "data"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--timeout", type=int, default=20, help="seconds one input may take before it is a hang")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes sharing the count")
    parser.add_argument("--crashers", type=Path, default=Path(__file__).parent / "found")
    args = parser.parse_args(argv)

    start = time.monotonic()
    deadline = time.time() + args.seconds
    share = -(-args.count // args.jobs)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [_Worker(args, args.seed * 1000 + i, share, f"w{i}-", deadline, context, results) for i in range(args.jobs)]
    for worker in workers:
        worker.start(0)
    kinds: dict[str, str] = {}
    running = list(workers)
    shown = time.monotonic()
    while running:
        if time.monotonic() - shown >= 60:  # a long run says how far it got
            shown = time.monotonic()
            print(f"{args.target}: {sum(worker.position.value for worker in workers)} inputs after "
                  f"{shown - start:.0f} s", file=sys.stderr, flush=True)
        for worker in list(running):
            worker.process.join(timeout=0.5)
            if worker.process.exitcode == 0:
                running.remove(worker)
            elif worker.process.exitcode is not None:
                worker.died(kinds)
    while not results.empty():
        kinds.update({kind: trace for kind, trace in results.get().items() if kind not in kinds})
    totals = {"tried": sum(worker.position.value for worker in workers),
              "broken": sum(worker.broken.value + worker.deaths for worker in workers),
              "hangs": sum(worker.hangs.value for worker in workers)}
    report = {"target": args.target, "seed": args.seed, "jobs": args.jobs, **totals,
              "seconds": round(time.monotonic() - start, 1), "kinds": sorted(kinds)}
    print(json.dumps(report))
    for kind, trace in kinds.items():
        print(f"--- {kind}\n{trace}", file=sys.stderr)
    return 1 if report["broken"] or report["hangs"] else 0


class _Worker:
    """One worker process and its restarts after an input killed it."""

    def __init__(self, args: argparse.Namespace, seed: int, count: int, prefix: str, deadline: float,
                 context: Any, results: Any) -> None:
        self.args, self.seed, self.count, self.prefix, self.deadline = args, seed, count, prefix, deadline
        self.context, self.results = context, results
        self.position: Synchronized[int] = context.Value("q", 0)
        self.broken: Synchronized[int] = context.Value("q", 0)
        self.hangs: Synchronized[int] = context.Value("q", 0)
        self.deaths = 0
        self.process: Any = None

    def start(self, first: int) -> None:
        self.process = self.context.Process(target=_run, args=(
            self.args, self.seed, self.count, self.prefix, self.deadline, first,
            (self.position, self.broken, self.hangs), self.results))
        self.process.start()

    def died(self, kinds: dict[str, str]) -> None:
        """Save the input that killed the process and go on from the next one."""
        number = self.position.value
        rng = random.Random(self.seed)
        for _ in range(number):
            content, _run_it, suffix = next_input(self.args.target, rng)
        why = f"process died: exit code {self.process.exitcode}"
        kinds.setdefault(why, f"input {self.prefix}{number}, seed {self.seed}")
        _save(self.args.crashers, self.args.target, f"{self.prefix}{number}", suffix, content, why)
        self.deaths += 1
        self.start(number)


def _run(args: argparse.Namespace, seed: int, count: int, prefix: str, deadline: float, first: int,
         counters: tuple[Synchronized[int], Synchronized[int], Synchronized[int]], results: Any) -> None:
    """One worker's share: inputs ``first + 1`` to ``count`` drawn from ``seed``, until ``deadline``.

    The counters live in shared memory so that they survive the process: ``position``
    always holds the number of the input being run (the parent regenerates it if the
    process dies on it), ``broken`` and ``hangs`` count as they go.
    """
    position, broken, hangs = counters
    rng = random.Random(seed)
    for _ in range(first):
        next_input(args.target, rng)
    signal.signal(signal.SIGALRM, _alarm)
    first_errors: dict[str, str] = {}
    number = first
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        while number < count and time.time() < deadline:
            content, run, suffix = next_input(args.target, rng)
            number += 1
            position.value = number
            signal.alarm(args.timeout)
            try:
                run(folder)
            except Hang:
                hangs.value += 1
                _save(args.crashers, args.target, f"{prefix}{number}", suffix, content, "hang")
            except BaseException as error:  # noqa: BLE001 - every escape is what the run looks for
                if isinstance(error, KeyboardInterrupt):
                    raise
                broken.value += 1
                kind = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
                first_errors.setdefault(kind, "".join(traceback.format_exception(error))[-2000:])
                _save(args.crashers, args.target, f"{prefix}{number}", suffix, content, kind)
            finally:
                signal.alarm(0)
    results.put(first_errors)


def _save(folder: Path, target: str, number: str, suffix: str, content: str | bytes, why: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    (folder / f"{target}-{number}.{suffix}").write_bytes(data)
    with (folder / "why.txt").open("a", encoding="utf-8") as log:
        log.write(f"{target}-{number}.{suffix}: {why}\n")


if __name__ == "__main__":
    sys.exit(main())

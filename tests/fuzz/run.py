"""The long fuzz run, by hand: many more inputs than the test suite's bounded fuzzing.

    .venv/bin/python tests/fuzz/run.py expressions --count 1000000 --seconds 1200
    .venv/bin/python tests/fuzz/run.py rulesets --count 100000 --seconds 1200
    .venv/bin/python tests/fuzz/run.py data --count 100000 --seconds 1200

``--jobs N`` splits the count over N processes, worker ``i`` drawing from seed
``seed * 1000 + i`` (so a run stays reproducible), and prints the summed counts.
Each run stops at ``--count`` inputs or after ``--seconds``, whichever comes first, and
prints one JSON line: the inputs tried, those that broke a promise (an exception other
than a located ``InputError``), those that hung (over ``--timeout`` seconds) and the
seconds taken. Every breaking input is saved under ``--crashers`` (default
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
    if args.jobs <= 1:
        parts = [_run(args, args.seed, args.count, "")]
    else:
        share = -(-args.count // args.jobs)
        work = [(args, args.seed * 1000 + i, share, f"w{i}-") for i in range(args.jobs)]
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            parts = pool.starmap(_run, work)
    kinds: dict[str, str] = {}
    for part in parts:
        for kind, trace in part["kinds"].items():
            kinds.setdefault(kind, trace)
    report = {"target": args.target, "seed": args.seed, "jobs": args.jobs,
              "tried": sum(part["tried"] for part in parts), "broken": sum(part["broken"] for part in parts),
              "hangs": sum(part["hangs"] for part in parts), "seconds": round(time.monotonic() - start, 1),
              "kinds": sorted(kinds)}
    print(json.dumps(report))
    for kind, trace in kinds.items():
        print(f"--- {kind}\n{trace}", file=sys.stderr)
    return 1 if report["broken"] or report["hangs"] else 0


def _run(args: argparse.Namespace, seed: int, count: int, prefix: str) -> dict[str, Any]:
    """One worker's share: ``count`` inputs drawn from ``seed``, within ``args.seconds``."""
    rng = random.Random(seed)
    signal.signal(signal.SIGALRM, _alarm)
    tried = broken = hangs = 0
    first_errors: dict[str, str] = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        while tried < count and time.monotonic() - start < args.seconds:
            suffix = "txt"
            if args.target == "expressions":
                content, run = expression_input(rng)
            elif args.target == "rulesets":
                content, run = ruleset_input(rng)
                suffix = "toml"
            else:
                content, run, suffix = data_input(rng)
            tried += 1
            signal.alarm(args.timeout)
            try:
                run(folder)
            except Hang:
                hangs += 1
                _save(args.crashers, args.target, f"{prefix}{tried}", suffix, content, "hang")
            except BaseException as error:  # noqa: BLE001 - every escape is what the run looks for
                if isinstance(error, KeyboardInterrupt):
                    raise
                broken += 1
                kind = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
                first_errors.setdefault(kind, "".join(traceback.format_exception(error))[-2000:])
                _save(args.crashers, args.target, f"{prefix}{tried}", suffix, content, kind)
            finally:
                signal.alarm(0)
    return {"tried": tried, "broken": broken, "hangs": hangs, "kinds": first_errors}


def _save(folder: Path, target: str, number: str, suffix: str, content: str | bytes, why: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    (folder / f"{target}-{number}.{suffix}").write_bytes(data)
    with (folder / "why.txt").open("a", encoding="utf-8") as log:
        log.write(f"{target}-{number}.{suffix}: {why}\n")


if __name__ == "__main__":
    sys.exit(main())

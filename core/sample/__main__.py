"""``python -m clientwise.sample DIRECTORY``: write a sample portfolio.

With no options it rewrites the demo data exactly as bundled (``core/sample/data``);
``--customers 1000000 --format parquet`` makes a benchmark-sized portfolio;
``--quarters 4`` writes four quarters of one portfolio, one folder each
(``DIRECTORY/2026-Q2``, ``DIRECTORY/2026-Q3``, ...), for the run history;
``--customers 10000000 --chunk 1000000`` writes Parquet a million customers at a time
(:mod:`clientwise.sample.chunked`), for portfolios larger than memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from clientwise.sample.chunked import write_chunked
from clientwise.sample.evolve import evolve
from clientwise.sample.generate import (
    DEMO_AS_OF,
    DEMO_CUSTOMERS,
    DEMO_SEED,
    SUFFIXES,
    generate,
    write,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clientwise.sample", description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="where to write customers.*, contacts.* and interactions.*")
    parser.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEMO_AS_OF, help="YYYY-MM-DD")
    parser.add_argument("--format", choices=sorted(SUFFIXES), default="csv")
    parser.add_argument("--quarters", type=int, help="write this many quarters of the portfolio, the first as of --as-of")
    parser.add_argument("--chunk", type=int, help="generate Parquet this many customers at a time (chunk n: seed + n)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.chunk is not None:
        if args.format != "parquet" or args.quarters is not None:
            parser.error("--chunk writes --format parquet, one portfolio (no --quarters)")
        for name, path in write_chunked(args.customers, args.directory, chunk=args.chunk, seed=args.seed,
                                        as_of=args.as_of).items():
            print(f"{path}: {name}")
        print(f"generated and written in {time.perf_counter() - started:.2f} s")
        return 0
    if args.quarters is not None:
        for quarter in evolve(args.customers, args.quarters, seed=args.seed, start=args.as_of):
            paths = write(quarter.tables, Path(args.directory) / quarter.label, args.format)
            print(f"{quarter.label} (as of {quarter.as_of}): {paths['customers'].parent}, "
                  f"{quarter.tables['customers'].height:,} customers")
        print(f"generated and written in {time.perf_counter() - started:.2f} s")
        return 0
    tables = generate(args.customers, seed=args.seed, as_of=args.as_of)
    generated = time.perf_counter()
    paths = write(tables, args.directory, args.format)
    written = time.perf_counter()
    for name, path in paths.items():
        print(f"{path}: {tables[name].height:,} rows")
    print(f"generated in {generated - started:.2f} s, written in {written - generated:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

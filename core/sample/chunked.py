"""A portfolio too large to build in memory, generated chunk by chunk straight to Parquet.

:func:`clientwise.sample.generate` builds every table at once, which at 10,000,000
customers (30M contacts, 60M interactions) needs more memory than the evaluation it
feeds. Here each chunk of customers is a portfolio of its own (seed ``seed``, then
``seed + 1`` ...: reproducible) whose keys carry the chunk's number (``K003-C0000042``),
written to one Parquet file per table and chunk; the chunks are then streamed into one
file per table (polars' streaming sink), so memory is bounded by one chunk.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import polars as pl

from clientwise.sample.generate import DEMO_AS_OF, DEMO_SEED, SCHEMA, generate


def write_chunked(
    customers: int, directory: str | os.PathLike[str], *, chunk: int = 1_000_000, seed: int = DEMO_SEED,
    as_of: dt.date | str = DEMO_AS_OF,
) -> dict[str, Path]:
    """Write ``customers.parquet``, ``contacts.parquet`` and ``interactions.parquet`` to
    ``directory``, generated ``chunk`` customers at a time; returns each table's path.

    Customers are in key order in every file (chunk numbers and keys both sort), so a
    run reads them as an export sorted by key would be.
    """
    if customers < 1 or chunk < 1:
        raise ValueError("customers and chunk must be at least 1")
    target = Path(directory)
    parts = target / ".chunks"
    parts.mkdir(parents=True, exist_ok=True)
    count = (customers + chunk - 1) // chunk
    width = len(str(count))
    for index in range(count):
        size = min(chunk, customers - index * chunk)
        tables = generate(size, seed=seed + index, as_of=as_of)
        prefix = f"K{index:0{width}d}-"
        for name, frame in tables.items():
            frame = frame.with_columns((pl.lit(prefix) + pl.col("customer_id")).alias("customer_id"))
            frame.write_parquet(parts / f"{name}-{index:0{width}d}.parquet", compression="zstd", statistics=True)
        del tables
    paths = {}
    for name in SCHEMA:
        paths[name] = target / f"{name}.parquet"
        files = sorted(parts.glob(f"{name}-*.parquet"))
        pl.scan_parquet(files).sink_parquet(paths[name], compression="zstd", statistics=True)
    shutil.rmtree(parts)
    return paths

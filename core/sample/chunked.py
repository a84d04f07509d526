"""A portfolio too large to build in memory, generated chunk by chunk straight to Parquet.

:func:`clientwise.sample.generate` builds every table at once, which at 10,000,000
customers (30M contacts, 60M interactions) needs more memory than the evaluation it
feeds. Here each chunk of customers is a portfolio of its own (seed ``seed``, then
``seed + 1`` ...: reproducible) whose keys carry the chunk's number (``K003-C0000042``),
appended to one Parquet file per table as its next row groups (pyarrow's
``ParquetWriter``), so memory is bounded by one chunk and nothing is merged afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from clientwise.sample.generate import DEMO_AS_OF, DEMO_SEED, SCHEMA, generate


def write_chunked(
    customers: int, directory: str | os.PathLike[str], *, chunk: int = 1_000_000, seed: int = DEMO_SEED,
    as_of: dt.date | str = DEMO_AS_OF,
) -> dict[str, Path]:
    """Write ``customers.parquet``, ``contacts.parquet`` and ``interactions.parquet`` to
    ``directory``, generated ``chunk`` customers at a time; returns each table's path.

    Customers are in key order in every file (chunk numbers and keys both sort), so a
    run reads them as an export sorted by key would be. A failed run leaves partial files.
    """
    if customers < 1 or chunk < 1:
        raise ValueError("customers and chunk must be at least 1")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = {name: target / f"{name}.parquet" for name in SCHEMA}
    count = (customers + chunk - 1) // chunk
    width = len(str(count))
    files: dict[str, pq.ParquetWriter] = {}
    try:
        for index in range(count):
            size = min(chunk, customers - index * chunk)
            tables = generate(size, seed=seed + index, as_of=as_of)
            prefix = f"K{index:0{width}d}-"
            for name, frame in tables.items():
                rows = frame.with_columns((pl.lit(prefix) + pl.col("customer_id")).alias("customer_id")).to_arrow()
                if name not in files:
                    files[name] = pq.ParquetWriter(paths[name], rows.schema, compression="zstd")
                files[name].write_table(rows)
            del tables
    finally:
        for file in files.values():
            file.close()
    return paths

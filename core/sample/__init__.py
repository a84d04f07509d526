"""A reproducible sample portfolio: the bundled demo data and data for benchmarks.

>>> from clientwise import sample
>>> tables = sample.generate(1000, seed=1)           # customers, contacts, interactions
>>> sample.write(tables, "portfolio", "parquet")      # doctest: +SKIP
>>> sample.demo_path()                                # the bundled demo CSVs  # doctest: +SKIP
"""

from clientwise.sample.generate import (
    DEMO_AS_OF,
    DEMO_CUSTOMERS,
    DEMO_SEED,
    SCHEMA,
    SUFFIXES,
    demo_path,
    generate,
    write,
)

__all__ = ["DEMO_AS_OF", "DEMO_CUSTOMERS", "DEMO_SEED", "SCHEMA", "SUFFIXES", "demo_path", "generate", "write"]

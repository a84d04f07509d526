"""A reproducible sample portfolio: the bundled demo data and data for benchmarks.

>>> from clientwise import sample
>>> tables = sample.generate(1000, seed=1)           # customers, contacts, interactions
>>> sample.write(tables, "portfolio", "parquet")      # doctest: +SKIP
>>> sample.demo_path()                                # the bundled demo CSVs  # doctest: +SKIP
>>> quarters = sample.evolve(300, 4)                  # one portfolio over four quarters
"""

from clientwise.sample.evolve import Quarter, evolve, quarter_label
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

__all__ = ["DEMO_AS_OF", "DEMO_CUSTOMERS", "DEMO_SEED", "SCHEMA", "SUFFIXES", "Quarter", "demo_path", "evolve",
           "generate", "quarter_label", "write"]

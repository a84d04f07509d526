"""Wide tables whose columns grow with the runs saved into them.

Runs of different rulesets have different output columns (a client ruleset adds a
checklist question, a plugin adds a section). An analyst wants one ``customers``
table to query across runs, so each frame is appended to one table, bulk-inserted
from Arrow, with a ``run_id`` column; a column the table lacks is added (older runs
read null there), and a column that arrives with another type is widened (integer and
float to DOUBLE, anything else to VARCHAR). Each run records its own columns and
their types (:func:`column_types`), so reading a run back gives the frame it saved.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from clientwise.history.sql import PLAIN, quote
from clientwise.history.store import RunStore

_NUMERIC = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE"}


class ArrowStream:
    """Hands a polars frame to DuckDB through the Arrow C stream interface (no pyarrow needed)."""

    def __init__(self, frame: pl.DataFrame):
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.frame.__arrow_c_stream__(requested_schema)


def storable(frame: pl.DataFrame) -> pl.DataFrame:
    """Types DuckDB keeps as they are: categoricals become text, all-null columns text."""
    casts = [pl.col(name).cast(pl.String) for name, dtype in frame.schema.items()
             if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null]
    return frame.with_columns(casts) if casts else frame


def table_name(*parts: str) -> str:
    """A plain table name from section and table names: lower case, ``_`` for anything else."""
    return "_".join(re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") or "x" for part in parts)


def column_types(store: RunStore, frame: pl.DataFrame) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of ``frame``, as DuckDB reads it from Arrow."""
    stream = ArrowStream(frame.head(0))
    relation = store.connection.from_arrow(stream)
    return [(name, str(dtype)) for name, dtype in zip(relation.columns, relation.types)]


def _existing(store: RunStore, table: str) -> dict[str, tuple[str, str]]:
    """lower-case name -> (name, type) of the table's columns."""
    rows = store.sql("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
                     "AND lower(table_name) = lower(?)", [table]).fetchall()
    return {name.lower(): (name, dtype) for name, dtype in rows}


def _wider(old: str, new: str) -> str:
    return "DOUBLE" if old in _NUMERIC and new in _NUMERIC else "VARCHAR"


def append(store: RunStore, table: str, run_id: int, frame: pl.DataFrame,
           types: list[tuple[str, str]] | None = None, plain: frozenset[str] = frozenset()) -> None:
    """Insert ``frame`` with ``run_id`` into ``table``, creating or widening columns first.

    Columns named in ``plain`` (customer keys and names) are created uncompressed, see
    :data:`clientwise.history.sql.PLAIN`.
    """
    types = types if types is not None else column_types(store, frame)

    def definition(name: str, dtype: str) -> str:
        return f"{quote(name)} {dtype}" + (f" {PLAIN}" if name in plain and dtype == "VARCHAR" else "")

    if not store.has_table(table):
        columns = ", ".join(definition(name, dtype) for name, dtype in types)
        store.sql(f"CREATE TABLE {quote(table)} (run_id BIGINT NOT NULL{', ' if columns else ''}{columns})")
    else:
        existing = _existing(store, table)
        for name, dtype in types:
            found = existing.get(name.lower())
            if found is None:
                store.sql(f"ALTER TABLE {quote(table)} ADD COLUMN {definition(name, dtype)}")
            elif found[1] != dtype and found[1] != "VARCHAR":
                store.sql(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(found[0])} "
                          f"SET DATA TYPE {_wider(found[1], dtype)}")
    selected = ", ".join(quote(name) for name, _ in types)
    store.connection.register("clientwise_source", ArrowStream(frame))
    try:
        store.sql(f"INSERT INTO {quote(table)} BY NAME SELECT {int(run_id)}::BIGINT AS run_id"
                  f"{', ' if selected else ''}{selected} FROM clientwise_source")
    finally:
        store.connection.unregister("clientwise_source")


def read(store: RunStore, table: str, run_id: int, types: list[tuple[str, str]],
         order: list[str] | None = None, wanted: list[str] | None = None) -> pl.DataFrame:
    """A run's rows of ``table`` with the columns (and types) it was saved with."""
    chosen = [(n, t) for n, t in types if wanted is None or n in wanted]
    columns = ", ".join(f"CAST({quote(name)} AS {dtype}) AS {quote(name)}" for name, dtype in chosen)
    ordering = f" ORDER BY {', '.join(quote(c) for c in order)}" if order else ""
    relation = store.connection.sql(f"SELECT {columns or '1 AS _'} FROM {quote(table)} WHERE run_id = {int(run_id)}"
                                    f"{ordering}")
    frame = pl.DataFrame(relation)
    return frame if columns else frame.drop("_")

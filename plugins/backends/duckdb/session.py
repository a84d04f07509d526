"""One DuckDB connection per run, and the chain of tables the run builds in it.

Every stage of a run (aggregates joined, a level of derived fields, rule statuses...)
is one ``CREATE TEMP VIEW`` or ``TABLE ... AS SELECT`` over the stage before (see
:meth:`Chain.step`): DuckDB keeps each table within its memory limit and spills the
rest to the spill directory, so the run's size is bounded by disk, not memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from clientwise.expr.backends.sql import PRELUDE, ident
from clientwise.host.contracts import BackendOptions

#: The customer's row (its position in key order) in every table of the run.
ROW = "__cw_row"
#: A related row's position in its table: the order sums add rows in.
RELATED_ROW = "__cw_rrow"


def connect(options: BackendOptions, spill: Path) -> duckdb.DuckDBPyConnection:
    """A private in-memory database with the run's limits and the overflow macros.

    ``preserve_insertion_order`` keeps a sorted subquery's order into a streaming
    window, which running sums rely on (see ``plugins/functions/sql.py``).
    """
    config: dict[str, Any] = {"preserve_insertion_order": True, "temp_directory": str(spill)}
    if options.memory_limit:
        config["memory_limit"] = options.memory_limit
    if options.threads:
        config["threads"] = options.threads
    connection = duckdb.connect(":memory:", config=config)
    for statement in PRELUDE:
        connection.execute(statement)
    return connection


def spill_directory(options: BackendOptions) -> tempfile.TemporaryDirectory[str]:
    """A fresh directory for this run's spilled data, inside ``--spill-dir`` if given."""
    base = options.spill_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="clientwise-duckdb-", dir=base)


class Chain:
    """The run's current table and the names of the helper columns added to it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection
        self.current = ""
        self._count = 0
        #: relations made since (and including) the last table, dropped at the next table
        self._pending: list[tuple[str, str]] = []

    def fresh(self, prefix: str) -> str:
        """A name no other table or helper column of the run has."""
        self._count += 1
        return f"__cw_{prefix}{self._count}"

    def register(self, frame: pl.DataFrame, prefix: str) -> str:
        """``frame`` as a view of the run (Arrow, no copy); returns its name."""
        name = self.fresh(prefix)
        self.connection.register(name, frame.to_arrow())
        return name

    def table(self, select: str, prefix: str) -> str:
        """``select`` as a table of the run (not part of the chain); returns its name."""
        name = self.fresh(prefix)
        self.connection.execute(f"CREATE TEMP TABLE {name} AS {select}")
        return name

    def start(self, relation: str) -> None:
        self.current = relation

    def step(self, select: str, *, materialize: bool = True) -> str:
        """Replace the current relation with ``select`` (which reads :attr:`current`).

        A select that reads the current relation once (a level of fields, statuses) is
        a view: DuckDB runs a chain of them as one pipeline. One that reads it twice (a
        join of aggregates or a population function onto the customers) is a table,
        else each later read would compute the chain again; everything before it is
        then dropped, so at most one copy of the customers is kept.
        """
        name = self.fresh("t")
        kind = "TABLE" if materialize else "VIEW"
        self.connection.execute(f"CREATE TEMP {kind} {name} AS {select}")
        self.current = name
        if materialize:
            for old_kind, old in reversed(self._pending):
                self.connection.execute(f"DROP {old_kind} {old}")
            self._pending = []
        self._pending.append((kind, name))
        return name

    def columns(self) -> list[str]:
        return [row[0] for row in self.connection.execute(f"DESCRIBE {self.current}").fetchall()]

    def fetch(self, columns: list[str]) -> pl.DataFrame:
        """``columns`` of the current table, in customer (key) order, as polars."""
        names = ", ".join(ident(c) for c in columns)
        table = self.connection.sql(f"SELECT {names} FROM {self.current} ORDER BY {ROW}").to_arrow_table()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

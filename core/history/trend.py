"""The run store as the history trend functions read (``previous``, ``runs_since`` ...).

By default the previous run is the newest saved run of the same ruleset name whose
as-of date is before this evaluation's (a re-run of the same quarter does not count
as its own previous review); ``runs_since`` walks back through that name's earlier
runs. ``--compare-with RUN`` (or ``reference=``) names the previous run instead, by
id or label, whatever its ruleset; the walk back then follows that run's ruleset
name. Only the columns the trend calls read are read from the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clientwise.errors import InputError, Problem
from clientwise.expr.trend import REVIEWED
from clientwise.history import tables
from clientwise.history.keys import CUSTOMER_ROWS, KEY_ID, KEYS
from clientwise.history.runs import resolve, run_info
from clientwise.history.save import KEY
from clientwise.history.store import open_store
from clientwise.runtime.trend import PastRun

#: ``--compare-with none``: evaluate as if the store were empty.
NO_HISTORY = "none"


@dataclass(frozen=True)
class Earlier:
    run_id: int
    label: str | None
    as_of: dt.date

    @property
    def source(self) -> str:
        return f"run {self.run_id}" + (f" ({self.label})" if self.label else "") + f", as of {self.as_of.isoformat()}"


@dataclass(frozen=True)
class StoredHistory:
    """Earlier runs in a run store, newest first (a :class:`clientwise.runtime.trend.History`)."""

    path: Path
    key: str
    earlier: tuple[Earlier, ...]

    @classmethod
    def find(cls, path: Path, key: str, ruleset: str, as_of: dt.date,
             reference: str | None = None) -> StoredHistory | None:
        """The history for an evaluation of ``ruleset`` at ``as_of``; None when there is no
        store (and no ``reference``) or ``reference`` is ``none``."""
        if reference is not None and reference.strip().lower() == NO_HISTORY:
            return None
        if not Path(path).is_file():
            if reference is None:
                return None
            raise InputError(Problem(f"--compare-with {reference}: there is no run store here", file=str(path),
                                     hint="save runs with --save first, or pass --store PATH"))
        with open_store(path, write=False) as store:
            order = " ORDER BY as_of DESC, ran_at DESC, run_id DESC"
            if reference is None:
                rows = store.rows("SELECT run_id, label, as_of FROM runs WHERE ruleset_name = ? AND as_of < ?"
                                  + order, [ruleset, as_of])
            else:  # the named run first, whatever its ruleset, then that ruleset's runs before it
                info = run_info(store, resolve(store, reference))
                rows = [{"run_id": info.run_id, "label": info.label, "as_of": info.as_of}, *store.rows(
                    "SELECT run_id, label, as_of FROM runs WHERE ruleset_name = ? AND run_id <> ? AND "
                    "(as_of < ? OR (as_of = ? AND run_id < ?))" + order,
                    [info.ruleset.name, info.run_id, info.as_of, info.as_of, info.run_id])]
            earlier = [Earlier(int(r["run_id"]), r["label"], r["as_of"]) for r in rows]
        return cls(Path(path), key, tuple(earlier))

    def describe(self) -> str | None:
        return self.earlier[0].source if self.earlier else None

    def runs(self, fields: set[str]) -> Iterator[PastRun]:
        if not self.earlier:
            return
        with open_store(self.path, write=False) as store:
            for run in self.earlier:
                info = run_info(store, run.run_id)
                types = [(c["name"], c["type"]) for c in info.columns if c["name"] in fields]
                frame = tables.read(store, "customers", run.run_id, [(KEY, "VARCHAR"), *types])
                yield PastRun(run.source, run.as_of, frame.rename({KEY: self.key}))

    def last_seen(self) -> pl.DataFrame:
        empty = pl.DataFrame({self.key: [], REVIEWED: []}, {self.key: pl.String, REVIEWED: pl.Date})
        if not self.earlier:
            return empty
        ids = ", ".join(str(run.run_id) for run in self.earlier)
        with open_store(self.path, write=False) as store:
            relation = store.connection.sql(  # grouped by the key's number, its text looked up once
                f"SELECT k.key AS {tables.quote(self.key)}, m.reviewed AS {tables.quote(REVIEWED)} "
                f"FROM (SELECT c.{KEY_ID}, max(r.as_of) AS reviewed FROM {CUSTOMER_ROWS} c JOIN runs r USING (run_id) "
                f"WHERE c.run_id IN ({ids}) GROUP BY c.{KEY_ID}) m JOIN {KEYS} k USING ({KEY_ID})")
            return pl.DataFrame(relation)

"""Opening the run store: where it is, waiting for another writer, schema versions.

DuckDB lets one process at a time open a database file for writing (and readers only
while nobody writes), so two clientwise processes saving at once cannot interleave:
the second waits, retrying, for up to ``CLIENTWISE_STORE_WAIT`` seconds (default 60),
then fails with a message naming the process that holds the store. Everything a save
writes happens in one DuckDB transaction; DuckDB's write-ahead log makes a commit
durable and an interrupted transaction invisible, so a failed, interrupted or killed
run leaves the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from clientwise._version import __version__
from clientwise.errors import InputError, Problem
from clientwise.history.schema import CURRENT_VERSION, MIGRATIONS, Migration, pending

#: The store's file name when neither --store nor CLIENTWISE_STORE names one.
DEFAULT_NAME = "clientwise-runs.duckdb"
STORE_VARIABLE = "CLIENTWISE_STORE"
WAIT_VARIABLE = "CLIENTWISE_STORE_WAIT"
#: Seconds to wait for another process to finish with the store.
DEFAULT_WAIT = 60.0
_RETRY_EVERY = 0.1
_LOCKED = "Could not set lock on file"


def store_path(explicit: Path | None = None, ruleset: str | None = None,
               environ: Mapping[str, str] | None = None) -> Path:
    """Where the store is: ``--store``, else ``CLIENTWISE_STORE``, else next to the ruleset.

    A ruleset given by path keeps its runs in its own folder (the client folder
    ``clientwise init`` creates); a shipped ruleset name, or no ruleset, means the
    current directory.
    """
    if explicit is not None:
        return Path(explicit)
    environ = os.environ if environ is None else environ
    if environ.get(STORE_VARIABLE):
        return Path(environ[STORE_VARIABLE])
    if ruleset is not None and Path(ruleset).is_file():
        return Path(ruleset).parent / DEFAULT_NAME
    return Path(DEFAULT_NAME)


def wait_seconds(environ: Mapping[str, str] | None = None) -> float:
    environ = os.environ if environ is None else environ
    text = environ.get(WAIT_VARIABLE)
    if not text:
        return DEFAULT_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise InputError(Problem(f"{WAIT_VARIABLE} must be a number of seconds", location=WAIT_VARIABLE,
                                 value=repr(text), hint=f"set it to e.g. 60, or unset it (default {DEFAULT_WAIT:g})"))
    return value


class RunStore:
    """An open run store. Use :func:`open_store`; it closes the store when the block ends."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection, writable: bool):
        self.path = path
        self.connection = connection
        self.writable = writable

    def sql(self, query: str, parameters: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.connection.execute(query, parameters or [])

    def value(self, query: str, parameters: list[Any] | None = None) -> Any:
        """The query's one value; every row fetched, so the connection is free for the next query."""
        rows = self.sql(query, parameters).fetchall()
        return rows[0][0] if rows else None

    def rows(self, query: str, parameters: list[Any] | None = None) -> list[dict[str, Any]]:
        """The query's rows as dicts, column name -> value."""
        cursor = self.sql(query, parameters)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(self.value("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                               "AND lower(table_name) = lower(?)", [name]))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: any exception, KeyboardInterrupt included, rolls everything back."""
        self.connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            try:
                self.connection.execute("ROLLBACK")
            except duckdb.Error:
                pass  # an interrupted statement may already have ended the transaction
            raise
        self.connection.execute("COMMIT")

    def version(self) -> int:
        if not self.has_table("schema_version"):
            return 0
        found = self.value("SELECT max(version) FROM schema_version")
        return int(found) if found is not None else 0

    def migrate(self, migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
        """Apply the migrations this store lacks, all in one transaction."""
        steps = pending(self.version(), migrations)
        if not steps:
            return
        with self.transaction():
            for step in steps:
                for statement in step.statements:
                    self.connection.execute(statement)
                if step.upgrade is not None:
                    step.upgrade(self.connection)
                self.connection.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?, ?)",
                    [step.version, step.description, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), __version__])

    def close(self) -> None:
        self.connection.close()


@contextmanager
def open_store(path: Path, *, write: bool, wait: float | None = None,
               migrations: tuple[Migration, ...] = MIGRATIONS) -> Iterator[RunStore]:
    """Open (``write``: create if needed) the store at ``path``, migrated to this clientwise's layout.

    Raises :class:`InputError` when the store is missing (reading), is not a run store,
    was written by a newer clientwise, or stays busy longer than ``wait`` seconds.
    """
    path = Path(path)
    if not write and not path.is_file():
        raise InputError(Problem("no run store here", file=str(path),
                                 hint="save a run first (clientwise evaluate RULESET DATA --save), or pass "
                                      f"--store PATH / set {STORE_VARIABLE}"))
    if write and not path.parent.is_dir():
        raise InputError(Problem("the run store's folder does not exist", file=str(path),
                                 hint=f"create {path.parent} first, or pass another --store"))
    store = _connect(path, write=write, wait=wait_seconds() if wait is None else wait)
    try:
        version = _checked_version(store, migrations)
        if version < migrations[-1].version and not store.writable:
            store.close()  # an older layout: migrate once, then read
            store = _connect(path, write=True, wait=wait_seconds() if wait is None else wait)
            _checked_version(store, migrations)
        if store.writable:
            store.migrate(migrations)
        yield store
    finally:
        store.close()


def _checked_version(store: RunStore, migrations: tuple[Migration, ...]) -> int:
    version = store.version()
    newest = migrations[-1].version
    if version > newest:
        raise InputError(Problem(
            f"this run store was written by a newer clientwise (store layout {version}; this clientwise "
            f"{__version__} reads layouts up to {newest})", file=str(store.path),
            hint="upgrade clientwise (pip install -U clientwise) to read and save runs here, or use another --store"))
    if version == 0 and _has_other_tables(store):
        raise InputError(Problem("this DuckDB file is not a clientwise run store (it has no schema_version table)",
                                 file=str(store.path), hint="pass --store with a new file name"))
    return version


def _has_other_tables(store: RunStore) -> bool:
    return bool(store.value("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"))


def _connect(path: Path, *, write: bool, wait: float) -> RunStore:
    deadline = time.monotonic() + wait
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=not write)
        except duckdb.IOException as error:
            message = str(error)
            if _LOCKED not in message:
                raise _unreadable(path, message) from None
            if time.monotonic() >= deadline:
                holder = re.search(r"held in (.+?) \(PID (\d+)\)", message)
                who = f" (process {holder.group(2)}, {holder.group(1)})" if holder else ""
                raise InputError(Problem(
                    f"the run store is in use by another process{who} and stayed busy for {wait:g} s",
                    file=str(path),
                    hint=f"wait for the other clientwise run to finish and run again, or set {WAIT_VARIABLE} to "
                         "wait longer (seconds); nothing was saved")) from None
            time.sleep(_RETRY_EVERY)
            continue
        except duckdb.Error as error:
            raise _unreadable(path, str(error)) from None
        connection.execute("SET preserve_insertion_order = false")  # every read orders explicitly
        # DuckDB draws a progress bar on stdout for a query over 2 s: in the middle of --json output
        connection.execute("SET enable_progress_bar = false")
        return RunStore(path, connection, writable=write)


def _unreadable(path: Path, message: str) -> InputError:
    return InputError(Problem("cannot open the run store", file=str(path), value=message,
                              hint="pass --store with a clientwise run store (a .duckdb file), or a new file name"))


__all__ = ["CURRENT_VERSION", "DEFAULT_NAME", "RunStore", "open_store", "store_path"]

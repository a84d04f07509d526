"""Where the DuckDB backend reads its input from: Parquet files and DuckDB databases.

DATA is read by DuckDB itself (``read_parquet``, or the tables and views of a
database file), never by the polars loaders, so the input never has to fit in memory.
:func:`plan_input` finds each table's scan the way the polars loaders find its file
(``customers.parquet``, ``contacts.parquet``... in a directory, or one customers file)
and says why it cannot when the data needs what only the polars loaders do: text
files (CSV, JSON, Excel: locale numbers, encodings, row numbers of multi-line cells),
``[data]`` sources and value maps. The evaluator then reads that data with the
loaders, as the polars backend does, and nothing else changes.

A database (``DATA`` is a ``.duckdb`` file) holds the tables under their own names,
or under the names ``--table customers=crm.accounts_view`` gives: a table or a view,
qualified by schema where needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.expr.backends.sql import ident, quote
from clientwise.ruleset.data import DataConfig
from clientwise.runtime.load import TABLES
from clientwise.runtime.sources import data_files

#: Suffixes of a DuckDB database file given as DATA.
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")
#: The schema the database given as DATA is attached as.
ATTACHED = "cw_input"


@dataclass(frozen=True)
class Scan:
    """One table's rows as DuckDB reads them: ``sql`` is a FROM item; ``file`` is how
    messages name it (the file, or ``crm.duckdb (view accounts)``); ``numbered`` says the
    scan has a ``file_row_number`` column (Parquet), else rows are numbered in scan order."""

    table: str
    sql: str
    file: str
    numbered: bool


def is_database(data: Path) -> bool:
    return data.is_file() and data.suffix.lower() in DATABASE_SUFFIXES


def plan_input(data: Path, config: DataConfig, tables: Mapping[str, str]) -> list[Scan] | str:
    """Each declared table's scan, or why DuckDB cannot read this data itself.

    ``tables`` maps a table to the database table or view holding it (``--table``).
    """
    declared = config.tables()
    with_sources = [name for name, spec in declared.items() if spec.source_list() is not None]
    if with_sources:
        return f"[data.{with_sources[0]}] lists its files or sources"
    mapped = [f"{name}.{field}" for name, spec in declared.items() for field, f in spec.fields.items() if f.map]
    if mapped:
        return f"the field {mapped[0]} has a value map"
    if tables and not is_database(data):
        return "--table names tables of a database, and DATA is not a DuckDB database file"
    if is_database(data):
        return [Scan(name, f"{ATTACHED}.{_qualified(tables.get(name, name))}",
                     f"{data} ({tables.get(name, name)})", False)
                for name in declared if name in tables or name in TABLES]
    if data.is_file():
        if data.suffix.lower() != ".parquet":
            return f"{data.name} is not a Parquet file"
        return [Scan("customers", _parquet(data), str(data), True)]
    if not data.is_dir():
        return "DATA is neither a file nor a directory"
    scans = []
    for name in declared:
        named = [p for p in data_files(data) if p.stem.lower() == name]
        if len(named) != 1:
            continue  # none (optional or missing: the evaluator says so) or several (the loaders say which)
        if named[0].suffix.lower() != ".parquet":
            return f"{named[0].name} is not a Parquet file"
        scans.append(Scan(name, _parquet(named[0]), str(named[0]), True))
    if not any(scan.table == "customers" for scan in scans):
        return "the directory has no customers file (the loaders say what they looked for)"
    return scans


def attach(connection: duckdb.DuckDBPyConnection, data: Path) -> None:
    """The database given as DATA, read-only: the run never changes the user's database."""
    try:
        connection.execute(f"ATTACH {quote(str(data))} AS {ATTACHED} (READ_ONLY)")
    except duckdb.Error as error:
        raise DataError(Problem("cannot open the DuckDB database", file=str(data), value=str(error).splitlines()[0],
                                hint="pass a DuckDB database file (made by DuckDB 1.0 or later) that no other "
                                     "program has open for writing")) from None


def present_tables(connection: duckdb.DuckDBPyConnection, scans: list[Scan], data: Path,
                   tables: Mapping[str, str]) -> list[Scan]:
    """The scans whose table or view exists; customers, and a table ``--table`` names, must."""
    found = []
    for scan in scans:
        try:
            connection.execute(f"SELECT * FROM {scan.sql} LIMIT 0")
        except duckdb.CatalogException:
            if scan.table in tables or scan.table == "customers":
                names = [row[0] for row in connection.execute(
                    "SELECT DISTINCT CASE WHEN table_schema = 'main' THEN table_name "
                    "ELSE table_schema || '.' || table_name END FROM information_schema.tables "
                    "WHERE table_catalog = ? ORDER BY 1", [ATTACHED]).fetchall()]
                name = tables.get(scan.table, scan.table)
                raise DataError(Problem(
                    f"the database has no table or view '{name}' (--table {scan.table}=...)",
                    file=str(data), value=f"tables and views: {', '.join(names) or 'none'}",
                    hint=f"name the table or view holding {scan.table} with --table {scan.table}=NAME, "
                         "qualified by its schema if it is not in 'main'"))
            continue
        found.append(scan)
    return found


def scan_schema(connection: duckdb.DuckDBPyConnection, scan: Scan) -> dict[str, pl.DataType]:
    """The scan's columns as the polars dtypes a loader would have read them with."""
    extra = ["file_row_number"] if scan.numbered else []
    empty = connection.sql(f"SELECT * FROM {scan.sql} LIMIT 0").pl()
    return {name: dtype for name, dtype in empty.schema.items() if name not in extra}


def row_numbers(scan: Scan) -> str:
    """A scan's rows numbered as the user finds them: Parquet's first row is row 1."""
    if scan.numbered:
        return "file_row_number + 1"
    return "row_number() OVER ()"


def _parquet(path: Path) -> str:
    return f"read_parquet({quote(str(path))}, file_row_number = true)"


def _qualified(name: str) -> str:
    return ".".join(ident(part) for part in name.split("."))

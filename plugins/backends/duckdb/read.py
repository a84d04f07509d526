"""The DuckDB backend reads and validates its input itself, out of core.

Each declared field is typed in SQL exactly as :mod:`clientwise.runtime.validate_checks`
types a column that already holds values of its kind (Parquet, database columns):
numbers widened to DOUBLE, whole floats to BIGINT, text stripped of the same
whitespace with blanks and ``null_values`` read as null. Columns that would need
parsing (text holding numbers or dates, decimals, timestamps) are not typed here: the
evaluator then reads the data with the polars loaders (:class:`NotReadable`).

Validation runs as SQL over the whole input: one *suspect* flag per row, true for
every row any check could refuse (an empty key or required cell, a value outside its
bounds or its allowed values, a non-finite or non-whole number, a duplicate customer,
a contact or interaction naming no customer). Only the suspect rows (none, for clean
data) are fetched, with their row numbers, and handed to the project's own
validation (:func:`clientwise.runtime.validate.validate_tables`), which reports them
with exactly the polars backend's located messages and counts, since every row it
would refuse is among them. Orphans an ``orphans = "drop"`` table leaves out are
deleted from the typed table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import polars as pl

from clientwise.expr.backends.sql import ident, literal
from clientwise.host.contracts import RawTable
from clientwise.plugins.backends.duckdb.inputs import Scan, row_numbers, scan_schema
from clientwise.plugins.io.parquet_loader import select_columns
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime.cell_format import cell_format
from clientwise.runtime.findings import Finding
from clientwise.runtime.load import fed_finding
from clientwise.runtime.validate import validate_tables
from clientwise.runtime.validate_checks import spellings

#: A typed input row's number as the user finds it (Parquet: from 1).
FILE_ROW = "__cw_file_row"
_SUSPECT = "__cw_suspect"
#: Unicode White_Space, which polars' ``strip_chars()`` strips (RE2 syntax).
_SPACE = r"[\t\n\x{0B}\f\r\x{85}\p{Z}]"
#: The same characters as SQL text literals.
_SPACES = ", ".join(f"chr({code})" for code in (*range(9, 14), 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
                                                  0x2029, 0x202F, 0x205F, 0x3000))
_SQL_TYPES = {"string": "VARCHAR", "number": "DOUBLE", "money": "DOUBLE", "integer": "BIGINT",
              "boolean": "BOOLEAN", "date": "DATE"}


class NotReadable(Exception):
    """The input needs the polars loaders (the message says why)."""


@dataclass
class ReadInput:
    """The validated tables, as tables of the run's connection."""

    #: table name -> typed table (declared fields in declaration order, and ``FILE_ROW``)
    tables: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    #: table name -> the columns its scan has (absent optional fields are found from them)
    columns: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def read_input(connection: duckdb.DuckDBPyConnection, scans: list[Scan], data: DataConfig) -> ReadInput:
    """Type every scan into a table, validate, and report every problem at once (``DataError``)."""
    result = ReadInput()
    suspects: dict[str, str] = {}
    raw: dict[str, RawTable] = {}
    for scan in scans:
        spec = data.tables()[scan.table]
        schema = scan_schema(connection, scan)
        typed = f"__cw_in_{scan.table}"
        connection.execute(f"CREATE TEMP TABLE {typed} AS SELECT {_typed_columns(scan, spec, schema, data)} "
                           f"FROM {scan.sql}")
        result.tables[scan.table], result.files[scan.table] = typed, scan.file
        result.columns[scan.table] = list(schema)
        counted = connection.execute(f"SELECT count(*) FROM {typed}").fetchall()
        result.findings.append(fed_finding(scan.table, scan.file, int(counted[0][0])))
    key = ident(data.key)
    customers = result.tables.get("customers")
    for scan in scans:  # each table's suspect rows, computed once (the orphan checks are joins)
        suspect = _SUSPECT
        if customers is not None and scan.table == "customers":
            suspect += f" OR {key} IN (SELECT {key} FROM {customers} GROUP BY {key} HAVING count(*) > 1)"
        elif customers is not None:
            suspect += f" OR {_orphan(result, scan.table, data)}"
        suspects[scan.table] = f"__cw_suspects_{scan.table}"
        connection.execute(f"CREATE TEMP TABLE {suspects[scan.table]} AS SELECT {FILE_ROW}, {key} "
                           f"FROM {result.tables[scan.table]} WHERE {suspect}")
    for scan in scans:
        rows = f"SELECT {FILE_ROW} FROM {suspects[scan.table]}"
        if scan.table == "customers":  # the customers the suspect related rows name, for the orphan check
            named = " UNION ".join(f"SELECT {key} FROM {suspects[t]}" for t in suspects if t != "customers")
            if named:
                rows += f" UNION SELECT {FILE_ROW} FROM {customers} WHERE {key} IN ({named})"
        raw[scan.table] = _raw_rows(connection, scan, data.tables()[scan.table], data, rows)
    for table in suspects.values():
        connection.execute(f"DROP TABLE {table}")
    found: list[Finding] = []
    validate_tables(raw, data, found)  # raises DataError with the located problems
    result.findings.extend(found)
    for name, typed in result.tables.items():
        spec = data.tables()[name]
        if name != "customers" and customers is not None and spec.orphans == "drop":
            connection.execute(f"DELETE FROM {typed} WHERE {_orphan(result, name, data)}")
        connection.execute(f"ALTER TABLE {typed} DROP COLUMN {_SUSPECT}")
    return result


def _typed_columns(scan: Scan, spec: TableSpec, schema: Mapping[str, pl.DataType], data: DataConfig) -> str:
    """Each declared field typed, the row number, and the row's suspect flag."""
    fmt = cell_format(data, spec.format_keys(None))
    nulls = ", ".join(literal(text) for text in spellings(fmt.null_values)) or "NULL"
    values, suspect = [], []
    for name, column in spec.source_columns().items():
        field_spec = spec.fields[name]
        kind = _SQL_TYPES[field_spec.type]
        if column not in schema:
            values.append(f"CAST(NULL AS {kind}) AS {ident(name)}")
            continue
        dtype = schema[column]
        if not _native(field_spec.type, dtype):
            raise NotReadable(f"column '{column}' of {scan.file} holds {dtype} values for the "
                              f"{field_spec.type} field '{name}', which only the polars loaders parse")
        source = ident(column)
        value = source
        if field_spec.type == "string":  # the regular expression only for cells that start or end in a space
            stripped = (f"CASE WHEN {source}[1] IN ({_SPACES}) OR {source}[-1] IN ({_SPACES}) "
                        f"THEN regexp_replace({source}, '^{_SPACE}+|{_SPACE}+$', '', 'g') ELSE {source} END")
            value = f"list_transform([{stripped}], lambda t: CASE WHEN t = '' OR t IN ({nulls}) THEN NULL ELSE t END)[1]"
        values.append(f"CAST({value} AS {kind}) AS {ident(name)}")
        suspect += _checks(name, field_spec, source, value, dtype, name == data.key)
    # a check is unknown (NULL) only for an empty cell, which no check but "required"
    # (IS NULL, never unknown) refuses: such rows are not suspect, or every row with an
    # empty optional cell would go to the polars validator
    flag = " OR ".join(f"coalesce({check}, FALSE)" for check in suspect) or "FALSE"
    return ", ".join([f"{row_numbers(scan)} AS {FILE_ROW}", *values, f"{flag} AS {_SUSPECT}"])


def _checks(name: str, spec: FieldSpec, source: str, value: str, dtype: pl.DataType, is_key: bool) -> list[str]:
    """Conditions true for every row a check of ``plan_field`` could refuse (more is
    harmless, but costs memory: those rows are read again into polars); NULL only where
    the cell is empty."""
    checks = []
    if is_key or not spec.nullable:
        checks.append(f"{value} IS NULL")
    if spec.type in ("number", "money", "integer") and dtype.is_float():
        checks.append(f"NOT isfinite({source})")
    if spec.type == "integer" and dtype.is_float():
        checks.append(f"{source} <> floor({source}) OR abs({source}) >= 9.2e18")
    if spec.type == "integer" and dtype == pl.UInt64:
        checks.append(f"{source} > 9223372036854775807")
    if spec.type in ("number", "money", "integer"):
        if spec.min is not None:
            checks.append(f"{source} < {spec.min!r}")
        if spec.max is not None:
            checks.append(f"{source} > {spec.max!r}")
    if spec.type == "string" and spec.allowed is not None:
        checks.append(f"{value} NOT IN ({', '.join(literal(option) for option in spec.allowed)})" if spec.allowed
                      else f"{value} IS NOT NULL")
    return [f"({check})" for check in checks]


def _native(kind: str, dtype: pl.DataType) -> bool:
    """Columns typed here: the kinds ``validate_checks`` reads without parsing text, and
    text for string fields; decimals and timestamps are left to the polars loaders."""
    if kind in ("number", "money", "integer"):
        return dtype.is_integer() or dtype.is_float()
    return {"boolean": pl.Boolean, "date": pl.Date, "string": pl.String}[kind] == dtype


def _orphan(result: ReadInput, table: str, data: DataConfig) -> str:
    key = ident(data.key)
    customers = result.tables["customers"]
    return (f"({key} IS NOT NULL AND CAST({key} AS VARCHAR) NOT IN "
            f"(SELECT CAST({key} AS VARCHAR) FROM {customers} WHERE {key} IS NOT NULL))")


def _raw_rows(connection: duckdb.DuckDBPyConnection, scan: Scan, spec: TableSpec, data: DataConfig,
              rows: str) -> RawTable:
    """The suspect rows as the polars loader would have read them: the declared columns
    (and near misses, for "did you mean"), numbered as in the file."""
    schema = scan_schema(connection, scan)
    wanted = select_columns(list(schema), list(dict.fromkeys(spec.source_columns().values()))) or []
    numbered = f"SELECT {row_numbers(scan)} AS {FILE_ROW}, * FROM {scan.sql}"
    columns = ", ".join(ident(c) for c in wanted)
    frame = connection.sql(f"SELECT {FILE_ROW}{', ' + columns if columns else ''} FROM ({numbered}) "
                           f"WHERE {FILE_ROW} IN ({rows}) ORDER BY {FILE_ROW}").pl()
    return RawTable(scan.table, frame.drop(FILE_ROW), scan.file,
                    frame.get_column(FILE_ROW).cast(pl.Int64).alias("row"))

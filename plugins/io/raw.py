"""What every built-in loader shares: table names, row numbers, empty rows, read errors.

``RawTable.rows`` convention: an ``Int64`` series is a row number and is shown as
``row N`` (CSV and Excel: the spreadsheet row, header = row 1; Parquet: the record,
first = 1); a ``String`` series is a ready-made label shown as is (JSON:
``record 5``, ``record 5, contact 2``; JSON Lines: ``line 7, contact 2``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.read_options import ReadOptions

TABLES = ("customers", "contacts", "interactions")
#: Tables that may be nested as lists inside a customer object, and their singular.
NESTED = {"contacts": "contact", "interactions": "interaction"}
DEFAULT_KEY = "customer_id"
#: How many unreadable records are listed before "... and N more".
SHOWN = 5

Columns = Mapping[str, Sequence[str] | None]


def single_table_name(path: Path, options: ReadOptions | None = None) -> str:
    """The table a one-table file holds: the one [data] names, else the one its name says, else customers."""
    if options is not None and options.table is not None:
        return options.table
    stem = path.stem.lower()
    return stem if stem in TABLES else "customers"


def row_numbers(height: int, first: int) -> pl.Series:
    return pl.int_range(first, first + height, dtype=pl.Int64, eager=True).alias("row")


def drop_empty_rows(frame: pl.DataFrame, rows: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """Drop rows with no value at all (blank lines, formatted but empty Excel rows).

    Row numbers of the remaining rows are kept, so messages still match the sheet.
    """
    if frame.width == 0 or frame.height == 0:
        return frame, rows
    keep = frame.select(~pl.all_horizontal(pl.all().is_null())).to_series()
    if keep.all():
        return frame, rows
    return frame.filter(keep), rows.filter(keep)


def unreadable(path: Path, what: str, exc: Exception, hint: str) -> DataError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(Problem(f"cannot read the file as {what}: {detail}", file=str(path), hint=hint))


def repeated_column(names: Sequence[str], file: str) -> DataError | None:
    """An error when the header names a column twice; None when every name is its own.

    Parsers keep both columns under made-up names (``revenue_duplicated_0``,
    ``revenue_1``), so the second one would be silently ignored: the loaders check the
    header as written.
    """
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            return DataError(Problem(
                f"the header names column '{name}' twice: columns {column_letter(seen[name])} and "
                f"{column_letter(index)}",
                file=file, location="row 1", value=name,
                hint="rename or delete one of them: each field is read from exactly one column",
            ))
        if name:
            seen[name] = index
    return None


def column_letter(index: int) -> str:
    """Column ``index`` (0-based) as a spreadsheet shows it: A, B, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters

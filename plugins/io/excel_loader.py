"""The Excel loader: ``.xlsx`` workbooks, a sheet per table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.plugins.io.raw import (
    TABLES,
    Columns,
    drop_empty_rows,
    repeated_column,
    row_numbers,
    single_table_name,
    unreadable,
)


class ExcelLoader(Loader):
    """``.xlsx`` workbooks: a sheet per table, or one sheet named after the file.

    Column names are in row 1; messages use Excel's own row numbers.
    """

    name: ClassVar[str] = "excel"
    suffixes: ClassVar[tuple[str, ...]] = (".xlsx",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str],
        options: ReadOptions | None = None,
    ) -> dict[str, RawTable]:
        import fastexcel

        try:
            reader = fastexcel.read_excel(path)
            sheets = _sheets_for_tables(path, list(reader.sheet_names), options)
            found: dict[str, RawTable] = {}
            for table, sheet in sheets.items():
                if table in columns:
                    found[table] = self._sheet(path, reader, table, sheet)
            return found
        except (fastexcel.FastExcelError, pl.exceptions.PolarsError, OSError) as exc:
            raise unreadable(path, "an Excel workbook", exc, "save it from Excel as .xlsx") from exc

    @staticmethod
    def _sheet(path: Path, reader: Any, table: str, sheet: str) -> RawTable:
        # header_row=0 with skip_rows=0 keeps leading and blank rows, so row i is Excel row i + 2;
        # sampling every row stops a late text cell in a number column from becoming null.
        loaded = reader.load_sheet(sheet, header_row=0, skip_rows=0, schema_sample_rows=None)
        frame = loaded.to_polars()
        label = f"{path}, sheet '{sheet}'"
        if frame.width and all(name.startswith("__UNNAMED__") for name in frame.columns):
            raise DataError(
                Problem(
                    "row 1 holds no column names",
                    file=label,
                    hint="put the column names in row 1 and the records below them",
                )
            )
        header = reader.load_sheet(sheet, header_row=None, n_rows=1).to_polars()
        repeated = repeated_column(["" if v is None else str(v) for v in header.row(0)] if header.height else [], label)
        if repeated is not None:
            raise repeated
        frame, rows = drop_empty_rows(frame, row_numbers(frame.height, 2))
        return RawTable(table, frame, label, rows)


def _sheets_for_tables(path: Path, sheet_names: list[str], options: ReadOptions | None) -> dict[str, str]:
    if options is not None and options.sheet is not None:
        if options.sheet not in sheet_names:
            raise DataError(
                Problem(
                    f"the workbook has no sheet '{options.sheet}'",
                    file=str(path),
                    value="sheets: " + ", ".join(sheet_names),
                    hint="set sheet to one of these in the file's source in [data]",
                )
            )
        return {single_table_name(path, options): options.sheet}
    by_table = {name.strip().lower(): name for name in sheet_names}
    if options is not None and options.table is not None and options.table in by_table:
        return {options.table: by_table[options.table]}
    named = {table: by_table[table] for table in TABLES if table in by_table}
    if named:
        return named
    if len(sheet_names) == 1:
        return {single_table_name(path, options): sheet_names[0]}
    raise DataError(
        Problem(
            "no sheet is named customers, contacts or interactions",
            file=str(path),
            value=", ".join(sheet_names),
            hint="name each sheet after the table it holds (customers, contacts, interactions), "
            "or keep a single sheet in a file named customers.xlsx",
        )
    )

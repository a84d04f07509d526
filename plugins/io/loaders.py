"""Built-in loaders: CSV, JSON, JSON Lines, Parquet and Excel.

A loader only reads: it keeps the user's cells as they are (CSV as text, typed
formats with their own types) and numbers every row the way the user's own tool
shows it, so validation can point at the exact cell. Casting and checking belong
to :mod:`clientwise.runtime.validate`, which treats every format the same way.

``RawTable.rows`` convention: an ``Int64`` series is a row number and is shown as
``row N`` (CSV and Excel: the spreadsheet row, header = row 1; Parquet: the record,
first = 1); a ``String`` series is a ready-made label shown as is (JSON:
``record 5``, ``record 5, contact 2``; JSON Lines: ``line 7, contact 2``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.spec import hookimpl

TABLES = ("customers", "contacts", "interactions")
#: Tables that may be nested as lists inside a customer object, and their singular.
NESTED = {"contacts": "contact", "interactions": "interaction"}
DEFAULT_KEY = "customer_id"
#: How many unreadable records are listed before "... and N more".
SHOWN = 5

Columns = Mapping[str, Sequence[str] | None]


def single_table_name(path: Path) -> str:
    """The table a one-table file holds: the one its name says, else customers."""
    stem = path.stem.lower()
    return stem if stem in TABLES else "customers"


def _row_numbers(height: int, first: int) -> pl.Series:
    return pl.int_range(first, first + height, dtype=pl.Int64, eager=True).alias("row")


def _drop_empty_rows(frame: pl.DataFrame, rows: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """Drop rows with no value at all (blank lines, formatted but empty Excel rows).

    Row numbers of the remaining rows are kept, so messages still match the sheet.
    """
    if frame.width == 0 or frame.height == 0:
        return frame, rows
    keep = frame.select(~pl.all_horizontal(pl.all().is_null())).to_series()
    if keep.all():
        return frame, rows
    return frame.filter(keep), rows.filter(keep)


def _unreadable(path: Path, what: str, exc: Exception, hint: str) -> DataError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(Problem(f"cannot read the file as {what}: {detail}", file=str(path), hint=hint))


class CsvLoader(Loader):
    """Comma-separated text as Excel and most CRMs export it.

    Every column is read as text so validation sees exactly what the user typed.
    The separator is sniffed from the header line (``,``, ``;`` or tab) because
    Excel writes ``;`` in many European locales.
    """

    name: ClassVar[str] = "csv"
    suffixes: ClassVar[tuple[str, ...]] = (".csv",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str]
    ) -> dict[str, RawTable]:
        table = single_table_name(path)
        if table not in columns:
            return {}
        try:
            frame = pl.read_csv(
                path,
                infer_schema=False,
                separator=_sniff_separator(path),
                encoding="utf8",
                raise_if_empty=False,
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(
                path, "CSV", exc, "save it as 'CSV UTF-8' with the column names in the first line"
            ) from exc
        frame, rows = _drop_empty_rows(frame, _row_numbers(frame.height, 2))
        return {table: RawTable(table, frame, str(path), rows)}


def _sniff_separator(path: Path) -> str:
    with path.open("rb") as handle:
        header = handle.readline(65536).decode("utf-8", errors="replace")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


class ParquetLoader(Loader):
    """Parquet files, reading only the columns the ruleset declares.

    A declared column that is absent is not an error here; the closest existing
    names are read too so validation can suggest them ("did you mean").
    """

    name: ClassVar[str] = "parquet"
    suffixes: ClassVar[tuple[str, ...]] = (".parquet",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str]
    ) -> dict[str, RawTable]:
        table = single_table_name(path)
        if table not in columns:
            return {}
        try:
            present = list(pl.read_parquet_schema(path))
            selected = _select_columns(present, columns[table])
            frame = pl.read_parquet(path, columns=selected)
        except (pl.exceptions.PolarsError, OSError) as exc:
            hint = "check that the file is a complete Parquet file"
            raise _unreadable(path, "Parquet", exc, hint) from exc
        return {table: RawTable(table, frame, str(path), _row_numbers(frame.height, 1))}


def _select_columns(present: list[str], wanted: Sequence[str] | None) -> list[str] | None:
    if wanted is None:
        return None
    folded = {name.strip().lower(): name for name in reversed(present)}
    chosen: dict[str, None] = {}
    for name in wanted:
        if name in present:
            chosen[name] = None
        else:  # the same near-miss search validation uses for its "did you mean"
            near = difflib.get_close_matches(name.strip().lower(), list(folded), n=3, cutoff=0.6)
            chosen.update(dict.fromkeys(folded[match] for match in near))
    return list(chosen) or None


class ExcelLoader(Loader):
    """``.xlsx`` workbooks: a sheet per table, or one sheet named after the file.

    Column names are in row 1; messages use Excel's own row numbers.
    """

    name: ClassVar[str] = "excel"
    suffixes: ClassVar[tuple[str, ...]] = (".xlsx",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str]
    ) -> dict[str, RawTable]:
        import fastexcel

        try:
            reader = fastexcel.read_excel(path)
            sheets = _sheets_for_tables(path, list(reader.sheet_names))
            found: dict[str, RawTable] = {}
            for table, sheet in sheets.items():
                if table in columns:
                    found[table] = self._sheet(path, reader, table, sheet)
            return found
        except (fastexcel.FastExcelError, pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(path, "an Excel workbook", exc, "save it from Excel as .xlsx") from exc

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
        frame, rows = _drop_empty_rows(frame, _row_numbers(frame.height, 2))
        return RawTable(table, frame, label, rows)


def _sheets_for_tables(path: Path, sheet_names: list[str]) -> dict[str, str]:
    by_table = {name.strip().lower(): name for name in sheet_names}
    named = {table: by_table[table] for table in TABLES if table in by_table}
    if named:
        return named
    if len(sheet_names) == 1:
        return {single_table_name(path): sheet_names[0]}
    raise DataError(
        Problem(
            "no sheet is named customers, contacts or interactions",
            file=str(path),
            value=", ".join(sheet_names),
            hint="name each sheet after the table it holds (customers, contacts, interactions), "
            "or keep a single sheet in a file named customers.xlsx",
        )
    )


class JsonLoader(Loader):
    """A JSON array of records, or an object with one array per table.

    An array holds the table the file is named after (``contacts.json``), else
    customers. Customer objects may nest their ``contacts`` and ``interactions``
    as lists; those become rows of their tables carrying the customer's key.
    """

    name: ClassVar[str] = "json"
    suffixes: ClassVar[tuple[str, ...]] = (".json",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str]
    ) -> dict[str, RawTable]:
        try:
            document = json.loads(path.read_bytes().decode("utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise DataError(
                Problem(
                    f"not valid JSON: {exc.msg}",
                    file=str(path),
                    location=f"line {exc.lineno}, column {exc.colno}",
                    hint="fix the JSON syntax at that place (a JSON validator shows it too)",
                )
            ) from exc
        except (UnicodeDecodeError, OSError) as exc:
            raise _unreadable(path, "JSON", exc, "save the file as UTF-8") from exc
        builder = _Builder(str(path), columns, keys)
        if isinstance(document, list):
            table = single_table_name(path)
            builder.add_all(table, ((f"record {i}", item) for i, item in enumerate(document, 1)))
        elif isinstance(document, dict) and any(table in document for table in TABLES):
            for table in (name for name in TABLES if name in document):
                items = document[table] if document[table] is not None else []
                if not isinstance(items, list):
                    builder.problem(f"'{table}' must be an array of objects", f"'{table}'", items)
                    continue
                labelled = ((f"{table} record {i}", item) for i, item in enumerate(items, 1))
                builder.add_all(table, labelled)
        else:
            raise DataError(
                Problem(
                    "expected an array of customer objects, or an object with "
                    "'customers', 'contacts' and 'interactions' arrays",
                    file=str(path),
                    value=_short(document),
                    hint='write [{"customer_id": "C1", ...}, ...] or {"customers": [...], "contacts": [...]}',
                )
            )
        return builder.tables()


class JsonLinesLoader(Loader):
    """One record per line (JSON Lines / NDJSON); table and nesting as for a JSON array."""

    name: ClassVar[str] = "jsonl"
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str]
    ) -> dict[str, RawTable]:
        builder = _Builder(str(path), columns, keys)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (UnicodeDecodeError, OSError) as exc:
            raise _unreadable(path, "JSON Lines", exc, "save the file as UTF-8") from exc
        records: list[tuple[str, Any]] = []
        # Split on line feeds only: JSON text may hold U+2028, which splitlines() would cut.
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                builder.problem(f"not valid JSON: {exc.msg}", f"line {number}, column {exc.colno}", line)
        builder.add_all(single_table_name(path), records)
        return builder.tables()


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Builder:
    """Collects JSON records into per-table columns, then into typed frames."""

    def __init__(self, file: str, columns: Columns, keys: Mapping[str, str] | None):
        self.file = file
        self.columns = columns
        self.keys = dict(keys or {})
        self.records: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
        self.labels: dict[str, list[str]] = {table: [] for table in TABLES}
        self.seen: set[str] = set()
        self.problems: list[Problem] = []
        self.problem_count = 0

    def problem(self, message: str, location: str, value: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < SHOWN:
            hint = "each record must be a JSON object like {\"customer_id\": \"C1\", ...}"
            self.problems.append(Problem(message, self.file, location, _short(value), hint))

    def add_all(self, table: str, items: Iterable[tuple[str, Any]]) -> None:
        self.seen.add(table)
        for label, item in items:
            if not isinstance(item, dict):
                self.problem("not a JSON object", label, item)
            elif table == "customers":
                self._add_customer(label, item)
            else:
                self._add(table, label, item)

    def _add(self, table: str, label: str, record: dict[str, Any]) -> None:
        if table in self.columns:
            self.records[table].append(record)
            self.labels[table].append(label)

    def _add_customer(self, label: str, record: dict[str, Any]) -> None:
        nested = self._nested(record) if ("contacts" in record or "interactions" in record) else {}
        if nested:
            record = {name: value for name, value in record.items() if name not in nested}
        self._add("customers", label, record)
        parent_key = record.get(self.keys.get("customers", DEFAULT_KEY))
        for table, items in nested.items():
            self.seen.add(table)
            key_column = self.keys.get(table, DEFAULT_KEY)
            for i, item in enumerate(items, 1):
                child_label = f"{label}, {NESTED[table]} {i}"
                if not isinstance(item, dict):
                    self.problem("not a JSON object", child_label, item)
                    continue
                if key_column not in item:
                    item = {key_column: parent_key, **item}
                self._add(table, child_label, item)

    def _nested(self, record: dict[str, Any]) -> dict[str, list[Any]]:
        """A list is a nested table; null means none, unless customers declare such a column."""
        declared = self.columns.get("customers") or ()
        found = {}
        for name in NESTED:
            value = record.get(name, ...)
            if isinstance(value, list) or (value is None and name not in declared):
                found[name] = value or []
        return found

    def tables(self) -> dict[str, RawTable]:
        if self.problems:
            raise DataError(self.problems, total=self.problem_count)
        found = {}
        for table in TABLES:
            if table in self.columns and table in self.seen:
                frame = _frame(self.records[table], self.columns[table])
                rows = pl.Series("row", self.labels[table], dtype=pl.String)
                found[table] = RawTable(table, frame, self.file, rows)
        return found


def _frame(records: list[dict[str, Any]], wanted: Sequence[str] | None) -> pl.DataFrame:
    if not records:
        return pl.DataFrame({name: pl.Series(name, [], dtype=pl.String) for name in wanted or ()})
    names: dict[str, None] = {}
    for record in records:
        if not names.keys() >= record.keys():  # most records repeat the previous names
            names.update(dict.fromkeys(record))
    return pl.DataFrame([_series(name, [record.get(name) for record in records]) for name in names])


_INT64 = (-(2**63), 2**63 - 1)


def _series(name: str, values: list[Any]) -> pl.Series:
    """One JSON field as a column: numbers stay numbers, anything mixed becomes text.

    Mixed columns (``100`` in one record, ``"1,5"`` in another) become text so the
    user's odd value reaches validation intact instead of failing here. Objects and
    lists stay Python objects, which validation reports as not single values.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds and kinds <= {dict, list}:
        return pl.Series(name, values, dtype=pl.Object)
    if kinds == {bool}:
        return pl.Series(name, values, dtype=pl.Boolean)
    if kinds and kinds <= {int, float}:
        if all(_INT64[0] <= v <= _INT64[1] for v in values if type(v) is int):
            return pl.Series(name, values, dtype=pl.Int64 if kinds == {int} else pl.Float64)
    if kinds <= {str}:
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, [None if v is None else _text(v) for v in values], dtype=pl.String)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


@hookimpl
def clientwise_loaders() -> list[Loader]:
    return [CsvLoader(), JsonLoader(), JsonLinesLoader(), ParquetLoader(), ExcelLoader()]

"""The JSON and JSON Lines loaders: records, one array per table, or nested tables.

Records are collected field by field in Python so that a field holding a number in
one record and text in another reaches validation as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.plugins.io.raw import DEFAULT_KEY, NESTED, SHOWN, TABLES, Columns, single_table_name, unreadable


class JsonLoader(Loader):
    """A JSON array of records, or an object with one array per table.

    An array holds the table the file is named after (``contacts.json``), else
    customers. Customer objects may nest their ``contacts`` and ``interactions``
    as lists; those become rows of their tables carrying the customer's key.
    """

    name: ClassVar[str] = "json"
    suffixes: ClassVar[tuple[str, ...]] = (".json",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str],
        options: ReadOptions | None = None,
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
            raise unreadable(path, "JSON", exc, "save the file as UTF-8") from exc
        builder = _Builder(str(path), columns, keys)
        if isinstance(document, list):
            table = single_table_name(path, options)
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
        self, path: Path, columns: Columns, *, keys: Mapping[str, str],
        options: ReadOptions | None = None,
    ) -> dict[str, RawTable]:
        builder = _Builder(str(path), columns, keys)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (UnicodeDecodeError, OSError) as exc:
            raise unreadable(path, "JSON Lines", exc, "save the file as UTF-8") from exc
        records: list[tuple[str, Any]] = []
        # Split on line feeds only: JSON text may hold U+2028, which splitlines() would cut.
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                builder.problem(f"not valid JSON: {exc.msg}", f"line {number}, column {exc.colno}", line)
        builder.add_all(single_table_name(path, options), records)
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
                try:
                    frame = _frame(self.records[table], self.columns[table])
                except UnicodeEncodeError:
                    raise DataError(self._unencodable(table)) from None
                except _NotScalar as cell:
                    label = self.labels[table][cell.index]
                    raise DataError(Problem(
                        f"field '{cell.name}' holds {cell.kind}, not a single value", self.file, label,
                        _short(cell.value), f"write one value for '{cell.name}' (text, a number, true/false or "
                        "null); related rows go in their own table")) from None
                rows = pl.Series("row", self.labels[table], dtype=pl.String)
                found[table] = RawTable(table, frame, self.file, rows)
        return found


    def _unencodable(self, table: str) -> Problem:
        """Where a string holds a lone surrogate (``"\\ud800"``): valid JSON, but not text."""
        for label, record in zip(self.labels[table], self.records[table], strict=True):
            for name, value in record.items():
                if isinstance(value, str) and not _encodable(value):
                    return Problem(f"field '{name}' holds a lone surrogate escape, which is not a character",
                                   self.file, label, ascii(value)[:80],
                                   "write the character itself, or a complete surrogate pair (\\ud83d\\ude00)")
        return Problem("a field holds text that is not valid Unicode", self.file, hint="export the file again as UTF-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    user's odd value reaches validation intact instead of failing here. A column of
    only objects and lists stays Python objects, which validation reports as not single
    values; one object or list among single values is :class:`_NotScalar` (it would
    otherwise become JSON text, a value the user never wrote).
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds and kinds <= {dict, list}:
        return pl.Series(name, values, dtype=pl.Object)
    if kinds & {dict, list}:
        index = next(i for i, v in enumerate(values) if isinstance(v, (dict, list)))
        raise _NotScalar(name, index, values[index])
    if kinds == {bool}:
        return pl.Series(name, values, dtype=pl.Boolean)
    if kinds and kinds <= {int, float}:
        if all(_INT64[0] <= v <= _INT64[1] for v in values if type(v) is int):
            return pl.Series(name, values, dtype=pl.Int64 if kinds == {int} else pl.Float64)
    if kinds <= {str}:
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, [None if v is None else _text(v) for v in values], dtype=pl.String)


class _NotScalar(Exception):
    """An object or list in a column of single values, at ``index`` of its records."""

    def __init__(self, name: str, index: int, value: Any):
        super().__init__(name)
        self.name, self.index, self.value = name, index, value
        self.kind = "an object" if isinstance(value, dict) else "a list"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return str(value)

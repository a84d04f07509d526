"""Small tables read in plain Python: the validate stage without a polars query per table.

A ``clientwise test`` case or an :meth:`Evaluator.evaluate_one` call validates a few
rows, and planning the polars query of a table's casts and checks (dozens of
expressions) cost far more than reading the cells. For a table of at most
:data:`SMALL_TABLE` rows this module reads the cells itself, but only cells it reads
exactly as the polars casts do (:mod:`clientwise.runtime.validate_checks`): text
without surrounding spaces, plain numbers (``-12.5``), whole numbers, the yes/no
answers of the format, ISO dates, and columns already of the field's type. Anything
else (a value map, a decorated amount, a date in another format, a bad cell, an empty
key, a value out of bounds) makes :func:`read_small` give up, and the polars path
reads the table, words the problems and notes the findings. So this path never
reports anything and never accepts what the polars path would refuse;
``tests/test_small_inputs.py`` holds its values to the polars path's.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import polars as pl

from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import FieldSpec, TableSpec
from clientwise.runtime.cell_format import CellFormat
from clientwise.runtime.validate_checks import FIELD_DTYPES, spellings

#: Tables of at most this many rows are read here when they can be.
SMALL_TABLE = 256

_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: date formats that cannot read an ISO day, so ISO 8601 decides (the last candidate)
_NOT_ISO_READERS = {"%Y-%m-%d", "excel"}
_INT64 = (-(2**63), 2**63 - 1)


class GiveUp(Exception):
    """A cell this path does not read with certainty: the polars path takes the table."""


def read_small(table: RawTable, spec: TableSpec, columns: Mapping[str, str], fmt: CellFormat,
               key: str) -> pl.DataFrame | None:
    """The typed frame of ``spec``'s fields (as :func:`validate_tables` builds it) read from
    ``table`` (``columns``: field -> the file's column), or None when the polars path must
    read it."""
    frame = table.frame
    if frame.height > SMALL_TABLE:
        return None
    schema = frame.schema
    typed: dict[str, list[Any]] = {}
    try:
        for field, column in columns.items():
            field_spec = spec.fields[field]
            if column not in schema:
                if field_spec.required or field == key:
                    return None  # a problem to report
                typed[field] = [None] * frame.height
                continue
            read = _reader(field_spec, schema[column], fmt)
            typed[field] = [read(cell) for cell in frame.get_column(column).to_list()]
            _check(typed[field], field_spec, field == key)
    except GiveUp:
        return None
    # one frame from the rows: a Series per field would cost more than reading it
    return pl.DataFrame(list(zip(*(typed[field] for field in spec.fields))), orient="row",
                        schema={field: FIELD_DTYPES[field_spec.type] for field, field_spec in spec.fields.items()})


def _reader(spec: FieldSpec, dtype: pl.DataType, fmt: CellFormat) -> Callable[[Any], Any]:
    """The value of one cell (None: empty), raising :class:`GiveUp` for any other."""
    if spec.map is not None or dtype.is_nested() or dtype == pl.Object:
        raise GiveUp
    native = _native(spec.type, dtype)
    if native is not None:
        return native
    text = _text(dtype, fmt)
    parse = _parser(spec.type, fmt)

    def read(cell: Any) -> Any:
        cleaned = text(cell)
        return None if cleaned is None else parse(cleaned)

    return read


def _native(kind: str, dtype: pl.DataType) -> Callable[[Any], Any] | None:
    """How a column already of the field's kind is read (None: it is read as text)."""
    if kind in ("number", "money") and (dtype.is_integer() or dtype.is_float()):
        return _optional(float)
    if kind == "integer" and dtype.is_integer():
        return _optional(_int64)
    if kind == "integer" and dtype.is_float():
        return _optional(_whole)
    if kind == "boolean" and dtype == pl.Boolean:
        return _optional(bool)
    if kind == "date" and dtype == pl.Date:
        return _optional(lambda day: day)
    if kind != "string" and (dtype.is_numeric() or dtype == pl.Boolean or dtype.is_temporal()):
        raise GiveUp  # a Decimal, a date-time, a number for a yes/no field: the polars casts decide
    return None


def _optional(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda cell: None if cell is None else read(cell)


def _int64(value: int) -> int:
    if not _INT64[0] <= value <= _INT64[1]:
        raise GiveUp
    return value


def _whole(value: float) -> int:
    if not math.isfinite(value) or value != math.floor(value) or abs(value) >= 2.0**63:
        raise GiveUp
    return int(value)


@lru_cache(maxsize=64)
def _nulls(null_values: tuple[str, ...]) -> frozenset[str]:
    return frozenset({"", *spellings(null_values)})


def _text(dtype: pl.DataType, fmt: CellFormat) -> Callable[[Any], str | None]:
    """A cell as cleaned text (``clean_text``): None when empty or a null marker."""
    nulls = _nulls(fmt.null_values)
    if dtype == pl.String:
        def text(cell: Any) -> str | None:
            if cell is None or cell in nulls:
                return None
            if cell != cell.strip():  # polars strips fewer characters than Python: let it decide
                raise GiveUp
            return cell
        return text
    if dtype.is_integer():  # as_text: the digits, no null markers
        return lambda cell: None if cell is None else str(cell)
    if dtype == pl.Null:
        return lambda cell: None
    raise GiveUp


def _parser(kind: str, fmt: CellFormat) -> Callable[[str], Any]:
    if kind == "string":
        return lambda text: text
    if kind in ("number", "money"):
        if not fmt.plain:
            raise GiveUp
        return lambda text: float(_matched(_PLAIN_NUMBER, text))
    if kind == "integer":
        return lambda text: int(_matched(_WHOLE_NUMBER, text))
    if kind == "boolean":
        trues = {v.strip().lower() for v in fmt.true_values}
        falses = {v.strip().lower() for v in fmt.false_values}
        return lambda text: _answer(text, trues, falses)
    if not set(fmt.date_formats) <= _NOT_ISO_READERS:
        raise GiveUp
    return _iso_day


def _matched(pattern: re.Pattern[str], text: str) -> str:
    if pattern.fullmatch(text) is None:
        raise GiveUp
    return text


def _answer(text: str, trues: set[str], falses: set[str]) -> bool:
    if not text.isascii():  # polars and Python lower-case some letters differently
        raise GiveUp
    answer = text.lower()
    if answer in trues:
        return True
    if answer in falses:
        return False
    raise GiveUp


def _iso_day(text: str) -> dt.date:
    if _ISO_DAY.fullmatch(text) is None:
        raise GiveUp
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise GiveUp from None


def _check(values: list[Any], spec: FieldSpec, is_key: bool) -> None:
    """Give up on anything a check of ``plan_field`` would flag."""
    if (is_key or not spec.nullable) and any(value is None for value in values):
        raise GiveUp
    present = [value for value in values if value is not None]
    if spec.type in ("number", "money", "integer"):
        if spec.type != "integer" and not all(math.isfinite(value) for value in present):
            raise GiveUp
        for value in present:  # exactly and as polars compares (in floats): both must pass
            if spec.min is not None and (value < spec.min or float(value) < float(spec.min)):
                raise GiveUp
            if spec.max is not None and (value > spec.max or float(value) > float(spec.max)):
                raise GiveUp
    if spec.type == "string" and spec.allowed is not None:
        allowed = set(spec.allowed)
        if any(value not in allowed for value in present):
            raise GiveUp

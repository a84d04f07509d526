"""Casts: a field's typed value from the text a source wrote, one polars expression per type.

A cast may fail on a cell (it then says what is wrong and how to write it in this
source's format) and may have a second reading for the cells its first left empty
(:attr:`Cast.repair`), which validation computes for those cells only: decorated
numbers (``€ 1.234,50``, ``8,8 %``), integers written as ``12.0``, and dates in the
formats after the one the column's first cell is in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from clientwise.ruleset.data import FieldSpec, FieldType
from clientwise.runtime.cell_format import CellFormat
from clientwise.runtime.numbers import bare_number, decorated_number

#: ISO 8601 date or date-time; a date-time keeps only its date as written.
#: The time must be a time of day (hour 00-23, minute and offset minutes 00-59, second
#: 00-60): a date-time with hour 25 is a broken value, not the date in front of it.
ISO_DATE = (r"^\d{4}-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:[.,]\d+)?)?"
            r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?$")
_TIME_CODES = ("%H", "%I", "%M", "%S", "%p", "%z", "%f", "%T", "%R", "%c")
_INT64_LIMIT = 2.0**63


@dataclass(frozen=True)
class Check:
    """One way a cell can be wrong: ``flag`` is True on bad rows.

    ``hint`` is the fix, or a function of the offending cell text when the fix
    depends on it (a did-you-mean, the answer to add to ``true_values``).
    """

    flag: pl.Expr
    message: str
    hint: str | Callable[[str], str]

    def fix(self, value: str | None) -> str:
        return self.hint(value or "") if callable(self.hint) else self.hint


Hint = str | Callable[[str], str]


@dataclass(frozen=True)
class Cast:
    """A cast: the typed value; the message and fix when a present cell fails it (None:
    cannot fail); and for cells it failed, a second reading (``repair``) and the
    currency that reading found (money)."""

    value: pl.Expr
    failure: tuple[str, Hint] | None = None
    repair: pl.Expr | None = None
    currency: pl.Expr | None = None


CastFn = Callable[[pl.Expr, pl.DataType, CellFormat, FieldSpec], Cast]


def _number_hint(fmt: CellFormat, example: float, whole: bool = False) -> str:
    shown = fmt.example(example).removesuffix(f"{fmt.decimal}00") if whole else fmt.example(example)
    what = "a whole number" if whole else ("a plain number" if fmt.plain else "a number")
    if fmt.plain:
        return (f"write {what} such as {shown} (a point as decimal mark, no thousands separators; "
                'if the file writes 1.234,50 set number_format = "de" in [data])')
    return f"write {what} such as {shown} ({fmt.describe()})"


def _cast_string(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec) -> Cast:
    return Cast(base)


def _cast_float(message: str, example: float) -> CastFn:
    def cast(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec) -> Cast:
        if dtype.is_numeric():
            return Cast(base.cast(pl.Float64))
        money = spec.type == "money"
        value, currency = decorated_number(fmt, currency=money, percent=None if money else spec.percent)
        return Cast(bare_number(base, fmt), (message, _number_hint(fmt, example)), value,
                    currency if money else None)

    return cast


def _whole(f: pl.Expr) -> pl.Expr:
    ok = f.is_finite() & (f == f.floor()) & (f.abs() < _INT64_LIMIT)
    return pl.when(ok).then(f.cast(pl.Int64, strict=False))


def _cast_integer(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec) -> Cast:
    if dtype.is_integer():
        return Cast(base.cast(pl.Int64, strict=False))  # only a UInt64 beyond Int64 fails
    failure = ("not a whole number", _number_hint(fmt, 42, whole=True))
    if dtype.is_numeric():
        return Cast(_whole(base.cast(pl.Float64)), failure)
    # "12" directly (exact beyond 2**53); "12.0", "1.234" (de) or "(5)" through a float, for
    # the cells that need it only.
    decorated, _ = decorated_number(fmt, currency=False, percent=None)
    repair = _whole(pl.coalesce(bare_number(base, fmt), decorated))
    return Cast(base.cast(pl.Int64, strict=False), failure, repair)


def _cast_boolean(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec) -> Cast:
    if dtype == pl.Boolean:
        return Cast(base)
    answer = base.str.to_lowercase()
    trues = [v.strip().lower() for v in fmt.true_values]
    falses = [v.strip().lower() for v in fmt.false_values]
    value = pl.when(answer.is_in(trues)).then(pl.lit(True)).when(answer.is_in(falses)).then(pl.lit(False))
    accepted = (
        f"answer with one of {', '.join(fmt.true_values)} (yes) or {', '.join(fmt.false_values)} (no), "
        "in any case"
    )

    def hint(cell: str) -> str:
        return f"{accepted}; to accept '{cell.strip()}', add it to true_values or false_values in [data]"

    return Cast(value, ("not a yes/no answer", hint))


#: Excel's day 0 (its serial 60 is the 29 February 1900 that never was, so from
#: serial 61 on, counting from 1899-12-30 gives the date Excel shows).
EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_LAST = 2958465  # 9999-12-31


def _cast_date(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec,
               sample: str | None = None) -> Cast:
    """Each of ``date_formats`` in order, then ISO 8601 (the date part of a date or date-time).

    Every cell is read by the formats up to the first that reads ``sample`` (the column's
    first cell); only the cells those leave empty go through the others, in order, so a
    column in the second of three formats costs two parses, not four, and reads the same.
    """
    if dtype == pl.Date:
        return Cast(base)
    if isinstance(dtype, pl.Datetime):
        return Cast(base.dt.date())
    candidates = [(form, _date_expr(base, form)) for form in fmt.date_formats if form != "%Y-%m-%d"]
    candidates.append(("iso", pl.when(base.str.contains(ISO_DATE)).then(base.str.slice(0, 10).str.to_date(
        "%Y-%m-%d", strict=False))))
    reads = next((i for i, (form, _) in enumerate(candidates) if sample is not None and _reads(form, sample)), 0)
    first = [expr for _, expr in candidates[: reads + 1]]
    rest = [expr for _, expr in candidates[reads + 1:]]
    value = pl.coalesce(first) if len(first) > 1 else first[0]
    repair = (pl.coalesce(rest) if len(rest) > 1 else rest[0]) if rest else None
    return Cast(value, ("not a date", date_hint(list(fmt.date_formats))), repair)


def _date_expr(base: pl.Expr, form: str) -> pl.Expr:
    if form == "excel":
        serial = base.cast(pl.Float64, strict=False)
        days = pl.duration(days=serial.floor().cast(pl.Int64, strict=False))
        return pl.when(serial.is_between(61, _EXCEL_LAST)).then(pl.lit(EXCEL_EPOCH) + days)
    if any(code in form for code in _TIME_CODES):
        return base.str.to_datetime(form, strict=False).dt.date()
    return base.str.to_date(form, strict=False)


def _reads(form: str, cell: str) -> bool:
    """Whether ``form`` reads ``cell`` (Python's reading, to order the polars ones)."""
    if form == "iso":
        return re.match(ISO_DATE, cell) is not None
    if form == "excel":
        try:
            return 61 <= float(cell) <= _EXCEL_LAST
        except ValueError:
            return False
    try:
        dt.datetime.strptime(cell, form)
    except ValueError:
        return False
    return True


def date_hint(formats: list[str]) -> str:
    """What dates may look like, with an example of every accepted format."""
    example = dt.datetime(2024, 1, 31, 9, 30)
    extra = [
        "Excel serial day numbers (e.g. 45322)" if fmt == "excel" else f"{fmt} (e.g. {example.strftime(fmt)})"
        for fmt in formats
        if fmt != "%Y-%m-%d"
    ]
    accepted = "write dates as YYYY-MM-DD (ISO 8601, e.g. 2024-01-31)"
    if extra:
        accepted += " or as " + " or ".join(extra)
    add = 'for another format add its strftime pattern (e.g. "%d/%m/%Y") to date_formats in [data]'
    return f"{accepted}; {add}"


_CASTS: dict[FieldType, CastFn] = {
    "string": _cast_string,
    "number": _cast_float("not a number", 1234.5),
    "money": _cast_float("not an amount of money", 1234.5),
    "integer": _cast_integer,
    "boolean": _cast_boolean,
    "date": _cast_date,
}


def cast_for(base: pl.Expr, dtype: pl.DataType, fmt: CellFormat, spec: FieldSpec, sample: str | None) -> Cast:
    """The cast of ``spec``'s type over ``base`` (``sample``: the column's first cell, for dates)."""
    if spec.type == "date":
        return _cast_date(base, dtype, fmt, spec, sample)
    return _CASTS[spec.type](base, dtype, fmt, spec)

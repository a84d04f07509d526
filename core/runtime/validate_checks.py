"""Per-field casts and checks as polars expressions, one plan per declared field.

Each plan is a typed value expression plus boolean "this row is bad" expressions
with the message and fix a user needs. Everything is built from the source
column's dtype, so CSV text, Excel cells, JSON numbers and Parquet columns all go
through the same rules: text is parsed, typed columns are cast and then checked
exactly like parsed text (an integer field refuses 2.5 whether it came as
``"2.5"`` or as a float).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import polars as pl

from clientwise.ruleset.data import DataConfig, FieldSpec, FieldType

#: The polars dtype each field type becomes; rules and derived fields see these.
FIELD_DTYPES: dict[FieldType, pl.DataType] = {
    "string": pl.String(),
    "number": pl.Float64(),
    "integer": pl.Int64(),
    "money": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}

#: ISO 8601 date or date-time; a date-time keeps only its date as written.
ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
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


@dataclass(frozen=True)
class FieldPlan:
    """How one declared field is read, in three steps evaluated over whole columns.

    ``prepare`` (cleaned text, when the column must be parsed) is computed once,
    ``value`` (the typed value) from it, and every ``Check.flag`` from those two,
    so no string is stripped or parsed twice. Intermediate columns have private
    names (``__text_3``, ``__value_3``) so they never shadow a source column.
    """

    field: str
    column: str
    prepare: tuple[pl.Expr, ...]
    value: pl.Expr
    value_name: str
    checks: tuple[Check, ...]


def number_text(x: float) -> str:
    """A bound such as ``0`` or ``2.5`` the way a user would write it."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def clean_text(col: pl.Expr) -> pl.Expr:
    """Text without surrounding spaces; blank cells become null."""
    return col.str.strip_chars().replace("", None)


def as_text(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Any scalar column as the text a user would read (``1001.0`` reads ``1001``)."""
    if dtype == pl.String:
        return clean_text(col)
    if dtype.is_float():
        whole = col.is_finite() & (col == col.floor()) & (col.abs() < 1e15)
        return pl.when(whole).then(col.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(
            col.cast(pl.String)
        )
    return col.cast(pl.String, strict=False)


def _native(kind: FieldType, dtype: pl.DataType) -> bool:
    """The column already holds values of this kind; no text needs parsing."""
    if kind in ("number", "money", "integer"):
        return dtype.is_numeric()  # integer then checks the values are whole
    if kind == "boolean":
        return dtype == pl.Boolean
    if kind == "date":
        return dtype == pl.Date or isinstance(dtype, pl.Datetime)
    return False


def plan_field(
    table: str,
    field: str,
    spec: FieldSpec,
    column: str,
    dtype: pl.DataType,
    data: DataConfig,
    slot: int,
) -> FieldPlan:
    """The typed value and every check for ``field``, read from ``column`` of ``dtype``.

    ``slot`` numbers the field within its table and names its intermediate columns.
    """
    source = pl.col(column)
    value_name = f"__value_{slot}"
    value = pl.col(value_name)
    where = f"data.{table}.fields.{field}"
    if dtype.is_nested() or dtype == pl.Object:
        nested = Check(
            source.is_not_null(),
            "holds a list or record, not a single value",
            f"store one {spec.type} value per cell for '{field}'",
        )
        empty = pl.lit(None, FIELD_DTYPES[spec.type]).alias(value_name)
        return FieldPlan(field, column, (), empty, value_name, (nested,))
    if _native(spec.type, dtype):
        prepare: tuple[pl.Expr, ...] = ()
        base, present = source, source.is_not_null()
    else:
        text_name = f"__text_{slot}"
        prepare = (as_text(source, dtype).alias(text_name),)
        base = pl.col(text_name)
        present = base.is_not_null()
        dtype = pl.String()
    typed, parse = _CASTS[spec.type](base, dtype, data)
    checks: list[Check] = []
    if parse is not None:
        checks.append(Check(present & value.is_null(), *parse))
    is_key = field == data.key
    if is_key or not spec.nullable:
        why = f"every row needs a customer key ('{field}')" if is_key else f"'{field}' may not be empty"
        fix = f"set nullable = true in [{where}]" if not is_key else "remove the row"
        checks.append(Check(~present, f"empty cell: {why}", f"fill in a value, or {fix}"))
    if spec.type in ("number", "money"):
        checks.append(
            Check(
                value.is_not_null() & ~value.is_finite(),
                "not a finite number",
                "write a real amount (inf and nan are not allowed), or leave the cell empty",
            )
        )
    if spec.type in ("number", "integer", "money"):
        checks.extend(_bounds(spec, field, where, value))
    if spec.type == "string" and spec.allowed is not None:
        checks.append(
            Check(
                value.is_not_null() & ~value.is_in(spec.allowed),
                "not one of the allowed values",
                partial(_allowed_hint, spec.allowed, where),
            )
        )
    return FieldPlan(field, column, prepare, typed.alias(value_name), value_name, tuple(checks))


def _bounds(spec: FieldSpec, field: str, where: str, value: pl.Expr) -> list[Check]:
    """``min`` / ``max`` checks; non-finite values are reported by their own check."""
    comparable = value.is_finite() if spec.type != "integer" else value.is_not_null()
    checks = []
    if spec.min is not None:
        low = number_text(spec.min)
        fix = f"'{field}' must be at least {low} (min in [{where}])"
        checks.append(Check(comparable & (value < spec.min), f"below the minimum of {low}", fix))
    if spec.max is not None:
        high = number_text(spec.max)
        fix = f"'{field}' must be at most {high} (max in [{where}])"
        checks.append(Check(comparable & (value > spec.max), f"above the maximum of {high}", fix))
    return checks


def _allowed_hint(allowed: list[str], where: str, value: str) -> str:
    listed = ", ".join(allowed)
    by_case = {option.lower(): option for option in allowed}
    close = by_case.get(value.strip().lower())
    if close is None:
        close = next(iter(difflib.get_close_matches(value.strip(), allowed, n=1)), None)
    guess = f"did you mean '{close}'? " if close else ""
    return f"{guess}use one of: {listed} (spelt exactly as in allowed in [{where}])"


Hint = str | Callable[[str], str]
#: A cast: the typed value, and the message and fix when a present cell fails it (None: cannot fail).
Cast = tuple[pl.Expr, tuple[str, Hint] | None]
CastFn = Callable[[pl.Expr, pl.DataType, DataConfig], Cast]
_PLAIN = "no thousands separators, currency symbols or units; a point as decimal mark"


def _cast_string(base: pl.Expr, dtype: pl.DataType, data: DataConfig) -> Cast:
    return base, None


def _cast_float(message: str, example: str) -> CastFn:
    def cast(base: pl.Expr, dtype: pl.DataType, data: DataConfig) -> Cast:
        if dtype.is_numeric():
            return base.cast(pl.Float64), None
        hint = f"write a plain number such as {example} ({_PLAIN})"
        return base.cast(pl.Float64, strict=False), (message, hint)

    return cast


def _whole(f: pl.Expr) -> pl.Expr:
    ok = f.is_finite() & (f == f.floor()) & (f.abs() < _INT64_LIMIT)
    return pl.when(ok).then(f.cast(pl.Int64, strict=False))


def _cast_integer(base: pl.Expr, dtype: pl.DataType, data: DataConfig) -> Cast:
    if dtype.is_integer():
        value = base.cast(pl.Int64, strict=False)  # only a UInt64 beyond Int64 fails
    elif dtype.is_numeric():
        value = _whole(base.cast(pl.Float64))
    else:
        # "12" directly (exact beyond 2**53), "12.0" through a float.
        value = pl.coalesce(base.cast(pl.Int64, strict=False), _whole(base.cast(pl.Float64, strict=False)))
    return value, ("not a whole number", f"write a whole number such as 42 ({_PLAIN})")


def _cast_boolean(base: pl.Expr, dtype: pl.DataType, data: DataConfig) -> Cast:
    if dtype == pl.Boolean:
        return base, None
    answer = base.str.to_lowercase()
    trues = [v.strip().lower() for v in data.true_values]
    falses = [v.strip().lower() for v in data.false_values]
    value = pl.when(answer.is_in(trues)).then(pl.lit(True)).when(answer.is_in(falses)).then(pl.lit(False))
    accepted = (
        f"answer with one of {', '.join(data.true_values)} (yes) or {', '.join(data.false_values)} (no), "
        "in any case"
    )

    def hint(cell: str) -> str:
        return f"{accepted}; to accept '{cell.strip()}', add it to true_values or false_values in [data]"

    return value, ("not a yes/no answer", hint)


def _cast_date(base: pl.Expr, dtype: pl.DataType, data: DataConfig) -> Cast:
    if dtype == pl.Date:
        return base, None
    if isinstance(dtype, pl.Datetime):
        return base.dt.date(), None
    # ISO first: the date part of an ISO date or date-time, if the rest is a valid ISO time.
    iso_date = base.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    iso = pl.when(base.str.contains(ISO_DATE)).then(iso_date)
    parsed = [iso]
    for fmt in data.date_formats:
        if fmt == "%Y-%m-%d":
            continue  # ISO above already reads it
        if any(code in fmt for code in _TIME_CODES):
            parsed.append(base.str.to_datetime(fmt, strict=False).dt.date())
        else:
            parsed.append(base.str.to_date(fmt, strict=False))
    value = pl.coalesce(parsed) if len(parsed) > 1 else iso
    return value, ("not a date", date_hint(data.date_formats))


def date_hint(formats: list[str]) -> str:
    """What dates may look like, with an example of every accepted format."""
    example = dt.datetime(2024, 1, 31, 9, 30)
    extra = [f"{fmt} (e.g. {example.strftime(fmt)})" for fmt in formats if fmt != "%Y-%m-%d"]
    accepted = "write dates as YYYY-MM-DD (ISO 8601, e.g. 2024-01-31)"
    if extra:
        accepted += " or as " + " or ".join(extra)
    add = 'for another format add its strftime pattern (e.g. "%d/%m/%Y") to date_formats in [data]'
    return f"{accepted}; {add}"


_CASTS: dict[FieldType, CastFn] = {
    "string": _cast_string,
    "number": _cast_float("not a number", "1234.5"),
    "money": _cast_float("not an amount of money", "1234.50"),
    "integer": _cast_integer,
    "boolean": _cast_boolean,
    "date": _cast_date,
}

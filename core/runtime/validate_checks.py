"""Per-field casts and checks as polars expressions, one plan per declared field.

Each plan is a typed value expression plus boolean "this row is bad" expressions
with the message and fix a user needs. Everything is built from the source
column's dtype, so CSV text, Excel cells, JSON numbers and Parquet columns all go
through the same rules: text is parsed, typed columns are cast and then checked
exactly like parsed text (an integer field refuses 2.5 whether it came as
``"2.5"`` or as a float).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import partial

import polars as pl

from clientwise.ruleset.data import DataConfig, FieldSpec, FieldType
from clientwise.runtime.casts import Check, cast_for
from clientwise.runtime.cell_format import CellFormat, cell_format
from clientwise.runtime.numbers import decorated_parts
from clientwise.runtime.value_maps import map_text

#: The polars dtype each field type becomes; rules and derived fields see these.
FIELD_DTYPES: dict[FieldType, pl.DataType] = {
    "string": pl.String(),
    "number": pl.Float64(),
    "integer": pl.Int64(),
    "money": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}



@dataclass(frozen=True)
class MapPlan:
    """A field's value map in a plan: where the cleaned cell and the unmapped flag are."""

    original: str
    flag: str
    mode: str


@dataclass(frozen=True)
class FieldPlan:
    """How one declared field is read, in steps evaluated over whole columns.

    ``prepare`` (cleaned and mapped text, when the column must be parsed) is computed
    once, ``value`` (the typed value, plus ``aux`` columns) from it. Cells the value
    could not read but that hold text go through ``repair`` (computed for those rows
    only: a currency, a percent sign, accounting brackets). Every ``Check.flag`` is
    computed from the repaired values, so no string is stripped or parsed twice.
    Intermediate columns have private names (``__text_3``, ``__value_3``) so they
    never shadow a source column.
    """

    field: str
    column: str
    prepare: tuple[pl.Expr, ...]
    value: pl.Expr
    value_name: str
    checks: tuple[Check, ...]
    aux: tuple[pl.Expr, ...] = ()
    text_name: str | None = None
    #: computed first for the rows to repair (a cell's parts), then ``repair`` from them
    repair_first: tuple[pl.Expr, ...] = ()
    repair: tuple[pl.Expr, ...] = ()
    mapping: MapPlan | None = None

    def needed(self) -> list[str]:
        """The columns the repair and the checks read, after the value is computed."""
        names = [self.value_name, *(expr.meta.output_name() for expr in self.aux)]
        names.append(self.text_name if self.text_name is not None else self.column)
        if self.mapping is not None:
            names += [self.mapping.original, self.mapping.flag]
        return names


def number_text(x: float) -> str:
    """A bound such as ``0`` or ``2.5`` the way a user would write it."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def clean_text(col: pl.Expr, null_values: tuple[str, ...] = ()) -> pl.Expr:
    """Text without surrounding spaces; blank cells and ``null_values`` become null.

    One ``replace`` over the stripped text turns both into null: half the cost of a
    second pass (``is_in`` and ``when``) that copies every text cell once more.
    """
    return col.str.strip_chars().replace(sorted({"", *spellings(null_values)}), None)


def spellings(values: tuple[str, ...]) -> list[str]:
    """Every upper/lower-case spelling of short markers (``n/a``, ``N/A``, ...), so
    matching them is one hash lookup per cell instead of lower-casing the column."""
    found: set[str] = set()
    for value in values:
        variants = [""]
        for char in value:
            cases = {char.lower(), char.upper()} if len(variants) < 64 else {char}
            variants = [v + c for v in variants for c in cases]
        found.update(variants)
    return sorted(found)


def as_text(col: pl.Expr, dtype: pl.DataType, null_values: tuple[str, ...] = ()) -> pl.Expr:
    """Any scalar column as the text a user would read (``1001.0`` reads ``1001``)."""
    if dtype == pl.String:
        return clean_text(col, null_values)
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
    fmt: CellFormat | None = None,
    sample: str | None = None,
) -> FieldPlan:
    """The typed value and every check for ``field``, read from ``column`` of ``dtype``.

    ``slot`` numbers the field within its table and names its intermediate columns;
    ``fmt`` is how the column's source writes cells (default: ``[data]``'s format);
    ``sample`` is the column's first non-empty cell, which only decides in which order
    the date formats are computed (not which one a cell is read with).
    """
    fmt = fmt or cell_format(data)
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
    mapping = None
    text_name = None
    if spec.map is None and _native(spec.type, dtype):
        prepare: tuple[pl.Expr, ...] = ()
        base, present = source, source.is_not_null()
    else:
        text_name = f"__text_{slot}"
        cleaned = as_text(source, dtype, fmt.null_values)
        if spec.map is not None:
            original, flag = f"__original_{slot}", f"__unmapped_{slot}"
            mapped = map_text(cleaned, spec.map, spec.allowed)  # polars computes the shared part once
            prepare = (cleaned.alias(original), mapped.text.alias(text_name), mapped.unmapped.alias(flag))
            mapping = MapPlan(original, flag, spec.map.unmapped)
        else:
            prepare = (cleaned.alias(text_name),)
        base = pl.col(text_name)
        present = base.is_not_null()
        dtype = pl.String()
    cast = cast_for(base, dtype, fmt, spec, sample)
    checks: list[Check] = []
    aux: list[pl.Expr] = []
    repair: list[pl.Expr] = []
    if cast.repair is not None:
        repair.append(cast.repair.alias(value_name))
    if cast.currency is not None:
        currency_name = f"__currency_{slot}"
        aux.append(pl.lit(None, pl.String).alias(currency_name))
        repair.append(cast.currency.alias(currency_name))
        checks.append(_one_currency(pl.col(currency_name), spec, where))
    if cast.failure is not None:
        checks.append(Check(present & value.is_null(), *cast.failure))
    if mapping is not None and mapping.mode == "error":
        checks.append(Check(pl.col(mapping.flag), "no entry of the value map covers this value",
                            partial(_unmapped_hint, where)))
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
    first = (decorated_parts(base, fmt),) if repair and spec.type != "date" else ()
    return FieldPlan(field, column, prepare, cast.value.alias(value_name), value_name, tuple(checks),
                     tuple(aux), text_name, first, tuple(repair), mapping)


def _one_currency(currency: pl.Expr, spec: FieldSpec, where: str) -> Check:
    """Amounts in two currencies cannot be added up; say so instead of mixing them."""
    if spec.currency is not None:
        expected = spec.currency.upper()
        return Check(currency.is_not_null() & (currency != expected), f"an amount in another currency than {expected}",
                     f"convert it to {expected}, or change currency in [{where}]")
    return Check(
        currency.is_not_null() & (currency != currency.drop_nulls().first()),
        "an amount in another currency than the column's first amount with a currency",
        "convert the amounts to one currency; declaring it (currency = \"EUR\" in "
        f"[{where}]) lists every cell in another one",
    )


def _unmapped_hint(where: str, value: str) -> str:
    return (f"add '{value.strip()}' to [{where}.map] (exact, ignore_case or patterns), "
            "or set unmapped = \"null\" or \"keep\" there")


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

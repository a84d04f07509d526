"""Worksheet rows of a whole polars frame, written to XML by polars, column by column.

:class:`~clientwise.plugins.reports.xlsx_rows.FastRows` writes a row at a time in
Python, about a microsecond per cell: at 100,000 customers the Customers and Actions
sheets have millions of cells, which took most of the workbook's time. Here each
column becomes one polars expression giving its cells' XML (``<c r="B7" s="3"><v>2.5
</v></c>``), the row's cells are concatenated, and polars does the work for every row
at once. The cells are those :class:`FastRows` writes for the same values (the same
styles, escapes, quote prefix and date serials); numbers are written in polars'
shortest round-trip form, which Excel reads as the same number (``0.00001`` where
Python writes ``1e-05``).

:func:`rows_xml` returns None for a frame with a column type it does not write
(times, durations, decimals, structs, lists of anything but text and whole
numbers); those take the row-by-row path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from openpyxl.utils import get_column_letter

from clientwise.output.escape import FORMULA_PREFIXES

#: Rows encoded per polars query (bounds the XML held at once as Python text).
CHUNK = 10_000
#: Control characters XML 1.0 cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``),
#: replaced by U+FFFD as :func:`~clientwise.plugins.reports.xlsx_sheet.cell_value` does.
ILLEGAL = r"[\x00-\x08\x0b-\x0c\x0e-\x1f]"
#: Days from Excel's epoch (1899-12-30) to 1970-01-01.
EXCEL_EPOCH_DAYS = 25_569

#: The row number's column while encoding (no output column has a control character in its name).
ROW = "\x00row"
#: ``style(number_format, fill, quote)`` -> the cell's `` s="n"`` attribute (or "").
Style = Callable[[str | None, str | None, bool], str]


@dataclass(frozen=True)
class CellColumn:
    """How one column of the frame becomes a column of the sheet."""

    #: The frame's column holding the values.
    name: str
    #: Number format of numbers and dates (text cells have none).
    number_format: str | None = None
    #: Fill colour (hex) by value, of this column or of ``fill_by``.
    fills: Mapping[Any, str] = field(default_factory=dict)
    #: The frame's column whose value picks the fill (a label's raw value); default ``name``.
    fill_by: str | None = None


def supported(dtype: pl.DataType) -> bool:
    """Does :func:`rows_xml` write this type as the row-by-row path does?"""
    if dtype.is_numeric() and not isinstance(dtype, pl.Decimal):
        return True
    if dtype in (pl.String, pl.Boolean, pl.Date, pl.Null) or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return True
    if isinstance(dtype, pl.List) and dtype.inner is not None:
        inner = dtype.inner
        return inner == pl.String or inner.is_integer() or isinstance(inner, (pl.Enum, pl.Categorical))
    return False


def rows_xml(frame: pl.DataFrame, columns: Sequence[CellColumn], first_row: int, style: Style) -> list[bytes] | None:
    """The ``<row>`` elements (UTF-8) of ``frame``'s rows numbered from ``first_row``, a
    chunk of rows per piece; None when a column's type needs the row-by-row path."""
    schema = frame.schema
    if not all(supported(schema[c.name]) for c in columns):
        return None
    texts = _texts(frame, columns)
    cells = [_cell(c, get_column_letter(i + 1), schema, style, texts.get(c.name, set()))
             for i, c in enumerate(columns)]
    row = pl.concat_str([pl.lit('<row r="'), pl.col(ROW), pl.lit('">'), *cells, pl.lit("</row>")],
                        ignore_nulls=True).alias("xml")
    parts = []
    for offset in range(0, frame.height, CHUNK):
        number = pl.int_range(pl.len(), dtype=pl.Int64) + pl.lit(first_row + offset)
        part = frame.slice(offset, CHUNK).with_columns(number.cast(pl.String).alias(ROW))
        parts.append(part.select(row.str.join("").cast(pl.Binary)).item())  # UTF-8, never decoded
    return parts


#: What a text column may need done, by the pattern that finds it: replacing characters
#: XML cannot hold, escaping, the quote prefix (checked once per column: most need none).
_NEEDS = {"illegal": ILLEGAL, "escape": "[&<>]",
          "quote": "^[" + "".join(p.replace("-", "\\-") for p in FORMULA_PREFIXES) + "]"}


def _texts(frame: pl.DataFrame, columns: Sequence[CellColumn]) -> dict[str, set[str]]:
    """Per text column, which of :data:`_NEEDS` some value needs."""
    checks = []
    for column in columns:
        dtype = frame.schema[column.name]
        if isinstance(dtype, pl.List):
            text = pl.col(column.name).list.eval(pl.element().cast(pl.String)).list.join("; ")
        elif dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
            text = pl.col(column.name).cast(pl.String)
        else:
            continue
        checks += [text.str.contains(pattern).any().alias(f"{need}\x00{column.name}") for need, pattern in _NEEDS.items()]
    found = frame.select(checks).row(0, named=True) if checks else {}
    needs: dict[str, set[str]] = {}
    for label, hit in found.items():
        need, name = label.split("\x00", 1)
        if hit:
            needs.setdefault(name, set()).add(need)
    return needs


def _cell(column: CellColumn, letter: str, schema: Mapping[str, pl.DataType], style: Style,
          needs: set[str]) -> pl.Expr:
    """One column's cells as XML text (null where the row writes no cell); ``needs``:
    what its text needs (:func:`_texts`)."""
    dtype = schema[column.name]
    value = pl.col(column.name)
    ref = pl.concat_str([pl.lit(f'<c r="{letter}'), pl.col(ROW), pl.lit('"')])
    fill = _fill(column, schema)
    if isinstance(dtype, pl.List):
        value = value.list.eval(pl.element().cast(pl.String).fill_null("")).list.join("; ")
        dtype = pl.String
    if dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
        text = value.cast(pl.String)
        if "illegal" in needs:
            text = text.str.replace_all(ILLEGAL, "\ufffd")
        quoted = pl.any_horizontal(text.str.starts_with(prefix) for prefix in FORMULA_PREFIXES)
        attribute = _styled(fill, column, style, None, quoted if "quote" in needs else None)
        escaped = text
        if "escape" in needs:
            for raw, entity in (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;")):
                escaped = escaped.str.replace_all(raw, entity, literal=True)
        xml = pl.concat_str([ref, pl.lit(' t="inlineStr"'), attribute, pl.lit('><is><t xml:space="preserve">'),
                             escaped, pl.lit("</t></is></c>")])
    elif dtype == pl.Boolean:
        xml = pl.concat_str([ref, pl.lit(' t="b"'), _styled(fill, column, style, None),
                             pl.lit("><v>"), value.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")])
    elif dtype == pl.Date:
        days = value.cast(pl.Int32) + EXCEL_EPOCH_DAYS
        days = pl.when(days <= 60).then(days - 1).otherwise(days)  # Excel's 1900 leap day (openpyxl's to_excel)
        xml = pl.concat_str([ref, _styled(fill, column, style, column.number_format or "yyyy-mm-dd"),
                             pl.lit("><v>"), days.cast(pl.String), pl.lit(".0</v></c>")])
    elif dtype == pl.Null:
        return pl.lit(None, pl.String)
    else:
        shown = value if dtype.is_integer() else pl.when(value.is_finite()).then(value)
        xml = pl.concat_str([ref, _styled(fill, column, style, column.number_format),
                             pl.lit("><v>"), shown.cast(pl.String), pl.lit("</v></c>")])
    return xml


def _fill(column: CellColumn, schema: Mapping[str, pl.DataType]) -> pl.Expr | None:
    """The fill colour of each row (null for none), from the values ``fills`` names."""
    source = column.fill_by or column.name
    dtype = schema[source]
    fills = {k: v for k, v in column.fills.items() if _same_kind(k, dtype)}
    if not fills:
        return None
    values = pl.col(source)
    if isinstance(dtype, (pl.Enum, pl.Categorical)):
        values = values.cast(pl.String)
    return values.replace_strict(list(fills), list(fills.values()), default=None, return_dtype=pl.String)


def _same_kind(value: Any, dtype: pl.DataType) -> bool:
    if isinstance(value, bool) or dtype == pl.Boolean:
        return isinstance(value, bool) and dtype == pl.Boolean
    if isinstance(value, str):
        return dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical))
    return isinstance(value, (int, float)) and dtype.is_numeric()


def _styled(fill: pl.Expr | None, column: CellColumn, style: Style, number_format: str | None,
            quoted: pl.Expr | None = None) -> pl.Expr:
    """The `` s="n"`` attribute of each cell: its fill and, for text, the quote prefix."""
    colours = [None, *sorted(set(v for v in column.fills.values()))] if fill is not None else [None]
    choices = [(colour, quote) for colour in colours for quote in ((False, True) if quoted is not None else (False,))]
    plain = style(number_format, None, False)
    if len(choices) == 1:
        return pl.lit(plain)
    attribute: Any = pl
    for colour, quote in choices:
        if colour is None and not quote:
            continue
        matches = [] if colour is None else [fill == colour]
        matches += [quoted if quote else ~quoted] if quoted is not None else []
        if colour is None:
            matches.append(fill.is_null() if fill is not None else pl.lit(True))
        attribute = attribute.when(pl.all_horizontal(matches)).then(pl.lit(style(number_format, colour, quote)))
    return attribute.otherwise(pl.lit(plain))

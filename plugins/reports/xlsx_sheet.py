"""Worksheet helpers shared by the workbook's sheets: typed, styled, formula-safe cells.

Customer text that starts with ``=``, ``+``, ``-`` or ``@`` is stored as a text cell
with Excel's quote prefix, never as a formula. Colours are the reports' tones
(good, bad, ...) as cell fills.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clientwise.output.escape import FORMULA_PREFIXES

#: Number formats by kind of value, when the report's locale gives none
#: (:meth:`clientwise.output.locale.LocaleStyle.xlsx_formats` does).
FORMATS = {"money": "#,##0", "percent": "0.0%", "number": "#,##0.00", "integer": "#,##0", "date": "yyyy-mm-dd"}
#: Cell fills by tone (the same colours as the HTML report's table cells).
FILLS = {"good": "C6F6D5", "warn": "FEFCBF", "bad": "FED7D7", "neutral": "EDF2F7",
         "strong": "BEE3F8", "medium": "E3F8FF", "light": "F0F4F8"}
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E2EC")


class Sheet:
    """A write-only sheet with helpers for typed, styled, formula-safe cells."""

    def __init__(self, book: Workbook, title: str, widths: Sequence[float] = (), frozen: bool = False,
                 formats: Mapping[str, str] | None = None):
        self.sheet: WriteOnlyWorksheet = book.create_sheet(title)
        #: Number formats by kind of value (the report's locale: currency symbol, date order).
        self.formats: Mapping[str, str] = FORMATS if formats is None else formats
        self._styles: dict[tuple[Any, ...], Any] = {}
        # printed one page wide (set before the first row: it is written at the sheet's top)
        self.sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        if frozen:  # a write-only sheet takes its view before the first row
            self.sheet.freeze_panes = "B2"
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(self, value: Any, number_format: str | None = None, fill: str | None = None, bold: bool = False) -> Any:
        """A value, or a styled cell when it needs a format, a colour or protection from formulas.

        Styles are built once per combination and copied (assigning them cell by cell
        is what makes openpyxl slow), and plain values go in as they are.
        """
        value = cell_value(value)
        formula_like = isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
        number_format = number_format if number_format and not isinstance(value, str) and value is not None else None
        if not (formula_like or number_format or fill or bold):
            return value
        style = (number_format, fill, bold, formula_like)
        if style not in self._styles:
            prototype = WriteOnlyCell(self.sheet)
            if number_format:
                prototype.number_format = number_format
            if fill:
                prototype.fill = PatternFill("solid", fgColor=fill)
            if bold:
                prototype.font = _BOLD
            if formula_like:
                prototype.quotePrefix = True
            self._styles[style] = prototype._style
        cell = WriteOnlyCell(self.sheet, value=value)
        cell._style = copy(self._styles[style])
        if formula_like:
            cell.data_type = "s"  # text, even when it looks like a formula
        return cell

    def header(self, names: Iterable[str], ids: Sequence[str] | None = None) -> None:
        """A bold header row; ``ids`` (the columns' names in the csv and json outputs)
        become each header cell's comment, shown when the mouse is over it."""
        row = []
        for index, name in enumerate(names):
            cell = WriteOnlyCell(self.sheet, value=name)
            if ids is not None and ids[index] != name:
                cell.comment = Comment(ids[index], "clientwise", width=200, height=24)
            if name.startswith(FORMULA_PREFIXES):
                cell.data_type, cell.quotePrefix = "s", True
            cell.font, cell.fill = _BOLD, _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            row.append(cell)
        self.sheet.append(row)

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([v if isinstance(v, Cell) else self.cell(v) for v in values])

    def table(self, columns: int, rows: int) -> None:
        """Put filters on the header row (freeze it with ``frozen=True`` when creating the sheet)."""
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{rows + 1}"


def cell_value(value: Any) -> Any:
    """Lists joined, NaN empty, and control characters (which XML cannot hold) replaced."""
    kind = type(value)  # the common exact types first (a million cells)
    if kind is str:
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if ILLEGAL_CHARACTERS_RE.search(value) else value
    if value is None or kind is int or kind is bool:
        return value
    if kind is float:
        return None if value != value else value
    if isinstance(value, (list, tuple)):
        value = "; ".join("" if v is None else str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    elif value is not None and not isinstance(value, (str, int, float, dt.date, dt.time)):
        value = str(value)  # a plugin's figure of another type (Decimal, an enum): shown as text
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value

"""Worksheet rows written straight to XML, for the workbook's big sheets.

openpyxl builds an object and an XML element per cell, about 10 µs each: a minute
for 100,000 customers. The Customers and Actions sheets instead get their header
and settings from openpyxl and their data rows from here, as plain strings spliced
into the sheet's ``<sheetData>`` when the workbook is saved. Styles (number formats,
fills, the quote prefix) are registered with openpyxl, so the workbook's style sheet
has them; the values are written as Excel writes them (inline strings, numbers,
booleans, date serials).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clientwise.output.escape import FORMULA_PREFIXES


class FastRows:
    """Data rows for one write-only sheet, kept as XML text until the workbook is saved."""

    def __init__(self, sheet: WriteOnlyWorksheet, first_row: int = 2):
        self.sheet = sheet
        self.row = first_row
        self._parts: list[str] = []
        self._styles: dict[tuple[Any, ...], str] = {}
        self._letters: list[str] = []

    def style(self, number_format: str | None = None, fill: str | None = None, quote: bool = False) -> str:
        """The ``s="n"`` attribute of a style (registered with the workbook once)."""
        key = (number_format, fill, quote)
        if key not in self._styles:
            if not (number_format or fill or quote):
                self._styles[key] = ""
            else:
                prototype = WriteOnlyCell(self.sheet)
                if number_format:
                    prototype.number_format = number_format
                if fill:
                    prototype.fill = PatternFill("solid", fgColor=fill)
                if quote:
                    prototype.quotePrefix = True
                self._styles[key] = f' s="{prototype.style_id}"'
        return self._styles[key]

    def append(self, cells: Iterable[tuple[Any, str | None, str | None]]) -> None:
        """One row of (value, number format, fill colour); values are already cleaned for XML."""
        r = self.row
        out = [f'<row r="{r}">']
        for index, (value, number_format, fill) in enumerate(cells):
            if index >= len(self._letters):
                self._letters.append(get_column_letter(index + 1))
            ref = f"{self._letters[index]}{r}"
            if value is None:
                if fill:
                    out.append(f'<c r="{ref}"{self.style(None, fill)}/>')
                continue
            if isinstance(value, str):
                quote = value.startswith(FORMULA_PREFIXES)
                out.append(f'<c r="{ref}" t="inlineStr"{self.style(None, fill, quote)}>'
                           f'<is><t xml:space="preserve">{escape(value)}</t></is></c>')
            elif isinstance(value, bool):
                out.append(f'<c r="{ref}" t="b"{self.style(None, fill)}><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                if isinstance(value, float) and not math.isfinite(value):
                    continue
                out.append(f'<c r="{ref}"{self.style(number_format, fill)}><v>{value!r}</v></c>')
            elif isinstance(value, (dt.date, dt.time)):
                out.append(f'<c r="{ref}"{self.style(number_format or "yyyy-mm-dd", fill)}><v>{to_excel(value)!r}</v></c>')
            else:
                raise TypeError(f"cannot write {type(value).__name__} to a worksheet")
        out.append("</row>")
        self._parts.append("".join(out))
        self.row += 1

    def xml(self) -> str:
        return "".join(self._parts)

"""Worksheet rows written straight to XML, for the workbook's big sheets.

openpyxl builds an object and an XML element per cell, about 10 µs each: a minute
for 100,000 customers. The Customers and Actions sheets instead get their header
and settings from openpyxl and their data rows from here, as XML text spliced
into the sheet's ``<sheetData>`` when the workbook is saved. Styles (number formats,
fills, the quote prefix) are registered with openpyxl, so the workbook's style sheet
has them; the values are written as Excel writes them (inline strings, numbers,
booleans, date serials). A whole frame of rows goes through polars instead
(:meth:`FastRows.append_frame`, :mod:`xlsx_columns`), the same cells ten times faster;
:meth:`FastRows.append` writes a row at a time, for the rest.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import polars as pl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clientwise.output.escape import FORMULA_PREFIXES
from clientwise.plugins.reports.xlsx_columns import CellColumn, rows_xml


def _escape(text: str) -> str:
    """XML text (as ``xml.sax.saxutils.escape``), returned as it is when nothing needs escaping."""
    return escape(text) if ("&" in text or "<" in text or ">" in text) else text


class FastRows:
    """Data rows for one write-only sheet, kept as XML text until the workbook is saved."""

    def __init__(self, sheet: WriteOnlyWorksheet, first_row: int = 2):
        self.sheet = sheet
        self.row = first_row
        self._parts: list[bytes] = []
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
        letters, styles, style = self._letters, self._styles, self.style
        out = [f'<row r="{r}">']
        add = out.append
        for index, (value, number_format, fill) in enumerate(cells):
            if index >= len(letters):
                letters.append(get_column_letter(index + 1))
            if value is None:
                if fill:
                    add(f'<c r="{letters[index]}{r}"{style(None, fill)}/>')
                continue
            kind = type(value)  # exact types first: a million cells make the isinstance chain count
            if kind is str or isinstance(value, str):
                quote = value.startswith(FORMULA_PREFIXES)
                key = (None, fill, quote)
                add(f'<c r="{letters[index]}{r}" t="inlineStr"{styles[key] if key in styles else style(*key)}>'
                    f'<is><t xml:space="preserve">{_escape(value)}</t></is></c>')
            elif kind is bool or isinstance(value, bool):
                add(f'<c r="{letters[index]}{r}" t="b"{style(None, fill)}><v>{int(value)}</v></c>')
            elif kind is int or kind is float or isinstance(value, (int, float)):
                if kind is not int and not math.isfinite(value):
                    continue
                key = (number_format, fill, False)
                add(f'<c r="{letters[index]}{r}"{styles[key] if key in styles else style(*key)}><v>{value!r}</v></c>')
            elif isinstance(value, (dt.date, dt.time)):
                add(f'<c r="{letters[index]}{r}"{style(number_format or "yyyy-mm-dd", fill)}>'
                    f'<v>{to_excel(value)!r}</v></c>')
            else:
                raise TypeError(f"cannot write {type(value).__name__} to a worksheet")
        add("</row>")
        self._parts.append("".join(out).encode("utf-8"))
        self.row += 1

    def append_frame(self, frame: pl.DataFrame, columns: Sequence[CellColumn]) -> bool:
        """All rows of ``frame`` at once, written by polars (:mod:`xlsx_columns`); False
        (and nothing written) when a column's type needs :meth:`append` row by row."""
        parts = rows_xml(frame, columns, self.row, self.style)
        if parts is None:
            return False
        self._parts.extend(parts)
        self.row += frame.height
        return True

    def parts(self) -> list[bytes]:
        """The rows' XML (UTF-8), in pieces (a sheet of 100,000 rows is over 100 MB)."""
        return self._parts

    def xml(self) -> bytes:
        return b"".join(self._parts)

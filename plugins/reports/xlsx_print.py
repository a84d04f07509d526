"""The workbook on paper and on screen: page setup and column widths that fit the content.

Printed (or exported to PDF) without a page setup, the customers sheet ran to dozens of
portrait pages, one column strip at a time; and fixed column widths cut 18-character CRM
ids. Every sheet prints landscape, one page wide (as many pages down as it needs), with
its header row repeated on every page, the report's title at the top and the sheet's name
and "page / pages" at the bottom; ``--paper`` sets the paper, else the printer's is used.
Column widths are measured from the values (and headers) they hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.worksheet.page import PageMargins

from clientwise.plugins.io.values import column_kinds, finite
from clientwise.plugins.reports.printing import Paper
from clientwise.runtime.result import Result

#: Narrowest and widest column (Excel's width unit: about one digit of the default font).
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
#: Room beside the text: the cell's padding, and the filter button on a header.
_PADDING, _FILTER_BUTTON = 2.0, 2.5
#: Characters of a header shown on one line before it wraps (headers wrap, values do not).
_HEADER_LINE = 18
#: Width of a number in each format beyond its digits (grouping, decimals, sign, percent).
_PERCENT_WIDTH = 7
#: The widest the Actions sheet's "because" column gets (its texts are sentences).
BECAUSE_WIDTH = 90.0
_MARGINS = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)


def header_footer_text(text: str) -> str:
    """``text`` as Excel's header and footer show it (``&`` starts a code there)."""
    return text.replace("&", "&&")


def set_up_pages(book: Workbook, title: str, paper: Paper | None) -> None:
    """Landscape, one page wide, the title above and sheet name and page numbers below every
    page; a table's sheet (its header row frozen) repeats that row on every page."""
    for sheet in book.worksheets:
        setup = sheet.page_setup
        setup.orientation = "landscape"
        setup.fitToWidth, setup.fitToHeight = 1, 0  # 0: as many pages down as needed
        if paper is not None:
            setup.paperSize = paper.ooxml
        sheet.page_margins = _MARGINS
        sheet.HeaderFooter.oddHeader.left.text = header_footer_text(title)
        sheet.HeaderFooter.oddFooter.left.text = "&A"  # the sheet's name
        sheet.HeaderFooter.oddFooter.right.text = "&P / &N"
        if sheet.freeze_panes:
            sheet.print_title_rows = "1:1"


def fit(width: float, widest: float = MAX_WIDTH) -> float:
    return round(min(widest, max(MIN_WIDTH, width)), 1)


def header_width(name: str) -> float:
    """A header's width: one line of it (headers wrap, long identifiers too), plus the filter button."""
    return min(len(name), _HEADER_LINE) + _FILTER_BUTTON


def text_width(values: Iterable[Any]) -> float:
    """Width of the longest value written as text (lists as the workbook joins them)."""
    return max((len(v if isinstance(v, str) else "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
                for v in values if v is not None), default=0)


def _number_width(column: pl.Series, kind: str) -> float:
    if kind == "percent":
        return _PERCENT_WIDTH
    largest = column.abs().max() if column.len() else None
    if largest is None or largest != largest:  # all missing, or NaN
        return 0
    negative = bool(column.min() is not None and column.min() < 0)
    digits = f"{float(largest):,.0f}" if kind in ("money", "integer") else f"{float(largest):,.2f}"
    return len(digits) + negative


def frame_widths(frame: pl.DataFrame, kinds: Mapping[str, str], widest: float = MAX_WIDTH,
                 headers: Mapping[str, str] | None = None) -> dict[str, float]:
    """Each column's width from its header (``headers``' text for it, else its name) and its
    values (measured by polars, a column at once)."""
    widths = {}
    for name in frame.columns:
        column = frame[name]
        kind = kinds.get(name, "text")
        if column.dtype.is_numeric() and kind != "text":
            content = _number_width(column, kind)
        elif column.dtype.is_temporal():
            content = 10 if column.dtype == pl.Date else 19
        elif column.dtype == pl.Boolean:
            content = 5
        else:
            content = _text_width(column)
        header = (headers or {}).get(name, name)
        widths[name] = fit(max(float(content), header_width(header)) + _PADDING, widest)
    return widths


def _text_width(column: pl.Series) -> float:
    """The longest value of a text-like column; 0 for one that has no text form (a struct)."""
    if isinstance(column.dtype, pl.Array):
        column = column.arr.to_list()
    try:
        if isinstance(column.dtype, pl.List):  # joined as the workbook joins lists
            column = column.list.eval(pl.element().cast(pl.String)).list.join("; ")
        longest = column.cast(pl.String).str.len_chars().max()
    except pl.exceptions.PolarsError:
        return 0
    return float(longest or 0)


def action_widths(result: Result, columns: list[str]) -> list[float]:
    """The Actions sheet's widths: the customer's columns as on the Customers sheet, the
    action's own from the actions table (its "because" sentences up to ``BECAUSE_WIDTH``),
    any other column from its name."""
    own = [name for name in ("rule", "action", "priority", "because") if name in columns]
    customer = [name for name in columns if name not in own and name in result.customers.columns]
    widths = frame_widths(finite(result.customers.select(customer)), column_kinds(result))
    widths.update(frame_widths(result.actions.select(own), {"priority": "integer"}, widest=BECAUSE_WIDTH))
    return [widths.get(name) or fit(header_width(name) + _PADDING) for name in columns]


def values_width(header: str, values: Iterable[Any], widest: float = MAX_WIDTH) -> float:
    """A column's width from its header and its values (a short list: a section's table)."""
    return fit(max(text_width(values), header_width(header)) + _PADDING, widest)

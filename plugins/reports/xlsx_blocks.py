"""Report blocks in the workbook: on the Summary sheet, or a sheet of their own.

Each section's figures join the Summary sheet's figure list (labelled with the
section's title); its tables, notes and charts follow, each under its title (a chart
as its one-sentence summary and, for bars, its values). A detail table that names a
``sheet`` gets that sheet, with every row, a frozen header and filters; other detail
blocks are left to the HTML report. Values keep their type with a number format by
kind; tones become fills.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from clientwise.output.blocks import BarChart, Block, Cell, Chart, Column, Figures, Note, Range, StackedBarChart, Table
from clientwise.plugins.reports.format import Formatter
from clientwise.plugins.reports.model import SectionView
from clientwise.plugins.reports.xlsx_print import values_width
from clientwise.plugins.reports.xlsx_sheet import FILLS, Sheet

_MARKS = {True: ("yes", "good"), False: ("no", "bad"), None: ("n/a", "neutral")}
#: Width of a yes / no / n/a column (its question is in the wrapped header).
_MARK_WIDTH = 6


def figure_rows(sheet: Sheet, views: Iterable[SectionView]) -> None:
    """Every section's figures as rows of the Summary sheet's figure list."""
    for view in views:
        for block in view.blocks:
            if isinstance(block, Figures) and not block.detail:
                for figure in block.figures:
                    sheet.append([f"{view.title}: {figure.label}",
                                  sheet.cell(figure.value, sheet.formats.get(figure.kind))])


def summary_blocks(sheet: Sheet, view: SectionView, fmt: Formatter) -> None:
    """A section's tables, notes and charts on the Summary sheet (not its detail blocks)."""
    for block in view.blocks:
        if block.detail or isinstance(block, Figures):
            continue
        sheet.append([])
        if isinstance(block, Note):
            sheet.append([f"{view.title}: {block.text}"])
        elif isinstance(block, Table):
            _table(sheet, block, f"{view.title}: {block.title}" if block.title else view.title, fmt)
        elif isinstance(block, Chart):
            _chart(sheet, block, f"{view.title}: {block.title}")


def detail_sheets(book: Workbook, views: Iterable[SectionView], taken: set[str], fmt: Formatter) -> None:
    """A sheet for each detail table that names one (the checklist's answers)."""
    for view in views:
        for block in view.blocks:
            if isinstance(block, Table) and block.detail and block.sheet:
                title = sheet_title(block.sheet, taken)
                widths = [_MARK_WIDTH if c.marks else values_width(c.label, (_plain(row[i]) for row in block.rows))
                          for i, c in enumerate(block.columns)]
                sheet = Sheet(book, title, widths, frozen=True, formats=fmt.style.xlsx_formats())
                sheet.header(c.label for c in block.columns)
                for row in block.rows:
                    sheet.append(_cells(sheet, block.columns, row, fmt=fmt))
                if block.footer is not None:
                    sheet.append(_cells(sheet, block.columns, block.footer, bold=True, fmt=fmt))
                sheet.table(len(block.columns), len(block.rows))


def _plain(item: Any) -> Any:
    return item.value if isinstance(item, Cell) else item


def _table(sheet: Sheet, table: Table, title: str, fmt: Formatter) -> None:
    sheet.append([sheet.cell(title, bold=True)])
    if table.note:
        sheet.append([table.note])
    sheet.header(c.label for c in table.columns)
    for row in table.rows:
        sheet.append(_cells(sheet, table.columns, row, fmt=fmt))
    if table.footer is not None:
        sheet.append(_cells(sheet, table.columns, table.footer, bold=True, fmt=fmt))
    if table.total > len(table.rows):
        sheet.append([f"The first {fmt.whole(len(table.rows))} of {fmt.whole(table.total)} rows."])


def _cells(sheet: Sheet, columns: Iterable[Column], row: Iterable[Any], bold: bool = False, *,
           fmt: Formatter) -> list[Any]:
    """One row's cells: numbers with their kind's format, yes/no as text, tones as fills."""
    cells = []
    for column, item in zip(columns, row):
        tone, kind, marks = None, column.kind, column.marks
        if isinstance(item, Cell):
            item, tone, kind, marks = item.value, item.tone, item.kind or kind, marks and not item.kind
        if marks:
            item, default = _MARKS[None if item is None else bool(item)]
            tone = tone or default
        elif isinstance(item, bool):
            item = fmt.style.yes if item else fmt.style.no
        elif isinstance(item, Range):
            item = fmt.span(item, kind)
        if tone is None and column.tones and isinstance(item, (str, int, float, bool)):
            tone = column.tones.get(item)
        cells.append(sheet.cell(item, sheet.formats.get(kind), FILLS.get(tone) if tone else None, bold))
    return cells


def _chart(sheet: Sheet, chart: Block, title: str) -> None:
    """A chart's title and summary; for bars, their values (and shares) as rows."""
    sheet.append([sheet.cell(title, bold=True)])
    if isinstance(chart, Chart) and chart.summary:
        sheet.append([chart.summary])
    if isinstance(chart, BarChart):
        for bar in chart.bars:
            fill = FILLS.get(bar.tone) if bar.tone else None
            sheet.append([sheet.cell(bar.label, fill=fill), sheet.cell(bar.value, sheet.formats.get(chart.kind)),
                          sheet.cell(bar.share, sheet.formats["percent"])])
    elif isinstance(chart, StackedBarChart):
        parts = list(dict.fromkeys(name for stack in chart.stacks for name, _ in stack.parts))
        sheet.header(["", *parts])
        for stack in chart.stacks:
            values = dict(stack.parts)
            sheet.append([stack.label, *(sheet.cell(values.get(p), sheet.formats.get(chart.kind)) for p in parts)])


def sheet_title(wanted: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), not yet in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", " ", wanted).strip()[:31] or "Sheet"
    title, n = base, 1
    while title.lower() in {t.lower() for t in taken}:
        n += 1
        title = f"{base[:28]} {n}"
    taken.add(title)
    return title

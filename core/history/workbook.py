"""``clientwise compare -o review.xlsx``: the comparison as a workbook, every customer listed.

Sheets: Summary (the two runs, the ruleset change, headline figures, tier mix),
Migrations (each matrix, and the criteria / data split when there is one), Gained,
Lost, Health drops, Scores (each score then, now and its change per customer),
Checklist, Actions (per action) and Action changes (per customer). Text that a
spreadsheet would run as a formula is stored as text (quote prefix). The workbook's
dates are the newer run's as-of date, so the same comparison gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from clientwise.errors import InputError, Problem
from clientwise.history.compare import Comparison, matrix_rows
from clientwise.output.escape import FORMULA_PREFIXES
from clientwise.plugins.reports.xlsx import MAX_ROWS, save

_BOLD = Font(bold=True)


def _value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        value = "; ".join("" if v is None else str(v) for v in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


class _Rows:
    """A write-only sheet whose text cells can never become formulas."""

    def __init__(self, book: Workbook, title: str):
        self.sheet = book.create_sheet(title)

    def cell(self, value: Any, bold: bool = False) -> Any:
        value = _value(value)
        if not bold and not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)):
            return value
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            cell.data_type, cell.quotePrefix = "s", True
        if bold:
            cell.font = _BOLD
        return cell

    def row(self, values: Iterable[Any], bold: bool = False) -> None:
        self.sheet.append([self.cell(v, bold) for v in values])

    def frame(self, frame: pl.DataFrame) -> None:
        if frame.height > MAX_ROWS:
            raise InputError(Problem(f"an Excel sheet holds at most {MAX_ROWS:,} rows; '{self.sheet.title}' has "
                                     f"{frame.height:,}", location="-o", hint="use --json instead"))
        self.row(frame.columns, bold=True)
        for values in frame.iter_rows():
            self.row(values)


def workbook_bytes(c: Comparison) -> bytes:
    book = Workbook(write_only=True)
    stamp = dt.datetime.combine(max(c.b.as_of, dt.date(1980, 1, 1)), dt.time())
    book.properties.created = book.properties.modified = stamp
    summary = _Rows(book, "Summary")
    for label, info in (("then", c.a), ("now", c.b)):
        summary.row([label, info.source, info.as_of, f"{info.ruleset.name} {info.ruleset.version}",
                     info.ruleset.hash, info.customer_count])
    if c.ruleset_change is not None:
        change = c.ruleset_change
        summary.row(["ruleset change", change.a, change.b,
                     "split into criteria and data" if change.split else f"no split: {change.reason}"])
    for note in c.notes:
        summary.row(["note", note])
    summary.row([])
    summary.row(["figure", "then", "now"], bold=True)
    for label, _kind, then, now in c.headline:
        summary.row([label, then, now])
    if c.tier_mix is not None:
        summary.row([])
        summary.frame(c.tier_mix)
    migrations = _Rows(book, "Migrations")
    for m in c.migrations:
        parts = [("then -> now", m.matrix)]
        if m.criteria is not None and m.data is not None:
            parts += [("criteria changed", m.criteria), ("data changed", m.data)]
        for title, table in parts:
            migrations.row([f"{m.output}: {title}", *m.order], bold=True)
            for row in matrix_rows(m, table):
                migrations.row(row)
            migrations.row([])
        if m.causes:
            migrations.row(["moved by", *(f"{cause}: {count}" for cause, count in m.causes.items())])
            migrations.row([])
    for title, frame in (("Gained", c.gained), ("Lost", c.lost), ("Health drops", c.health_drops),
                         ("Scores", c.scores), ("Checklist", c.checklist), ("Actions", c.actions),
                         ("Action changes", c.action_customers)):
        if frame is not None:
            _Rows(book, title).frame(frame)
    return save(book, stamp)

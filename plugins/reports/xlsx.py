"""The ``xlsx`` format: a workbook an analyst can sort, filter and pass on.

Sheets: Summary (portfolio figures and the tier table), Customers (one row each, every
result column, frozen header, filters, number formats, tier/band/class colours),
Actions, Checklist (customers x questions) and Ruleset (what produced the workbook).

Customer text that starts with ``=``, ``+``, ``-`` or ``@`` is stored as a text cell
with Excel's quote prefix, never as a formula. The workbook's timestamps are the run's
``as_of`` date and every part of the zip has a fixed date, so the same result gives a
byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from copy import copy
from typing import Any, BinaryIO, ClassVar

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clientwise.errors import InputError, Problem
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.output.escape import FORMULA_PREFIXES
from clientwise.plugins.io.values import column_kinds, finite, plain
from clientwise.plugins.reports.model import Report, build
from clientwise.plugins.reports.xlsx_rows import FastRows
from clientwise.runtime.result import Result

#: Rows a worksheet holds besides its header.
MAX_ROWS = 1_048_575

FORMATS = {"money": "#,##0", "percent": "0.0%", "number": "#,##0.00", "integer": "0", "date": "yyyy-mm-dd"}
#: Cell colours for values people scan for (tier, health band, value class, checklist answers).
FILLS = {
    "strategic": "BEE3F8", "core": "E3F8FF", "transactional": "F0F4F8",
    "red": "FED7D7", "yellow": "FEFCBF", "green": "C6F6D5",
    "value_creator": "C6F6D5", "neutral": "EDF2F7", "value_destroyer": "FED7D7",
    "yes": "C6F6D5", "no": "FED7D7", "n/a": "EDF2F7",
}
_COLOURED = ("tier", "health_band", "value_class")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E2EC")


class _Sheet:
    """A write-only sheet with helpers for typed, styled, formula-safe cells."""

    def __init__(self, book: Workbook, title: str, widths: Sequence[float] = (), frozen: bool = False):
        self.sheet: WriteOnlyWorksheet = book.create_sheet(title)
        self._styles: dict[tuple[Any, ...], Any] = {}
        if frozen:  # a write-only sheet takes its view before the first row
            self.sheet.freeze_panes = "B2"
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(self, value: Any, number_format: str | None = None, fill: str | None = None, bold: bool = False) -> Any:
        """A value, or a styled cell when it needs a format, a colour or protection from formulas.

        Styles are built once per combination and copied (assigning them cell by cell
        is what makes openpyxl slow), and plain values go in as they are.
        """
        value = _cell_value(value)
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

    def header(self, names: Iterable[str]) -> None:
        row = []
        for name in names:
            cell = WriteOnlyCell(self.sheet, value=name)
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


def _cell_value(value: Any) -> Any:
    """Lists joined, NaN empty, and control characters (which XML cannot hold) replaced."""
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


def build_workbook(result: Result) -> tuple[Workbook, dict[str, FastRows]]:
    """The workbook in memory (write-only: it is saved once) and the rows of its big sheets."""
    if result.customers.height > MAX_ROWS:
        raise InputError(Problem(
            f"an Excel sheet holds at most {MAX_ROWS:,} customers; this result has {result.customers.height:,}",
            location="--format xlsx", hint="write csv, json or jsonl instead"))
    if result.actions.height > MAX_ROWS:
        raise InputError(Problem(
            f"an Excel sheet holds at most {MAX_ROWS:,} actions; this result has {result.actions.height:,}",
            location="--format xlsx", hint="write csv, json or jsonl instead"))
    report = build(result, row_limit=MAX_ROWS)
    book = Workbook(write_only=True)
    stamp = dt.datetime.combine(result.as_of, dt.time())
    book.properties.creator = "clientwise"
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.title = report.title
    _summary(book, report, result)
    fast = {"Customers": _customers(book, result), "Actions": _actions(book, report, result)}
    _checklist(book, report)
    _ruleset(book, report, result)
    return book, fast


def _summary(book: Workbook, report: Report, result: Result) -> None:
    sheet = _Sheet(book, "Summary", (34, 22, 16, 16, 16, 16, 8))
    sheet.append([sheet.cell(report.title, bold=True)])
    sheet.append([])
    sheet.header(["Figure", "Value"])
    o = report.overview
    for label, value, fmt in (("Customers", o["customers"], "#,##0"), ("Revenue", o["revenue"], FORMATS["money"]),
                              ("Profit", o["profit"], FORMATS["money"]), ("Cost to serve", o["cost_to_serve"], FORMATS["money"]),
                              ("Recommended actions", o["actions"], "#,##0")):
        if value is not None:
            sheet.append([label, sheet.cell(value, fmt)])
    for summary in result.summaries:
        for name, value in summary.figures.items():
            value = plain(value)
            fmt = FORMATS["percent"] if "share" in name and isinstance(value, float) else (
                FORMATS["number"] if isinstance(value, float) else None)
            sheet.append([f"{summary.title}: {name}", sheet.cell(value, fmt)])
    if report.tiers:
        sheet.append([])
        sheet.header(["Tier", "Customers", "% customers", "% revenue", "% profit", "Target", "Met"])
        for t in report.tiers:
            target = "" if t.get("target_min") is None and t.get("target_max") is None else (
                f"{(t.get('target_min') or 0):.0%}-{t['target_max']:.0%}" if t.get("target_max") is not None
                else f">= {t['target_min']:.0%}")
            sheet.append([sheet.cell(t["tier"], fill=FILLS.get(str(t["tier"]))), t["customers"],
                          sheet.cell(t["customer_share"], FORMATS["percent"]), sheet.cell(t["measure_share"], FORMATS["percent"]),
                          sheet.cell(t["profit_share"], FORMATS["percent"]), target,
                          None if t.get("target_met") is None else ("yes" if t["target_met"] else "no")])
    if report.warnings:
        sheet.append([])
        sheet.header(["Warnings"])
        for warning in report.warnings:
            sheet.append([warning])


def _customers(book: Workbook, result: Result) -> FastRows:
    frame = finite(result.customers)
    kinds = column_kinds(result)
    sheet = _Sheet(book, "Customers", [14, 30] + [14] * (frame.width - 2), frozen=True)
    sheet.header(frame.columns)
    formats = [FORMATS.get(kinds.get(name, "text")) for name in frame.columns]
    coloured = [name in _COLOURED for name in frame.columns]
    rows = FastRows(sheet.sheet)
    for row in frame.iter_rows():
        values = [_cell_value(value) for value in row]
        rows.append((value, fmt, FILLS.get(value) if colour and isinstance(value, str) else None)
                    for value, fmt, colour in zip(values, formats, coloured))
    sheet.table(frame.width, frame.height)
    return rows


def _actions(book: Workbook, report: Report, result: Result) -> FastRows:
    named = report.named
    fields = ["customer", *(["customer_name"] if named else []), "tier", "rule", "action", "priority", "because"]
    columns = [result.key, *([result.name] if named else []), *fields[2 if named else 1:]]
    sheet = _Sheet(book, "Actions", [14, *([30] if named else []), 14, 24, 44, 9, 80], frozen=True)
    sheet.header(columns)
    ordered = sorted(report.actions, key=lambda a: (a["priority"] is None, a["priority"] or 0, a["customer"], a["rule"]))
    rows = FastRows(sheet.sheet)
    for action in ordered:
        rows.append((_cell_value(action[f]), None, FILLS.get(action[f]) if f == "tier" and action[f] else None)
                    for f in fields)
    sheet.table(len(columns), len(ordered))
    return rows


def _checklist(book: Workbook, report: Report) -> None:
    if not report.questions:
        return
    sheet = _Sheet(book, "Checklist", [14, 30, 14] + [6] * len(report.questions) + [9], frozen=True)
    sheet.header(["customer", "name", "tier", *(q["question"] for q in report.questions), "% yes"])
    for answer in report.answers:
        cells = [answer["key"], answer["name"], sheet.cell(answer["tier"], fill=FILLS.get(str(answer["tier"])))]
        for value in answer["values"]:
            text = "n/a" if value is None else ("yes" if value else "no")
            cells.append(sheet.cell(text, fill=FILLS[text]))
        cells.append(sheet.cell(answer["yes_share"], FORMATS["percent"]))
        sheet.append(cells)
    sheet.append(["% yes", None, None, *(sheet.cell(q["yes_share"], FORMATS["percent"], bold=True) for q in report.questions)])
    sheet.table(len(report.questions) + 4, len(report.answers))


def _ruleset(book: Workbook, report: Report, result: Result) -> None:
    sheet = _Sheet(book, "Ruleset", (16, 80))
    sheet.header(["Field", "Value"])
    o = report.overview
    for label, value in (("name", o["ruleset"]), ("version", o["version"]), ("hash", o["hash"]),
                         ("files", "; ".join(o["files"])), ("description", o["description"]), ("as_of", result.as_of),
                         ("engine", o["engine"]), ("schema", result.header()["schema"]),
                         *(("produced by", line) for line in o["provenance"]),
                         *(("plugin error", line) for line in o["plugin_errors"])):
        sheet.append([label, sheet.cell(value, FORMATS["date"] if label == "as_of" else None)])


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")


def save(book: Workbook, stamp: dt.datetime, fast: dict[str, FastRows] | None = None) -> bytes:
    """The workbook's bytes with fixed timestamps and the ``fast`` rows spliced into their sheets."""
    raw = io.BytesIO()
    book.save(raw)
    splices = {f"xl/worksheets/sheet{book.sheetnames.index(title) + 1}.xml": rows for title, rows in (fast or {}).items()}
    fixed = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(b'<dcterms:modified xsi:type="dcterms:W3CDTF">' + iso + b"</dcterms:modified>", data)
            if info.filename in splices:
                data = _splice(data, splices[info.filename])
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)
    return fixed.getvalue()


_DIMENSION = re.compile(rb'<dimension ref="A1:([A-Z]+)\d+"\s*/>')


def _splice(sheet_xml: bytes, rows: FastRows) -> bytes:
    """Put the rows after the header row and widen the sheet's dimension to cover them."""
    head, tail = sheet_xml.split(b"</sheetData>", 1)
    last = rows.row - 1
    head = _DIMENSION.sub(lambda m: b'<dimension ref="A1:' + m.group(1) + str(last).encode() + b'"/>', head, count=1)
    return head + rows.xml().encode("utf-8") + b"</sheetData>" + tail


class XlsxWriter(Writer):
    """An Excel workbook: summary, customers, actions, checklist and ruleset sheets."""

    format: ClassVar[str] = "xlsx"
    suffix: ClassVar[str] = ".xlsx"
    description: ClassVar[str] = "An Excel workbook: summary, customers (filters, formats, colours), actions, checklist, ruleset."

    def write(self, result: Result, stream: BinaryIO) -> None:
        if _is_terminal(stream):
            raise InputError(Problem("an Excel workbook is binary and cannot be shown in the terminal",
                                     location="--format xlsx", hint="write it to a file with -o report.xlsx"))
        stamp = dt.datetime.combine(max(result.as_of, dt.date(1980, 1, 1)), dt.time())
        book, fast = build_workbook(result)
        stream.write(save(book, stamp, fast))


def _is_terminal(stream: BinaryIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@hookimpl
def clientwise_writers() -> list[Any]:
    return [XlsxWriter()]

"""Rows written by polars (``FastRows.append_frame``) are the rows ``FastRows.append`` writes."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl
from openpyxl import Workbook

from clientwise.plugins.reports.xlsx import save
from clientwise.plugins.reports.xlsx_columns import CellColumn
from clientwise.plugins.reports.xlsx_rows import FastRows
from clientwise.plugins.reports.xlsx_sheet import cell_value

FRAME = pl.DataFrame({
    "text": ["a < b & c > d", "=1+1", None, "", "Bell\x07 Ltd", "-minus", "+plus", "@at", "\tTab", "plain"],
    "tier": ["strategic", "core", "other", None, "strategic", "core", "core", "strategic", "other", "core"],
    "label": ["Strategic", "Core", "Other", None, "Strategic", "Core", "Core", "Strategic", "Other", "Core"],
    "count": [7, -3, None, 0, 1_000_000_007, 2, 3, 4, 5, 6],
    "share": [0.25, 1 / 3, None, float("inf"), float("nan"), 123456.789, -0.5, 2.0, 100.0, 0.1],
    "flag": [True, False, None, True, False, True, True, False, None, True],
    "when": [dt.date(2026, 6, 30), dt.date(1900, 1, 15), None, dt.date(1900, 3, 1), dt.date(1999, 12, 31),
             dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4), dt.date(2026, 1, 5)],
    "roles": [["budget", "user"], [], None, ["x & y"], ["=sum"], ["a"], ["b"], ["c"], ["d"], ["e"]],
    "ranks": [[1, 2], [None, 3], None, [], [4], [5], [6], [7], [8], [9]],
    "nothing": [None] * 10,
}, schema_overrides={"count": pl.Int64, "tier": pl.Enum(["strategic", "core", "other"])})
TONES = {"strategic": "C6F6D5", "core": "FED7D7"}
COLUMNS = [CellColumn("text"), CellColumn("tier", fills=TONES), CellColumn("label", fills=TONES, fill_by="tier"),
           CellColumn("count", "#,##0", {7: "BEE3F8"}), CellColumn("share", "0.0%"), CellColumn("flag", fills={True: "EDF2F7"}),
           CellColumn("when", "dd/mm/yyyy"), CellColumn("roles"), CellColumn("ranks"), CellColumn("nothing")]


def _sheets() -> tuple[Workbook, FastRows, FastRows]:
    book = Workbook(write_only=True)
    by_row, by_frame = FastRows(book.create_sheet("Rows"), first_row=5), FastRows(book.create_sheet("Frame"), first_row=5)
    return book, by_row, by_frame


def test_rows_written_by_polars_are_the_rows_written_one_by_one():
    _, by_row, by_frame = _sheets()
    for row in FRAME.iter_rows(named=True):
        by_row.append((cell_value(row[c.name]), c.number_format, c.fills.get(row[c.fill_by or c.name]) if c.fills else None)
                      for c in COLUMNS)
    assert by_frame.append_frame(FRAME, COLUMNS)
    assert by_frame.row == by_row.row == 5 + FRAME.height
    assert by_frame.xml() == by_row.xml()
    assert b't="inlineStr"' in by_frame.xml() and b"&amp;" in by_frame.xml()


def test_rows_written_by_polars_read_back_with_their_values_styles_and_fills():
    book, _, by_frame = _sheets()
    book["Frame"].append([c.name for c in COLUMNS])
    by_frame.row = 2
    by_frame.append_frame(FRAME, COLUMNS)
    data = save(book, dt.datetime(2026, 6, 30), {"Frame": by_frame})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Frame"]
    assert [c.value for c in sheet[2]][:4] == ["a < b & c > d", "strategic", "Strategic", 7]
    assert sheet["B2"].fill.fgColor.rgb == sheet["C2"].fill.fgColor.rgb == "00C6F6D5"
    assert sheet["D2"].number_format == "#,##0" and sheet["D2"].fill.fgColor.rgb == "00BEE3F8"
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix is True
    assert sheet["A6"].value == "Bell\ufffd Ltd" and sheet["E5"].value is None and sheet["E6"].value is None
    assert sheet["G2"].value.date() == dt.date(2026, 6, 30) and sheet["G2"].number_format == "dd/mm/yyyy"
    assert sheet["G3"].value.date() == dt.date(1900, 1, 15)
    assert sheet["H2"].value == "budget; user" and sheet["H3"].value == "" and sheet["H4"].value is None and sheet["I3"].value == "; 3"
    assert sheet.max_row == 1 + FRAME.height


def test_a_frame_with_a_type_polars_does_not_write_here_is_left_to_the_row_path():
    _, _, by_frame = _sheets()
    frame = pl.DataFrame({"spent": [dt.timedelta(hours=1)]})
    assert not by_frame.append_frame(frame, [CellColumn("spent")])
    assert by_frame.xml() == b"" and by_frame.row == 5

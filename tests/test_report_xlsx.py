"""The xlsx writer, read back with openpyxl: sheets, values, formats, and text that stays text."""

from __future__ import annotations

import functools
import io
import zipfile

import openpyxl
import polars as pl
import pytest
from report_inputs import HOSTILE, hostile_result

from clientwise.errors import InputError
from clientwise.sample import demo_path
from clientwise.plugins.reports.xlsx import MAX_ROWS, XlsxWriter


@functools.lru_cache(maxsize=None)
def workbook_bytes() -> bytes:
    stream = io.BytesIO()
    XlsxWriter().write(hostile_result(), stream)
    return stream.getvalue()


@functools.lru_cache(maxsize=None)
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes()))


def _row_of(sheet, key: str) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value == key:
            return row
    raise AssertionError(key)


def test_the_workbook_has_its_sheets_in_order():
    owners = sorted(set(pl.read_csv(demo_path() / "customers.csv")["account_manager"].drop_nulls()))
    assert workbook().sheetnames == ["Summary", "Customers", "Actions", "Checklist", *owners, "Ruleset"]


def _ids(sheet) -> list[str]:
    """A sheet's column names as in the csv and json outputs: its header cells' comments
    (the header shows labels), or the header itself where label and name agree."""
    return [c.comment.text if c.comment else c.value for c in sheet[1]]


def test_customers_sheet_has_every_column_frozen_header_filters_and_formats():
    result = hostile_result()
    sheet = workbook()["Customers"]
    assert _ids(sheet) == result.customers.columns
    assert [c.value for c in sheet[1]][:4] == ["Customer", "Name", "Revenue", "Industry"]
    assert sheet.max_row == 301
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(result.customers.columns))}301"
    header = {name: index + 1 for index, name in enumerate(_ids(sheet))}
    row = _row_of(sheet, "C00107")
    assert sheet.cell(row, header["tier"]).value == "strategic"
    assert sheet.cell(row, header["tier"]).fill.fgColor.rgb == "00BEE3F8"
    assert sheet.cell(row, header["profit"]).number_format == "#,##0"
    assert sheet.cell(row, header["profit"]).value == pytest.approx(1231844.0, rel=1e-3)
    assert sheet.cell(row, header["profit_margin"]).number_format == "0.0%"
    band = sheet.cell(row, header["health_band"])
    assert band.fill.fgColor.rgb == {"red": "00FED7D7", "yellow": "00FEFCBF", "green": "00C6F6D5"}[band.value]
    assert sheet.cell(row, header["segment_rank"]).value == 1
    assert isinstance(sheet.cell(row, header["actions"]).value, str)  # lists joined with "; "


def test_formula_looking_customer_text_stays_text():
    sheet = workbook()["Customers"]
    for key, name in HOSTILE.items():
        cell = sheet.cell(_row_of(sheet, key), 2)
        assert cell.value == name
        assert cell.data_type == "s"
        if name[0] in "=+-@":
            assert cell.quotePrefix is True
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml  # no formula anywhere


def test_actions_sheet_lists_every_action_by_priority():
    sheet = workbook()["Actions"]
    assert [c.value for c in sheet[1]] == ["Customer", "Name", "Tier", "Revenue", "Priority", "Action", "Because",
                                           "Owner", "Rule"]
    assert sheet.max_row == 925
    rows = [(sheet.cell(r, 5).value, sheet.cell(r, 4).value) for r in range(2, sheet.max_row + 1)]
    priorities = [priority for priority, _ in rows]
    assert priorities == sorted(priorities) and priorities[0] == 1
    for priority in set(priorities):  # within a priority, by revenue at stake, largest first
        stakes = [stake for p, stake in rows if p == priority and stake is not None]
        assert stakes == sorted(stakes, reverse=True)
    assert sheet.cell(2, 3).value == "Strategic"  # the tier's label, not its id
    assert sheet.cell(2, 4).number_format == "#,##0"
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == "A1:I925"


def test_checklist_sheet_is_the_customer_by_question_matrix():
    sheet = workbook()["Checklist"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Customer", "Name", "Tier"] and header[-1] == "% yes" and len(header) == 24
    assert sheet.max_row == 12  # header, 10 assessed customers, the % yes row
    row = _row_of(sheet, "C00107")
    answers = [sheet.cell(row, c).value for c in range(4, 24)]
    assert set(answers) <= {"yes", "no", "n/a"}
    assert sheet.cell(row, 4).fill.fgColor.rgb in ("00C6F6D5", "00FED7D7", "00EDF2F7")
    assert sheet.cell(12, 1).value == "% yes"
    assert sheet.cell(12, 4).value == pytest.approx(4 / 9) and sheet.cell(12, 4).number_format == "0.0%"


def test_summary_and_ruleset_sheets_identify_the_run():
    result = hostile_result()
    values = {r[0]: r[1] for r in workbook()["Ruleset"].iter_rows(min_row=2, values_only=True)}
    assert values["name"] == "default" and values["version"] == "1.0.0"
    assert values["hash"] == result.ruleset.hash
    assert values["as_of"].date().isoformat() == "2026-06-30"
    summary = {r[0]: r[1] for r in workbook()["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Customers"] == 300
    assert summary["Recommended actions"] == 924
    assert summary["Segmentation: Customers in the top 20%"] == 60
    assert summary["Strategic"] == 32


def test_the_same_result_gives_a_byte_identical_workbook():
    again = io.BytesIO()
    XlsxWriter().write(hostile_result(), again)
    assert again.getvalue() == workbook_bytes()
    props = workbook().properties
    assert props.created.isoformat() == props.modified.isoformat() == "2026-06-30T00:00:00"


def test_a_result_too_big_for_a_sheet_is_refused_with_advice(monkeypatch):
    monkeypatch.setattr("clientwise.plugins.reports.xlsx.MAX_ROWS", 10)
    with pytest.raises(InputError) as error:
        XlsxWriter().write(hostile_result(), io.BytesIO())
    assert "at most 10 customers; this result has 300" in error.value.render()
    assert "write csv, json or jsonl instead" in error.value.render()
    assert MAX_ROWS == 1_048_575


def test_control_characters_in_customer_text_are_replaced_not_fatal():
    import dataclasses

    import polars as pl

    result = hostile_result()
    customers = result.customers.with_columns(
        pl.when(pl.col("customer_id") == "C00001").then(pl.lit("Bell\x07 & Tab\x0b Ltd")).otherwise(pl.col("name")).alias("name"))
    stream = io.BytesIO()
    XlsxWriter().write(dataclasses.replace(result, customers=customers), stream)
    sheet = openpyxl.load_workbook(stream)["Customers"]
    assert sheet.cell(_row_of(sheet, "C00001"), 2).value == "Bell\ufffd & Tab\ufffd Ltd"


def test_a_plugins_figures_of_any_type_go_into_the_summary_as_text():
    import dataclasses
    from decimal import Decimal

    from clientwise.compiler.plan import SectionSummary

    extra = SectionSummary("rfm", "RFM", figures={"segments": {"champions": 3}, "cells": [1, 2], "total": Decimal("1.5")})
    result = dataclasses.replace(hostile_result(), summaries=[*hostile_result().summaries, extra])
    stream = io.BytesIO()
    XlsxWriter().write(result, stream)
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(stream)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert rows["RFM: segments"] == "champions: 3" and rows["RFM: cells"] == "1; 2" and rows["RFM: total"] == 1.5


def test_fast_rows_write_every_value_type_and_escape_xml():
    import datetime as dt

    from openpyxl import Workbook

    from clientwise.plugins.reports.xlsx import save
    from clientwise.plugins.reports.xlsx_rows import FastRows

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["text", "int", "float", "bool", "date", "none", "inf", "formula"])
    rows = FastRows(sheet)
    rows.append([("a < b & c", None, "C6F6D5"), (7, "0", None), (0.25, "0.0%", None), (True, None, None),
                 (dt.date(2026, 6, 30), None, None), (None, None, "FED7D7"), (float("inf"), None, None),
                 ("=1+1", None, None)])
    with pytest.raises(TypeError, match="cannot write dict"):
        rows.append([({}, None, None)])
    data = save(book, dt.datetime(2026, 6, 30), {"Data": rows})
    ws = openpyxl.load_workbook(io.BytesIO(data))["Data"]
    values = [c.value for c in ws[2]]
    assert values[:4] == ["a < b & c", 7, 0.25, True]
    assert values[4].date() == dt.date(2026, 6, 30) and ws["E2"].number_format == "yyyy-mm-dd"
    assert values[5:7] == [None, None] and ws["F2"].fill.fgColor.rgb == "00FED7D7"
    assert ws["C2"].number_format == "0.0%" and ws["A2"].fill.fgColor.rgb == "00C6F6D5"
    assert ws["H2"].value == "=1+1" and ws["H2"].data_type == "s" and ws["H2"].quotePrefix is True


def test_a_workbook_is_not_written_to_a_terminal():
    class Terminal(io.BytesIO):
        def isatty(self) -> bool:
            return True

    with pytest.raises(InputError) as error:
        XlsxWriter().write(hostile_result(), Terminal())
    assert "cannot be shown in the terminal" in error.value.render()
    assert "write it to a file with -o report.xlsx" in error.value.render()

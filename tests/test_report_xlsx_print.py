"""The workbook's page setup and column widths, read back from the written file.

No spreadsheet program is at hand to print it, so the settings that decide the printout
are asserted as the file stores them: landscape, one page wide, the header row repeated,
title, sheet name and page numbers in the margins; and columns as wide as their values.
"""

from __future__ import annotations

import functools
import io
import shutil
import tempfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from report_inputs import sample_result

import clientwise
from clientwise.plugins.reports.xlsx import XlsxWriter
from clientwise.plugins.reports.xlsx_print import MAX_WIDTH, frame_widths, header_footer_text
from clientwise.runtime.result import Result
from clientwise.sample import DEMO_AS_OF, demo_path

#: A Salesforce account id: 18 characters.
CRM_ID = "0015g00000XyZ{:05d}"


def workbook(result: Result, writer: XlsxWriter | None = None) -> openpyxl.Workbook:
    stream = io.BytesIO()
    (writer or XlsxWriter()).write(result, stream)
    return openpyxl.load_workbook(io.BytesIO(stream.getvalue()))


@functools.lru_cache(maxsize=None)
def crm_result() -> Result:
    """The sample portfolio keyed by 18-character CRM ids instead of C00001."""
    folder = Path(tempfile.mkdtemp(prefix="clientwise-crm-"))
    try:
        for name in ("customers.csv", "contacts.csv", "interactions.csv"):
            frame = pl.read_csv(demo_path() / name, infer_schema=False)
            frame = frame.with_columns(pl.col("customer_id").str.slice(1).cast(pl.Int64).map_elements(
                CRM_ID.format, return_dtype=pl.String).alias("customer_id"))
            frame.write_csv(folder / name)
        return clientwise.evaluate("default", folder, as_of=DEMO_AS_OF)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_sheet_prints_landscape_one_page_wide_with_title_sheet_name_and_page_numbers():
    book = workbook(sample_result())
    assert book.sheetnames[:3] == ["Summary", "Customers", "Actions"]
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert setup.paperSize is None  # the printer's paper unless --paper names one
        assert sheet.oddHeader.left.text == book.properties.title  # the report's title
        assert (sheet.oddFooter.left.text, sheet.oddFooter.right.text) == ("&A", "&P / &N")
        assert sheet.page_margins.left == pytest.approx(0.4)


def test_tables_repeat_their_header_row_on_every_page_and_keep_filters_and_frozen_panes():
    book = workbook(sample_result())
    for title in ("Customers", "Actions", "Checklist"):
        assert book[title].print_title_rows == "$1:$1", title
    assert book["Summary"].print_title_rows is None  # a page of figures, not one table
    for title in ("Customers", "Actions", "Checklist"):
        sheet = book[title]
        assert sheet.freeze_panes == "B2", title
        assert sheet.auto_filter.ref.startswith("A1:"), title


def test_columns_fit_18_character_crm_ids_and_the_longest_values():
    result = crm_result()
    assert result.customers[result.key].str.len_chars().min() == 18
    book = workbook(result)
    for title in ("Customers", "Actions", "Checklist"):
        sheet = book[title]
        assert sheet["A2"].value.startswith("0015g00000XyZ"), title
        assert sheet.column_dimensions["A"].width >= 18 + 1, title  # the id is not cut
    customers = book["Customers"]
    columns = result.customers.columns  # the sheet's columns, in this order
    name = openpyxl.utils.get_column_letter(columns.index(result.name) + 1)
    longest = result.customers[result.name].str.len_chars().max()
    assert customers.column_dimensions[name].width >= longest
    widths = [customers.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, len(columns) + 1)]
    assert max(widths) <= MAX_WIDTH and min(widths) >= 6
    assert len(set(widths)) > 5  # measured per column, not one width for all


def test_widths_of_every_kind_of_column():
    frame = pl.DataFrame({
        "customer_id": ["0015g00000XyZ00001", None], "roles": [["budget", "gatekeeper"], []],
        "profit": [-1234567.0, None], "share": [0.25, 0.5], "day": [DEMO_AS_OF, None], "flag": [True, None],
        "empty": pl.Series([None, None], dtype=pl.String), "nested": [{"a": 1}, {"a": 2}],
    })
    widths = frame_widths(frame, {"profit": "money", "share": "percent"})
    assert widths["customer_id"] == 18 + 2  # the id and the cell's padding
    assert widths["roles"] == len("budget; gatekeeper") + 2
    assert widths["profit"] == len("-1,234,567") + 2
    # widest of the value (a percent 7, a boolean 5, a date 10) and one line of the header
    # with its filter button (+2.5), plus the cell's padding (+2); a struct has no text form
    assert (widths["share"], widths["flag"], widths["day"], widths["nested"]) == (9.5, 8.5, 12, 10.5)
    assert widths["empty"] == len("empty") + 2.5 + 2
    assert frame_widths(frame.head(0), {})["profit"] == len("profit") + 2.5 + 2
    assert frame_widths(pl.DataFrame({"because": ["x" * 500]}), {}, widest=90)["because"] == 90


def test_paper_sets_the_paper_size_code():
    assert workbook(sample_result(), XlsxWriter().configure(paper="a4")).worksheets[0].page_setup.paperSize == 9
    letter = workbook(sample_result(), XlsxWriter().configure(paper="Letter"))
    assert {sheet.page_setup.paperSize for sheet in letter.worksheets} == {1}


def test_an_ampersand_in_the_title_is_printed_not_read_as_a_code():
    assert header_footer_text("Müller & Söhne: Q2") == "Müller && Söhne: Q2"


def test_the_same_result_gives_the_same_bytes():
    first, second = io.BytesIO(), io.BytesIO()
    XlsxWriter().configure(paper="a4").write(sample_result(), first)
    XlsxWriter().configure(paper="a4").write(sample_result(), second)
    assert first.getvalue() == second.getvalue()

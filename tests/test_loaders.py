"""Loaders and the load stage: every format, row numbering, nesting and file discovery."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from clientwise import PluginError, build_host, hookimpl
from clientwise.errors import DataError
from clientwise.host.contracts import Loader, RawTable
from clientwise.plugins.io.loaders import (
    CsvLoader,
    ExcelLoader,
    JsonLinesLoader,
    JsonLoader,
    ParquetLoader,
    clientwise_loaders,
)
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime.load import load_tables
from clientwise.sdk.testing import make_plugin

LOADERS = clientwise_loaders()
SUFFIXES = ".csv, .json, .jsonl, .ndjson, .parquet, .tsv, .txt, .xlsx"


def config(
    *, contacts: bool = False, interactions: bool = False, renames: dict[str, dict[str, str]] | None = None
) -> DataConfig:
    renames = renames or {}
    customers = TableSpec(
        fields={"customer_id": FieldSpec(required=True), "name": FieldSpec(), "revenue": FieldSpec(type="money")},
        rename=renames.get("customers", {}),
    )
    return DataConfig(
        customers=customers,
        contacts=TableSpec(
            fields={"customer_id": FieldSpec(), "role": FieldSpec()}, rename=renames.get("contacts", {})
        )
        if contacts
        else None,
        interactions=TableSpec(fields={"customer_id": FieldSpec(), "date": FieldSpec(type="date")})
        if interactions
        else None,
    )


def load(path: Path, data: DataConfig | None = None, needed: set[str] | None = None) -> dict[str, RawTable]:
    """The one file read per table (the directory convention reads one each)."""
    found = load_tables(path, data or config(), LOADERS, needed=needed or set())
    assert all(len(parts) == 1 and parts[0].source is None for parts in found.values())
    return {name: parts[0].raw for name, parts in found.items()}


def problem_text(error: pytest.ExceptionInfo[DataError]) -> str:
    return error.value.render(100)


# --- the plugin ------------------------------------------------------------------


def test_hook_offers_a_loader_per_format_and_each_implements_the_protocol():
    assert [type(loader) for loader in LOADERS] == [CsvLoader, JsonLoader, JsonLinesLoader, ParquetLoader, ExcelLoader]
    assert all(isinstance(loader, Loader) for loader in LOADERS)
    assert sorted(s for loader in LOADERS for s in loader.suffixes) == SUFFIXES.split(", ")


# --- CSV -------------------------------------------------------------------------


def test_csv_reads_text_with_spreadsheet_row_numbers_and_nulls(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text('customer_id,name,revenue\nC1,"Acme, Inc.",0100\n\nC2,,12.50\n,,\nC3,"two\nlines",7\n')
    table = load(path)["customers"]
    assert table.name == "customers" and table.file == str(path)
    assert table.frame.schema == pl.Schema({"customer_id": pl.String, "name": pl.String, "revenue": pl.String})
    assert table.frame.to_dicts() == [
        {"customer_id": "C1", "name": "Acme, Inc.", "revenue": "0100"},
        {"customer_id": "C2", "name": None, "revenue": "12.50"},
        {"customer_id": "C3", "name": "two\nlines", "revenue": "7"},
    ]
    # Blank line 3 and the empty record on row 5 are dropped; numbering is as Excel shows it.
    assert table.rows.dtype == pl.Int64
    assert table.rows.to_list() == [2, 4, 6]


def test_csv_with_excel_bom_and_semicolons(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("\ufeffcustomer_id;name;revenue\nC1;Müller GmbH;1,5\n".encode())
    table = load(path)["customers"]
    assert table.frame.columns == ["customer_id", "name", "revenue"]
    assert table.frame.row(0) == ("C1", "Müller GmbH", "1,5")


def test_csv_that_is_not_utf8_is_a_data_error(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("customer_id,name\nC1,M\xfcller\n".encode("latin-1"))
    with pytest.raises(DataError) as error:
        load(path)
    [problem] = error.value.problems
    assert (problem.file, problem.location, problem.value) == (str(path), "row 2", "C1,Müller")
    assert problem.message == "not UTF-8 text: byte 0xFC cannot be read as UTF-8"
    assert problem.hint == (
        "it looks like windows-1252: add encoding = \"windows-1252\" to [data] (or to this file's source), "
        "or save the file as 'CSV UTF-8'"
    )


# --- JSON and JSON Lines -----------------------------------------------------------


def test_json_array_with_nested_contacts_and_interactions(tmp_path):
    path = tmp_path / "crm.json"
    records = [
        {"id": "C1", "revenue": 100, "contacts": [{"role": "CEO"}, {"role": "CFO", "cid": "C9"}]},
        {"id": "C2", "revenue": "1,5", "contacts": None, "interactions": [{"date": "2024-01-31"}]},
        {"id": "C3", "revenue": 2.5},
    ]
    path.write_text(json.dumps(records))
    data = config(
        contacts=True, interactions=True, renames={"customers": {"id": "customer_id"}, "contacts": {"cid": "customer_id"}}
    )
    tables = load(path, data)

    customers = tables["customers"]
    assert customers.frame.to_dicts() == [
        {"id": "C1", "revenue": "100"},
        {"id": "C2", "revenue": "1,5"},
        {"id": "C3", "revenue": "2.5"},
    ]
    assert customers.rows.dtype == pl.String
    assert customers.rows.to_list() == ["record 1", "record 2", "record 3"]

    contacts = tables["contacts"]
    # The parent's key fills the contacts' (renamed) key column unless the row has its own.
    assert contacts.frame.to_dicts() == [{"cid": "C1", "role": "CEO"}, {"cid": "C9", "role": "CFO"}]
    assert contacts.rows.to_list() == ["record 1, contact 1", "record 1, contact 2"]

    interactions = tables["interactions"]
    assert interactions.frame.to_dicts() == [{"customer_id": "C2", "date": "2024-01-31"}]
    assert interactions.rows.to_list() == ["record 2, interaction 1"]


def test_json_keeps_number_columns_typed(tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[{"customer_id": 1, "revenue": 10}, {"customer_id": 2, "revenue": 2.5, "name": null}]')
    frame = load(path)["customers"].frame
    assert frame.schema == pl.Schema({"customer_id": pl.Int64, "revenue": pl.Float64, "name": pl.String})
    assert frame["revenue"].to_list() == [10.0, 2.5]


def test_json_objects_in_fields_stay_objects(tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[{"customer_id": "C1", "address": {"city": "Bonn"}}, {"customer_id": "C2", "address": null}]')
    frame = load(path)["customers"].frame
    assert frame.schema["address"] == pl.Object
    assert frame["address"].to_list() == [{"city": "Bonn"}, None]


def test_json_object_with_one_array_per_table(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "customers": [{"customer_id": "C1"}, {"customer_id": "C2"}],
                "contacts": [{"customer_id": "C2", "role": "CEO"}],
                "interactions": [{"customer_id": "C1", "date": "2024-01-01"}],
            }
        )
    )
    tables = load(path, config(contacts=True))  # interactions are not declared: not read
    assert set(tables) == {"customers", "contacts"}
    assert tables["customers"].rows.to_list() == ["customers record 1", "customers record 2"]
    assert tables["contacts"].rows.to_list() == ["contacts record 1"]
    assert tables["contacts"].frame.row(0) == ("C2", "CEO")


def test_invalid_json_points_at_line_and_column(tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[\n  {"customer_id": "C1",}\n]')
    with pytest.raises(DataError) as error:
        load(path)
    problem = error.value.problems[0]
    assert (problem.file, problem.location) == (str(path), "line 2, column 24")
    assert problem.message.startswith("not valid JSON: Expecting property name")


def test_json_record_that_is_not_an_object(tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[{"customer_id": "C1", "contacts": ["Ann"]}, 42]')
    with pytest.raises(DataError) as error:
        load(path, config(contacts=True))
    assert [(p.location, p.value, p.message) for p in error.value.problems] == [
        ("record 1, contact 1", "Ann", "not a JSON object"),
        ("record 2", "42", "not a JSON object"),
    ]


def test_json_of_the_wrong_shape(tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('{"clients": []}')
    with pytest.raises(DataError, match="expected an array of customer objects"):
        load(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_json_lines_number_rows_by_line_and_nest(tmp_path, suffix):
    path = tmp_path / f"customers{suffix}"
    path.write_text(
        '{"customer_id": "C1", "revenue": 5}\n\n'
        '{"customer_id": "C2", "contacts": [{"role": "CEO"}, {"role": "Buyer"}]}\n'
    )
    tables = load(path, config(contacts=True))
    assert tables["customers"].rows.to_list() == ["line 1", "line 3"]
    assert tables["customers"].frame.to_dicts() == [
        {"customer_id": "C1", "revenue": 5},
        {"customer_id": "C2", "revenue": None},
    ]
    assert tables["contacts"].rows.to_list() == ["line 3, contact 1", "line 3, contact 2"]
    assert tables["contacts"].frame["customer_id"].to_list() == ["C2", "C2"]


def test_json_lines_reports_every_broken_line(tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text('{"customer_id": "C1"}\n{"customer_id": \n[1]\n')
    with pytest.raises(DataError) as error:
        load(path)
    assert [(p.location, p.message) for p in error.value.problems] == [
        ("line 2, column 17", "not valid JSON: Expecting value"),
        ("line 3", "not a JSON object"),
    ]


# --- Parquet -----------------------------------------------------------------------


def test_parquet_reads_only_declared_columns_and_near_misses(tmp_path):
    path = tmp_path / "customers.parquet"
    pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "Revenue": [1.5, 2.0],
            "unused": [1, 2],
            "notes": ["a", "b"],
        }
    ).write_parquet(path)
    table = load(path)["customers"]
    # 'name' is absent, 'revenue' is spelt differently: 'Revenue' is read so validation can suggest it.
    assert table.frame.columns == ["customer_id", "Revenue"]
    assert table.rows.to_list() == [1, 2]
    assert table.frame.schema["Revenue"] == pl.Float64


def test_parquet_loader_takes_the_table_from_the_file_name(tmp_path):
    path = tmp_path / "contacts.parquet"
    pl.DataFrame({"customer_id": ["C1"], "role": ["CEO"]}).write_parquet(path)
    tables = ParquetLoader().read(path, {"customers": ["customer_id"], "contacts": ["customer_id", "role"]}, keys={})
    assert list(tables) == ["contacts"]
    assert tables["contacts"].frame.row(0) == ("C1", "CEO")


# --- Excel -------------------------------------------------------------------------


def test_xlsx_workbook_with_a_sheet_per_table(tmp_path):
    path = tmp_path / "crm.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Customers"
    sheet.append(["customer_id", "name", "revenue"])
    sheet.append([1001, "Acme", 100])
    sheet.append([None, None, None])
    sheet.append([1002, "Beta", "12,5"])
    contacts = book.create_sheet("contacts")
    contacts.append(["customer_id", "role"])
    contacts.append([1001, "CEO"])
    interactions = book.create_sheet("interactions")
    interactions.append(["customer_id", "date"])
    interactions.append([1002, dt.datetime(2024, 1, 31, 9, 30)])
    book.create_sheet("notes").append(["ignored"])
    book.save(path)

    tables = load(path, config(contacts=True, interactions=True))
    customers = tables["customers"]
    assert customers.file == f"{path}, sheet 'Customers'"
    assert customers.rows.to_list() == [2, 4]  # Excel's row numbers; the empty row 3 is skipped
    assert customers.frame.schema == pl.Schema({"customer_id": pl.Float64, "name": pl.String, "revenue": pl.String})
    assert customers.frame.to_dicts() == [
        {"customer_id": 1001.0, "name": "Acme", "revenue": "100"},
        {"customer_id": 1002.0, "name": "Beta", "revenue": "12,5"},
    ]
    assert tables["contacts"].frame.row(0) == (1001.0, "CEO")
    assert tables["interactions"].frame["date"].to_list() == [dt.datetime(2024, 1, 31, 9, 30)]


def test_single_sheet_workbook_named_customers(tmp_path):
    path = tmp_path / "customers.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "name"])
    book.active.append(["C1", "Acme"])
    book.save(path)
    table = load(path)["customers"]
    assert table.file == f"{path}, sheet 'Sheet'"
    assert table.frame.to_dicts() == [{"customer_id": "C1", "name": "Acme"}]


def test_workbook_without_table_sheets(tmp_path):
    path = tmp_path / "crm.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Kunden"
    book.create_sheet("Kontakte")
    book.save(path)
    with pytest.raises(DataError) as error:
        load(path)
    problem = error.value.problems[0]
    assert problem.message == "no sheet is named customers, contacts or interactions"
    assert problem.value == "Kunden, Kontakte"


def test_sheet_without_header_row(tmp_path):
    path = tmp_path / "customers.xlsx"
    book = openpyxl.Workbook()
    book.active["B3"] = "C1"
    book.save(path)
    with pytest.raises(DataError) as error:
        load(path)
    assert error.value.problems[0].message == "row 1 holds no column names"


# --- finding DATA ------------------------------------------------------------------------


class TabLoader(Loader):
    """A third-party loader of one flat table: it takes ``keys`` and has no use for it."""

    name = "tab"
    suffixes = (".tab",)

    def read(self, path, columns, *, keys, options):
        frame = pl.read_csv(path, separator="\t", infer_schema=False)
        return {"customers": RawTable("customers", frame, str(path), pl.Series("row", [2], dtype=pl.Int64))}


def test_a_third_party_loader_reads_its_suffix_and_is_called_without_options(tmp_path):
    (tmp_path / "customers.tab").write_text("customer_id\tname\nC1\tAcme\n")
    tables = load_tables(tmp_path, config(), [*LOADERS, TabLoader()], needed=set())
    assert tables["customers"][0].raw.frame.row(0) == ("C1", "Acme")


def test_a_loader_that_does_not_subclass_the_contract_is_refused_by_name():
    class Loose:
        name, suffixes = "loose", (".x",)

    plugin = make_plugin(clientwise_loaders=hookimpl(lambda: [Loose()]))
    with pytest.raises(PluginError) as error:
        build_host(plugins=[plugin], environ={}).loaders()
    assert "which is not a Loader" in error.value.render()
    assert "make its class subclass clientwise.sdk.Loader" in error.value.render()


def test_directory_with_one_file_per_table_in_any_format(tmp_path):
    (tmp_path / "Customers.CSV").write_text("customer_id\nC1\n")
    (tmp_path / "contacts.jsonl").write_text('{"customer_id": "C1", "role": "CEO"}\n')
    pl.DataFrame({"customer_id": ["C1"], "date": ["2024-01-01"]}).write_parquet(tmp_path / "interactions.parquet")
    (tmp_path / "notes.txt").write_text("not data")
    (tmp_path / "customers.csv.bak").write_text("old")
    tables = load(tmp_path, config(contacts=True, interactions=True))
    assert {name: Path(t.file).name for name, t in tables.items()} == {
        "customers": "Customers.CSV",
        "contacts": "contacts.jsonl",
        "interactions": "interactions.parquet",
    }


def test_directory_tables_the_ruleset_does_not_declare_are_not_read(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    (tmp_path / "contacts.csv").write_text("customer_id,role\nC1,CEO\n")
    assert set(load(tmp_path)) == {"customers"}


def test_two_files_for_one_table(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    (tmp_path / "customers.json").write_text('[{"customer_id": "C1"}]')
    with pytest.raises(DataError) as error:
        load(tmp_path)
    problem = error.value.problems[0]
    assert problem.message == "the customers table was found in more than one file"
    assert problem.value == f"{tmp_path / 'customers.csv'} and {tmp_path / 'customers.json'}"


def test_nested_contacts_and_a_contacts_file_conflict(tmp_path):
    (tmp_path / "customers.json").write_text('[{"customer_id": "C1", "contacts": [{"role": "CEO"}]}]')
    (tmp_path / "contacts.csv").write_text("customer_id,role\nC1,CEO\n")
    with pytest.raises(DataError) as error:
        load(tmp_path, config(contacts=True))
    assert error.value.problems[0].value == f"{tmp_path / 'contacts.csv'} and {tmp_path / 'customers.json'}"


def test_unsupported_file_lists_supported_formats(tmp_path):
    path = tmp_path / "customers.xml"
    path.write_text("<customers/>\n")
    for data_path in (path, tmp_path):
        with pytest.raises(DataError) as error:
            load(data_path)
        problem = error.value.problems[0]
        assert (problem.file, problem.message) == (str(path), "unsupported file type '.xml'")
        assert problem.hint == f"save it in one of the supported formats: {SUFFIXES}"


def test_missing_path(tmp_path):
    with pytest.raises(DataError) as error:
        load(tmp_path / "nowhere")
    assert error.value.problems[0].file == str(tmp_path / "nowhere")
    assert error.value.problems[0].message == "no such file or directory"


def test_table_the_rules_need_is_missing_from_the_directory(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    with pytest.raises(DataError) as error:
        load(tmp_path, config(contacts=True, interactions=True), needed={"contacts"})
    [problem] = error.value.problems  # interactions are optional: not an error
    assert problem.message == f"the contacts table is needed by the ruleset's rules, but {tmp_path} holds no contacts file"
    assert problem.value == (
        "looked for contacts.csv, contacts.json, contacts.jsonl, contacts.ndjson, contacts.parquet, contacts.tsv, "
        "contacts.txt, contacts.xlsx"
    )


def test_directory_without_customers(tmp_path):
    (tmp_path / "contacts.csv").write_text("customer_id\nC1\n")
    with pytest.raises(DataError) as error:
        load(tmp_path, config(contacts=True))
    assert error.value.problems[0].message.startswith("the customers table is always required")


def test_single_csv_cannot_hold_a_needed_table(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("customer_id\nC1\n")
    with pytest.raises(DataError) as error:
        load(path, config(contacts=True), needed={"contacts"})
    problem = error.value.problems[0]
    assert problem.message == "the contacts table is needed by the ruleset's rules, but export.csv does not hold it"
    assert "put every table in one directory" in problem.hint


def test_needed_table_the_data_section_does_not_declare(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    with pytest.raises(DataError) as error:
        load(tmp_path, needed={"interactions"})
    assert error.value.problems[0].hint == "declare its fields in [data.interactions.fields]"

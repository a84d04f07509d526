"""Every new kind of bad raw export or [data] declaration: its message, exit code 2, nothing written.

Each test writes a small export and a ruleset declaring it, runs ``clientwise
evaluate RULESET DATA -o out.json`` and checks the one problem reported: the file,
the row as the spreadsheet numbers it (or the ruleset key), the value and the fix.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from clientwise.cli.app import cli

BASE = """schema = 1
[metadata]
name = "base"

[data.customers.fields]
customer_id = { type = "string", required = true }
name = { type = "string" }
revenue = { type = "money", required = true }
since = { type = "date" }
role = { type = "string" }

[data.interactions.fields]
customer_id = { type = "string", required = true }
date = { type = "date" }
type = { type = "string" }

[[rules]]
id = "big"
when = "revenue > 100"
action = "call"
because = "big"
"""
RULESET = """extends = "base.toml"
[metadata]
name = "client"

[data]
{data}

{tables}
"""


def run(tmp_path: Path, files: dict[str, bytes | str], data: str = "", tables: str = "",
        target: Path | None = None) -> tuple[int, str]:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    ruleset = write_ruleset(tmp_path, data, tables)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["evaluate", str(ruleset), str(target or folder), "--as-of", "2026-01-15",
                                      "-o", str(out)])
    if result.exit_code:
        assert not out.exists(), "a failed run wrote its output"
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")], "a temporary file was left"
    else:
        assert out.exists()
    return result.exit_code, result.stderr


def write_ruleset(tmp_path: Path, data: str = "", tables: str = "") -> Path:
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    ruleset = tmp_path / "client.toml"
    ruleset.write_text(RULESET.format(data=data, tables=tables), encoding="utf-8")
    return ruleset


def only_error(tmp_path: Path, files: dict[str, bytes | str], data: str = "", tables: str = "",
               target: Path | None = None) -> str:
    code, stderr = run(tmp_path, files, data, tables, target)
    assert code == 2, stderr
    assert stderr.startswith("error: "), stderr
    assert stderr.count("\n  fix: ") == 1, stderr
    return stderr.removeprefix("error: ")


CUSTOMERS = "customer_id,name,revenue\nC1,Acme,500\nC2,Beta,50\n"


# --- which files -----------------------------------------------------------------------


def test_a_glob_matching_no_file_lists_the_files_that_are_there(tmp_path):
    files = {"Kunden_2025.csv": CUSTOMERS, "notes.md": "x"}
    error = only_error(tmp_path, files, tables='[data.customers]\nfiles = ["Accounts_Export*.csv"]')
    folder = tmp_path / "export"
    assert error == (
        f"{folder}: data.customers.files: no file matches 'Accounts_Export*.csv' for the customers table\n"
        "  value: files here: Kunden_2025.csv, notes.md\n"
        "  fix: compare the pattern with the names listed; patterns are relative to DATA and match names in any "
        "case ('*' stands for any text, e.g. the date stamp)\n"
    )


def test_a_glob_matching_several_files_lists_them(tmp_path):
    files = {"Accounts_Export_2025-09-30.csv": CUSTOMERS, "accounts_export_2025-12-31.CSV": CUSTOMERS}
    error = only_error(tmp_path, files, tables='[data.customers]\nfiles = ["Accounts_Export_*.csv"]')
    assert error.splitlines()[0].endswith(
        "data.customers.files: 'Accounts_Export_*.csv' matches 2 files for the customers table; it must match one")
    assert "  value: matched: Accounts_Export_2025-09-30.csv, accounts_export_2025-12-31.CSV\n" in error
    assert "move the older exports out of the folder" in error


def test_sources_need_a_directory_not_a_file(tmp_path):
    files = {"Accounts.csv": CUSTOMERS}
    target = tmp_path / "export" / "Accounts.csv"
    error = only_error(tmp_path, files, tables='[data.customers]\nfiles = ["Accounts.csv"]', target=target)
    assert error.startswith(f"{target}: the ruleset names the files of the customers table in [data], "
                            "so DATA must be the directory holding them, not a file\n")
    assert f"  fix: pass the directory: {target.parent}\n" in error


def test_a_workbook_without_the_declared_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Tabelle1"
    book.active.append(["customer_id", "revenue"])
    book.active.append(["C1", 5])
    (tmp_path / "export").mkdir()
    book.save(tmp_path / "export" / "Kunden.xlsx")
    error = only_error(tmp_path, {}, tables='[data.customers]\nsources = [{ files = ["Kunden.xlsx"], sheet = "Kunden" }]')
    assert error.startswith(f"{tmp_path / 'export' / 'Kunden.xlsx'}: the workbook has no sheet 'Kunden'\n")
    assert "  value: sheets: Tabelle1\n" in error


# --- encodings -----------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_names_the_row_and_the_likely_encoding(tmp_path):
    text = "customer_id;name;revenue\nC1;Acme;500\nC2;Bäckerei Groß;50\n"
    error = only_error(tmp_path, {"customers.csv": text.encode("cp1252")})
    assert error == (
        f"{tmp_path / 'export' / 'customers.csv'}: row 3: not UTF-8 text: byte 0xE4 cannot be read as UTF-8\n"
        "  value: C2;Bäckerei Groß;50\n"
        "  fix: it looks like windows-1252: add encoding = \"windows-1252\" to [data] (or to this file's source), "
        "or save the file as 'CSV UTF-8'\n"
    )


def test_a_row_after_a_quoted_line_break_is_numbered_as_the_spreadsheet_shows_it(tmp_path):
    text = 'customer_id,name,revenue\nC1,"Acme\nWerk 2",500\nC2,Müller,50\n'
    error = only_error(tmp_path, {"customers.csv": text.encode("latin-1")})
    assert ": row 3: not UTF-8 text" in error.splitlines()[0]


def test_a_declared_encoding_the_file_is_not_in(tmp_path):
    text = "customer_id,name,revenue\nC1,Groß,500\n"
    error = only_error(tmp_path, {"customers.csv": text.encode("cp1252")}, data='encoding = "utf-8"')
    assert error.splitlines()[0].endswith(": row 2: not UTF-8 text: byte 0xDF cannot be read as UTF-8")
    assert "  fix: check the encoding declared for this file (utf-8), or save the file in that encoding\n" in error


def test_utf16_with_a_bom_and_utf8_with_a_bom_need_no_declaration(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "customers.csv").write_bytes(codecs.BOM_UTF8 + "customer_id,name,revenue\nC1,Groß,500\n".encode())
    (tmp_path / "export" / "interactions.txt").write_bytes("customer_id\tdate\ttype\nC1\t2025-12-01\torder\n".encode("utf-16"))
    code, stderr = run(tmp_path, {})
    assert code == 0, stderr


# --- malformed CSV lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "row", "message", "fix"),
    [
        ("customer_id;name;revenue\nC1;Acme;500\nC2;Müller; Söhne;50\n", 3,
         "this row has 4 cells, but the header has 3", "a cell holding the separator ';' must be in quotes"),
        ('customer_id;name;revenue\nC1;Acme;500\nC2;"Beta;50\nC3;Gamma;7\n', 3,
         "a quote opened in this row is never closed", "close the quote"),
        ('customer_id;name;revenue\nC1;Acme;500\nC2;12" Monitor AG;50\n', 3,
         "a quote character inside a cell that does not start with one", "put the whole cell in quotes"),
        ("customer_id;name;revenue\r\nC1;Acme;500\r\nC2;Beta;50\rC3;Gamma;7\r\n", 3,
         "this row ends with a lone carriage return (CR) where the other rows end with a line feed",
         "the file mixes kinds of line ends"),
    ],
    ids=["extra-field", "unbalanced-quote", "stray-quote", "lone-cr"],
)
def test_malformed_lines_are_reported_with_their_row(tmp_path, text, row, message, fix):
    error = only_error(tmp_path, {"customers.csv": text})
    path = tmp_path / "export" / "customers.csv"
    assert error.splitlines()[0] == f"{path}: row {row}: {message}"
    assert f"  fix: {fix}" in error


def test_a_file_whose_lines_all_end_with_cr_is_read(tmp_path):
    code, stderr = run(tmp_path, {"customers.csv": CUSTOMERS.replace("\n", "\r")})
    assert code == 0, stderr


def test_malformed_rows_name_the_file_among_several_sources(tmp_path):
    files = {"a.csv": CUSTOMERS, "b.csv": "customer_id,name,revenue\nC3,Gamma,1,2\n"}
    error = only_error(tmp_path, files, tables='[data.customers]\nfiles = ["a.csv", "b.csv"]')
    assert error.splitlines()[0] == f"{tmp_path / 'export' / 'b.csv'}: row 2: this row has 4 cells, but the header has 3"


# --- numbers, currencies, dates ------------------------------------------------------------


def test_a_number_in_another_format_than_declared(tmp_path):
    files = {"customers.csv": "customer_id;name;revenue\nC1;Acme;1.234,50\nC2;Beta;1234.5\n"}
    error = only_error(tmp_path, files, data='number_format = "de"')
    assert error == (
        f"{tmp_path / 'export' / 'customers.csv'}: row 3, column 'revenue': not an amount of money\n"
        "  value: 1234.5\n"
        "  fix: write a number such as 1.234,50 (number_format 'de': decimal mark ',', thousands separator '.')\n"
    )


def test_two_currencies_in_one_column(tmp_path):
    files = {"customers.csv": "customer_id;name;revenue\nC1;Acme;1.234,50 €\nC2;Beta;99,00 USD\nC3;Gamma;5\n"}
    error = only_error(tmp_path, files, data='number_format = "de"')
    assert error.splitlines()[:2] == [
        f"{tmp_path / 'export' / 'customers.csv'}: row 3, column 'revenue': "
        "an amount in another currency than the column's first amount with a currency",
        "  value: 99,00 USD",
    ]
    assert 'declaring it (currency = "EUR" in [data.customers.fields.revenue])' in error


def test_an_amount_in_another_currency_than_declared(tmp_path):
    files = {"customers.csv": "customer_id;name;revenue\nC1;Acme;$1,200.00\nC2;Beta;£5.00\n"}
    tables = '[data.customers.fields.revenue]\ncurrency = "USD"'
    error = only_error(tmp_path, files, data='number_format = "en"', tables=tables)
    assert error.splitlines()[0].endswith("row 3, column 'revenue': an amount in another currency than USD")
    assert "  fix: convert it to USD, or change currency in [data.customers.fields.revenue]\n" in error


def test_a_date_that_is_no_excel_serial(tmp_path):
    files = {"customers.csv": "customer_id,name,revenue,since\nC1,Acme,5,45657\nC2,Beta,5,20251231\n"}
    error = only_error(tmp_path, files, data='date_formats = ["excel"]')
    assert error.splitlines()[:2] == [f"{tmp_path / 'export' / 'customers.csv'}: row 3, column 'since': not a date",
                                      "  value: 20251231"]
    assert "or as Excel serial day numbers (e.g. 45322)" in error


# --- value maps, filters, columns, orphans ---------------------------------------------------


def test_unmapped_error_lists_the_value_and_how_to_map_it(tmp_path):
    files = {"customers.csv": "customer_id,name,revenue,role\nC1,Acme,5,CFO\nC2,Beta,5,Hausmeister\n"}
    tables = '[data.customers.fields.role]\nmap = { ignore_case = { cfo = "budget" }, unmapped = "error" }'
    error = only_error(tmp_path, files, tables=tables)
    assert error == (
        f"{tmp_path / 'export' / 'customers.csv'}: row 3, column 'role': no entry of the value map covers this value\n"
        "  value: Hausmeister\n"
        "  fix: add 'Hausmeister' to [data.customers.fields.role.map] (exact, ignore_case or patterns), "
        'or set unmapped = "null" or "keep" there\n'
    )


def test_a_filter_on_a_column_the_file_lacks(tmp_path):
    files = {"customers.csv": CUSTOMERS, "tickets.csv": "Account,Created,Typ\nC1,2025-12-01,Incident\n"}
    tables = ('[[data.interactions.sources]]\nfiles = ["tickets.csv"]\nrename = { Account = "customer_id", '
              'Created = "date" }\nconstants = { type = "support_call" }\nfilter = { Type = ["Incident"] }')
    error = only_error(tmp_path, files, tables=tables)
    assert error == (
        f"{tmp_path / 'export' / 'tickets.csv'}: column 'Type': the filter names column 'Type', which the file does not have\n"
        "  value: columns in the file: 'Account', 'Created', 'Typ'\n"
        "  fix: did you mean 'Typ'? name a column of this file in the filter of its source in [data.interactions.sources]\n"
    )


def test_a_required_column_missing_from_one_source_names_that_source(tmp_path):
    files = {"customers.csv": CUSTOMERS, "tickets.csv": "Kunde,Created\nC1,2025-12-01\n"}
    tables = ('[[data.interactions.sources]]\nfiles = ["tickets.csv"]\nrename = { Account = "customer_id", '
              'Created = "date" }\nconstants = { type = "support_call" }')
    error = only_error(tmp_path, files, tables=tables)
    assert error.splitlines()[0] == (f"{tmp_path / 'export' / 'tickets.csv'}: column 'Account': "
                                     "required column 'Account' (field 'customer_id') is missing")
    assert ('  fix: add a column \'Account\' to the file; if the file names it differently, map it in this file\'s '
            'source in [[data.interactions.sources]]: rename = { "<column in the file>" = "customer_id" }\n') in error


def test_orphans_are_an_error_by_default_and_the_fix_names_the_option(tmp_path):
    files = {"customers.csv": CUSTOMERS, "interactions.csv": "customer_id,date,type\nC1,2025-12-01,order\nC9,2025-12-02,order\n"}
    error = only_error(tmp_path, files)
    assert error.splitlines()[0] == f"{tmp_path / 'export' / 'interactions.csv'}: row 3, column 'customer_id': no customer has this key"
    assert 'set orphans = "drop" (or "warn") in [data.interactions]' in error


@pytest.mark.parametrize("mode", ["warn", "drop"])
def test_orphans_warn_or_drop_go_on_and_say_so(tmp_path, mode):
    files = {"customers.csv": CUSTOMERS, "interactions.csv": "customer_id,date,type\nC1,2025-12-01,order\nC9,2025-12-02,order\n"}
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    ruleset = write_ruleset(tmp_path, tables=f'[data.interactions]\norphans = "{mode}"')
    result = CliRunner().invoke(cli, ["evaluate", str(ruleset), str(folder), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.stderr
    effect = "left out" if mode == "drop" else "kept"
    assert (f"warning: {folder / 'interactions.csv'}: interactions: 1 row names a customer not in customers "
            f"({folder / 'customers.csv'}), {effect}: keys C9 (row 3, column 'customer_id')") in result.stderr


# --- the ruleset's [data] declarations -------------------------------------------------------


@pytest.mark.parametrize(
    ("tables", "location", "message"),
    [
        ('[data.interactions]\nsources = [{ files = ["t.csv"], constants = { kind = "call" } }]',
         "data.interactions", "sources[0].constants.kind: 'kind' is not a declared field of this table"),
        ('[data.interactions]\nsources = [{ files = ["t.csv"], constants = { date = "soon" } }]',
         "data.interactions", "sources[0].constants.date: a date field needs a date value, not 'soon'"),
        ('[data.customers.fields.role]\nmap = { patterns = [{ regex = "(?<=a)b", to = "x" }] }',
         "data.customers.fields.role.map.patterns[0]", "not a valid regular expression: look-around"),
        ('[data.customers.fields.role]\nmap = { patterns = [{ regex = "a", contains = "b", to = "x" }] }',
         "data.customers.fields.role.map.patterns[0]", "give exactly one of contains"),
        ('[data.customers]\nencoding = "windows-1999"', "data.customers.encoding", "unknown encoding 'windows-1999'"),
        ('[data.customers]\nnumber_format = "xx_YY"', "data.customers.number_format", "unknown number format 'xx_YY'"),
        ('[data.customers]\nfiles = ["a.csv"]\nsources = [{ files = ["b.csv"] }]', "data.customers",
         "give either files = [...] or [[...sources]], not both"),
        ('[data.customers]\norphans = "drop"', "data", "data.customers.orphans: orphans apply to contacts"),
        ('[data.customers.fields.revenue]\npercent = "points"', "data.customers.fields.revenue",
         "percent applies to number fields only"),
        ('[data.customers.fields.name]\ncurrency = "EUR"', "data.customers.fields.name",
         "currency applies to money fields only"),
        ('[data.interactions]\nsources = [{ files = ["t.csv"], filter = { Typ = { in = ["a"], not_in = ["b"] } } }]',
         "data.interactions.sources[0].filter.Typ", "give exactly one of in = [...] or not_in = [...]"),
        ('[data.interactions]\nsources = [{ files = ["t.csv"], separator = ";;" }]',
         "data.interactions.sources[0].separator", "the separator must be one character"),
    ],
    ids=["constant-field", "constant-type", "regex", "pattern-kind", "encoding", "number-format", "files-and-sources",
         "customer-orphans", "percent", "currency", "filter", "separator"],
)
def test_bad_data_declarations_are_ruleset_errors(tmp_path, tables, location, message):
    code, stderr = run(tmp_path, {"customers.csv": CUSTOMERS}, tables=tables)
    assert code == 2, stderr
    first = stderr.removeprefix("error: ").splitlines()[0]
    assert first.startswith(f"{tmp_path / 'client.toml'}: {location}: "), first
    assert message in first, first

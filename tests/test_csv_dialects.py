"""``--csv-dialect``: CSV a German (or any locale's) Excel opens as is; the default CSV unchanged."""

from __future__ import annotations

import codecs
import io

import polars as pl
import pytest
from report_inputs import sample_result

from clientwise.errors import InputError
from clientwise.plugins.io.csv_dialects import PLAIN, csv_dialect
from clientwise.plugins.io.csv_loader import CsvLoader
from clientwise.plugins.io.writers import CsvWriter
from clientwise.runtime.cell_format import cell_format
from clientwise.runtime.evaluator import load_ruleset
from clientwise.runtime.numbers import bare_number


def written(writer: CsvWriter) -> bytes:
    stream = io.BytesIO()
    writer.write(sample_result(), stream)
    return stream.getvalue()


def test_the_default_csv_is_plain_utf8_with_commas_and_decimal_points():
    data = written(CsvWriter())
    assert not data.startswith(codecs.BOM_UTF8)
    assert b"\r\n" not in data
    header, first = data.decode("utf-8").splitlines()[:2]
    assert header.startswith("customer_id,name,revenue,")
    assert ";" not in header
    frame = pl.read_csv(io.BytesIO(data), infer_schema_length=None)
    assert frame["profit"].dtype == pl.Float64  # numbers with a decimal point, as machines read them
    assert written(CsvWriter().configure(csv_dialect="default")) == data
    assert CsvWriter().configure() is not None and written(CsvWriter().configure()) == data


def test_excel_de_has_a_bom_semicolons_decimal_commas_and_crlf():
    data = written(CsvWriter().configure(csv_dialect="excel-de"))
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8):].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)
    header = lines[0].split(";")
    assert header[:3] == ["customer_id", "name", "revenue"]
    profit = header.index("profit")
    values = [line.split(";")[profit] for line in lines[1:50] if line and '"' not in line]
    assert any("," in value for value in values)
    assert not any("." in value for value in values)


def test_excel_de_round_trips_through_the_csv_loader_with_number_format_de(tmp_path):
    """What clientwise writes for German Excel, clientwise reads back with ``number_format = "de"``."""
    path = tmp_path / "customers.csv"
    path.write_bytes(written(CsvWriter(csv_dialect("excel-de"))))
    expected = pl.read_csv(io.BytesIO(written(CsvWriter())), infer_schema_length=None)
    columns = ["customer_id", "name", "profit", "profit_margin", "cost_to_serve", "tier"]
    raw = CsvLoader().read(path, {"customers": columns}, keys={})["customers"].frame
    assert raw.columns[: len(expected.columns)] == expected.columns  # the BOM is not in the first name
    fmt = cell_format(load_ruleset("default").core.data.model_copy(update={"number_format": "de"}))
    for name in ("profit", "profit_margin", "cost_to_serve"):
        read = raw.select(bare_number(pl.col(name), fmt)).to_series()
        assert read.to_list() == pytest.approx(expected[name].to_list(), nan_ok=True), name
    assert raw["name"].to_list() == expected["name"].to_list()  # umlauts and accents intact
    assert raw["tier"].to_list() == expected["tier"].to_list()


def test_excel_en_keeps_commas_and_points_but_adds_the_bom():
    data = written(CsvWriter().configure(csv_dialect="excel-en"))
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    frame = pl.read_csv(io.BytesIO(data[3:]), infer_schema_length=None)
    assert frame["profit"].dtype == pl.Float64


@pytest.mark.parametrize(("name", "separator", "comma"), [
    ("excel-fr", ";", True), ("excel-de-CH", ",", False), ("excel-en-GB", ",", False), ("EXCEL-de", ";", True),
])
def test_any_locale_gets_its_decimal_mark_and_the_matching_separator(name, separator, comma):
    dialect = csv_dialect(name)
    assert (dialect.separator, dialect.decimal_comma, dialect.bom) == (separator, comma, True)


@pytest.mark.parametrize("name", ["excel-xx", "excel-", "semicolon", "excel_de"])
def test_an_unknown_dialect_is_a_clear_error(name):
    with pytest.raises(InputError) as caught:
        csv_dialect(name)
    problem = caught.value.problems[0]
    assert problem.location == "--csv-dialect" and problem.value == name and "excel-de" in problem.hint
    assert csv_dialect("default") is PLAIN


def test_the_cli_writes_the_dialect_and_refuses_it_for_other_formats(invoke, tmp_path):
    target = tmp_path / "kunden.csv"
    run = invoke("demo", "-o", str(target), "--csv-dialect", "excel-de")
    assert run.code == 0, run.output
    assert target.read_bytes().startswith(codecs.BOM_UTF8 + b"customer_id;name;")
    report = tmp_path / "report.html"
    run = invoke("demo", "-o", str(report), "--csv-dialect", "excel-de")
    assert run.code == 2
    assert "--csv-dialect does not apply to the html format" in run.stderr
    assert "--format csv" in run.stderr
    assert not report.exists()
    run = invoke("demo", "-o", str(target), "--csv-dialect", "excel-klingon")
    assert run.code == 2 and "unknown CSV dialect 'excel-klingon'" in run.stderr

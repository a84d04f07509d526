"""Cells as clients write them: locale numbers, currencies, percents, null markers, Excel dates,
value maps, several sources stacked into one table, and the JSON Schema of the new keys."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from clientwise.authoring.schema import ruleset_schema
from clientwise.errors import DataError
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.ruleset.sources import SourceSpec, ValueMap
from clientwise.runtime.findings import Finding
from clientwise.runtime.sources import SourceTable
from clientwise.runtime.validate import validate_tables

KEY = {"customer_id": FieldSpec(required=True)}


def text_table(columns: dict[str, list[str | None]], name: str = "customers", file: str = "export.csv") -> RawTable:
    frame = pl.DataFrame({column: pl.Series(column, values, dtype=pl.String) for column, values in columns.items()})
    return RawTable(name, frame, file, pl.Series("row", range(2, frame.height + 2), dtype=pl.Int64))


def read(cells: list[str | None], spec: FieldSpec, **data: object) -> list[object]:
    config = DataConfig(customers=TableSpec(fields={**KEY, "x": spec}), **data)  # type: ignore[arg-type]
    raw = {"customers": text_table({"customer_id": [f"C{i}" for i in range(len(cells))], "x": cells})}
    return validate_tables(raw, config)["customers"].get_column("x").to_list()


@pytest.mark.parametrize(
    ("number_format", "cells", "values"),
    [
        ("de", ["132.507,11", "1.234.567", "0,5", ",5", "-12,25", "1.234,00-", "(1.234,00)", "7"],
         [132507.11, 1234567.0, 0.5, 0.5, -12.25, -1234.0, -1234.0, 7.0]),
        ("en", ["1,234.50", "1,234,567", "0.5", "(12.00)", "-3"], [1234.5, 1234567.0, 0.5, -12.0, -3.0]),
        ("fr", ["1 234,5", "1\u202f234,5", "1\u00a0234,5", "12"], [1234.5, 1234.5, 1234.5, 12.0]),
        ("de_CH", ["1'234.50", "1’234.50", "12.5"], [1234.5, 1234.5, 12.5]),
        ("plain", ["1234.5", "1e3", "(5)", "+2"], [1234.5, 1000.0, -5.0, 2.0]),
    ],
)
def test_numbers_in_each_locale(number_format, cells, values):
    assert read(cells, FieldSpec(type="number"), number_format=number_format) == values


def test_explicit_separators_override_the_preset():
    assert read(["1_234;5"], FieldSpec(type="number"), number_format="de", decimal=";", thousands="_") == [1234.5]


def test_a_misplaced_separator_is_never_read_as_another_number():
    for cell in ("1234.5", "1.23,4", "12.34.567", "1,234.5"):
        with pytest.raises(DataError) as error:
            read([cell], FieldSpec(type="number"), number_format="de")
        assert error.value.problems[0].message == "not a number", cell


def test_money_strips_currencies_and_numbers_read_percents():
    money = read(["€ 1.234,50", "1.234,50 EUR", "EUR1.234,50", "(€ 5,00)", "5"], FieldSpec(type="money"),
                 number_format="de")
    assert money == [1234.5, 1234.5, 1234.5, -5.0, 5.0]
    fractions = read(["8,8 %", "(3,1 %)", "12%", "0,35", "100 %"], FieldSpec(type="number"), number_format="de")
    assert fractions == [0.088, -0.031, 0.12, 0.35, 1.0]
    points = read(["8,8 %", "12"], FieldSpec(type="number", percent="points"), number_format="de")
    assert points == [8.8, 12.0]


def test_integers_in_locale_format_and_with_decorations():
    assert read(["1.200", "12", "(3)", "7,0"], FieldSpec(type="integer"), number_format="de") == [1200, 12, -3, 7]


def test_null_markers_default_and_declared():
    assert read(["-", "n/a", "N/A", "#N/A", "5"], FieldSpec(type="number")) == [None, None, None, None, 5.0]
    assert read(["k.A.", "-"], FieldSpec(type="string"), null_values=["k.A."]) == [None, "-"]


def test_excel_serial_dates_and_dates_with_times():
    dates = read(["45657", "45657.75", "31.12.2025 14:05", "2025-01-02"], FieldSpec(type="date"),
                 date_formats=["excel", "%d.%m.%Y %H:%M"])
    assert dates == [dt.date(2024, 12, 31), dt.date(2024, 12, 31), dt.date(2025, 12, 31), dt.date(2025, 1, 2)]


# --- value maps -----------------------------------------------------------------------------------


def mapped(cells: list[str | None], value_map: ValueMap, kind: str = "string",
           allowed: list[str] | None = None) -> tuple[list[object], list[Finding]]:
    spec = FieldSpec(type=kind, map=value_map, allowed=allowed)  # type: ignore[arg-type]
    config = DataConfig(customers=TableSpec(fields={**KEY, "x": spec}))
    raw = {"customers": text_table({"customer_id": [f"C{i}" for i in range(len(cells))], "x": cells})}
    findings: list[Finding] = []
    values = validate_tables(raw, config, findings)["customers"].get_column("x").to_list()
    return values, findings


def test_maps_try_exact_then_any_case_then_the_vocabulary_then_patterns_in_order():
    value_map = ValueMap.model_validate({
        "exact": {"CFO": "budget"},
        "ignore_case": {"cfo": "coach", "Werksleiter": "user"},
        "patterns": [{"contains": "einkauf", "to": "gatekeeper"}, {"regex": "^Head of", "to": "gatekeeper"},
                     {"contains": "leiter", "to": "user"}],
    })
    values, findings = mapped(["CFO", "cfo", "WERKSLEITER", "Leiterin Einkauf", "Head of IT", "budget", "Vertrieb",
                               None, "Vertrieb"], value_map)
    assert values == ["budget", "coach", "user", "gatekeeper", "gatekeeper", "budget", None, None, None]
    [finding] = findings
    assert (finding.kind, finding.field, finding.count, finding.examples) == ("unmapped", "x", 2, ("Vertrieb",))
    assert finding.message.startswith("2 cells hold values no entry of the map covers, read as empty (unknown): "
                                      "Vertrieb (2)")


def test_numeric_targets_are_checked_like_numbers():
    value_map = ValueMap.model_validate({"ignore_case": {"keine": 0, "stark": 3, "vertraut": 4}})
    values, findings = mapped(["Stark", "VERTRAUT", "keine", "2"], value_map, kind="integer")
    assert values == [3, 4, 0, None] and findings[0].examples == ("2",)
    spec = FieldSpec(type="integer", max=3, map=value_map)
    config = DataConfig(customers=TableSpec(fields={**KEY, "x": spec}))
    with pytest.raises(DataError) as error:
        validate_tables({"customers": text_table({"customer_id": ["C1"], "x": ["vertraut"]})}, config)
    assert (error.value.problems[0].message, error.value.problems[0].value) == ("above the maximum of 3", "vertraut")


def test_unmapped_keep_uses_the_value_and_still_says_so():
    values, findings = mapped(["Besuch", "Messe"], ValueMap.model_validate(
        {"ignore_case": {"besuch": "visit"}, "unmapped": "keep"}))
    assert values == ["visit", "Messe"]
    assert "kept as written: Messe (1)" in findings[0].message


def test_allowed_values_pass_a_map_unchanged():
    values, findings = mapped(["core", "A-Kunde"], ValueMap.model_validate({"exact": {"A-Kunde": "strategic"}}),
                              allowed=["strategic", "core"])
    assert values == ["core", "strategic"] and findings == []


# --- sources ----------------------------------------------------------------------------------------


def test_sources_are_stacked_each_with_its_columns_constants_format_and_filter():
    fields = {**KEY, "date": FieldSpec(type="date"), "type": FieldSpec(), "amount": FieldSpec(type="money")}
    tickets = SourceSpec.model_validate({"files": ["t.csv"], "rename": {"Account": "customer_id", "Created": "date"},
                                         "constants": {"type": "support_call"}, "date_formats": ["%m/%d/%Y"],
                                         "filter": {"Status": {"not_in": ["Spam"]}}})
    invoices = SourceSpec.model_validate({"files": ["i.csv"], "rename": {"Kunde": "customer_id", "Datum": "date",
                                                                        "Betrag": "amount"},
                                          "constants": {"type": "order"}, "number_format": "de",
                                          "date_formats": ["%d.%m.%Y"]})
    config = DataConfig(customers=TableSpec(fields=KEY), interactions=TableSpec(fields=fields, sources=[tickets, invoices]))
    raw = {
        "customers": text_table({"customer_id": ["C1", "C2"]}),
        "interactions": [
            SourceTable(text_table({"Account": ["C1", "C2", "C1"], "Created": ["12/31/2025", "01/02/2026", "x"],
                                    "Status": ["Open", "Closed", "Spam"]}, "interactions", "t.csv"), tickets),
            SourceTable(text_table({"Kunde": ["C2"], "Datum": ["31.12.2025"], "Betrag": ["1.234,50 €"]},
                                   "interactions", "i.csv"), invoices),
        ],
    }
    findings: list[Finding] = []
    typed = validate_tables(raw, config, findings)["interactions"]
    assert typed.rows() == [
        ("C1", dt.date(2025, 12, 31), "support_call", None),
        ("C2", dt.date(2026, 1, 2), "support_call", None),
        ("C2", dt.date(2025, 12, 31), "order", 1234.5),
    ]
    assert [(f.kind, f.file, f.message) for f in findings] == [("filtered", "t.csv", "the filter on 'Status' kept 2 of 3 rows")]


def test_duplicate_customers_across_two_sources_name_both_files():
    source = SourceSpec(files=["x"])
    config = DataConfig(customers=TableSpec(fields=KEY, sources=[source, source]))
    raw = {"customers": [SourceTable(text_table({"customer_id": ["C1", "C2"]}, file="a.csv"), source),
                         SourceTable(text_table({"customer_id": ["C2"]}, file="b.csv"), source)]}
    with pytest.raises(DataError) as error:
        validate_tables(raw, config)
    [problem] = error.value.problems
    assert (problem.file, problem.location) == (None, "a.csv: row 3, column 'customer_id'; b.csv: row 2, column 'customer_id'")
    assert problem.message == "customer key 'C2' appears 2 times"


# --- schema -------------------------------------------------------------------------------------------


def test_every_new_data_key_is_in_the_json_schema():
    definitions = ruleset_schema()["$defs"]
    assert {"encoding", "separator", "quote", "number_format", "decimal", "thousands", "null_values",
            "date_formats"} <= set(definitions["DataConfig"]["properties"])
    assert {"files", "sources", "orphans", "encoding", "number_format"} <= set(definitions["TableSpec"]["properties"])
    assert {"files", "rename", "constants", "filter", "sheet", "encoding"} <= set(definitions["SourceSpec"]["properties"])
    assert {"map", "percent", "currency"} <= set(definitions["FieldSpec"]["properties"])
    assert {"exact", "ignore_case", "patterns", "unmapped"} <= set(definitions["ValueMap"]["properties"])
    assert {"contains", "regex", "to"} <= set(definitions["Pattern"]["properties"])
    short, table = definitions["ColumnFilter"]["anyOf"]  # a list of values to keep, or { in / not_in }
    assert short == {"type": "array", "items": {"type": "string"}}
    assert {"in", "not_in"} <= set(table["properties"])


def test_every_data_key_is_documented():
    from pathlib import Path

    from clientwise.ruleset.data import DataConfig as Data
    from clientwise.ruleset.sources import ColumnFilter, Pattern

    text = (Path(__file__).resolve().parent.parent / "docs" / "data.md").read_text()
    for model in (Data, TableSpec, SourceSpec, FieldSpec, ValueMap, Pattern, ColumnFilter):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in text, f"docs/data.md does not document {model.__name__}.{name}"

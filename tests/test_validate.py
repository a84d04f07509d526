"""The validate stage: typed output, and every check with its file, row, column, value and fix."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime.validate import SHOWN_PER_CHECK, validate_tables

KEY = {"customer_id": FieldSpec(required=True)}


def text_table(columns: dict[str, list[str | None]], name: str = "customers", file: str | None = None) -> RawTable:
    """A table as the CSV loader delivers it: text columns, spreadsheet rows from 2."""
    frame = pl.DataFrame({column: pl.Series(column, values, dtype=pl.String) for column, values in columns.items()})
    rows = pl.Series("row", range(2, frame.height + 2), dtype=pl.Int64)
    return RawTable(name, frame, file or f"{name}.csv", rows)


def typed_table(frame: pl.DataFrame, name: str = "customers") -> RawTable:
    """A table as the Parquet loader delivers it: typed columns, records from 1."""
    return RawTable(name, frame, f"{name}.parquet", pl.Series("row", range(1, frame.height + 1), dtype=pl.Int64))


def customers(**fields: FieldSpec) -> DataConfig:
    return DataConfig(customers=TableSpec(fields={**KEY, **fields}))


def problems_of(raw: dict[str, RawTable], data: DataConfig) -> tuple[list[Problem], int]:
    with pytest.raises(DataError) as error:
        validate_tables(raw, data)
    return error.value.problems, error.value.total


def only_problem(raw: dict[str, RawTable], data: DataConfig) -> Problem:
    problems, total = problems_of(raw, data)
    assert total == len(problems) == 1, [p.render() for p in problems]
    return problems[0]


# --- valid input ---------------------------------------------------------------------


def test_valid_text_becomes_typed_frames_named_and_ordered_as_declared():
    data = DataConfig(
        true_values=["yes", "ja"],
        date_formats=["%Y-%m-%d", "%d.%m.%Y"],
        customers=TableSpec(
            fields={
                "customer_id": FieldSpec(required=True),
                "revenue": FieldSpec(type="money", min=0),
                "employees": FieldSpec(type="integer"),
                "score": FieldSpec(type="number"),
                "active": FieldSpec(type="boolean"),
                "since": FieldSpec(type="date"),
                "tier": FieldSpec(allowed=["A", "B"]),
                "region": FieldSpec(),  # optional and absent: a null column
            },
            rename={"Kundennr": "customer_id", "Umsatz": "revenue"},
        ),
        contacts=TableSpec(fields={"customer_id": FieldSpec(), "role": FieldSpec()}),
    )
    raw = {
        "customers": text_table(
            {
                "Umsatz": ["1200.50", " 0 ", None],
                "Kundennr": ["C1", "C2", " C3 "],
                "unused": ["x", "y", "z"],
                "employees": ["12", "3.0", None],
                "score": ["-1.5e2", "7", "  "],
                "active": ["JA", "no", None],
                "since": ["2024-01-31", "01.02.2023", "2022-03-04T10:15:00+02:00"],
                "tier": ["A", "B", None],
            }
        ),
        "contacts": text_table({"customer_id": ["C3", "C1"], "role": [" CEO", None]}, name="contacts"),
    }
    typed = validate_tables(raw, data)
    expected = pl.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "revenue": [1200.5, 0.0, None],
            "employees": [12, 3, None],
            "score": [-150.0, 7.0, None],
            "active": [True, False, None],
            "since": [dt.date(2024, 1, 31), dt.date(2023, 2, 1), dt.date(2022, 3, 4)],
            "tier": ["A", "B", None],
            "region": pl.Series([None, None, None], dtype=pl.String),
        },
        schema={
            "customer_id": pl.String,
            "revenue": pl.Float64,
            "employees": pl.Int64,
            "score": pl.Float64,
            "active": pl.Boolean,
            "since": pl.Date,
            "tier": pl.String,
            "region": pl.String,
        },
    )
    assert typed["customers"].equals(expected)
    assert typed["contacts"].to_dicts() == [{"customer_id": "C3", "role": "CEO"}, {"customer_id": "C1", "role": None}]


def test_typed_input_passes_through_the_same_casts():
    data = customers(
        revenue=FieldSpec(type="money"),
        employees=FieldSpec(type="integer"),
        since=FieldSpec(type="date"),
        seen=FieldSpec(type="date"),
        active=FieldSpec(type="boolean"),
        flag=FieldSpec(type="boolean"),
    )
    frame = pl.DataFrame(
        {
            "customer_id": [1001.0, 1002.0],  # Excel stores every number as a float
            "revenue": [100, 250],  # integers are fine for money
            "employees": [12.0, 3.0],  # whole floats are fine for integers
            "since": [dt.datetime(2024, 1, 31, 23, 59), dt.datetime(2023, 5, 1)],
            "seen": [dt.date(2020, 1, 1), None],
            "active": [True, False],
            "flag": [1, 0],  # 1/0 read as answers
        }
    )
    typed = validate_tables({"customers": typed_table(frame)}, data)["customers"]
    assert typed.to_dicts() == [
        {"customer_id": "1001", "revenue": 100.0, "employees": 12, "since": dt.date(2024, 1, 31),
         "seen": dt.date(2020, 1, 1), "active": True, "flag": True},
        {"customer_id": "1002", "revenue": 250.0, "employees": 3, "since": dt.date(2023, 5, 1),
         "seen": None, "active": False, "flag": False},
    ]
    assert typed.schema["employees"] == pl.Int64 and typed.schema["revenue"] == pl.Float64


# --- columns ---------------------------------------------------------------------------


def test_missing_required_column_suggests_the_near_miss_and_a_rename():
    data = customers(revenue=FieldSpec(type="money", required=True))
    problem = only_problem({"customers": text_table({"customer_id": ["C1"], "Revenue ": ["1"]})}, data)
    assert problem.file == "customers.csv"
    assert problem.location == "column 'revenue'"
    assert problem.message == "required column 'revenue' is missing"
    assert problem.value == "columns in the file: 'customer_id', 'Revenue '"
    assert problem.hint == (
        "did you mean 'Revenue '? Rename that column to 'revenue' in the file, or map it in the "
        'ruleset: [data.customers.rename] "Revenue " = "revenue"'
    )


def test_near_miss_ignores_case():
    data = customers(revenue=FieldSpec(type="money", required=True))
    raw = {"customers": text_table({"customer_id": ["C1"], "Account Name": ["Acme"], "Revenue TTM": ["1"]})}
    problem = only_problem(raw, data)
    assert problem.hint.startswith("did you mean 'Revenue TTM'?")
    assert problem.hint.endswith('[data.customers.rename] "Revenue TTM" = "revenue"')


def test_missing_renamed_column_without_a_near_miss():
    data = DataConfig(
        customers=TableSpec(fields={**KEY, "revenue": FieldSpec(required=True)}, rename={"Umsatz": "revenue"})
    )
    problem = only_problem({"customers": text_table({"customer_id": ["C1"], "city": ["Bonn"]})}, data)
    assert problem.message == "required column 'Umsatz' (field 'revenue') is missing"
    assert problem.hint == (
        "add a column 'Umsatz' to the file; if the file names it differently, map it in the ruleset: "
        '[data.customers.rename] "<column in the file>" = "revenue"'
    )


def test_missing_optional_column_is_null_not_an_error():
    typed = validate_tables({"customers": text_table({"customer_id": ["C1"]})}, customers(since=FieldSpec(type="date")))
    assert typed["customers"].schema == pl.Schema({"customer_id": pl.String, "since": pl.Date})
    assert typed["customers"]["since"].to_list() == [None]


# --- types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cell", "message"),
    [
        ("money", "1,234", "not an amount of money"),  # thousands separators are refused
        ("money", "12 kg", "not an amount of money"),  # units are not currencies
        ("number", "12,5", "not a number"),
        ("number", "12 EUR", "not a number"),  # currencies only in money fields
        ("number", "nicht bekannt", "not a number"),
    ],
)
def test_numbers_must_be_plain(kind, cell, message):
    data = customers(revenue=FieldSpec(type=kind))
    raw = {"customers": text_table({"customer_id": ["C1", "C2", "C3"], "revenue": ["1", " 2.5 ", cell]})}
    problem = only_problem(raw, data)
    assert (problem.file, problem.location, problem.value) == ("customers.csv", "row 4, column 'revenue'", cell)
    assert problem.message == message
    assert problem.hint == (
        "write a plain number such as 1234.50 (a point as decimal mark, no thousands separators; "
        'if the file writes 1.234,50 set number_format = "de" in [data])'
    )


def test_integer_refuses_fractions_as_text_and_as_floats():
    data = customers(employees=FieldSpec(type="integer"))
    problem = only_problem({"customers": text_table({"customer_id": ["C1"], "employees": ["2.5"]})}, data)
    assert (problem.location, problem.value, problem.message) == ("row 2, column 'employees'", "2.5", "not a whole number")
    assert problem.hint.startswith("write a whole number such as 42")

    frame = pl.DataFrame({"customer_id": ["C1", "C2"], "employees": [2.0, 2.5]})
    problem = only_problem({"customers": typed_table(frame)}, data)
    assert (problem.file, problem.location, problem.value) == ("customers.parquet", "row 2, column 'employees'", "2.5")


def test_boolean_answers_are_case_insensitive_and_unknown_ones_explained():
    data = customers(active=FieldSpec(type="boolean"))
    raw = {"customers": text_table({"customer_id": ["C1", "C2", "C3"], "active": ["YES", "n", " Ja "]})}
    problem = only_problem(raw, data)
    assert (problem.location, problem.value, problem.message) == ("row 4, column 'active'", " Ja ", "not a yes/no answer")
    assert problem.hint == (
        "answer with one of yes, y, true, 1, x (yes) or no, n, false, 0 (no), in any case; "
        "to accept 'Ja', add it to true_values or false_values in [data]"
    )
    data = DataConfig(true_values=["ja"], false_values=["nein"], customers=data.customers)
    typed = validate_tables(raw | {"customers": text_table({"customer_id": ["C1"], "active": [" Ja "]})}, data)
    assert typed["customers"]["active"].to_list() == [True]


def test_unparsable_date_names_the_expected_formats():
    data = DataConfig(date_formats=["%d.%m.%Y"], customers=TableSpec(fields={**KEY, "since": FieldSpec(type="date")}))
    cells = ["2024-01-31", "31.01.2024", "2024-02-30", "01/31/2024"]
    problems, total = problems_of({"customers": text_table({"customer_id": list("ABCD"), "since": cells})}, data)
    assert total == 2
    assert [(p.location, p.value) for p in problems] == [
        ("row 4, column 'since'", "2024-02-30"),
        ("row 5, column 'since'", "01/31/2024"),
    ]
    assert problems[0].message == "not a date (2 cells of column 'since' have this problem)"
    assert problems[1].message == "not a date"
    assert problems[1].hint == (
        "write dates as YYYY-MM-DD (ISO 8601, e.g. 2024-01-31) or as %d.%m.%Y (e.g. 31.01.2024); "
        'for another format add its strftime pattern (e.g. "%d/%m/%Y") to date_formats in [data]'
    )


def test_date_formats_with_a_time_become_dates():
    data = DataConfig(date_formats=["%d/%m/%Y %H:%M"], customers=TableSpec(fields={**KEY, "seen": FieldSpec(type="date")}))
    typed = validate_tables({"customers": text_table({"customer_id": ["C1"], "seen": ["31/01/2024 17:45"]})}, data)
    assert typed["customers"]["seen"].to_list() == [dt.date(2024, 1, 31)]


def test_list_values_are_not_single_cells():
    frame = pl.DataFrame({"customer_id": ["C1"], "tags": [["a", "b"]]})
    problem = only_problem({"customers": typed_table(frame)}, customers(tags=FieldSpec()))
    assert (problem.location, problem.value) == ("row 1, column 'tags'", '["a", "b"]')
    assert problem.message == "holds a list or record, not a single value"

    # JSON objects arrive as Python objects.
    frame = pl.DataFrame([pl.Series("customer_id", ["C1"]), pl.Series("tags", [{"a": 1}], dtype=pl.Object)])
    problem = only_problem({"customers": typed_table(frame)}, customers(tags=FieldSpec()))
    assert (problem.location, problem.value) == ("row 1, column 'tags'", '{"a": 1}')


# --- values ----------------------------------------------------------------------------


def test_empty_cells_where_a_value_is_required():
    data = customers(segment=FieldSpec(nullable=False))
    raw = {"customers": text_table({"customer_id": ["C1", None, "C3"], "segment": ["A", "B", "   "]})}
    problems, total = problems_of(raw, data)
    assert total == 2
    key, segment = problems
    assert (key.location, key.message) == ("row 3, column 'customer_id'", "empty cell: every row needs a customer key ('customer_id')")
    assert key.hint == "fill in a value, or remove the row"
    assert (segment.location, segment.value, segment.message) == (
        "row 4, column 'segment'",
        "   ",
        "empty cell: 'segment' may not be empty",
    )
    assert segment.hint == "fill in a value, or set nullable = true in [data.customers.fields.segment]"


def test_min_and_max():
    data = customers(revenue=FieldSpec(type="money", min=0), score=FieldSpec(type="integer", min=1, max=5))
    raw = {"customers": text_table({"customer_id": ["C1", "C2"], "revenue": ["-0.01", "5"], "score": ["3", "6"]})}
    low, high = problems_of(raw, data)[0]
    assert (low.location, low.value, low.message) == ("row 2, column 'revenue'", "-0.01", "below the minimum of 0")
    assert low.hint == "'revenue' must be at least 0 (min in [data.customers.fields.revenue])"
    assert (high.location, high.value, high.message) == ("row 3, column 'score'", "6", "above the maximum of 5")
    assert high.hint == "'score' must be at most 5 (max in [data.customers.fields.score])"


def test_money_must_be_finite_as_text_and_as_floats():
    data = customers(revenue=FieldSpec(type="money", max=1e6))
    raw = {"customers": text_table({"customer_id": ["C1", "C2"], "revenue": ["inf", "NaN"]})}
    problems, total = problems_of(raw, data)
    assert total == 2  # not also reported as above the maximum
    assert [(p.location, p.value) for p in problems] == [("row 2, column 'revenue'", "inf"), ("row 3, column 'revenue'", "NaN")]
    assert problems[1].message == "not a finite number"
    assert problems[1].hint == "write a real amount (inf and nan are not allowed), or leave the cell empty"

    frame = pl.DataFrame({"customer_id": ["C1"], "revenue": [float("-inf")]})
    problem = only_problem({"customers": typed_table(frame)}, data)
    assert (problem.location, problem.value) == ("row 1, column 'revenue'", "-inf")


def test_allowed_values_with_a_suggestion():
    data = customers(tier=FieldSpec(allowed=["Gold", "Silver"]))
    raw = {"customers": text_table({"customer_id": ["C1", "C2", "C3"], "tier": ["Gold", "gold", "Bronze"]})}
    gold, bronze = problems_of(raw, data)[0]
    assert (gold.location, gold.value, gold.message) == ("row 3, column 'tier'", "gold", "not one of the allowed values (2 cells of column 'tier' have this problem)")
    assert gold.hint == "did you mean 'Gold'? use one of: Gold, Silver (spelt exactly as in allowed in [data.customers.fields.tier])"
    assert bronze.hint == "use one of: Gold, Silver (spelt exactly as in allowed in [data.customers.fields.tier])"


# --- keys ------------------------------------------------------------------------------


def test_duplicate_customer_keys_report_every_row():
    raw = {"customers": text_table({"customer_id": ["C1", "C2", "C1", "C3", "C2 ", "C1"]})}
    problems, total = problems_of(raw, customers())
    assert total == 2
    assert [(p.file, p.location, p.value, p.message) for p in problems] == [
        ("customers.csv", "rows 2, 4 and 7, column 'customer_id'", "C1", "customer key 'C1' appears 3 times"),
        ("customers.csv", "rows 3 and 6, column 'customer_id'", "C2", "customer key 'C2' appears 2 times"),
    ]
    assert problems[0].hint == "each customer must have exactly one row: merge or remove the duplicates, or give them distinct keys"


def test_duplicates_are_found_whatever_the_key_order():
    """The check's shortcuts (keys that strictly increase; no two equal hashes) must not
    hide a repeat: keys in order with one repeat next to itself, keys out of order, and
    empty keys (reported as missing, never as duplicates of each other)."""
    in_order = {"customers": text_table({"customer_id": ["C1", "C2", "C2", "C3"]})}
    problem = only_problem(in_order, customers())
    assert (problem.location, problem.value) == ("rows 3 and 4, column 'customer_id'", "C2")

    ints = {"customers": RawTable("customers", pl.DataFrame({"customer_id": [3, 1, 2, 1]}), "crm.json",
                                  pl.Series("row", ["record 1", "record 2", "record 3", "record 4"]))}
    problem = only_problem(ints, customers())
    assert (problem.location, problem.value) == ("record 2 and record 4, column 'customer_id'", "1")

    fine = {"customers": text_table({"customer_id": ["C3", "C1", "C2", "C10"]})}
    assert validate_tables(fine, customers())["customers"].height == 4


def test_duplicates_in_json_use_its_record_labels():
    labels = pl.Series("row", ["record 1", "record 2", "record 3"], dtype=pl.String)
    raw = {"customers": RawTable("customers", pl.DataFrame({"customer_id": [7, 8, 7]}), "crm.json", labels)}
    problem = only_problem(raw, customers())
    assert (problem.file, problem.location, problem.value) == ("crm.json", "record 1 and record 3, column 'customer_id'", "7")


def test_contacts_and_interactions_of_unknown_customers():
    data = DataConfig(
        customers=TableSpec(fields={"customer_id": FieldSpec(type="integer")}),
        contacts=TableSpec(fields={"customer_id": FieldSpec(), "role": FieldSpec()}, rename={"Kunde": "customer_id"}),
        interactions=TableSpec(fields={"customer_id": FieldSpec()}),
    )
    labels = pl.Series("row", ["record 1, interaction 1", "record 1, interaction 2"], dtype=pl.String)
    raw = {
        "customers": text_table({"customer_id": ["1", "2"]}),
        "contacts": text_table({"Kunde": ["2", "7", None], "role": ["CEO", "CFO", "CTO"]}, name="contacts"),
        "interactions": RawTable(
            "interactions", pl.DataFrame({"customer_id": ["1", "9"]}), "crm.json", labels
        ),
    }
    problems, total = problems_of(raw, data)
    assert total == 3
    assert [(p.file, p.location, p.value, p.message) for p in problems] == [
        ("contacts.csv", "row 4, column 'Kunde'", None, "empty cell: every row needs a customer key ('customer_id')"),
        ("contacts.csv", "row 3, column 'Kunde'", "7", "no customer has this key"),
        ("crm.json", "record 1, interaction 2, column 'customer_id'", "9", "no customer has this key"),
    ]
    assert problems[1].hint == (
        "add the customer to the customers table (customers.csv), correct the key, or remove this row; "
        'to go on without such rows, set orphans = "drop" (or "warn") in [data.contacts]'
    )


# --- reporting -------------------------------------------------------------------------


def test_every_check_is_reported_at_once_with_a_few_cells_each_and_a_total():
    data = customers(revenue=FieldSpec(type="money"), active=FieldSpec(type="boolean"))
    count = 12
    raw = {
        "customers": text_table(
            {
                "customer_id": [f"C{i}" for i in range(count)],
                "revenue": ["oops"] * count,
                "active": ["maybe"] + ["yes"] * (count - 1),
            }
        )
    }
    with pytest.raises(DataError) as error:
        validate_tables(raw, data)
    problems = error.value.problems
    assert error.value.total == count + 1
    # The first cell of every check comes first, so a shortened listing shows every kind of problem.
    assert [p.location for p in problems] == ["row 2, column 'revenue'", "row 2, column 'active'"] + [
        f"row {n}, column 'revenue'" for n in range(3, 2 + SHOWN_PER_CHECK)
    ]
    assert problems[0].message == f"not an amount of money ({count} cells of column 'revenue' have this problem)"
    assert problems[1].message == "not a yes/no answer"
    rendered = error.value.render(limit=len(problems))
    assert rendered.endswith(f"... and {count - SHOWN_PER_CHECK} more problems like these")
    assert "row 7, column 'revenue'" not in rendered


# --- properties ------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(
    amounts=st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), min_size=1),
    counts=st.data(),
)
def test_plain_numbers_written_as_text_read_back_exactly(amounts, counts):
    employees = counts.draw(st.lists(st.integers(-(2**62), 2**62), min_size=len(amounts), max_size=len(amounts)))
    data = customers(revenue=FieldSpec(type="money"), employees=FieldSpec(type="integer"))
    raw = {
        "customers": text_table(
            {
                "customer_id": [f"C{i}" for i in range(len(amounts))],
                "revenue": [f" {a!r} " for a in amounts],
                "employees": [str(n) for n in employees],
            }
        )
    }
    typed = validate_tables(raw, data)["customers"]
    assert typed["revenue"].to_list() == amounts
    assert typed["employees"].to_list() == employees

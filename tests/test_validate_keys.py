"""Orphan rows are found alike whether the customers' keys are in order (binary search)
or not (hashes), for text and integer keys; the rows found by binary search are handed
on to the derive stage."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime.findings import Finding
from clientwise.runtime.related_rows import CustomerRows
from clientwise.runtime.validate import validate_tables


def table(name: str, frame: pl.DataFrame) -> RawTable:
    return RawTable(name, frame, f"{name}.parquet", pl.Series("row", range(1, frame.height + 1), dtype=pl.Int64))


@settings(max_examples=60, deadline=None)
@given(
    known=st.lists(st.integers(0, 40), unique=True, max_size=15),
    related=st.lists(st.integers(0, 50), max_size=30),
    in_order=st.booleans(),
    related_in_order=st.booleans(),
    as_text=st.booleans(),
)
def test_orphans_are_the_rows_no_customer_has(known, related, in_order, related_in_order, as_text):
    customers = sorted(known) if in_order else known
    contacts = sorted(related) if related_in_order else related
    kind = "string" if as_text else "integer"
    convert = (lambda k: f"C{k:03d}") if as_text else (lambda k: k)
    data = DataConfig(
        customers=TableSpec(fields={"customer_id": FieldSpec(type=kind)}),
        contacts=TableSpec(fields={"customer_id": FieldSpec(type=kind), "n": FieldSpec(type="integer")},
                           orphans="drop"),
    )
    raw = {
        "customers": table("customers", pl.DataFrame({"customer_id": [convert(k) for k in customers]})),
        "contacts": table("contacts", pl.DataFrame({"customer_id": [convert(k) for k in contacts],
                                                     "n": list(range(len(contacts)))})),
    }
    findings: list[Finding] = []
    typed = validate_tables(raw, data, findings)
    kept = [n for n, k in enumerate(contacts) if k in set(known)]
    assert typed["contacts"].get_column("n").to_list() == kept
    orphans = [f for f in findings if f.kind == "orphans"]
    missing = len(contacts) - len(kept)
    assert [f.count for f in orphans] == ([missing] if missing else [])
    if missing:
        first = next(n for n, k in enumerate(contacts) if k not in set(known))
        assert orphans[0].located[0].location == f"row {first + 1}, column 'customer_id'"


def test_text_keys_of_related_rows_against_integer_customer_keys():
    data = DataConfig(
        customers=TableSpec(fields={"customer_id": FieldSpec(type="integer")}),
        contacts=TableSpec(fields={"customer_id": FieldSpec(), "n": FieldSpec(type="integer")}, orphans="drop"),
    )
    raw = {
        "customers": table("customers", pl.DataFrame({"customer_id": [1, 2, 3]})),
        "contacts": table("contacts", pl.DataFrame({"customer_id": ["2", "7", "3", "1"], "n": [0, 1, 2, 3]})),
    }
    typed = validate_tables(raw, data, [])
    assert typed["contacts"].get_column("n").to_list() == [0, 2, 3]


@pytest.mark.parametrize("orphans", ["error", "warn", "drop"])
@pytest.mark.parametrize("in_order", [True, False])
def test_validation_hands_each_related_rows_customer_to_the_derive_stage(orphans, in_order):
    """Past the small-table path (256 rows), the key check's binary search gives every
    contact its customer's row number; they are handed on only where they stay aligned
    with the table as validated (no row dropped) and with the customers (in key order)."""
    known = [f"C{k:04d}" for k in range(0, 800, 2)]
    customers = known if in_order else known[::-1]
    wanted = [f"C{k:04d}" for k in [*range(0, 800, 6), *range(0, 800, 4), *([9999] if orphans != "error" else [])]]
    data = DataConfig(
        customers=TableSpec(fields={"customer_id": FieldSpec()}),
        contacts=TableSpec(fields={"customer_id": FieldSpec(), "n": FieldSpec(type="integer")}, orphans=orphans),
    )
    raw = {
        "customers": table("customers", pl.DataFrame({"customer_id": customers})),
        "contacts": table("contacts", pl.DataFrame({"customer_id": wanted, "n": list(range(len(wanted)))})),
    }
    found: dict[str, CustomerRows] = {}
    typed = validate_tables(raw, data, [], customer_rows=found)
    if not in_order or orphans == "drop":
        assert found == {}
        return
    position = {key: row for row, key in enumerate(customers)}
    assert typed["contacts"].height == len(wanted)
    assert found["contacts"].rows.to_list() == [position.get(key) for key in wanted]
    assert found["contacts"].orphans == (orphans == "warn")

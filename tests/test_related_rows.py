"""Related rows find their customer's row by binary search, the same as joining on the key."""

from __future__ import annotations

import random

import polars as pl
import pytest

from clientwise.expr import summation
from clientwise.runtime.related_rows import customer_rows, strictly_increasing

KEYS = pl.Series("customer_id", ["C1", "C3", "C4", "C7"])


def joined(keys: pl.Series, related: pl.Series) -> list[int | None]:
    """The rows a left join on the key gives (the definition the search must match)."""
    index = keys.to_frame().with_row_index("row")
    return related.to_frame().join(index, on=keys.name, how="left", maintain_order="left")["row"].to_list()


def test_rows_in_key_order_are_searched_once_per_run_and_stay_sorted() -> None:
    related = pl.Series("customer_id", ["C1", "C1", "C2", "C3", "C7", "C7", "C9"])
    found = customer_rows(KEYS, related)
    assert found is not None
    assert found.rows.to_list() == [0, 0, None, 1, 3, 3, None] == joined(KEYS, related)
    assert found.ascending and found.orphans


def test_rows_in_any_order_and_with_missing_keys() -> None:
    related = pl.Series("customer_id", ["C7", "C1", None, "C4", "C0", "C4"])
    found = customer_rows(KEYS, related)
    assert found is not None
    assert found.rows.to_list() == [3, 0, None, 2, None, 2] == joined(KEYS, related)
    assert not found.ascending and found.orphans


def test_integer_keys_and_a_large_shuffled_table_agree_with_the_join() -> None:
    rng = random.Random(5)
    keys = pl.Series("id", sorted(rng.sample(range(100_000), 5_000)))
    related = pl.Series("id", [rng.randrange(100_000) for _ in range(20_000)])
    for table in (related, related.sort()):
        found = customer_rows(keys, table)
        assert found is not None and found.rows.to_list() == joined(keys, table)


@pytest.mark.parametrize("keys", [["C2", "C1"], ["C1", "C1"], ["C1", None]])
def test_keys_out_of_order_repeated_or_missing_leave_it_to_the_join(keys: list[str | None]) -> None:
    series = pl.Series("customer_id", keys, dtype=pl.String)
    assert not strictly_increasing(series)
    assert customer_rows(series, pl.Series("customer_id", ["C1"])) is None


def test_no_customers_means_no_rows_belong_to_one() -> None:
    found = customer_rows(pl.Series("customer_id", [], dtype=pl.String), pl.Series("customer_id", ["C1"]))
    assert found is not None and found.rows.to_list() == [None]


def test_whole_number_sums_are_exact_on_both_paths() -> None:
    """Small totals are added in doubles (exact below 2**53); larger ones in Int128."""
    groups = pl.Series([0, 0, 1, 1, 2])
    small = pl.Series([3, -4, 2**52, 1, None], dtype=pl.Int64)
    assert summation.sums(small, groups, 3).to_list() == [-1, 2**52 + 1, 0]
    large = pl.Series([2**62, 2**62, 2**53, 1, -5], dtype=pl.Int64)
    assert summation.sums(large, groups, 3).to_list() == [2**63, 2**53 + 1, -5]
    assert summation.means(large, groups, 3).to_list() == [2.0**62, float(2**53 + 1) / 2, -5.0]

"""Which customer each related row (contact, interaction) belongs to, as a row number.

The derive stage groups related rows by the customer's row number rather than by the
(text) key: grouping by an integer is several times faster. Customers arrive sorted
by key with each key once, so a row's customer is found by binary search
(``search_sorted``) instead of a hash join of millions of texts; exports list a
customer's rows together, usually in key order, and then only the first row of each
run of equal keys is searched and the numbers come out sorted, which polars'
group-by turns into slicing runs. A frame whose keys are not strictly increasing
(one customer spliced onto the portfolio by ``evaluate_one``) gets ``None``: the
caller joins on the key instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class CustomerRows:
    """Per related row its customer's row number (null: no customer has the key), and
    whether the numbers are in ascending order (nulls aside)."""

    rows: pl.Series
    ascending: bool

    @property
    def orphans(self) -> bool:
        return self.rows.null_count() > 0


def strictly_increasing(keys: pl.Series) -> bool:
    """Whether every key is greater than the one before (so also: no null, no repeat)."""
    if keys.null_count():
        return False
    return keys.len() < 2 or bool((keys.slice(1) > keys.slice(0, keys.len() - 1)).all())


def customer_rows(keys: pl.Series, related: pl.Series) -> CustomerRows | None:
    """The row in ``keys`` of each value of ``related`` (same dtype), or None when
    ``keys`` is not strictly increasing."""
    if not strictly_increasing(keys):
        return None
    if keys.len() == 0:
        return CustomerRows(pl.Series(related.name, [None] * related.len(), dtype=pl.UInt32), True)
    ascending = related.null_count() == 0 and related.is_sorted()
    if ascending:  # one search per run of equal keys, spread over the run
        runs = related.rle()
        rows = _found(keys, runs.struct.field("value")).gather(related.rle_id())
    else:
        rows = _found(keys, related)
    return CustomerRows(rows.alias(related.name), ascending)


def _found(keys: pl.Series, wanted: pl.Series) -> pl.Series:
    """Each wanted key's position in ``keys``; null where no key equals it."""
    at = keys.search_sorted(wanted, side="left").clip(upper_bound=keys.len() - 1)
    hit = (keys.gather(at) == wanted).fill_null(False)
    return pl.select(pl.when(hit).then(at).otherwise(None).cast(pl.UInt32)).to_series()

"""Key checks: each customer once; every contact and interaction names a known customer.

A table may be stacked from several files (its sources), so every row is located
in the file it came from. Both checks work on 64-bit hashes of the keys, several
times faster than on strings. Duplicates found by hash are confirmed on the keys
themselves, so a collision never reports two different keys; for orphans a
collision could only hide one, with a chance of about 1e-13 per orphan key.

Most exports list customers in key order, so the duplicate check first asks whether
the keys strictly increase (one comparison per row: then none repeats); otherwise it
sorts the hashes and compares neighbours, several times faster than polars'
``is_duplicated``, which runs only when some hash does repeat, to find the rows.
Keys that strictly increase also let the orphan check find each related row's
customer by binary search (``related_rows.customer_rows``, as the derive stage
does) instead of a hash join: exact, and at a million customers several times
cheaper.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

import polars as pl

from clientwise.errors import Problem
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import RELATED_TABLES, DataConfig
from clientwise.runtime.casts import Check
from clientwise.runtime.cell_problems import (
    SHOWN_PER_CHECK,
    ProblemReport,
    cell_problems,
    cell_text,
    joined_rows,
)
from clientwise.runtime.findings import Finding
from clientwise.runtime.related_rows import CustomerRows, customer_rows, strictly_increasing
from clientwise.runtime.validate_small import SMALL_TABLE


@dataclass(frozen=True)
class KeyedPart:
    """One source's rows of a table as validated, and its key column as the file names it
    (None: the column is missing, which is reported already)."""

    table: RawTable
    column: str | None


def check_keys(
    parts: Mapping[str, Sequence[KeyedPart]],
    typed: dict[str, pl.DataFrame],
    data: DataConfig,
    report: ProblemReport,
    findings: list[Finding],
    found_rows: dict[str, CustomerRows] | None = None,
) -> None:
    """Report duplicate customers and orphan rows; with ``orphans = "drop"`` remove
    those rows from ``typed`` (which is why it is a dict, updated in place).

    Where the customers' keys strictly increase, each related row's customer is found
    by binary search; ``found_rows`` then receives those row numbers per related table
    (as typed, orphans kept), for the derive stage to group by without searching again."""
    customers = parts.get("customers", ())
    if "customers" not in typed or not customers or any(part.column is None for part in customers):
        return
    if _plainly_fine(typed, data.key):
        return
    keys = typed["customers"].get_column(data.key)
    hashes = keys.hash()
    _check_duplicates(customers, keys, hashes, report)
    if not any(name in typed and data.table(name) is not None for name in RELATED_TABLES):
        return
    files = " and ".join(dict.fromkeys(part.table.file for part in customers))
    ordered = strictly_increasing(keys)
    for name in RELATED_TABLES:
        spec = data.table(name)
        if name not in typed or spec is None:
            continue
        child = typed[name].get_column(data.key)
        if child.dtype != keys.dtype:  # e.g. integer keys in customers, text in contacts
            child = child.cast(pl.String)
            orphan = _orphans(child, keys.cast(pl.String).drop_nulls().hash())
        elif ordered:
            found = customer_rows(keys, child)
            assert found is not None  # the keys strictly increase
            orphan = found.rows.is_null() & child.is_not_null()
            if found_rows is not None and (spec.orphans != "drop" or not orphan.any()):
                found_rows[name] = found  # rows left out would misalign them: derive finds its own
        else:
            orphan = _orphans(child, hashes.filter(keys.is_not_null()))
        if not orphan.any():
            continue
        offset = 0
        for part in parts[name]:
            height = part.table.frame.height
            if part.column is not None:
                local = orphan.slice(offset, height)
                _report_orphans(name, part, local, child.slice(offset, height), spec.orphans, files, report, findings)
            offset += height
        if spec.orphans == "drop":
            typed[name] = typed[name].filter(~orphan)


def _plainly_fine(typed: Mapping[str, pl.DataFrame], key: str) -> bool:
    """True for small tables (a test case, one customer) with no repeated customer key
    and no orphan, checked in Python without the polars operations below; False means
    they look (which also words what they find)."""
    if any(frame.height > SMALL_TABLE for frame in typed.values()):
        return False
    keys = typed["customers"].get_column(key)
    if keys.dtype.is_float():  # NaN keys: polars decides what repeats
        return False
    present = [k for k in keys.to_list() if k is not None]
    known = set(present)
    if len(known) < len(present):
        return False
    for name in RELATED_TABLES:
        if name in typed:
            child = typed[name].get_column(key)
            if child.dtype != keys.dtype or any(k is not None and k not in known for k in child.to_list()):
                return False
    return True


def _orphans(child: pl.Series, known: pl.Series) -> pl.Series:
    """True where a row's key is present but its hash is none of the ``known`` customers' hashes."""
    frame = pl.DataFrame({"h": child.hash(), "at": pl.int_range(child.len(), dtype=pl.UInt32, eager=True)})
    found = frame.filter(child.is_not_null()).join(known.unique().to_frame("h"), on="h", how="anti").get_column("at")
    return pl.repeat(False, child.len(), dtype=pl.Boolean, eager=True).alias("orphan").scatter(found, True)


def _report_orphans(
    table: str,
    part: KeyedPart,
    orphan: pl.Series,
    keys: pl.Series,
    mode: str,
    customers_file: str,
    report: ProblemReport,
    findings: list[Finding],
) -> None:
    count = int(orphan.sum())
    if not count:
        return
    assert part.column is not None
    positions = orphan.arg_true()
    if mode == "error":
        check = Check(
            pl.lit(True),
            "no customer has this key",
            f"add the customer to the customers table ({customers_file}), correct the key, or remove this row; "
            f'to go on without such rows, set orphans = "drop" (or "warn") in [data.{table}]',
        )
        report.add(count, cell_problems(part.table, part.column, positions.head(SHOWN_PER_CHECK), check, count))
        return
    first = [cell_text(k) or "" for k in keys.gather(positions).unique(maintain_order=True).head(SHOWN_PER_CHECK)]
    rows = joined_rows(part.table.rows, positions.head(SHOWN_PER_CHECK))
    effect = "left out" if mode == "drop" else "kept"
    rows_name = f"{count} rows name" if count != 1 else "1 row names"
    message = (
        f"{rows_name} a customer not in customers ({customers_file}), {effect}: "
        f"keys {', '.join(first)}{' ...' if count > len(first) else ''} ({rows}{', ...' if count > SHOWN_PER_CHECK else ''}, "
        f"column '{part.column}')"
    )
    hint = (f"add the customer to the customers table ({customers_file}), correct the key, or remove this row; "
            f'with orphans = "{mode}" in [data.{table}] such rows are {effect} and only reported')
    located = cell_problems(part.table, part.column, positions.head(SHOWN_PER_CHECK),
                            Check(pl.lit(True), f"no customer has this key (row {effect})", hint), count)
    findings.append(Finding("orphans", "warning", table, message, file=part.table.file, field=None,
                            count=count, examples=tuple(first), hint=hint, located=tuple(located)))


def _may_repeat(keys: pl.Series, hashes: pl.Series) -> bool:
    """False when no two present keys can be equal (strictly increasing keys, or no two
    equal hashes); True means look closer."""
    present = keys.drop_nulls()
    if present.len() < 2:
        return False
    if (present.slice(1) > present.slice(0, present.len() - 1)).all():
        return False
    ordered = hashes.filter(keys.is_not_null()).sort()
    return bool((ordered.slice(1) == ordered.slice(0, ordered.len() - 1)).any())


def _check_duplicates(parts: Sequence[KeyedPart], keys: pl.Series, hashes: pl.Series, report: ProblemReport) -> None:
    if not _may_repeat(keys, hashes):
        return
    candidates = hashes.is_duplicated() & keys.is_not_null()
    if not candidates.any():
        return
    groups = (
        pl.DataFrame({"key": keys, "at": pl.int_range(keys.len(), dtype=pl.UInt32, eager=True)})
        .filter(candidates)
        .group_by("key", maintain_order=True)
        .agg("at")
        .filter(pl.col("at").list.len() > 1)
    )
    starts = [0, *accumulate(part.table.frame.height for part in parts)]
    shown = []
    for key, at in groups.head(SHOWN_PER_CHECK).iter_rows():
        more = f" (shown: first {SHOWN_PER_CHECK})" if len(at) > SHOWN_PER_CHECK else ""
        by_part: dict[int, list[int]] = {}
        for position in at[:SHOWN_PER_CHECK]:
            index = bisect.bisect_right(starts, position) - 1
            by_part.setdefault(index, []).append(position - starts[index])
        places = [
            (parts[i].table.file,
             f"{joined_rows(parts[i].table.rows, pl.Series(local, dtype=pl.UInt32))}, column '{parts[i].column}'")
            for i, local in by_part.items()
        ]
        one_file = len(places) == 1
        shown.append(
            Problem(
                f"customer key '{cell_text(key)}' appears {len(at)} times{more}",
                file=places[0][0] if one_file else None,
                location=places[0][1] if one_file else "; ".join(f"{file}: {where}" for file, where in places),
                value=cell_text(key),
                hint="each customer must have exactly one row: merge or remove the duplicates, "
                "or give them distinct keys",
            )
        )
    report.add(groups.height, shown)

"""Pairs of results joined by customer, and what moved between them.

:func:`paired` joins the two customers tables on the key into one frame holding each
compared column twice (``<column>__a`` before, ``<column>__b`` after) and whether the
customer is in each result. Every other function reads that frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from clientwise.compiler.plan import SectionSummary

A, B = "__a", "__b"
IN_A, IN_B = "in__a", "in__b"
#: How a missing (null) class is labelled in a migration matrix.
NONE = "(none)"


def paired(a: pl.DataFrame, b: pl.DataFrame, key: str, name: str | None, columns: Sequence[str]) -> pl.DataFrame:
    """One row per customer of either table, in key order: key, name (the newer one when
    both have it), ``in__a``/``in__b``, and ``<column>__a``/``<column>__b`` per column."""
    def side(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
        present = [c for c in columns if c in frame.columns]
        names = [pl.col(name).alias(f"{name}{suffix}")] if name and name != key and name in frame.columns else []
        return frame.select(pl.col(key).cast(pl.String), *names, *(pl.col(c).alias(f"{c}{suffix}") for c in present),
                            pl.lit(True).alias(f"in{suffix}"))

    joined = side(a, A).join(side(b, B), on=key, how="full", coalesce=True, maintain_order="left_right")
    fill = [pl.col(IN_A).fill_null(False), pl.col(IN_B).fill_null(False)]
    for column in columns:  # a column only one side has is null on the other
        for suffix in (A, B):
            if f"{column}{suffix}" not in joined.columns:
                other = next(c for c in (f"{column}{A}", f"{column}{B}") if c in joined.columns)
                fill.append(pl.lit(None, joined.schema[other]).alias(f"{column}{suffix}"))
    joined = joined.with_columns(fill)
    if name and name != key:
        names = [c for c in (f"{name}{B}", f"{name}{A}") if c in joined.columns]
        joined = joined.with_columns(pl.coalesce(names).alias(name) if names else pl.lit(None, pl.String).alias(name))
        joined = joined.drop([c for c in (f"{name}{A}", f"{name}{B}") if c in joined.columns])
    return joined.sort(key)


def both(pairs: pl.DataFrame, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """The customers present in both results (only ``columns``, when given: filtering
    a few columns of a million rows is much cheaper than filtering all of them)."""
    chosen = pairs if columns is None else pairs.select(*columns, IN_A, IN_B)
    return chosen.filter(pl.col(IN_A) & pl.col(IN_B))


def _label(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null(NONE)


def matrix(pairs: pl.DataFrame, column: str, weight: str | None = None) -> pl.DataFrame:
    """``from``, ``to``, ``customers`` (and the sum of ``weight``) over customers in both
    results; a null class is labelled :data:`NONE`. Only cells with customers appear."""
    aggregates = [pl.len().cast(pl.Int64).alias("customers")]
    if weight is not None:
        aggregates.append(pl.col(weight).sum().alias(weight))
    return (both(pairs, [f"{column}{A}", f"{column}{B}", *([weight] if weight else [])])
            .group_by(_label(f"{column}{A}").alias("from"), _label(f"{column}{B}").alias("to"))
            .agg(aggregates).sort("from", "to"))


def changed(pairs: pl.DataFrame, column: str, key: str, name: str | None) -> pl.DataFrame:
    """Customers in both results whose ``column`` differs (null counts as a value):
    key, name, ``before``, ``after``, in key order."""
    ids = [key, *([name] if name and name != key and name in pairs.columns else [])]
    before, after = pl.col(f"{column}{A}"), pl.col(f"{column}{B}")
    return (both(pairs, [*ids, f"{column}{A}", f"{column}{B}"]).filter(before.ne_missing(after))
            .select(*ids, before.alias("before"), after.alias("after")))


def action_changes(pairs: pl.DataFrame, key: str, name: str | None, column: str = "actions") -> pl.DataFrame:
    """Per customer in both results: ``gained``, ``lost`` and ``kept`` action ids (each in
    its run's priority order); only customers whose actions differ or persist appear.

    Customers are numbered and action ids coded as small integers, so the set operations
    over millions of (customer, action) pairs are integer look-ups, not text joins.
    """
    ids = [key, *([name] if name and name != key and name in pairs.columns else [])]
    common = (both(pairs, [*ids, f"{column}{A}", f"{column}{B}"])
              .select(*ids, pl.col(f"{column}{A}").alias("a"), pl.col(f"{column}{B}").alias("b"))
              .with_row_index("row"))

    def exploded(side: str) -> pl.DataFrame:
        return (common.select("row", pl.col(side).fill_null([]).alias("action"))
                .with_columns(pl.int_ranges(pl.col("action").list.len()).alias("order"))
                .explode("action", "order").drop_nulls("action"))

    old, new = exploded("a"), exploded("b")
    codes = pl.concat([old["action"], new["action"]]).unique(maintain_order=True)
    width = max(codes.len(), 1)

    def coded(frame: pl.DataFrame) -> pl.DataFrame:
        code = pl.col("action").replace_strict(codes, pl.int_range(codes.len(), eager=True), return_dtype=pl.Int64)
        return frame.with_columns((pl.col("row").cast(pl.Int64) * width + code).alias("pair"))

    old, new = coded(old), coded(new)

    def listed(frame: pl.DataFrame, alias: str) -> pl.DataFrame:
        return frame.sort("row", "order").group_by("row", maintain_order=True).agg(pl.col("action").alias(alias))

    gained = listed(new.filter(~pl.col("pair").is_in(old["pair"].implode())), "gained")
    lost = listed(old.filter(~pl.col("pair").is_in(new["pair"].implode())), "lost")
    kept = listed(new.filter(pl.col("pair").is_in(old["pair"].implode())), "kept")
    empty = pl.lit([], pl.List(pl.String))
    return (common.select("row", *ids)
            .join(gained, on="row", how="left", maintain_order="left")
            .join(lost, on="row", how="left", maintain_order="left")
            .join(kept, on="row", how="left", maintain_order="left")
            .drop("row")
            .with_columns(pl.col(c).fill_null(empty) for c in ("gained", "lost", "kept"))
            .filter((pl.col("gained").list.len() + pl.col("lost").list.len() + pl.col("kept").list.len()) > 0))


def tier_order(frames: Sequence[pl.DataFrame], column: str = "tier", rank: str = "segment_rank") -> list[str]:
    """Classes best first: by the smallest rank seen in each, then as first seen."""
    seen = [v for f in frames if column in f.columns for v in f[column].cast(pl.String).unique(maintain_order=True)]
    ranked_frames = [f.select(pl.col(column).cast(pl.String), rank) for f in frames
                     if column in f.columns and rank in f.columns]
    ranked: list[Any] = []
    if ranked_frames:
        best = (pl.concat(ranked_frames).group_by(column).agg(pl.col(rank).min())
                .sort(rank, column, nulls_last=True))
        ranked = best[column].to_list()
    labels = [NONE if v is None else str(v) for v in [*ranked, *seen]]
    return list(dict.fromkeys(labels))


def figures_side_by_side(a: Sequence[SectionSummary], b: Sequence[SectionSummary]) -> list[tuple[str, str, Any, Any]]:
    """(section, figure, value in A, value in B) for every figure either side reports."""
    by_a = {s.section: s.figures for s in a}
    by_b = {s.section: s.figures for s in b}
    rows = []
    for section in dict.fromkeys([*by_a, *by_b]):
        fa, fb = by_a.get(section, {}), by_b.get(section, {})
        for figure in dict.fromkeys([*fa, *fb]):
            rows.append((section, figure, fa.get(figure), fb.get(figure)))
    return rows

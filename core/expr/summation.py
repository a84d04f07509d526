"""Adding many numbers up, the same way in every back end and on every run.

Floating-point addition is not associative: the same values added in another order
can differ in the last digit, and a last digit decides a tie in a rank, and a rank at
a cut-off decides a tier. polars' group-by adds partial sums per thread and merges
them in an order that changes with the thread count, and its column sum adds pairwise
in blocks. So a sum in clientwise is defined as the plain sequential sum in row order,
``((0 + x1) + x2) + ...``: exactly what Python's ``sum()`` computes, which makes the
reference evaluator the definition, and gives byte-identical results on any machine.

* floats: :func:`sums` adds each group's values in row order with numpy's
  ``bincount`` (one C loop, ``total[group[i]] += value[i]``), as fast as polars'
  parallel sum on one core;
* whole numbers are added exactly, in Int128 (then any order gives the same sum);
  a total beyond 64 bits is an overflow (:mod:`clientwise.expr.numbers`). Where the
  absolute values add up to less than 2**53, every partial sum is a whole number a
  double holds exactly, so ``bincount`` adds them exactly too, without the group-by.

A mean is the sum (as a float) divided by the count, the same in both back ends.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

#: Whole numbers below this add up exactly in doubles (every one of them is a double).
_EXACT = float(2**53)


def _groups(present: pl.Series, groups: pl.Series | None) -> np.ndarray:
    """The group number of each present value (all 0 without groups)."""
    if groups is None:
        return np.zeros(int(present.sum()), dtype=np.int64)
    return groups.filter(present).cast(pl.Int64).to_numpy()


def sums(values: pl.Series, groups: pl.Series | None = None, count: int = 1) -> pl.Series:
    """Per group (``groups[i]`` in ``0 .. count - 1``; all one group without it), the
    sum of the non-null ``values`` in row order; 0 for a group without any.

    Integers give an exact Int128 sum (order does not matter), floats the sequential
    float sum (order matters; rows are added in the order given).
    """
    present = values.is_not_null()
    group, kept = _groups(present, groups), values.filter(present)
    if values.dtype.is_integer():
        if kept.len() == 0 or kept.cast(pl.Float64).abs().sum() < _EXACT:  # exact in doubles: see the docstring
            exact = np.bincount(group, weights=kept.cast(pl.Float64).to_numpy(), minlength=count)
            return pl.Series(values.name, exact, dtype=pl.Float64).cast(pl.Int128)
        totals = pl.DataFrame({"g": group, "v": kept.cast(pl.Int128)}).group_by("g").agg(pl.col("v").sum())
        return pl.Series(values.name, [0] * count, dtype=pl.Int128).scatter(totals["g"], totals["v"])
    weights = kept.cast(pl.Float64).to_numpy()
    return pl.Series(values.name, np.bincount(group, weights=weights, minlength=count), dtype=pl.Float64)


def ordered_sum(values: pl.Series) -> float:
    """The sum of a column's non-null values as one float, added as :func:`sums` adds
    (row order), so that a summary's total is the same on every run and equals the last
    value of the column's ``cum_sum`` (polars' own ``Series.sum`` adds pairwise in blocks
    that depend on how the column is chunked)."""
    return float(sums(values)[0])


def counts(values: pl.Series, groups: pl.Series | None = None, count: int = 1) -> pl.Series:
    """Per group, how many ``values`` are not null (Int64)."""
    group = _groups(values.is_not_null(), groups)
    return pl.Series(values.name, np.bincount(group, minlength=count), dtype=pl.Int64)


def means(values: pl.Series, groups: pl.Series | None = None, count: int = 1) -> pl.Series:
    """Per group, the sum of the non-null values (as a float) divided by their count; null for none."""
    total = sums(values, groups, count).cast(pl.Float64).to_numpy()
    many = counts(values, groups, count).to_numpy()
    mean = np.where(many > 0, total / np.maximum(many, 1), np.nan)  # a finite sum never gives NaN
    return pl.Series(values.name, mean, dtype=pl.Float64, nan_to_null=True)


def sum_expr(x: pl.Expr, integer: bool) -> pl.Expr:
    """The sum of a column as one value (population ``sum``): exact Int128 for whole numbers."""
    if integer:
        return x.cast(pl.Int128).sum()
    return x.map_batches(lambda s: sums(s)[:1], return_dtype=pl.Float64, returns_scalar=True)


def mean_expr(x: pl.Expr) -> pl.Expr:
    """The mean of a column as one value (population ``mean``); null without values."""
    return x.map_batches(lambda s: means(s)[:1], return_dtype=pl.Float64, returns_scalar=True)


def python_mean(values: list[Any]) -> float | None:
    """The reference mean: the sum as a float over the count."""
    return float(sum(values)) / len(values) if values else None

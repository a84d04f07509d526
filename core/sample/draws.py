"""Random columns for the sample generator: reproducible everywhere, fast for millions.

Python promises that ``random.Random.random`` yields the same sequence for the same
seed in every version, so every draw starts there (numpy is not a dependency, and
polars' own sampling may change between releases). Each call gives 53 random bits,
split exactly into two uniforms to halve the Python-level work; everything after that
is polars arithmetic. Each column draws from its own named stream, so changing how
one column is made never shifts the values of another.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from itertools import accumulate, repeat
from typing import Any

import polars as pl

_CHUNK = 1 << 20
#: ``random()`` returns k / 2**53; k's top 26 bits and low 27 bits are two uniforms.
_SPLIT = float(1 << 26)


class Draws:
    """Named, independent streams of uniform random numbers for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def uniform(self, stream: str, n: int) -> pl.Series:
        """``n`` uniforms in [0, 1), the same for the same seed and stream name."""
        rng = random.Random(f"clientwise.sample:{self.seed}:{stream}")
        draw = rng.random
        half = (n + 1) // 2
        chunks = [
            pl.Series(stream, [draw() for _ in repeat(None, min(_CHUNK, half - start))], pl.Float64)
            for start in range(0, half, _CHUNK)
        ]
        raw = pl.concat(chunks) if chunks else pl.Series(stream, [], pl.Float64)
        scaled = raw * _SPLIT  # exact: a power-of-two scale
        high = scaled.floor()
        return pl.concat([high / _SPLIT, scaled - high]).head(n).alias(stream)

    def frame(self, prefix: str, n: int, names: Sequence[str]) -> pl.DataFrame:
        """A frame of uniform columns ``u_<name>``, one independent stream per name (read with :func:`u`)."""
        return pl.DataFrame([self.uniform(f"{prefix}.{name}", n).alias(f"u_{name}") for name in names])


def u(name: str) -> pl.Expr:
    """The uniform column ``name`` of a :meth:`Draws.frame`."""
    return pl.col(f"u_{name}")


def normal(u1: pl.Expr, u2: pl.Expr) -> pl.Expr:
    """Standard normal values from two uniforms (Box-Muller); 1 - u keeps log away from 0."""
    return (-2.0 * (1.0 - u1).log()).sqrt() * (2.0 * math.pi * u2).cos()


def choose(u: pl.Expr, values: Sequence[Any], weights: Sequence[float]) -> pl.Expr:
    """Pick from ``values`` with the given weights, one uniform per row."""
    return choose_by(u, pl.lit(0, pl.Int64), values, [weights])


def choose_by(
    u: pl.Expr, group: pl.Expr, values: Sequence[Any], weights: Sequence[Sequence[float]]
) -> pl.Expr:
    """Pick from ``values`` with weights that depend on a row's group (0, 1, ...).

    Group g's cumulative thresholds are shifted to [g, g + 1), so one sorted search over
    all groups finds the value for ``group + u``; the result modulo the number of
    values is the index within the group.
    """
    width = len(values)
    thresholds: list[float] = []
    for g, row in enumerate(weights):
        if len(row) != width:
            raise ValueError(f"weights for group {g} must have {width} entries")
        total = float(sum(row))
        inner = list(accumulate(w / total for w in row))[:-1]
        thresholds.extend(g + t for t in inner)
        thresholds.append(g + 1.0)
    cut = pl.Series("thresholds", thresholds, pl.Float64)
    position = pl.lit(cut).search_sorted(group.cast(pl.Float64) + u, side="right")
    return pl.lit(pl.Series("values", list(values))).gather(position.cast(pl.Int64) % width)


def pick(u: pl.Expr, count: int) -> pl.Expr:
    """True for the ``count`` rows with the smallest uniform: an exact number of special cases."""
    return u.rank("ordinal") <= count


def scaled_count(n: int, share: float, minimum: int) -> int:
    """How many special cases a portfolio of ``n`` gets: a share, but never fewer than ``minimum``."""
    return min(n, max(minimum, round(n * share)))


def cents(value: pl.Expr) -> pl.Expr:
    """Round money to cents (see :func:`decimals`)."""
    return decimals(value, 2)


def decimals(value: pl.Expr, places: int) -> pl.Expr:
    """Round to ``places`` decimals, half up, so CSVs show ``5.6``, not ``5.6000000000000005``.

    The half-up step is explicit so the result does not depend on polars' rounding
    mode; polars divides by a constant as a multiplication by its reciprocal, which
    can miss the nearest float by one unit, so ``round`` then snaps it back (the
    value is never near a half there, so the mode cannot matter).
    """
    scale = float(10**places)
    return ((value * scale + 0.5).floor() / scale).round(places)


def days_before(as_of: pl.Expr, days: pl.Expr) -> pl.Expr:
    """The date ``days`` whole days before ``as_of``."""
    return as_of - pl.duration(days=days.cast(pl.Int64))


def choose_within(u: pl.Expr, group: pl.Expr, lists: Sequence[Sequence[Any]]) -> pl.Expr:
    """Pick uniformly from the list that belongs to a row's group (e.g. legal forms per region)."""
    flat = [value for values in lists for value in values]
    offsets = pl.Series("offsets", list(accumulate((len(v) for v in lists[:-1]), initial=0)), pl.Int64)
    sizes = pl.Series("sizes", [len(v) for v in lists], pl.Int64)
    size = pl.lit(sizes).gather(group)
    within = pl.min_horizontal((u * size).floor().cast(pl.Int64), size - 1)  # u may be rescaled past 1
    index = pl.lit(offsets).gather(group) + within
    return pl.lit(pl.Series("values", flat)).gather(index)

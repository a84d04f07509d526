"""Cell values as every writer shows them: one cleaning, so CSV, JSON, the terminal and
the reports agree on NaN, infinities, -0.0, dates and kinds of column."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from clientwise.output.blocks import kind_of_dtype
from clientwise.runtime.result import Result


def finite(frame: pl.DataFrame) -> pl.DataFrame:
    """NaN and infinities become null and -0.0 becomes 0.0, so every writer agrees."""
    cleaned = [
        pl.when(pl.col(name) == 0).then(pl.lit(0.0, dtype))  # true for -0.0 too
        .when(pl.col(name).is_finite()).then(pl.col(name))
        .otherwise(None)
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype.is_float()
    ]
    return frame.with_columns(cleaned) if cleaned else frame


def plain(value: Any) -> Any:
    """A JSON-ready copy: ISO dates, null for NaN and infinity, plain containers."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value + 0.0 if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(float(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, pl.DataFrame):
        return records(value)
    if isinstance(value, pl.Series):
        return plain(value.to_list())
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    item = getattr(value, "item", None)  # numpy scalars
    return plain(item()) if callable(item) else str(value)


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [plain(row) for row in finite(frame).iter_rows(named=True)]


def column_kinds(result: Result) -> dict[str, str]:
    """Each customers column's kind: the section's declaration, else guessed from its type."""
    declared = {column.name: column.kind for column in result.columns}
    return {name: declared.get(name) or kind_of_dtype(dtype) for name, dtype in result.customers.schema.items()}

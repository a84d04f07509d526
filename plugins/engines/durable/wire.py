"""The JSON text clientwise hands durable-rules: ruleset definitions and facts, one writer.

durable-rules parses JSON with its own parser (``json.c``), which reads less than the
standard: a number's text decides its type (``2`` an integer, ``2.0`` a double), and
an exponent is read only after a fraction. Python's ``json`` writes ``1e-05``,
``1e+16`` and ``1e+308`` for small and large floats: durable-rules stopped at the
``e``, misread the rest and crashed the worker process (in-process: the interpreter,
SIGSEGV); it writes ``Infinity`` for ``1e999``, which failed ruleset creation with
error 202. So every value and constant that reaches durable-rules is written here,
numbers by :func:`clientwise.expr.build.number_text`: never an exponent, a float
always with a fraction, an integer exactly. The language has no infinities (see
:mod:`clientwise.expr.numbers`); one reaching this writer is a bug and raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import polars as pl

from clientwise.expr.build import number_text

#: JSON string text (quotes and escapes) as the standard library writes it; C-accelerated.
_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def value(item: Any) -> str:
    """Any definition or fact value as durable-rules' JSON: objects, lists, text, numbers."""
    if item is True or item is False:
        return "true" if item else "false"
    if isinstance(item, int | float):
        return number_text(item, keep_float=isinstance(item, float))
    if isinstance(item, str):
        return _string(item)
    if isinstance(item, dict):
        return "{" + ",".join(f"{_string(str(k))}:{value(v)}" for k, v in item.items()) + "}"
    if isinstance(item, list | tuple):
        return "[" + ",".join(value(v) for v in item) + "]"
    raise TypeError(f"durable-rules has no JSON for {type(item).__name__} {item!r}")


def column(series: pl.Series) -> list[str | None]:
    """Each value of a posted column as JSON text (None where null: nulls are not posted)."""
    dtype = series.dtype
    values = series.to_list()
    if dtype.is_float():
        return [None if v is None else number_text(v, keep_float=True) for v in values]
    if dtype.is_integer():
        return [None if v is None else str(v) for v in values]
    if dtype == pl.Boolean:
        return [None if v is None else ("true" if v else "false") for v in values]
    if dtype == pl.String:
        return [None if v is None else _string(v) for v in values]
    return [None if v is None else value(v) for v in values]


def facts(rows: list[dict[str, str]], fields: tuple[str, ...], first_row: int, row_field: str, id_field: str) -> str:
    """A JSON array of facts: per row its number, its id in the chunk and the ``fields``
    it has, values already written by :func:`column` (the row number comes first:
    the worker finds it there in a matched message)."""
    names = [(name, f",{_string(name)}:") for name in fields]
    head_row, head_id = f"{{{_string(row_field)}:", f",{_string(id_field)}:"
    return "[" + ",".join(
        head_row + str(first_row + offset) + head_id + str(offset)
        + "".join(quoted + row[name] for name, quoted in names if name in row) + "}"
        for offset, row in enumerate(rows)
    ) + "]"

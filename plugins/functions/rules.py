"""Typing rules and helpers the built-in functions share: which argument kinds a
function takes, what it returns, and the null-safe wrappers every scalar needs."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from clientwise.expr.functions import (
    CallInfo,
    FunctionSpec,
    SignatureError,
)
from clientwise.expr.types import INTEGER, NUMBER, Type, unify

_INT64 = 2**63
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


#: Argument kinds the typing rules accept.
NUMBERS, TEXTS, DATES = ("number",), ("string",), ("date",)
ORDERED = ("number", "date", "string")


def present(values: Sequence[Any]) -> list[Any]:
    """The values that are not null."""
    return [v for v in values if v is not None]


# -- typing rules --------------------------------------------------------------
def need(types: Sequence[Type], index: int, kinds: tuple[str, ...], what: str) -> Type:
    t = types[index]
    if t.kind not in kinds:
        raise SignatureError(f"argument {index + 1} must be {what}, got {t.describe()}", index)
    return t


def number_of(i: int) -> Callable[[Sequence[Type]], Type]:
    return lambda ts: need(ts, i, ("number",), "a number")


def same(kinds: tuple[str, ...], what: str, first: int = 0) -> Callable[[Sequence[Type]], Type]:
    """All arguments from ``first`` on share one type of ``kinds``; that type is returned."""
    def rule(ts: Sequence[Type]) -> Type:
        out = need(ts, first, kinds, what)
        for i in range(first + 1, len(ts)):
            merged = unify(out, need(ts, i, kinds, what))
            if merged is None:
                raise SignatureError(f"argument {i + 1} is {ts[i].describe()}, but argument "
                                     f"{first + 1} is {out.describe()}", i)
            out = merged
        return out
    return rule


def fixed(result: Type, *args: tuple[str, ...]) -> Callable[[Sequence[Type]], Type]:
    def rule(ts: Sequence[Type]) -> Type:
        for i, kinds in enumerate(args[: len(ts)]):
            need(ts, i, kinds, " or ".join(Type(k).describe() for k in kinds))  # type: ignore[arg-type]
        return result
    return rule


def coalesce_rule(ts: Sequence[Type]) -> Type:
    out = ts[0]
    for i, t in enumerate(ts[1:], start=1):
        merged = unify(out, t)
        if merged is None:
            raise SignatureError(f"argument {i + 1} is {t.describe()}, but earlier ones are {out.describe()}", i)
        out = merged
    return out


def if_else_rule(ts: Sequence[Type]) -> Type:
    need(ts, 0, ("boolean", "null"), "a condition (true/false)")
    return coalesce_rule(ts[1:]) if unify(ts[1], ts[2]) else _raise_branch(ts)


def _raise_branch(ts: Sequence[Type]) -> Type:
    raise SignatureError(f"both results must be of one kind: {ts[1].describe()} and {ts[2].describe()}", 2)


def round_rule(ts: Sequence[Type]) -> Type:
    need(ts, 0, ("number",), "a number")
    return INTEGER if len(ts) == 1 else NUMBER


def whole_in(lo: int, hi: int) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: type(v) is int and lo <= v <= hi), f"a whole number from {lo} to {hi}"


def digits(info: CallInfo) -> int:
    return int(info.literal(1, 0))


def date_constant(values: Sequence[Any]) -> dt.date:
    text = values[0]
    try:
        if not isinstance(text, str) or not _ISO.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SignatureError(f"{text!r} is not a valid date", 0, "write dates as date('2026-01-31')") from None


def to_int(v: float) -> int | None:
    return int(v) if math.isfinite(v) and -_INT64 <= v < _INT64 else None


def int_result(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64, strict=False)


def nullsafe(fn: Callable[..., Any]) -> Callable[[list[Any], CallInfo], Any]:
    """A Python implementation that returns null if any argument is null."""
    return lambda values, info: None if any(v is None for v in values) else fn(*values)


def scalar_spec(name: str, lo: int, hi: int | None, returns: Callable[[Sequence[Type]], Type],
            polars: Callable[..., pl.Expr], python: Callable[..., Any], doc: str, example: str,
            signature: str, **extra: Any) -> FunctionSpec:
    return FunctionSpec(name, "scalar", lo, hi, returns, polars, python, doc, example, signature, **extra)

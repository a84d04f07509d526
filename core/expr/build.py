"""Building expression text in plugin code, safely: literals quoted, conditions combined.

Section plugins compile their TOML into expression text. Gluing that text with
f-strings and ``repr()`` invites subtle bugs (a Python ``True`` where the language
writes ``true``, ``1e-05`` where a number needs digits, a condition that loses its
parentheses when combined); these helpers do it one way::

    when = all_of(compare("segment_rank", "<=", 10), one_of("region", ["north", "east"]))
    then = quote("strategic")
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def number_text(value: float, *, keep_float: bool = False) -> str:
    """A number as text: ``1`` rather than ``1.0``, never exponent notation (``1e-05``
    is written ``0.00001``: the shortest digits that read back as the same float).

    The one way clientwise writes a number for a reader that parses it: expression
    text, and the JSON the durable engine hands durable-rules (whose parser reads no
    exponent without a fraction and types a number by its text). ``keep_float`` writes
    every float with a fraction (``2.0``, ``-0.0``), so such a reader keeps it a float.
    Integers are written exactly; infinities and NaN have no text and raise ValueError.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a number the expression language can write")
    if not keep_float and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"  # beyond 64-bit integers: keep it a float


def quote(value: Any) -> str:
    """Any literal value as expression text: text quoted, ``true``/``false``, ``null``, dates."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        raise TypeError("the expression language has dates, not date-times: pass value.date()")
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    if isinstance(value, str):
        return repr(value)  # a Python string literal is the language's: quotes and escapes included
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as an expression literal")


def field(name: str) -> str:
    """A field name, checked to be one (a name with spaces or dots is not a field)."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a field name: use letters, digits and '_', starting with a letter")
    return name


def group(expression: str) -> str:
    """``expression`` in parentheses, so combining it cannot change how it binds."""
    return f"({expression})"


def all_of(*conditions: str) -> str:
    """Every condition holds (``true`` for none)."""
    return " and ".join(group(c) for c in conditions) if conditions else "true"


def any_of(*conditions: str) -> str:
    """At least one condition holds (``false`` for none)."""
    return " or ".join(group(c) for c in conditions) if conditions else "false"


def negate(condition: str) -> str:
    return f"not {group(condition)}"


def compare(left: str, operator: str, right: Any) -> str:
    """``left <op> right``; ``right`` is a literal value, quoted here (wrap expression
    text in :func:`raw` to compare with another expression)."""
    if operator not in _OPERATORS:
        raise ValueError(f"unknown comparison {operator!r}: use one of {', '.join(sorted(_OPERATORS))}")
    right_text = right.text if isinstance(right, Raw) else quote(right)
    return f"{group(left)} {operator} {right_text}"


def one_of(expression: str, values: Iterable[Any]) -> str:
    """``expression in [v1, v2, ...]`` with every value quoted."""
    items = [quote(value) for value in values]
    if not items:
        raise ValueError("one_of needs at least one value")
    return f"{group(expression)} in [{', '.join(items)}]"


def call(function: str, *arguments: str) -> str:
    """``function(a, b, ...)``; arguments are expression text (quote literals first)."""
    return f"{field(function)}({', '.join(arguments)})"


class Raw:
    """Expression text to use as it is where a literal is expected (``compare(x, '>', raw('y'))``)."""

    def __init__(self, text: str):
        self.text = text


def raw(text: str) -> Raw:
    return Raw(text)

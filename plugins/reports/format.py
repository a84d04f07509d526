"""How the reports for people show values: grouped digits, percents, dashes for unknown.

Shared by the HTML report and the Markdown summary so the same figure reads the same
in both (the Excel workbook keeps numbers as numbers and sets number formats instead).
Every value a block holds is shown through :func:`show` with its kind.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from clientwise.output.blocks import Range

MISSING = "—"
#: How ``marks`` columns show yes, no and not applicable.
MARKS = {True: "✓", False: "✗", None: "–"}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def money(value: Any) -> str:
    """Whole currency units with grouped digits: 46,474,299."""
    return f"{float(value) + 0.0:,.0f}" if is_number(value) else MISSING


def pct(value: Any) -> str:
    """A fraction as a percent with one decimal: 0.1067 -> 10.7%."""
    return f"{float(value) + 0.0:.1%}" if is_number(value) else MISSING


def num(value: Any) -> str:
    """A number as it is, without trailing zeros: 25, 0.08, 31.25."""
    if not is_number(value):
        return MISSING
    return f"{value:,}" if isinstance(value, int) else f"{float(value) + 0.0:,.2f}".rstrip("0").rstrip(".")


def whole(value: Any) -> str:
    """A count with grouped digits: 1,234."""
    return f"{int(value):,}" if is_number(value) else MISSING


_NUMBERS = {"money": money, "percent": pct, "integer": lambda v: whole(v) if float(v).is_integer() else num(v)}


def show(value: Any, kind: str = "text") -> str:
    """A value as the reports show it, by its kind (``money``, ``percent``, ``date``, ...)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Range):
        return span(value, kind)
    if isinstance(value, (list, tuple)):
        return ", ".join(show(v) for v in value) if value else MISSING
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if is_number(value):
        return _NUMBERS.get(kind, num)(value)
    return str(value)


def span(value: Range, kind: str = "number") -> str:
    """A range: '5.0% – 10.0%', '≥ 40.0%', '≤ 30.0%', or a dash when both ends are open."""
    low, high = value.low, value.high
    if low is None and high is None:
        return MISSING
    if high is None:
        return f"≥ {show(low, kind)}"
    if low is None:
        return f"≤ {show(high, kind)}"
    return f"{show(low, kind)} – {show(high, kind)}"

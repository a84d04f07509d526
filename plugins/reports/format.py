"""How the reports for people show numbers: grouped digits, percents, dashes for unknown.

Shared by the HTML report and the Markdown summary so the same figure reads the same
in both (the Excel workbook keeps numbers as numbers and sets number formats instead).
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def money(value: Any) -> str:
    """Whole currency units with grouped digits: 46,474,299."""
    return f"{float(value):,.0f}" if is_number(value) else MISSING


def pct(value: Any) -> str:
    """A fraction as a percent with one decimal: 0.1067 -> 10.7%."""
    return f"{float(value):.1%}" if is_number(value) else MISSING


def num(value: Any) -> str:
    """A number as it is, without trailing zeros: 25, 0.08, 31.25."""
    if not is_number(value):
        return MISSING
    return f"{value:,}" if isinstance(value, int) else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def whole(value: Any) -> str:
    """A count with grouped digits: 1,234."""
    return f"{int(value):,}" if is_number(value) else MISSING


def target_range(row: dict[str, Any]) -> str:
    """A tier's target share range: '5.0% – 10.0%', '≥ 40.0%', or a dash when it has none."""
    low, high = row.get("target_min"), row.get("target_max")
    if low is None and high is None:
        return MISSING
    if high is None:
        return f"≥ {pct(low)}"
    if low is None:
        return f"≤ {pct(high)}"
    return f"{pct(low)} – {pct(high)}"

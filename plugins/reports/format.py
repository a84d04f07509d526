"""How the reports for people show values: in the report's locale, dashes for unknown.

Shared by the HTML report and the Markdown summary so the same figure reads the same
in both (the Excel workbook keeps numbers as numbers and sets number formats from the
same locale instead). Every value a block holds is shown through
:meth:`Formatter.show` with its kind; the locale's symbols come from
:mod:`clientwise.output.locale` (the ruleset's ``[report] locale`` and ``currency``),
which also writes the ``because`` texts, so a table and a because text agree.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clientwise.output.blocks import Range
from clientwise.output.locale import LocaleStyle

MISSING = "—"
#: How ``marks`` columns show yes, no and not applicable.
MARKS = {True: "✓", False: "✗", None: "–"}
_PLAIN = LocaleStyle()


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Formatter:
    """Values as one report shows them: ``style`` is the report's locale and currency."""

    style: LocaleStyle = field(default_factory=LocaleStyle)

    def money(self, value: Any) -> str:
        """Whole currency units with grouped digits and the currency's symbol: €46,474,299."""
        return self.style.money(float(value) + 0.0) if is_number(value) else MISSING

    def pct(self, value: Any) -> str:
        """A fraction as a percent with one decimal: 0.1067 -> 10.7%."""
        return self.style.percent(float(value) + 0.0) if is_number(value) else MISSING

    def num(self, value: Any) -> str:
        """A number as it is, without trailing zeros: 25, 0.08, 31.25."""
        if not is_number(value):
            return MISSING
        return self.style.number(value if isinstance(value, int) else float(value) + 0.0)

    def whole(self, value: Any) -> str:
        """A count with grouped digits: 1,234."""
        return self.style.integer(int(value)) if is_number(value) else MISSING

    def date(self, value: Any) -> str:
        return self.style.date(value) if isinstance(value, dt.date) else MISSING

    def show(self, value: Any, kind: str = "text") -> str:
        """A value as the reports show it, by its kind (``money``, ``percent``, ``date``, ...)."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return MISSING
        if isinstance(value, bool):
            return self.style.yes if value else self.style.no
        if isinstance(value, Range):
            return self.span(value, kind)
        if isinstance(value, (list, tuple)):
            return ", ".join(self.show(v) for v in value) if value else MISSING
        if isinstance(value, dt.date):
            return self.style.date(value)
        if isinstance(value, dt.time):
            return value.isoformat()
        if is_number(value):
            if kind == "money":
                return self.money(value)
            if kind == "percent":
                return self.pct(value)
            if kind == "integer" and float(value).is_integer():
                return self.whole(value)
            return self.num(value)
        return str(value)

    def span(self, value: Range, kind: str = "number") -> str:
        """A range: '5.0% – 10.0%', '≥ 40.0%', '≤ 30.0%', or a dash when both ends are open."""
        low, high = value.low, value.high
        if low is None and high is None:
            return MISSING
        if high is None:
            return f"≥ {self.show(low, kind)}"
        if low is None:
            return f"≤ {self.show(high, kind)}"
        return f"{self.show(low, kind)} – {self.show(high, kind)}"


_DEFAULT = Formatter(_PLAIN)
#: The default formatter's functions (British English, no currency), for texts that
#: are not part of a client's report (``clientwise history``).
money, pct, num, whole, show, span = (_DEFAULT.money, _DEFAULT.pct, _DEFAULT.num, _DEFAULT.whole,
                                      _DEFAULT.show, _DEFAULT.span)

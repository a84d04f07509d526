"""How one source writes its cells: decimal mark, grouping, dates, empty markers.

``[data]`` sets these for every source and a source may override any of them;
:func:`cell_format` resolves the two into the one value validation needs, with the
locale's symbols looked up in Babel (``number_format = "de"`` -> ``,`` and ``.``).
"""

from __future__ import annotations

from dataclasses import dataclass

from clientwise.ruleset.data import DEFAULT_NULL_VALUES, DataConfig
from clientwise.ruleset.sources import PLAIN, FormatKeys

#: Grouping characters a reader of a locale accepts for the one the locale prints:
#: spreadsheets type a plain space for a no-break one, and ASCII ' for the Swiss ’.
_ALSO_ACCEPTED = {"\u202f": ("\u202f", "\u00a0", " "), "\u00a0": ("\u00a0", "\u202f", " "),
                  " ": (" ", "\u00a0", "\u202f"), "'": ("'", "\u2019"), "\u2019": ("\u2019", "'")}


@dataclass(frozen=True)
class CellFormat:
    """The resolved format keys of one source."""

    number_format: str
    decimal: str
    thousands: tuple[str, ...]
    date_formats: tuple[str, ...]
    null_values: tuple[str, ...]
    true_values: tuple[str, ...]
    false_values: tuple[str, ...]

    @property
    def plain(self) -> bool:
        """Numbers are written as polars reads them: no grouping, a point as decimal mark."""
        return self.decimal == "." and not self.thousands

    def example(self, number: float = 1234.5) -> str:
        """``number`` written in this format, for hints."""
        text = f"{number:,.2f}" if self.thousands else f"{number:.2f}"
        group = self.thousands[0] if self.thousands else ""
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", group)

    def describe(self) -> str:
        group = f"'{self.thousands[0]}'" if self.thousands else "none"
        return f"number_format '{self.number_format}': decimal mark '{self.decimal}', thousands separator {group}"


def _pick(data: DataConfig, source: FormatKeys | None, key: str) -> object:
    value = getattr(source, key) if source is not None else None
    return getattr(data, key) if value is None else value


def cell_format(data: DataConfig, source: FormatKeys | None = None) -> CellFormat:
    """The format of ``source``'s cells: its own keys, else ``[data]``'s, else the defaults."""
    name = str(_pick(data, source, "number_format") or PLAIN)
    decimal, group = ".", ""
    if name != PLAIN:
        from babel.numbers import get_decimal_symbol, get_group_symbol

        locale = name.replace("-", "_")
        decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    explicit_decimal = _pick(data, source, "decimal")
    explicit_group = _pick(data, source, "thousands")
    decimal = str(explicit_decimal) if explicit_decimal is not None else decimal
    group = str(explicit_group) if explicit_group is not None else group
    thousands = _ALSO_ACCEPTED.get(group, (group,)) if group else ()
    nulls = _pick(data, source, "null_values")
    dates = _pick(data, source, "date_formats")
    return CellFormat(
        number_format=name,
        decimal=decimal,
        thousands=tuple(t for t in thousands if t != decimal),
        date_formats=tuple(dates) if isinstance(dates, list) else ("%Y-%m-%d",),
        null_values=tuple(v.strip().lower() for v in (nulls if isinstance(nulls, list) else DEFAULT_NULL_VALUES)),
        true_values=tuple(data.true_values),
        false_values=tuple(data.false_values),
    )

"""How numbers, money, percentages and dates are written for a locale (``[report] locale``).

The symbols and patterns come from CLDR through Babel: the decimal mark and the
thousands separator, where the currency symbol goes (``€1,234`` in en-GB,
``1.234 €`` in de-DE), the percent sign's spacing and the short date pattern. One
:class:`LocaleStyle` holds them, and every text a report or a ``because`` template
shows a number in is written from it, so a figure in a table, in a because text
("revenue €6,500,000") and in a workbook's number format read the same. The
formatting itself is a few string steps over those symbols rather than a Babel call
per value: the because texts are rendered for every fired action in polars (see
:mod:`clientwise.expr.template`), and a Babel call per table cell would double a large
report's time; ``tests/test_report_locale.py`` checks the results against Babel's own
``format_decimal``, ``format_currency``, ``format_percent`` and ``format_date``.

Amounts are shown in whole currency units, like the reports' tables (a leadership
report about a portfolio has no use for cents); percentages with one decimal.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_symbol

from clientwise.output.messages import messages

#: The style of rulesets without ``[report]``: British English, no currency.
DEFAULT_LOCALE = "en-GB"
_NUMBER_PART = re.compile(r"[#0,.]+")
_DATE_PARTS = re.compile(r"y+|M+|d+|[^yMd]+")
_STRFTIME = re.compile(r"%-?[Ymd%]")


@dataclass(frozen=True)
class LocaleStyle:
    """A locale's symbols and patterns for writing values; ``tag`` is the BCP 47 name."""

    tag: str = DEFAULT_LOCALE
    decimal: str = "."
    group: str = ","
    minus: str = "-"
    #: Text before and after an amount of money (``("€", "")``, ``("", "\u00a0€")``).
    money_prefix: str = ""
    money_suffix: str = ""
    percent_prefix: str = ""
    percent_suffix: str = "%"
    #: The short date with a four-digit year as an ``strftime`` pattern (``%d/%m/%Y``;
    #: ``%-m`` is the month without a leading zero, as polars' ``dt.to_string`` reads it).
    date_pattern: str = "%Y-%m-%d"
    #: The currency's ISO code ("" for none).
    currency: str = ""
    #: How true, false and an unknown value read in this locale's language.
    yes: str = "yes"
    no: str = "no"
    missing: str = "no data"

    # -- values ---------------------------------------------------------------------
    def digits(self, units: int, decimals: int, trim: bool) -> str:
        """A non-negative count of 10^-decimals units written with this locale's symbols."""
        whole, frac = divmod(units, 10 ** decimals) if decimals else (units, 0)
        text = group_digits(str(whole), self.group)
        if decimals:
            fraction = str(frac).zfill(decimals)
            fraction = fraction.rstrip("0") if trim else fraction
            if fraction:
                text += self.decimal + fraction
        return text

    def fixed(self, value: float, decimals: int = 2, trim: bool = True, power: int | None = None) -> str:
        """A number with up to (``trim``) or exactly ``decimals`` decimals: 1,234.5
        (``power``: scale by 10^power instead of 10^decimals first, for percents)."""
        units = round_half_away(abs(float(value)) * 10.0 ** (decimals if power is None else power))
        if not math.isfinite(units):
            return ""
        body = self.digits(int(units), decimals, trim)
        return (self.minus if value < 0 and units else "") + body

    def number(self, value: float) -> str:
        """A number as tables show it: grouped, at most two decimals, no trailing zeros."""
        if isinstance(value, int):
            return (self.minus if value < 0 else "") + group_digits(str(abs(value)), self.group)
        return self.fixed(value, 2, True)

    def integer(self, value: float) -> str:
        """A count: whole and grouped."""
        return self.fixed(value, 0, False)

    def money(self, value: float) -> str:
        """An amount in whole currency units with the currency's symbol where the locale puts it."""
        units = round_half_away(abs(float(value)))
        if not math.isfinite(units):
            return ""
        sign = self.minus if value < 0 and units else ""
        return f"{sign}{self.money_prefix}{self.digits(int(units), 0, False)}{self.money_suffix}"

    def percent(self, fraction: float, decimals: int = 1) -> str:
        """A fraction as a percent: 0.1067 -> 10.7% (de-DE: 10,7 %)."""
        body = self.fixed(fraction, decimals, False, power=decimals + 2)
        if not body:
            return ""
        sign = body[: len(self.minus)] if body.startswith(self.minus) and self.minus else ""
        return f"{sign}{self.percent_prefix}{body[len(sign):]}{self.percent_suffix}"

    def date(self, value: dt.date) -> str:
        """A date in the locale's short form with a four-digit year: 30/06/2026, 30.06.2026, 6/30/2026."""
        fields = {"%Y": f"{value.year:04d}", "%m": f"{value.month:02d}", "%-m": str(value.month),
                  "%d": f"{value.day:02d}", "%-d": str(value.day), "%%": "%"}
        return _STRFTIME.sub(lambda m: fields[m.group(0)], self.date_pattern)

    # -- workbook number formats ----------------------------------------------------
    def xlsx_formats(self) -> dict[str, str]:
        """Excel number formats by kind of value. Excel writes ``#,##0.00`` with the
        reader's own separators, so only the currency symbol, the percent spacing and
        the date order come from the locale."""
        money = f"{_xlsx_text(self.money_prefix)}#,##0{_xlsx_text(self.money_suffix)}"
        percent = f"{_xlsx_text(self.percent_prefix)}0.0{_xlsx_text(self.percent_suffix.replace('%', ''))}%"
        if self.percent_suffix.endswith("%") and self.percent_suffix[:-1]:
            percent = f"0.0{_xlsx_text(self.percent_suffix[:-1])}%"
        return {"money": money, "percent": percent, "number": "#,##0.00", "integer": "#,##0",
                "date": _xlsx_date(self.date_pattern)}


def group_digits(digits: str, group: str) -> str:
    """``1234567`` -> ``1,234,567`` with ``group`` as the separator (every three digits)."""
    if not group or len(digits) <= 3:
        return digits
    head = len(digits) % 3 or 3
    return digits[:head] + "".join(group + digits[i:i + 3] for i in range(head, len(digits), 3))


def round_half_away(m: float) -> float:
    """Halves away from zero, in the same float steps as the expression language's ``round``."""
    if not math.isfinite(m):
        return m
    t = float(math.floor(m) if m >= 0 else math.ceil(m))
    return t + (math.copysign(1.0, m) if abs(m - t) >= 0.5 else 0.0)


@lru_cache(maxsize=64)
def locale_style(tag: str = DEFAULT_LOCALE, currency: str = "") -> LocaleStyle:
    """The style of a locale (``de-DE``) and currency (``EUR``, or "" for none), from CLDR.

    The tag is validated where the ruleset is read (``[report] locale``); here an
    unknown one raises Babel's ``UnknownLocaleError``.
    """
    locale = Locale.parse(tag.replace("-", "_"))
    symbols = locale.number_symbols.get("latn", {}) if hasattr(locale.number_symbols, "get") else {}
    decimal, group, minus = symbols.get("decimal", "."), symbols.get("group", ","), symbols.get("minusSign", "-")
    money_prefix = money_suffix = ""
    if currency:
        pattern = locale.currency_formats["standard"].pattern.split(";")[0]
        prefix, suffix = _affixes(pattern)
        symbol = get_currency_symbol(currency, locale=locale)
        money_prefix, money_suffix = prefix.replace("¤", symbol), suffix.replace("¤", symbol)
    percent_prefix, percent_suffix = _affixes(locale.percent_formats[None].pattern.split(";")[0])
    percent_prefix = percent_prefix.replace("%", symbols.get("percentSign", "%"))
    percent_suffix = percent_suffix.replace("%", symbols.get("percentSign", "%"))
    tr = messages(tag)
    return LocaleStyle(yes=tr("yes"), no=tr("no"), missing=tr("no data"), tag=tag, decimal=decimal, group=group, minus=minus, money_prefix=money_prefix,
                       money_suffix=money_suffix, percent_prefix=percent_prefix, percent_suffix=percent_suffix,
                       date_pattern=_strftime(locale.date_formats["short"].pattern), currency=currency)


def _affixes(pattern: str) -> tuple[str, str]:
    """The text before and after the number part of a CLDR pattern (``¤#,##0.00`` -> ``("¤", "")``)."""
    match = _NUMBER_PART.search(pattern)
    if match is None:
        return "", ""
    return pattern[: match.start()].replace("'", ""), pattern[match.end():].replace("'", "")


def _strftime(pattern: str) -> str:
    """A CLDR short date pattern as ``strftime``, always with a four-digit year (``dd.MM.yy`` -> ``%d.%m.%Y``)."""
    out = []
    for part in _DATE_PARTS.findall(pattern.replace("'", "")):
        if part[0] == "y":
            out.append("%Y")
        elif part[0] in "Md":
            out.append(("%" if len(part) > 1 else "%-") + part[0].lower().replace("M", "m"))
        else:
            out.append(part.replace("%", "%%"))
    return "".join(out)


def _xlsx_text(text: str) -> str:
    return f'"{text}"' if text else ""


def _xlsx_date(pattern: str) -> str:
    fields = {"%Y": "yyyy", "%m": "mm", "%-m": "m", "%d": "dd", "%-d": "d", "%%": "%"}
    return _STRFTIME.sub(lambda m: fields[m.group(0)], pattern)

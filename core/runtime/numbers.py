"""Numbers as a locale writes them, parsed with polars expressions over whole columns.

Reading is in two passes so a million plain cells stay cheap: :func:`bare_number`
reads cells that are only a number in the source's format (``132.507,11`` with
``number_format = "de"``) and refuses a misplaced separator (``1234.5`` there is
not silently 12345); :func:`decorated_number` then reads only the cells that pass
failed, which may carry what spreadsheets add: a currency (``€ 1.234,50``,
``1,234.50 USD``), a percent sign (``8,8 %``), accounting negatives ``(1.234,00)``
or SAP's trailing minus ``1.234,00-``.
"""

from __future__ import annotations

import re

import polars as pl

from clientwise.runtime.cell_format import CellFormat

#: Currency symbols read as their ISO 4217 code, so '€ 5' and '5 EUR' are one currency.
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₺": "TRY"}
_CURRENCY = r"[A-Z]{3}|[€$£¥₹₽₺]"
_SPACE = r"[\s\u00a0\u202f]*"


def _number_pattern(fmt: CellFormat) -> str:
    groups = "|".join(re.escape(g) for g in fmt.thousands)
    integer = rf"(?:\d{{1,3}}(?:(?:{groups})\d{{3}})+|\d+)" if groups else r"\d+"
    return rf"^[+-]?(?:{integer}(?:{re.escape(fmt.decimal)}\d*)?|{re.escape(fmt.decimal)}\d+)$"


def bare_number(text: pl.Expr, fmt: CellFormat) -> pl.Expr:
    """The number a cell holding only a number means; null for anything else."""
    if fmt.plain:
        return text.cast(pl.Float64, strict=False)
    plain = text
    for group in fmt.thousands:
        plain = plain.str.replace_all(group, "", literal=True)
    if fmt.decimal != ".":
        plain = plain.str.replace(fmt.decimal, ".", literal=True)
    return pl.when(text.str.contains(_number_pattern(fmt))).then(plain.cast(pl.Float64, strict=False))


def _decorated_pattern(fmt: CellFormat) -> str:
    body = "".join(re.escape(c) for c in {*fmt.thousands, fmt.decimal, " "})
    return (
        rf"^(?P<open>\()?{_SPACE}(?P<pre>{_CURRENCY})?{_SPACE}(?P<sign>[+-])?{_SPACE}"
        rf"(?P<number>[0-9{body}]*[0-9]|[{body}][0-9]+)(?P<trail>-)?{_SPACE}"
        rf"(?P<post>{_CURRENCY})?{_SPACE}(?P<percent>%)?{_SPACE}(?P<close>\))?$"
    )


def decorated_number(
    text: pl.Expr, fmt: CellFormat, *, currency: bool, percent: str | None
) -> tuple[pl.Expr, pl.Expr]:
    """The value and the currency (ISO code, null if none) of a cell with decorations.

    ``currency``: a currency may be written (money fields); ``percent``: how a % is
    read ('fraction' divides by 100, 'points' keeps the number; None: % is refused).
    A cell with anything else, or with parentheses that do not pair, reads as null.
    """
    parts = text.str.extract_groups(_decorated_pattern(fmt))
    number = bare_number(parts.struct.field("number").str.strip_chars(), fmt)
    opened = parts.struct.field("open").is_not_null()
    closed = parts.struct.field("close").is_not_null()
    minus = parts.struct.field("sign").eq("-").fill_null(False)
    negated = (opened | parts.struct.field("trail").is_not_null()) != minus
    code = pl.coalesce(parts.struct.field("pre"), parts.struct.field("post"))
    code = code.replace(CURRENCY_SYMBOLS)
    has_percent = parts.struct.field("percent").is_not_null()
    divisor = pl.lit(1.0)
    if percent == "fraction":  # divided, not times 0.01: 8.8 / 100 is exactly the 0.088 one would type
        divisor = pl.when(has_percent).then(100.0).otherwise(1.0)
    valid = (opened == closed) & (~opened | parts.struct.field("sign").is_null())
    if not currency:
        valid = valid & code.is_null()
    if percent is None:
        valid = valid & ~has_percent
    signed = pl.when(negated).then(-number).otherwise(number) / divisor
    return pl.when(valid).then(signed), pl.when(valid).then(code)

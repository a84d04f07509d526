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


def plain_text(text: pl.Expr, fmt: CellFormat) -> pl.Expr:
    """A cell holding only a number in ``fmt``, rewritten as polars reads numbers
    (``1.234,5`` -> ``1234.5``); null if the separators are not where ``fmt`` puts them."""
    if fmt.plain:
        return text
    marks = [*fmt.thousands, fmt.decimal]
    plain = text.str.replace_many(marks, [""] * len(fmt.thousands) + ["."])  # one pass for all marks
    return pl.when(text.str.contains(_number_pattern(fmt))).then(plain)


def bare_number(text: pl.Expr, fmt: CellFormat) -> pl.Expr:
    """The number a cell holding only a number means; null for anything else."""
    return plain_text(text, fmt).cast(pl.Float64, strict=False)


def _hundredth(number: pl.Expr) -> pl.Expr:
    """``8.8`` -> ``0.088``, the number one would type: 8.8 / 100 is 0.08800000000000001 in
    floating point, and rounding to 12 decimals (exact while below 1000) gives 0.088 back."""
    divided = number / 100
    return pl.when(divided.abs() < 1000).then(divided.round(12)).otherwise(divided)


def _decorated_pattern(fmt: CellFormat) -> str:
    body = "".join(re.escape(c) for c in {*fmt.thousands, fmt.decimal, " "})
    return (
        rf"^(?P<open>\()?{_SPACE}(?P<pre>{_CURRENCY})?{_SPACE}(?P<sign>[+-])?{_SPACE}"
        rf"(?P<number>[0-9{body}]*[0-9]|[{body}][0-9]+)(?P<trail>-)?{_SPACE}"
        rf"(?P<post>{_CURRENCY})?{_SPACE}(?P<percent>%)?{_SPACE}(?P<close>\))?$"
    )


#: The column :func:`decorated_parts` is stored in before :func:`decorated_number` reads it
#: (polars would otherwise run the regex once per part used).
PARTS = "__parts"


def decorated_parts(text: pl.Expr, fmt: CellFormat) -> pl.Expr:
    """A cell split into its decorations and its number, to be stored as :data:`PARTS`."""
    return text.str.extract_groups(_decorated_pattern(fmt)).alias(PARTS)


def decorated_number(fmt: CellFormat, *, currency: bool, percent: str | None) -> tuple[pl.Expr, pl.Expr]:
    """The value and the currency (ISO code, null if none) of a cell with decorations,
    from its :data:`PARTS`.

    ``currency``: a currency may be written (money fields); ``percent``: how a % is
    read ('fraction' divides by 100, 'points' keeps the number; None: % is refused).
    A cell with anything else, or with parentheses that do not pair, reads as null.
    """
    parts = pl.col(PARTS)
    digits = plain_text(parts.struct.field("number").str.strip_chars(), fmt)
    opened = parts.struct.field("open").is_not_null()
    closed = parts.struct.field("close").is_not_null()
    minus = parts.struct.field("sign").eq("-").fill_null(False)
    negated = (opened | parts.struct.field("trail").is_not_null()) != minus
    code = pl.coalesce(parts.struct.field("pre"), parts.struct.field("post"))
    code = code.replace(CURRENCY_SYMBOLS)
    has_percent = parts.struct.field("percent").is_not_null()
    number = digits.cast(pl.Float64, strict=False)
    if percent == "fraction":
        number = pl.when(has_percent).then(_hundredth(number)).otherwise(number)
    valid = (opened == closed) & (~opened | parts.struct.field("sign").is_null())
    if not currency:
        valid = valid & code.is_null()
    if percent is None:
        valid = valid & ~has_percent
    signed = pl.when(negated).then(-number).otherwise(number)
    return pl.when(valid).then(signed), pl.when(valid).then(code)

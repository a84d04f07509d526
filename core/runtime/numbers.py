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
    plain = text
    for group in fmt.thousands:
        plain = plain.str.replace_all(group, "", literal=True)
    if fmt.decimal != ".":
        plain = plain.str.replace(fmt.decimal, ".", literal=True)
    return pl.when(text.str.contains(_number_pattern(fmt))).then(plain)


def bare_number(text: pl.Expr, fmt: CellFormat) -> pl.Expr:
    """The number a cell holding only a number means; null for anything else."""
    return plain_text(text, fmt).cast(pl.Float64, strict=False)


def _hundredth(plain: pl.Expr) -> pl.Expr:
    """``8.8`` -> ``0.088`` by moving the decimal point in the text, so the result is the
    number one would type (8.8 / 100 is 0.08800000000000001 in floating point)."""
    parts = plain.str.strip_chars_start("+").str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.zfill(3)
    cut = whole.str.len_chars() - 2
    fraction = parts.struct.field("field_1").fill_null("")
    return pl.concat_str(whole.str.slice(0, cut), pl.lit("."), whole.str.slice(cut), fraction)


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
    digits = plain_text(parts.struct.field("number").str.strip_chars(), fmt)
    opened = parts.struct.field("open").is_not_null()
    closed = parts.struct.field("close").is_not_null()
    minus = parts.struct.field("sign").eq("-").fill_null(False)
    negated = (opened | parts.struct.field("trail").is_not_null()) != minus
    code = pl.coalesce(parts.struct.field("pre"), parts.struct.field("post"))
    code = code.replace(CURRENCY_SYMBOLS)
    has_percent = parts.struct.field("percent").is_not_null()
    if percent == "fraction":
        digits = pl.when(has_percent).then(_hundredth(digits)).otherwise(digits)
    number = digits.cast(pl.Float64, strict=False)
    valid = (opened == closed) & (~opened | parts.struct.field("sign").is_null())
    if not currency:
        valid = valid & code.is_null()
    if percent is None:
        valid = valid & ~has_percent
    signed = pl.when(negated).then(-number).otherwise(number)
    return pl.when(valid).then(signed), pl.when(valid).then(code)

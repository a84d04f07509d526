"""How a ``because`` template writes a value: in polars for every fired action, and in
plain Python for one customer (``--explain``), with the same float steps so both give
the same text.

Numbers, money, percentages and dates are written with the symbols of the ruleset's
``[report]`` locale (:class:`~clientwise.output.locale.LocaleStyle`): the same way
the reports' tables write them, so "revenue €6,500,000" in a because text is the
figure the table beside it shows. Unknown values read "no data" in the report's
language, booleans yes / no.

Specs: ``money`` (whole currency units with the symbol), ``percent`` (a fraction, one
decimal), ``number`` (at most two decimals, trailing zeros trimmed: also what a
number without a spec gets; integers are whole), ``date`` (the locale's short date,
also the default for dates), ``.Nf`` (exactly N decimals), ``.N%`` (a percent with
N decimals) and ``d`` (whole number).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from clientwise.expr.functions import round_half_away_expr
from clientwise.expr.types import Type
from clientwise.output.locale import LocaleStyle

#: Text of an unknown value with the default style (a report writes it in its language).
NULL_TEXT = LocaleStyle().missing
SPEC = re.compile(r"^(?:\.(?P<fixed>\d)f|\.(?P<pct>\d)%|(?P<int>d)|(?P<word>money|percent|number|date))$")
SPEC_HINT = ("use money (an amount with its currency), percent (a fraction as a percent), number, date, "
             ".2f (2 decimals), .1% (percent with 1 decimal) or d (whole number)")
_INT64 = 2**63


def spec_fits(spec: str, t: Type) -> bool:
    """Whether a value of type ``t`` can take ``spec`` (``date`` a date, the others a number)."""
    if t.is_null:
        return True
    return t.kind == "date" if spec == "date" else t.is_number


def _format(spec: str | None, t: Type) -> tuple[str, int, int, bool]:
    """(style, decimals, power of ten to scale by, trim zeros)."""
    match = SPEC.match(spec) if spec else None
    word = match["word"] if match else None
    if word == "money":
        return "money", 0, 0, False
    if word == "percent":
        return "pct", 1, 3, False
    if match and match["fixed"] is not None:
        return "fixed", int(match["fixed"]), int(match["fixed"]), False
    if match and match["pct"] is not None:
        return "pct", int(match["pct"]), int(match["pct"]) + 2, False
    if match and match["int"]:
        return "fixed", 0, 0, False
    return ("fixed", 0, 0, False) if t.integer else ("fixed", 2, 2, True)


def _grouped(digits: pl.Expr, group: str) -> pl.Expr:
    """``1234567`` -> ``1,234,567``: reversed, a separator after every three digits, reversed back."""
    if not group:
        return digits
    mark = group[::-1]
    return digits.str.reverse().str.replace_all(r"(\d{3})", "${1}" + mark.replace("$", "$$")) \
        .str.strip_suffix(mark).str.reverse()


def _fixed_expr(x: pl.Expr, decimals: int, power: int, trim: bool, style: LocaleStyle) -> tuple[pl.Expr, pl.Expr]:
    """(sign, digits) of a number written with ``style``'s symbols."""
    units = round_half_away_expr(x.cast(pl.Float64).abs() * (10.0 ** power)).cast(pl.Int64, strict=False)
    whole = _grouped((units // 10**decimals).cast(pl.String), style.group)
    body = whole
    if decimals:
        frac = (units % 10**decimals).cast(pl.String).str.zfill(decimals)
        if trim:
            frac = frac.str.strip_chars_end("0")
        body = pl.when(frac == "").then(whole).otherwise(pl.concat_str([whole, pl.lit(style.decimal), frac]))
    sign = pl.when((x < 0) & (units != 0)).then(pl.lit(style.minus)).otherwise(pl.lit(""))
    return sign, body


def render_expr(x: pl.Expr, t: Type, spec: str | None, style: LocaleStyle = LocaleStyle()) -> pl.Expr:
    """A polars string expression showing values of type ``t`` (null -> "no data")."""
    if t.is_null:
        return pl.lit(style.missing)
    if t.kind == "string":
        out = x
    elif t.kind == "boolean":
        out = pl.when(x).then(pl.lit(style.yes)).when(~x).then(pl.lit(style.no))
    elif t.kind == "date":
        out = x.dt.to_string(style.date_pattern)
    else:
        kind, decimals, power, trim = _format(spec, t)
        sign, body = _fixed_expr(x, decimals, power, trim, style)
        if kind == "money":
            out = pl.concat_str([sign, pl.lit(style.money_prefix), body, pl.lit(style.money_suffix)])
        elif kind == "pct":
            out = pl.concat_str([sign, pl.lit(style.percent_prefix), body, pl.lit(style.percent_suffix)])
        else:
            out = pl.concat_str([sign, body])
    return out.fill_null(style.missing)


def render_value(v: Any, t: Type, spec: str | None, style: LocaleStyle = LocaleStyle()) -> str:
    """The plain-Python twin of :func:`render_expr` for one value."""
    if v is None:
        return style.missing
    if t.kind == "string":
        return str(v)
    if t.kind == "boolean":
        return style.yes if v else style.no
    if t.kind == "date":
        return style.date(v)
    kind, decimals, power, trim = _format(spec, t)
    scaled = abs(float(v)) * (10.0 ** power)
    if not scaled < _INT64:
        return style.missing
    body = style.fixed(v, decimals, trim, power=power)
    if not body:
        return style.missing
    sign = style.minus if body.startswith(style.minus) and style.minus and v < 0 else ""
    body = body[len(sign):]
    if kind == "money":
        return f"{sign}{style.money_prefix}{body}{style.money_suffix}"
    if kind == "pct":
        return f"{sign}{style.percent_prefix}{body}{style.percent_suffix}"
    return sign + body

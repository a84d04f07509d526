"""Spreadsheet formula escaping for text that leaves clientwise in a tabular file.

Customer names and other text come from a client's CRM export, which anyone may
have typed into. A spreadsheet opening a CSV runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, in some programs, a tab or carriage return) as a
formula, so ``=HYPERLINK("http://evil", "click")`` in a customer name would
become a live link in the consultant's copy. Every writer of spreadsheet-bound
text prefixes such cells with an apostrophe (the OWASP "CSV injection" advice);
spreadsheets show the text unchanged. Only text is escaped: a negative number
stays a number.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: A text cell starting with one of these is escaped.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: What is put in front of such a cell.
ESCAPE_PREFIX = "'"

_PATTERN = r"^([=+\-@\t\r])"


def escape_formula(text: str) -> str:
    """One value escaped, for text outside a frame (column headers, labels)."""
    return ESCAPE_PREFIX + text if text.startswith(FORMULA_PREFIXES) else text


def escape_formula_expr(expr: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`escape_formula`; nulls stay null."""
    return expr.str.replace(_PATTERN, ESCAPE_PREFIX + "$1")


def escape_formulas(frame: pl.DataFrame, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """Escape every text column of ``frame`` (or only ``columns``), leaving the rest alone."""
    chosen = list(columns) if columns is not None else [
        name for name, dtype in frame.schema.items() if dtype == pl.String
    ]
    if not chosen:
        return frame
    return frame.with_columns(escape_formula_expr(pl.col(name)).alias(name) for name in chosen)

"""Spreadsheet formula escaping for text that leaves clientwise in a tabular file.

Customer names and other text come from a client's CRM export, which anyone may
have typed into. A spreadsheet opening a CSV runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, in some programs, a tab or carriage return) as a
formula, so ``=HYPERLINK("http://evil", "click")`` in a customer name would
become a live link in the consultant's copy. Every writer of spreadsheet-bound
text prefixes such cells with an apostrophe (the OWASP "CSV injection" advice);
spreadsheets show the text unchanged. Only text is escaped: a negative number
stays a number.

Text printed to a terminal has the same origin, so :func:`clean` replaces the control
codes in it (escape sequences could recolour, hide or rewrite what the consultant sees)
and shows Unicode's bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its
kin, which make ``exe.txt`` read ``txt.exe``) as their code points. HTML isolates text
holding them in ``<bdi>`` instead (:func:`has_bidi`), so right-to-left names still read.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: A text cell starting with one of these is escaped.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: What is put in front of such a cell.
ESCAPE_PREFIX = "'"

_PATTERN = r"^[=+\-@\t\r]"

#: Control codes (C0, DEL, C1) become U+FFFD; tab, line feed and carriage return a space.
_CONTROL = {c: "\ufffd" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {0x09: " ", 0x0A: " ", 0x0D: " "}
#: Unicode's bidirectional formatting characters: marks, embeddings, overrides, isolates.
BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
#: How a terminal (and Markdown) shows them: visibly, as their code point.
_BIDI = {c: f"<U+{c:04X}>" for c in BIDI_CONTROLS}
_BIDI_SET = frozenset(map(chr, BIDI_CONTROLS))
_CONTROL |= _BIDI
#: Lone surrogates cannot be written to a UTF-8 terminal at all: U+FFFD instead.
_CONTROL |= {c: "\ufffd" for c in range(0xD800, 0xE000)}


def has_bidi(text: str) -> bool:
    """Whether ``text`` holds a bidirectional control (and so must be isolated in HTML)."""
    return not text.isascii() and not _BIDI_SET.isdisjoint(text)  # isascii: a flag, no scan


def show_bidi(text: str) -> str:
    """``text`` with each bidirectional control shown as its code point (``<U+202E>``)."""
    return text.translate(_BIDI)


def clean(text: str) -> str:
    """No terminal control codes from customer data reach the terminal."""
    return text.translate(_CONTROL)


def clean_lines(lines: Iterable[str]) -> str:
    """``lines`` joined into one text for the terminal, each line :func:`clean`."""
    return "\n".join(clean(line) for line in lines)


def escape_formula(text: str) -> str:
    """One value escaped, for text outside a frame (column headers, labels)."""
    return ESCAPE_PREFIX + text if text.startswith(FORMULA_PREFIXES) else text


def escape_formula_expr(expr: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`escape_formula`; nulls stay null. Only the cells that
    need the prefix are rewritten; the others are kept as they are (a regex replace
    would copy every cell: five times the time over a million customers' text)."""
    return pl.when(expr.str.contains(_PATTERN)).then(pl.lit(ESCAPE_PREFIX) + expr).otherwise(expr)


def escape_formulas(frame: pl.DataFrame, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """Escape every text column of ``frame`` (or only ``columns``), leaving the rest alone."""
    chosen = list(columns) if columns is not None else [
        name for name, dtype in frame.schema.items() if dtype == pl.String
    ]
    if not chosen:
        return frame
    return frame.with_columns(escape_formula_expr(pl.col(name)).alias(name) for name in chosen)

"""CSV dialects: the plain machine-readable CSV, or CSV a locale's spreadsheet program opens as is.

German Excel opening the plain CSV shows one column per line (it expects ``;`` between
cells) and reads ``17.5`` as a date or as 175. ``--csv-dialect excel-de`` writes what it
expects: ``;`` between cells, a decimal comma, and a UTF-8 byte-order mark (without one,
Excel reads the file as Windows-1252 and garbles every umlaut). ``excel-LOCALE`` works
for any locale Babel knows: the decimal mark is the locale's, and cells are separated by
``;`` where the decimal mark is a comma (Excel's list separator there), by ``,`` elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientwise.errors import InputError, Problem

#: Names of the plain dialect (the default).
PLAIN_NAMES = ("default", "plain")
_EXCEL = "excel-"


@dataclass(frozen=True)
class CsvDialect:
    """How the CSV writer lays out its text."""

    name: str
    separator: str = ","
    decimal_comma: bool = False
    #: Write a UTF-8 byte-order mark first (spreadsheet programs then know the encoding).
    bom: bool = False
    line_terminator: str = "\n"
    datetime_format: str = "%Y-%m-%dT%H:%M:%S%.f"


#: The machine-readable CSV documented in docs/output-schema.md.
PLAIN = CsvDialect("default")


def csv_dialect(name: str) -> CsvDialect:
    """The dialect called ``name``: ``default`` or ``excel-LOCALE`` (``excel-de``, ``excel-en``, ``excel-fr-CH``)."""
    key = name.strip()
    if key.lower() in PLAIN_NAMES:
        return PLAIN
    if not key.lower().startswith(_EXCEL) or len(key) == len(_EXCEL):
        raise _unknown(name, "it is neither 'default' nor 'excel-' followed by a locale")
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_decimal_symbol

    tag = key[len(_EXCEL):]
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise _unknown(name, f"'{tag}' is not a locale") from None
    comma = get_decimal_symbol(locale) == ","
    return CsvDialect(
        name=f"{_EXCEL}{tag}", separator=";" if comma else ",", decimal_comma=comma, bom=True,
        line_terminator="\r\n", datetime_format="%Y-%m-%d %H:%M:%S",
    )


def _unknown(name: str, why: str) -> InputError:
    return InputError(Problem(
        f"unknown CSV dialect '{name}': {why}", location="--csv-dialect", value=name,
        hint="use excel-de (';' and decimal comma, for German Excel), excel-en, excel-LOCALE such as excel-fr, "
             "or default (plain machine-readable CSV)",
    ))

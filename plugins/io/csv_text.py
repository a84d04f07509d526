"""A CSV file's bytes as UTF-8 text, and what is wrong with a file the parser refused.

German Excel saves "CSV" in Windows-1252 and "Unicode text" in UTF-16 with a
byte-order mark; other tools write UTF-8 with or without one. :func:`utf8_bytes`
turns the declared (or marked) encoding into the UTF-8 polars reads. A file that
is not UTF-8 and declares nothing gets :func:`encoding_problem`: the row of the
first byte that is not UTF-8, the row as it reads in the likely encoding
(guessed by charset-normalizer), and the ``encoding`` line to add.

When the fast parser refuses a file it does not say where; :func:`diagnose` reads
it again with Python's ``csv`` module (only then, so only bad files pay for it)
to name the row: a cell too many, a quote never closed, a quote inside a cell, a
line that ends with a lone carriage return.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from clientwise.errors import Problem

#: Byte-order marks, longest first (a UTF-32 LE mark starts like UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Names users know for Python's codec names, used in hints.
_FRIENDLY = {"cp1252": "windows-1252", "latin_1": "latin-1", "iso8859_15": "iso-8859-15",
             "cp1250": "windows-1250", "utf_16": "utf-16", "mac_roman": "mac-roman"}
#: Among encodings that read a sample alike, the ones spreadsheets and CRMs write most.
_PREFERRED = ("utf_8", "cp1252", "latin_1", "iso8859_15", "cp1250", "utf_16")
#: Bytes around the first bad one given to the encoding detector.
_SAMPLE = 65536
_SHOWN_LINE = 120


def marked_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of the file declares."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def utf8_bytes(data: bytes, encoding: str | None) -> bytes:
    """The file as UTF-8 without a byte-order mark.

    Raises :class:`UnicodeDecodeError` if it is not in ``encoding`` (or, with None,
    its marked encoding); plain UTF-8 is returned as is and checked by the parser.
    """
    name = codecs.lookup(encoding).name if encoding else marked_encoding(data[:4])
    if name is None:
        return data
    if name in ("utf-8", "utf-8-sig"):
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        data.decode("utf-8")  # raises where it is not
        return data
    if data.isascii() and name not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        return data  # ASCII reads the same in every single-byte encoding
    return data.decode(name).encode("utf-8")


def friendly(encoding: str) -> str:
    name = codecs.lookup(encoding).name.replace("-", "_")
    return _FRIENDLY.get(name, encoding)


def guess_encoding(data: bytes, at: int) -> str | None:
    """The likely encoding of the bytes around ``at``, by charset-normalizer."""
    from charset_normalizer import from_bytes

    sample = data[max(0, at - _SAMPLE // 2): at + _SAMPLE // 2]
    best = from_bytes(sample).best()
    if best is None:
        return None
    # Several encodings often read the sample alike; name the one exports most likely use.
    alike = [best.encoding, *best.could_be_from_charset]
    return friendly(next((name for name in _PREFERRED if name in alike), best.encoding))


def encoding_problem(file: str, data: bytes, error: UnicodeDecodeError, declared: str | None,
                     separator: str, quote: str) -> Problem:
    """The first byte that is not in the expected encoding, located and explained."""
    start = error.start
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    line = data[line_start: line_end if line_end >= 0 else len(data)].rstrip(b"\r")
    row = record_row(data[:line_start].decode("utf-8", errors="replace"), separator, quote)
    guess = guess_encoding(data, start) if declared is None else None
    shown = line.decode(guess or "latin-1", errors="replace")[:_SHOWN_LINE]
    expected = "UTF-8" if not declared or codecs.lookup(declared).name == "utf-8" else friendly(declared)
    byte = data[start: start + 1].hex().upper()
    if declared is None:
        like = f"it looks like {guess}" if guess else "it is in another encoding"
        fix = (f"{like}: add encoding = \"{guess or 'windows-1252'}\" to [data] (or to this file's source), "
               "or save the file as 'CSV UTF-8'")
    else:
        fix = f"check the encoding declared for this file ({declared}), or save the file in that encoding"
    return Problem(
        f"not {expected} text: byte 0x{byte} cannot be read as {expected}",
        file=file,
        location=f"row {row}",
        value=shown,
        hint=fix,
    )


def record_row(prefix: str, separator: str, quote: str) -> int:
    """The spreadsheet row (header = 1) of the record that starts right after ``prefix``."""
    if not quote or quote not in prefix:
        return prefix.count("\n") + 1
    reader = csv.reader(io.StringIO(prefix, newline=""), delimiter=separator, quotechar=quote)
    return sum(1 for _ in reader) + 1


def diagnose(file: str, text: str, separator: str, quote: str) -> Problem | None:
    """The first malformed row of a CSV text the parser refused, or None if none is found."""
    found = [p for p in (_stray_carriage_return(file, text, separator, quote),
                         _bad_records(file, text, separator, quote)) if p is not None]
    return min(found, key=lambda item: item[0])[1] if found else None


def _line_at(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start: end if end >= 0 else len(text)].replace("\r", "\\r")[:_SHOWN_LINE]


def _stray_carriage_return(file: str, text: str, separator: str, quote: str) -> tuple[int, Problem] | None:
    for match in re.finditer(r"\r(?!\n)", text):
        at = match.start()
        if quote and text.count(quote, 0, at) % 2:
            continue  # inside a quoted cell: part of the cell
        row = record_row(text[: text.rfind("\n", 0, at) + 1], separator, quote)
        return row, Problem(
            "this row ends with a lone carriage return (CR) where the other rows end with a line feed",
            file=file,
            location=f"row {row}",
            value=_line_at(text, at),
            hint="the file mixes kinds of line ends: save it again from Excel or a text editor, "
            "which writes one kind throughout",
        )
    return None


def _bad_records(file: str, text: str, separator: str, quote: str) -> tuple[int, Problem] | None:
    """A row with more cells than the header, a quote never closed, or a stray quote."""
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar=quote or None,
                        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE, strict=True)
    width, row, line = None, 0, 0
    try:
        for record in reader:
            row += 1
            first_line = line
            line = reader.line_num
            if width is None:
                width = len(record)
            elif len(record) > width:
                return row, Problem(
                    f"this row has {len(record)} cells, but the header has {width}",
                    file=file,
                    location=f"row {row}",
                    value=lines[first_line][:_SHOWN_LINE] if first_line < len(lines) else None,
                    hint=f"a cell holding the separator '{separator}' must be in quotes ({quote}a{separator} b{quote}); "
                    "if the file uses another separator, set separator in [data] (or in this file's source)",
                )
            stray = _stray_quote(lines, first_line, line, separator, quote)
            if stray is not None:
                return row, Problem(
                    "a quote character inside a cell that does not start with one",
                    file=file,
                    location=f"row {row}",
                    value=stray[:_SHOWN_LINE],
                    hint=f"put the whole cell in quotes and double the inner quote ({quote}12{quote}{quote} Monitor{quote}), "
                    "or set quote = \"\" in [data] (or in this file's source) if the file never quotes cells",
                )
    except csv.Error as error:
        row += 1
        return row, Problem(
            "a quote opened in this row is never closed" if "end of data" in str(error)
            else f"the row cannot be read as CSV: {error}",
            file=file,
            location=f"row {row}",
            value=lines[line][:_SHOWN_LINE] if line < len(lines) else None,
            hint=f"close the quote; a quote inside a quoted cell is written twice ({quote}{quote}); "
            "if the file never quotes cells, set quote = \"\" in [data] (or in this file's source)",
        )
    return None


def _stray_quote(lines: list[str], first: int, last: int, separator: str, quote: str) -> str | None:
    """The line of a record holding an unquoted cell with a quote in it (one-line records only)."""
    if not quote or last - first != 1 or first >= len(lines):
        return None
    line = lines[first].rstrip("\r")
    if quote not in line:
        return None
    quoted, cell_start, just_closed = False, True, False
    for char in line:
        if quoted:
            quoted = char != quote
            just_closed = not quoted
            continue
        if char == quote and just_closed:
            quoted = True  # a doubled quote inside a quoted cell
        elif char == separator:
            cell_start = True
        elif char == quote:
            if not cell_start:
                return line
            quoted = True
        elif not char.isspace():
            cell_start = False
        just_closed = False
    return None

"""The CSV loader: text as Excel, CRMs and ERPs export it.

Every column is read as text so validation sees exactly what the user typed. The
encoding is UTF-8 unless the file starts with a byte-order mark or ``[data]``
declares another (see :mod:`clientwise.plugins.io.csv_text`); the separator is
sniffed from the header line (``,``, ``;`` or tab) unless declared, because Excel
writes ``;`` in many European locales.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.plugins.io.csv_text import diagnose, encoding_problem, utf8_bytes
from clientwise.plugins.io.raw import Columns, drop_empty_rows, row_numbers, single_table_name

_SAVE_AS = "save it as 'CSV UTF-8' with the column names in the first line"


class CsvLoader(Loader):
    """Comma-separated text; encoding, separator and quote as ``[data]`` declares them."""

    name: ClassVar[str] = "csv"
    suffixes: ClassVar[tuple[str, ...]] = (".csv", ".txt", ".tsv")

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str],
        options: ReadOptions | None = None,
    ) -> dict[str, RawTable]:
        table = single_table_name(path, options)
        if table not in columns:
            return {}
        options = options or ReadOptions()
        quote = '"' if options.quote is None else options.quote
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(Problem(f"cannot read the file: {exc.strerror or exc}", file=str(path))) from exc
        separator = options.separator or sniff_separator(data, path.suffix.lower())
        try:
            text = utf8_bytes(data, options.encoding)
        except UnicodeDecodeError as exc:
            raise DataError(encoding_problem(str(path), data, exc, options.encoding, separator, quote)) from None
        if b"\r" in text and b"\n" not in text:
            text = text.replace(b"\r", b"\n")  # every line ends with CR alone (classic Mac): read it as such
        try:
            frame = pl.read_csv(
                text,
                infer_schema=False,
                separator=separator,
                quote_char=quote or None,
                encoding="utf8",
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as exc:
            raise DataError(_refused(path, data, text, exc, options, separator, quote)) from exc
        frame, rows = drop_empty_rows(frame, row_numbers(frame.height, 2))
        return {table: RawTable(table, frame, str(path), rows)}


def _refused(path: Path, data: bytes, text: bytes, exc: Exception, options: ReadOptions, separator: str,
             quote: str) -> Problem:
    """Why the parser refused the file, located by row where possible."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:
        return encoding_problem(str(path), data, error, options.encoding, separator, quote)
    found = diagnose(str(path), decoded, separator, quote)
    if found is not None:
        return found
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(f"cannot read the file as CSV: {detail}", file=str(path), hint=_SAVE_AS)


def sniff_separator(data: bytes, suffix: str = ".csv") -> str:
    """The separator the header line uses most: ``,``, ``;`` or tab (``,`` on a tie)."""
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: drop the zero bytes to count
        head = head.replace(b"\x00", b"")
    header = head.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8", errors="replace")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    if suffix == ".tsv" and counts["\t"]:
        return "\t"
    return best if counts[best] > counts[","] else ","

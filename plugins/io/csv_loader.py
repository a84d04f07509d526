"""The CSV loader: text as Excel, CRMs and ERPs export it.

Every column is read as text so validation sees exactly what the user typed. The
encoding is UTF-8 unless the file starts with a byte-order mark or ``[data]``
declares another (see :mod:`clientwise.plugins.io.csv_text`); the separator is
sniffed from the header line (``,``, ``;`` or tab) unless declared, because Excel
writes ``;`` in many European locales.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.plugins.io.csv_text import diagnose, encoding_problem, marked_encoding, utf8_bytes
from clientwise.plugins.io.raw import Columns, drop_empty_rows, repeated_column, row_numbers, single_table_name

_SAVE_AS = "save it as 'CSV UTF-8' with the column names in the first line"
#: Bytes looked at before reading: enough for the header line and the line ends.
_HEAD = 65536


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
            with path.open("rb") as handle:
                head = handle.read(_HEAD)
        except OSError as exc:
            raise DataError(Problem(f"cannot read the file: {exc.strerror or exc}", file=str(path))) from exc
        separator = options.separator or sniff_separator(head, path.suffix.lower())
        source: Path | bytes = path  # polars reads UTF-8 files itself, straight from disk
        if _needs_converting(head, options.encoding):
            data = path.read_bytes()
            try:
                source = utf8_bytes(data, options.encoding)
            except UnicodeDecodeError as exc:
                raise DataError(encoding_problem(str(path), data, exc, options.encoding, separator, quote)) from None
            if b"\r" in source and b"\n" not in source:
                source = source.replace(b"\r", b"\n")  # every line ends with CR alone (classic Mac)
        try:
            frame = pl.read_csv(
                source,
                infer_schema=False,
                separator=separator,
                quote_char=quote or None,
                encoding="utf8",
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as exc:
            raise DataError(_refused(path, exc, options, separator, quote)) from exc
        repeated = repeated_column(_header(source if isinstance(source, bytes) else head, separator, quote), str(path))
        if repeated is not None:
            raise repeated
        frame, rows = drop_empty_rows(frame, row_numbers(frame.height, 2))
        return {table: RawTable(table, frame, str(path), rows)}


def _header(data: bytes, separator: str, quote: str) -> list[str]:
    """The column names as the file's first line writes them (the parser renames repeats)."""
    text = data[:_HEAD].decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    quoting = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
    try:
        return next(csv.reader(io.StringIO(text), delimiter=separator, **quoting), [])  # type: ignore[arg-type]
    except csv.Error:
        return []


def _needs_converting(head: bytes, encoding: str | None) -> bool:
    """The file is not UTF-8 (declared, or by its byte-order mark), or its lines end with CR alone."""
    name = codecs.lookup(encoding).name if encoding else marked_encoding(head)
    return name not in (None, "utf-8", "utf-8-sig") or (b"\r" in head and b"\n" not in head)


def _refused(path: Path, exc: Exception, options: ReadOptions, separator: str, quote: str) -> Problem:
    """Why the parser refused the file, located by row where possible (the file is read
    again, in Python: only files that fail pay for it)."""
    data = path.read_bytes()
    try:
        decoded = utf8_bytes(data, options.encoding).decode("utf-8")
    except UnicodeDecodeError as error:
        return encoding_problem(str(path), data, error, options.encoding, separator, quote)
    if "\r" in decoded and "\n" not in decoded:
        decoded = decoded.replace("\r", "\n")
    found = diagnose(str(path), decoded, separator, quote)
    if found is not None:
        return found
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(f"cannot read the file as CSV: {detail}", file=str(path), hint=_SAVE_AS)


def sniff_separator(data: bytes, suffix: str = ".csv") -> str:
    """The separator the header line uses most: ``,``, ``;`` or tab (``,`` on a tie)."""
    head = data[:_HEAD]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: drop the zero bytes to count
        head = head.replace(b"\x00", b"")
    header = head.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8", errors="replace")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    if suffix == ".tsv" and counts["\t"]:
        return "\t"
    return best if counts[best] > counts[","] else ","

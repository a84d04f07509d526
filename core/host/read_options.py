"""How a loader should read one file, as the ruleset's ``[data]`` section declares it.

Part of the loader contract (:class:`clientwise.host.contracts.Loader`): every
``read`` gets one; the built-in CSV loader uses the encoding and dialect, the Excel
loader the sheet, and a format without such settings ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """The declared table and file format of one file; None means "work it out"."""

    #: the table the file holds (named by a source in [data]); a one-table file is that table
    table: str | None = None
    #: Python codec name; None: UTF-8, or UTF-16 when the file starts with its byte-order mark
    encoding: str | None = None
    #: field separator; None: taken from the header line
    separator: str | None = None
    #: quote character; "" for none; None: '"'
    quote: str | None = None
    #: the sheet holding the table (workbooks)
    sheet: str | None = None

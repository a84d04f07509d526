"""A structural check of a Parquet file's page headers, before a decoder trusts them.

polars' Parquet decoder sizes its buffers from the counts in each page header. A damaged
file whose header claims a negative number of values makes it ask for exabytes, and
Rust's answer to a failed allocation is to abort the process: no exception, no message,
exit code 134, and the promise that every bad input gets a located error is broken.
Checking the headers first costs a few milliseconds (only the footer and one small header
per page are read, through a memory map), far less than decoding the file a second time
with a stricter reader.

The footer and the page headers are Thrift structures in the compact protocol; the
reader below decodes any of them into ``{field id: value}`` dictionaries, with every
length and count bounded by the bytes that remain, so that a damaged file cannot make
the check itself misbehave.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

_MAGIC = b"PAR1"
_MAX_DEPTH = 64
_V2_COUNTS = ((2, "number of nulls"), (3, "number of rows"), (5, "definition levels' length"),
              (6, "repetition levels' length"))


class Damaged(ValueError):
    """The file's structure contradicts itself; the message says where."""


def check_page_headers(path: Path) -> None:
    """Raise :class:`Damaged` when a page header or the footer cannot be what it claims."""
    with path.open("rb") as handle:
        size = path.stat().st_size
        if size < 12:
            raise Damaged("the file is too short to be Parquet")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] != _MAGIC or data[-4:] != _MAGIC:
                raise Damaged("the file does not start and end with the Parquet marker PAR1")
            footer_length = struct.unpack("<I", data[-8:-4])[0]
            footer_start = size - 8 - footer_length
            if footer_start < 4:
                raise Damaged("the footer's length is larger than the file")
            footer, _ = _Reader(data[footer_start:size - 8], 0).struct(0)
            for group_number, group in enumerate(_list(footer, 4)):
                if not isinstance(group, dict):
                    raise Damaged(f"row group {group_number + 1} is not a structure")
                for chunk in _list(group, 1):
                    _check_chunk(data, chunk, footer_start, group_number)


def _check_chunk(data: mmap.mmap, chunk: Any, limit: int, group_number: int) -> None:
    meta = chunk.get(3) if isinstance(chunk, dict) else None
    if not isinstance(meta, dict):
        return  # no inline metadata: the decoder will refuse the chunk with an error of its own
    names = meta.get(3) if isinstance(meta.get(3), list) else []
    column = ".".join(part.decode("utf-8", "replace") for part in names if isinstance(part, bytes))
    where = f"column {column or '?'} in row group {group_number + 1}"
    values = _int(meta.get(5), where, "number of values")
    start = meta.get(11) if isinstance(meta.get(11), int) and meta.get(11, 0) > 0 else meta.get(9)
    start = _int(start, where, "first page offset")
    end = start + _int(meta.get(7), where, "compressed size")
    if start < 4 or end > limit:
        raise Damaged(f"{where}: its pages lie outside the file")
    position = start
    while position < end:
        header, length = _page_header(data, position, end)
        position += length
        compressed = _int(header.get(3), where, "page size")
        _int(header.get(2), where, "uncompressed page size")
        for part in (header.get(5), header.get(7), header.get(8)):
            if isinstance(part, dict):
                count = _int(part.get(1), where, "number of values in a page")
                if count > values:
                    raise Damaged(f"{where}: a page claims {count} values, the column {values}")
        if isinstance(header.get(8), dict):  # a version 2 data page also counts nulls, rows and level bytes
            for field, label in _V2_COUNTS:
                _int(header[8].get(field), where, label)
        position += compressed
        if position > end:
            raise Damaged(f"{where}: a page runs past the end of its column")


def _page_header(data: mmap.mmap, position: int, end: int) -> tuple[dict[int, Any], int]:
    """The header at ``position`` and its length, read through a window that grows only
    for the rare header with long statistics (a header is usually a few dozen bytes)."""
    window = 256
    while True:
        reader = _Reader(data[position:min(end, position + window)], 0, more=position + window < end)
        try:
            return reader.struct(0)
        except _Short:
            window *= 8


def _int(value: Any, where: str, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Damaged(f"{where}: the {what} is {value!r}, which no Parquet writer produces")
    return value


def _list(structure: dict[int, Any], field: int) -> list[Any]:
    value = structure.get(field, [])
    if not isinstance(value, list):
        raise Damaged(f"field {field} of the footer should be a list")
    return value


class _Short(Damaged):
    """The window ended before the structure; the file may hold the rest."""


class _Reader:
    """Thrift compact protocol over ``data``: structures become ``{field id: value}``.

    ``more`` says that the file goes on after ``data``: running out then asks for a
    larger window instead of calling the file damaged.
    """

    def __init__(self, data: bytes, position: int, *, more: bool = False) -> None:
        self.data, self.position, self.end, self.more = data, position, len(data), more

    def _past_end(self, what: str) -> Damaged:
        return _Short(what) if self.more else Damaged(what)

    def struct(self, depth: int) -> tuple[dict[int, Any], int]:
        if depth > _MAX_DEPTH:
            raise Damaged("structures are nested too deeply")
        fields: dict[int, Any] = {}
        field = 0
        while True:
            header = self._byte()
            if header == 0:
                return fields, self.position
            kind, delta = header & 0x0F, header >> 4
            field = field + delta if delta else _zigzag(self._varint())
            if kind in (1, 2):
                fields[field] = kind == 1
            else:
                fields[field] = self._value(kind, depth)

    def _value(self, kind: int, depth: int) -> Any:
        if kind in (1, 2):
            return self._byte() == 1
        if kind == 3:
            return self._byte()
        if kind in (4, 5, 6):
            return _zigzag(self._varint())
        if kind == 7:
            return self._take(8)
        if kind == 8:
            return self._take(self._varint())
        if kind in (9, 10):
            header = self._byte()
            count, element = header >> 4, header & 0x0F
            if count == 15:
                count = self._varint()
            if count > self.end - self.position:
                raise self._past_end("a list claims more elements than there are bytes")
            return [self._value(element, depth + 1) for _ in range(count)]
        if kind == 11:
            count = self._varint()
            if count == 0:
                return {}
            types = self._byte()
            if 2 * count > self.end - self.position:
                raise self._past_end("a map claims more entries than there are bytes")
            return {_key(self._value(types >> 4, depth + 1)): self._value(types & 0x0F, depth + 1) for _ in range(count)}
        if kind == 12:
            value, _ = self.struct(depth + 1)
            return value
        raise Damaged(f"unknown Thrift type {kind}")

    def _byte(self) -> int:
        if self.position >= self.end:
            raise self._past_end("a structure runs past its end")
        value = self.data[self.position]
        self.position += 1
        return value

    def _take(self, count: int) -> bytes:
        if count > self.end - self.position:
            raise self._past_end("a value runs past its end")
        value = self.data[self.position:self.position + count]
        self.position += count
        return value

    def _varint(self) -> int:
        result = shift = 0
        while True:
            byte = self._byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise Damaged("a number is longer than 10 bytes")


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _key(value: Any) -> Any:
    return value if isinstance(value, (int, bytes, bool)) else repr(value)

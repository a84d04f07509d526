"""Customer objects of the JSON and JSON Lines formats, encoded by polars a chunk at a time.

A million customers through Python dictionaries and ``json.dumps`` took minutes;
polars' own NDJSON encoder writes the same objects (same key order, same escapes,
ISO dates) in seconds. Rows are encoded :data:`CHUNK` at a time, a few chunks in
parallel, and handed on in order as they are done, so memory stays bounded by the
customers table however many customers there are, and the bytes never depend on
the number of threads.

Numbers are written in their shortest round-trip form, as by Python's ``json``
except that polars writes ``1e-7`` where Python wrote ``1e-07`` and ``0.00001``
where Python wrote ``1e-05``: the same numbers for every JSON reader. Columns whose
type polars would write otherwise than :func:`~clientwise.plugins.io.values.plain`
(times, durations, decimals, nested floats, objects), and output columns named like
the layout's own keys, take the Python path (:func:`python_records`), which gives
the same objects.

Explanations are added only when asked (``traces``): each is built and encoded in
Python, one customer at a time, into its line.
"""

from __future__ import annotations

import io
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import polars as pl

from clientwise.plugins.io.values import finite, plain, records
from clientwise.runtime.explain import Explanation
from clientwise.runtime.result import Result

T = TypeVar("T")

#: Customers encoded per polars call.
CHUNK = 10_000
#: Chunks encoded at once (each by polars outside the GIL); the output order never changes.
ENCODERS = min(4, os.cpu_count() or 1)
#: Keys of a customer object that are not output columns.
RESERVED = ("record", "key", "name", "actions", "explanation")
#: Characters JSON allows raw in strings but ``str.splitlines`` (and old JavaScript)
#: treat as line breaks; escaped so every record stays on its line.
LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
NO_EXPLANATION = '"explanation":null}'


def dumps(value: Any) -> str:
    """Compact JSON on one line (the C encoder: an indented dump is several times slower)."""
    return escape_line_breaks(json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


def escape_line_breaks(text: str) -> str:
    for raw, escaped in LINE_BREAKS.items():
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _escape_line_breaks_utf8(data: bytes) -> bytes:
    """:func:`escape_line_breaks` on UTF-8 (only where :func:`_has_line_breaks`: searching
    the encoded bytes costs more than searching the text columns)."""
    for raw, escaped in LINE_BREAKS.items():
        encoded = raw.encode("utf-8")
        if encoded in data:
            data = data.replace(encoded, escaped.encode("ascii"))
    return data


def customer_blocks(result: Result, *, traces: bool, record: str | None = None,
                    indent: bytes | None = None) -> Iterator[bytes | memoryview]:
    """The encoded customer objects as JSON Lines (UTF-8, ``\\n`` after each), in the
    customers table's (key) order, a chunk of customers at a time; ``record`` puts
    ``"record": record`` first (the JSON Lines format's customer lines). ``indent``:
    the JSON document's layout instead, each block's objects separated by ``,\\n``
    and ``indent``, with nothing after the last (the caller separates blocks)."""
    native = _native_frame(result, record)
    if native is None:
        prefix = {"record": record} if record else {}
        lines: list[str] = []
        for item in python_records(result, traces=traces):
            lines.append(dumps({**prefix, **item}))
            if len(lines) == CHUNK:
                yield _laid_out(_joined(lines), indent)
                lines = []
        if lines:
            yield _laid_out(_joined(lines), indent)
        return
    explanations = _Explanations(result.explanations()) if traces and result.tracer is not None else None
    breaks = _has_line_breaks(native.drop("actions")) or _has_line_breaks(result.actions.select("rule", "action", "because"))

    def encode(offset: int) -> bytes | memoryview:  # polars encodes without the GIL: chunks run in parallel
        block = _ndjson(native.slice(offset, CHUNK))
        block = _escape_line_breaks_utf8(block) if breaks else block
        return block if explanations is not None else _laid_out(block, indent)

    for offset, block in _in_order(encode, range(0, native.height, CHUNK)):
        yield block if explanations is None else _laid_out(_finished(block, native, offset, explanations), indent)


def _in_order(encode: Callable[[int], T], offsets: Iterable[int]) -> Iterator[tuple[int, T]]:
    """``(offset, encode(offset))`` in order, a few encoded at once in threads, so that at
    most :data:`ENCODERS` + 1 results are held whatever the number of offsets."""
    with ThreadPoolExecutor(max_workers=ENCODERS) as pool:
        pending: deque[tuple[int, Future[T]]] = deque()
        for offset in offsets:
            pending.append((offset, pool.submit(encode, offset)))
            if len(pending) > ENCODERS:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _ndjson(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ndjson(buffer)
    return buffer.getvalue()


def _laid_out(block: bytes, indent: bytes | None) -> bytes | memoryview:
    """JSON Lines as the JSON document's lines (see :func:`customer_blocks`); one copy."""
    if indent is None or not block:
        return block
    return memoryview(block.replace(b"\n", b",\n" + indent))[: -(2 + len(indent))]


def _finished(block: bytes, frame: pl.DataFrame, offset: int, explanations: _Explanations | None) -> bytes:
    """An encoded chunk, with each customer's explanation when asked."""
    if explanations is None:
        return block
    keys = frame.get_column("key").slice(offset, CHUNK).to_list()
    return _joined([_explained(line, explanations.get(str(key))) for line, key in zip(block.decode("utf-8").split("\n"), keys)])


def _has_line_breaks(frame: pl.DataFrame) -> bool:
    """Does any text of the frame (in lists too) hold a character of :data:`LINE_BREAKS`?"""
    texts = [text for name, dtype in frame.schema.items() for text in _texts(pl.col(name), dtype)]
    if not texts:
        return False
    return bool(frame.select(pl.any_horizontal(text.str.contains_any(list(LINE_BREAKS)).any() for text in texts)).item())


def _texts(column: pl.Expr, dtype: pl.DataType) -> list[pl.Expr]:
    """Expressions giving the texts a column holds (lists exploded; structs by field)."""
    if dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return [column.cast(pl.String)]
    if isinstance(dtype, pl.Struct):
        return [text for field in dtype.fields for text in _texts(column.struct.field(field.name), field.dtype)]
    if isinstance(dtype, pl.List) and dtype.inner is not None:
        return _texts(column.explode(), dtype.inner)
    return []


def table_json(frame: pl.DataFrame) -> bytes:
    """A table as a JSON array of row objects (UTF-8), as ``dumps(records(frame))`` writes it."""
    return b"".join(table_json_parts(frame))


def table_json_parts(frame: pl.DataFrame) -> Iterator[bytes | memoryview]:
    """:func:`table_json` in pieces, to be written one after another: a long table (a
    Pareto table has a row per customer) is encoded a chunk of rows at a time, in
    parallel, as the customers are, and never joined into one string (at a million
    customers each join was another copy of a 180 MB table)."""
    if not all(_native(dtype) for dtype in frame.schema.values()):
        yield dumps(records(frame)).encode("utf-8")
        return
    if not frame.height:
        yield b"[]"
        return
    rows = finite(frame)
    breaks = _has_line_breaks(rows)

    def encode(offset: int) -> bytes:
        block = _ndjson(rows.slice(offset, CHUNK))
        return (_escape_line_breaks_utf8(block) if breaks else block).replace(b"\n", b",")

    yield b"["
    for offset, block in _in_order(encode, range(0, rows.height, CHUNK)):
        yield memoryview(block)[:-1] if offset + CHUNK >= rows.height else block  # no comma after the last row
    yield b"]"


def _joined(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _explained(line: str, explanation: Explanation | None) -> str:
    """The encoded customer with its explanation in place of ``null``."""
    if explanation is None:
        return line
    return line[: -len(NO_EXPLANATION)] + f'"explanation":{dumps(_trace(explanation))}}}'


def python_records(result: Result, *, traces: bool) -> Iterator[dict[str, Any]]:
    """The customer objects built in Python, one at a time (for any column type)."""
    key, name = result.key, result.name
    actions: dict[Any, list[dict[str, Any]]] = {}
    for row in result.actions.iter_rows(named=True):
        actions.setdefault(row[key], []).append(
            {"id": row["rule"], "action": row["action"], "priority": row["priority"], "because": row["because"]}
        )
    explanations = _Explanations(result.explanations()) if traces and result.tracer is not None else None
    outputs = [c for c in result.customers.columns if c not in (key, name, "actions")]
    for row in finite(result.customers).iter_rows(named=True):
        item: dict[str, Any] = {"key": row[key], "name": row.get(name) if name != key else None}
        item.update((column, row[column]) for column in outputs)
        item["actions"] = actions.get(row[key], [])
        explanation = explanations.get(str(row[key])) if explanations is not None else None
        item["explanation"] = _trace(explanation) if explanation is not None else None
        yield plain(item)


def _trace(explanation: Explanation) -> dict[str, Any]:
    trace = plain(explanation.to_dict())
    trace.pop("key", None)
    return trace


def _native_frame(result: Result, record: str | None) -> pl.DataFrame | None:
    """The customer objects as columns polars encodes exactly as :func:`python_records`
    does; None when some column needs the Python path."""
    customers = result.customers
    key, name = result.key, result.name
    outputs = [c for c in customers.columns if c not in (key, name, "actions")]
    if any(c in RESERVED for c in outputs) or key not in customers.columns:
        return None
    if not all(_native(customers.schema[c]) for c in [key, *outputs, *([name] if name in customers.columns else [])]):
        return None
    actions = result.actions
    item = pl.struct(pl.col("rule").alias("id"), "action", "priority", "because")
    lists = actions.group_by(key, maintain_order=True).agg(item.alias("actions"))
    empty = pl.lit([], lists.schema["actions"])
    has_name = name != key and name in customers.columns
    frame = finite(customers.select(key, *([name] if has_name else []), *outputs))
    return (
        frame.join(lists, on=key, how="left", maintain_order="left")
        .select(
            *([pl.lit(record).alias("record")] if record else []),
            pl.col(key).alias("key"),
            (pl.col(name) if has_name else pl.lit(None)).alias("name"),
            *outputs,
            pl.col("actions").fill_null(empty),
            pl.lit(None).alias("explanation"),
        )
    )


def _native(dtype: pl.DataType) -> bool:
    """Does polars' NDJSON encoder write this type's values as ``plain`` + ``json`` do?"""
    if dtype.is_integer() or dtype.is_float() or dtype in (pl.Boolean, pl.String, pl.Date, pl.Null):
        return True
    if isinstance(dtype, (pl.Enum, pl.Categorical)):
        return True
    if isinstance(dtype, pl.List):  # nested floats are not cleaned of NaN by ``finite``
        inner = dtype.inner
        return inner is not None and not inner.is_float() and _native(inner)
    return False


class _Explanations:
    """Explanations matched to customers by key; cheap when both come in key order."""

    def __init__(self, explanations: Iterable[Explanation]):
        self._source = iter(explanations)
        self._early: dict[str, Explanation] = {}

    def get(self, key: str) -> Explanation | None:
        if key in self._early:
            return self._early.pop(key)
        for explanation in self._source:
            if explanation.key == key:
                return explanation
            self._early[explanation.key] = explanation
        return None

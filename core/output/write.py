"""The report stage: pick a writer plugin and write the result, whole or not at all.

A failed run must never leave a half-written report behind: a file destination is
written atomically (:mod:`clientwise.output.atomic`) and standard output is buffered, so
either the complete output appears or nothing does.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import polars as pl

from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.output.atomic import AtomicGroup
from clientwise.output.escape import escape_formula, escape_formula_expr
from clientwise.output.targets import cannot_write, check_destination

if TYPE_CHECKING:
    from clientwise.host.contracts import Writer
    from clientwise.runtime.result import Result

#: The format used when neither ``--format`` nor the output's suffix says otherwise.
DEFAULT_FORMAT = "table"


def choose_writer(
    writers: Iterable[Writer] | Mapping[str, Writer],
    format: str | None,
    destination: Path | None,
) -> Writer:
    """The writer for an explicit ``format``, else for the destination's suffix, else ``table``.

    An explicit format wins over the suffix, so ``-o report.txt --format csv`` writes
    CSV. A destination without a suffix gets the default format; an unknown suffix
    is an error rather than, say, a terminal table inside ``report.xlsx``.
    """
    available = list(writers.values()) if isinstance(writers, Mapping) else list(writers)
    by_format: dict[str, Writer] = {}
    for writer in available:
        by_format.setdefault(writer.format.lower(), writer)

    if format is not None:
        chosen = by_format.get(format.strip().lower())
        if chosen is None:
            raise InputError(
                Problem(
                    f"unknown output format '{format}'",
                    location="--format",
                    hint=_hint(did_you_mean(format.strip().lower(), by_format), by_format),
                )
            )
        return chosen

    suffix = destination.suffix.lower() if destination is not None else ""
    if not suffix:
        if DEFAULT_FORMAT in by_format:
            return by_format[DEFAULT_FORMAT]
        raise InputError(
            Problem(
                f"the default output format '{DEFAULT_FORMAT}' is not installed",
                location="--format",
                hint=_hint(None, by_format),
            )
        )
    for writer in by_format.values():
        if suffix in writer.all_suffixes():
            return writer
    known = {s: w for w in by_format.values() for s in w.all_suffixes()}
    raise InputError(
        Problem(
            f"cannot tell the output format from the suffix '{suffix}'",
            file=str(destination),
            hint=_hint(did_you_mean(suffix, known), by_format, suffixes=sorted(known)),
        )
    )


#: Writer options as the command line spells them.
OPTION_FLAGS = {"paper": "--paper", "csv_dialect": "--csv-dialect", "traces": "--explain-all"}


def configure_writer(
    writer: Writer,
    writers: Iterable[Writer] | Mapping[str, Writer],
    options: Mapping[str, str | None],
) -> Writer:
    """``writer`` set up for one run with the options given (None: not given), before the
    evaluation runs: an option its format does not take, a bad value or a missing program
    (the pdf writer's browser) is a clear error then, not after minutes of work."""
    given = {name: value for name, value in options.items() if value is not None}
    available = list(writers.values()) if isinstance(writers, Mapping) else list(writers)
    for name in given:
        if name not in writer.options:
            flag = OPTION_FLAGS.get(name, "--" + name.replace("_", "-"))
            takers = sorted({w.format for w in available if name in w.options})
            raise InputError(Problem(
                f"{flag} does not apply to the {writer.format} format",
                location=flag,
                hint=(f"use it with --format {' or '.join(takers)}, or leave it out" if takers
                      else "leave it out: no installed format takes it"),
            ))
    return writer.configure(**given)


def is_terminal(stream: BinaryIO) -> bool:
    """Whether ``stream`` is a terminal (binary formats refuse to write there)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _hint(suggestion: str | None, by_format: Mapping[str, Writer], suffixes: list[str] | None = None) -> str:
    formats = ", ".join(sorted(by_format)) or "none installed"
    text = f"use --format with one of: {formats}"
    if suffixes:
        text += f" (or name the file with one of: {', '.join(suffixes)})"
    return f"{suggestion} {text}" if suggestion else text


def write_result(
    result: Result,
    writer: Writer,
    destination: Path | None,
    *,
    stdout: BinaryIO | None = None,
    before_commit: Callable[[], object] | None = None,
) -> None:
    """Write ``result`` with ``writer`` to ``destination``, or to standard output when None.

    ``stdout`` replaces ``sys.stdout.buffer`` (tests, embedding). Output to stdout is
    rendered completely before the first byte is written. ``before_commit`` runs once
    the output is complete and before it is published (moved into place, or printed);
    if it raises, nothing is published: a run saved into the store publishes its file
    only when the save succeeded.
    """
    if writer.escape_formulas:
        result = formula_safe(result)
    if destination is None:
        _write_stdout(result, writer, stdout, before_commit)
    else:
        _write_file(result, writer, Path(destination), before_commit)


def formula_safe(result: Result) -> Result:
    """``result`` with every text cell (lists of text too) and column name formula-escaped:
    what a writer gets unless it opts out (``Writer.escape_formulas``)."""
    return replace(result, customers=_escaped(result.customers), actions=_escaped(result.actions))


def _escaped(frame: pl.DataFrame) -> pl.DataFrame:
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            columns.append(escape_formula_expr(pl.col(name)).alias(name))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            columns.append(pl.col(name).list.eval(escape_formula_expr(pl.element())).alias(name))
    frame = frame.with_columns(columns) if columns else frame
    return frame.rename({name: escape_formula(name) for name in frame.columns if escape_formula(name) != name})


class _TerminalAwareBuffer(io.BytesIO):
    """Buffers output but answers ``isatty`` for the real stream, so the table writer
    still uses colours (and the terminal's width) when printing to a terminal."""

    def __init__(self, target: BinaryIO):
        super().__init__()
        self._target = target

    def isatty(self) -> bool:
        try:
            return bool(self._target.isatty())
        except (AttributeError, ValueError):
            return False


def _write_stdout(result: Result, writer: Writer, stdout: BinaryIO | None,
                  before_commit: Callable[[], object] | None) -> None:
    target = stdout if stdout is not None else _stdout_buffer()
    buffer = _TerminalAwareBuffer(target)
    writer.write(result, buffer)
    if before_commit is not None:
        before_commit()
    target.write(buffer.getvalue())
    target.flush()


def _stdout_buffer() -> BinaryIO:
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        return buffer
    return _TextTarget(stream)


class _TextTarget(io.RawIOBase):
    """Lets a text-only ``sys.stdout`` (some IDEs, notebooks) receive the UTF-8 bytes."""

    def __init__(self, stream: io.TextIOBase):
        super().__init__()
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._stream.write(bytes(data).decode("utf-8"))
        return len(data)

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def flush(self) -> None:
        self._stream.flush()


def _write_file(result: Result, writer: Writer, destination: Path,
                before_commit: Callable[[], object] | None) -> None:
    """Every system error while opening, writing and committing is the destination's; an
    error of ``before_commit`` is its own (and the file is not written)."""
    check_destination(destination)
    group = AtomicGroup()
    try:
        try:
            stream = group.open(destination)
            writer.write(result, stream)
        except OSError as error:
            raise cannot_write(destination, error) from error
        if before_commit is not None:
            before_commit()
        try:
            group.commit()
        except OSError as error:
            raise cannot_write(destination, error) from error
    except BaseException:
        group.abort()
        raise

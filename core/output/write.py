"""The report stage: pick a writer plugin and write the result, whole or not at all.

A failed run must never leave a half-written report behind: a file destination is
written atomically (:mod:`clientwise.output.atomic`) and standard output is buffered, so
either the complete output appears or nothing does.
"""

from __future__ import annotations

import errno
import io
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.output.atomic import AtomicGroup

if TYPE_CHECKING:
    from clientwise.host.contracts import Writer
    from clientwise.runtime.result import Result

#: The format used when neither ``--format`` nor the output's suffix says otherwise.
DEFAULT_FORMAT = "table"

#: Write errors the user can fix (a full disk, a quota), reported without a traceback.
_USER_FIXABLE_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


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
OPTION_FLAGS = {"paper": "--paper", "csv_dialect": "--csv-dialect"}


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
) -> None:
    """Write ``result`` with ``writer`` to ``destination``, or to standard output when None.

    ``stdout`` replaces ``sys.stdout.buffer`` (tests, embedding). Output to stdout is
    rendered completely before the first byte is written.
    """
    if destination is None:
        _write_stdout(result, writer, stdout)
    else:
        _write_file(result, writer, Path(destination))


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


def _write_stdout(result: Result, writer: Writer, stdout: BinaryIO | None) -> None:
    target = stdout if stdout is not None else _stdout_buffer()
    buffer = _TerminalAwareBuffer(target)
    writer.write(result, buffer)
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


def _write_file(result: Result, writer: Writer, destination: Path) -> None:
    if destination.is_dir():
        raise InputError(
            Problem(
                "the output path is a directory",
                file=str(destination),
                hint="give a file name, e.g. " + str(destination / f"result{writer.suffix}"),
            )
        )
    if not destination.parent.is_dir():
        raise InputError(
            Problem(
                "the output's directory does not exist",
                file=str(destination),
                hint=f"create {destination.parent} first, or write somewhere else",
            )
        )
    group = AtomicGroup()
    try:
        stream = group.open(destination)
    except PermissionError as error:
        raise _cannot_write(destination, error) from error
    try:
        writer.write(result, stream)
    except OSError as error:
        group.abort()
        if error.errno in _USER_FIXABLE_ERRNOS:
            raise _cannot_write(destination, error) from error
        raise
    except BaseException:
        group.abort()
        raise
    try:
        group.commit()
    except PermissionError as error:
        raise _cannot_write(destination, error) from error
    except OSError as error:
        if error.errno in _USER_FIXABLE_ERRNOS:
            raise _cannot_write(destination, error) from error
        raise


def _cannot_write(destination: Path, error: OSError) -> InputError:
    if isinstance(error, PermissionError):
        hint = (
            "check that you may write to this folder; if the file is open in another "
            "program (Excel locks the files it has open), close it and run again"
        )
    else:
        hint = "free some disk space (or write somewhere else) and run again"
    return InputError(
        Problem(
            f"cannot write the output: {error.strerror or error}",
            file=str(destination),
            hint=hint + "; the previous file, if any, is unchanged",
        )
    )

"""The one door every data file goes through: whatever a file does to a parser becomes a located error.

Loaders parse bytes the user got from somewhere; a damaged or hostile file can make a
parser fail in ways no loader anticipates: a ``RecursionError`` from JSON nested
thousands of levels deep, a ``UnicodeError`` from text Python cannot represent, an
``OSError`` from a special file, or a Rust panic inside polars or another pyo3
library (a ``BaseException``, with the panic text printed straight to file
descriptor 2). :func:`read_file` calls a loader and turns each of these into a
:class:`~clientwise.errors.DataError` naming the file and what to do, for built-in
and third-party loaders alike; the panic's own text is kept out of the terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from clientwise.errors import DataError, InputError, Problem
from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions


def read_file(loader: Loader, path: Path, columns: Mapping[str, Sequence[str] | None], *, keys: Mapping[str, str],
              options: ReadOptions) -> dict[str, RawTable]:
    """``loader.read(...)``, with every failure the file can cause reported as a :class:`DataError`."""
    fmt = loader.name
    with _panic_text_held() as held:
        try:
            return loader.read(path, columns, keys=keys, options=options)
        except BaseException as error:
            held.failed = True
            located = _located(error, path, fmt)
            if located is None:
                raise
            raise located from None


def _located(error: BaseException, path: Path, fmt: str) -> InputError | None:
    """The located error a reading failure becomes (None: not caused by the file; re-raised)."""
    file = str(path)
    if isinstance(error, InputError):
        return error
    if isinstance(error, RecursionError):
        return DataError(Problem(
            "values are nested too deeply to read (thousands of levels of arrays or objects)",
            file=file, hint=f"export the table flat: one {fmt} record per row, its fields side by side"))
    if isinstance(error, UnicodeError):
        return DataError(Problem(
            f"the file holds text that is not valid Unicode: {_reason(error)}",
            file=file, hint="export the file again as UTF-8; the value was probably cut or damaged"))
    if isinstance(error, OSError):
        return DataError(Problem(
            f"cannot read the file: {error.strerror or type(error).__name__}", file=file,
            hint="check that it is a regular file you may read"))
    if type(error).__name__ == "PanicException":
        detail = str(error).strip().splitlines()[0] if str(error).strip() else "internal error"
        return DataError(Problem(
            f"the {fmt} reader failed on this file: it is damaged or not a {fmt} file",
            file=file, value=detail[:200],
            hint="export the file again from its source and check that it is complete"))
    return None


def _reason(error: UnicodeError) -> str:
    if isinstance(error, (UnicodeEncodeError, UnicodeDecodeError)):
        shown = error.object[error.start:error.end]
        return f"{error.reason} ({shown!r})"
    return str(error)


class _Held:
    failed = False


@contextmanager
def _panic_text_held() -> Iterator[_Held]:
    """Hold what is written to file descriptor 2 meanwhile; pass it on unless the read failed.

    A panic's text is printed by Rust's panic hook, often from a worker thread while the
    caller gets another error; a failed read is reported as a located error, so what the
    parser printed on the way is dropped with it."""
    held = _Held()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 (embedded interpreters): nothing to hold
        yield held
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield held
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if not held.failed:
                sink.seek(0)
                text = sink.read()
                if text:
                    os.write(2, text)

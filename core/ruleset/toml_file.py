"""Reading one TOML file a user wrote, so that no input can break the parser unlocated.

Every place that reads a ruleset or a tests file goes through :func:`read_toml`: a
file that is missing, a directory, a device, a name longer than the system allows,
not UTF-8, binary, or nested deeper than a recursive parser can follow becomes a
:class:`~clientwise.errors.RulesetError` naming the file (and the line where there is
one, and the ``extends`` key that pointed at it) instead of a Python exception.
"""

from __future__ import annotations

import errno
import tomllib
from pathlib import Path
from typing import Any

from clientwise.errors import Problem, RulesetError

#: Arrays and inline tables nested deeper than this are refused (a ruleset needs a few levels).
MAX_NESTING = 64
_OPENERS = {"[": "]", "{": "}"}


def read_toml_text(path: Path, *, file: str | None = None, referrer: tuple[str, str] | None = None) -> str:
    """The text of a TOML file, or a located error when it is not a readable UTF-8 text file.

    ``referrer`` is ``(file, key)`` of the ruleset that named this one (its ``extends``),
    so a bad reference is reported where the user wrote it.
    """
    shown = file or str(path)
    try:
        if path.is_dir():
            raise _refused(shown, "is a directory, not a TOML file", referrer, "name a .toml file")
        if not path.is_file():
            why = "no such file" if not path.exists() else "is not a regular file (a device or a pipe)"
            raise _refused(shown, why, referrer, "give the path to a .toml file")
        data = path.read_bytes()
    except OSError as error:
        why = "the name is longer than the system allows" if error.errno == errno.ENAMETOOLONG else (
            error.strerror or type(error).__name__)
        raise _refused(shown, f"cannot read the file: {why}", referrer, "give the path to a .toml file") from None
    return decode_toml(data, shown)


def decode_toml(data: bytes, file: str) -> str:
    """UTF-8 text (a byte-order mark is allowed), or an error naming the first bad byte's line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise RulesetError(Problem("this is a binary file, not a TOML ruleset", file=file, location=f"line {line}",
                                   hint="give the ruleset's .toml file (plain UTF-8 text)"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise RulesetError(Problem(
            "the file is not UTF-8 text",
            file=file,
            location=f"line {line}, column {column}",
            value=repr(data[error.start:error.start + 4]),
            hint="save the ruleset as UTF-8 (in most editors: Save As, encoding UTF-8)",
        )) from None


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """The document of TOML ``text``, or a located error (syntax, or nesting too deep)."""
    deep = _too_deep(text)
    if deep is not None:
        raise RulesetError(Problem(
            f"arrays or inline tables are nested more than {MAX_NESTING} levels deep",
            file=file,
            location=f"line {deep[0]}, column {deep[1]}",
            hint="a ruleset needs only a few levels: [...] inside [...]; check for an unclosed bracket",
        ))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesetError(Problem(
            f"not valid TOML: {error}",
            file=file,
            hint="check quotes, brackets and that each key appears once (TOML syntax: toml.io)",
        )) from None


def read_toml(path: Path, *, file: str | None = None, referrer: tuple[str, str] | None = None) -> dict[str, Any]:
    """:func:`read_toml_text` then :func:`parse_toml`."""
    return parse_toml(read_toml_text(path, file=file, referrer=referrer), file or str(path))


def _refused(file: str, why: str, referrer: tuple[str, str] | None, hint: str) -> RulesetError:
    if referrer is None:
        return RulesetError(Problem(f"cannot read the ruleset: {why}", file=file, hint=hint))
    shown = file if len(file) <= 200 else file[:200] + "..."
    return RulesetError(Problem(f"the ruleset it extends cannot be read: {why}", file=referrer[0],
                                location=referrer[1], value=shown, hint=hint))


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) where brackets outside strings and comments nest deeper than
    :data:`MAX_NESTING`, else None. Table headers (``[[rules]]``) open and close on one
    line and never nest, so counting brackets is enough; tomllib recurses per level."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth = 0
    line, start = 1, 0
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char == "\n":
            line, start = line + 1, index + 1
        elif char == "#":
            end = text.find("\n", index)
            index = size if end < 0 else end
            continue
        elif char in "\"'":
            end = _string_end(text, index)
            skipped = text.count("\n", index, end)
            if skipped:
                line, start = line + skipped, text.rfind("\n", index, end) + 1
            index = end
            continue
        elif char in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                return line, index - start + 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        index += 1
    return None


def _string_end(text: str, index: int) -> int:
    """The index after the string starting at ``index`` (basic, literal, or multi-line)."""
    quote = text[index]
    triple = text.startswith(quote * 3, index)
    closer = quote * 3 if triple else quote
    position = index + len(closer)
    while True:
        end = text.find(closer, position)
        newline = -1 if triple else text.find("\n", position)
        if end < 0 or (0 <= newline < end):
            return newline if newline >= 0 else len(text)
        if quote == '"' and _escaped(text, end):
            position = end + 1
            continue
        return end + len(closer)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1

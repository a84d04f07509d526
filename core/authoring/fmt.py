"""``clientwise fmt``: one layout for every ruleset, comments kept.

tomlkit parses TOML into a document that remembers comments and whitespace; the
layout is normalised on that document (``key = value``, no indentation of keys) and
then line by line (no trailing spaces, one blank line between blocks and before each
table, one newline at the end). Comment alignment is left alone: consultants align
explanations on purpose. One-line arrays of plain values become ``[a, b, c]``; multi-line arrays keep their
layout and comments. The formatted text must read back to the same data, checked on
every run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Array, InlineTable, Key, Table

from clientwise.errors import InputError, Problem
from clientwise.output.atomic import atomic_write
from clientwise.ruleset.toml_file import parse_toml, read_toml_text

_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Formatted:
    path: Path
    changed: bool


def format_text(text: str, file: str = "<string>") -> str:
    """``text`` in the normal layout; raises :class:`InputError` if it is not TOML."""
    data = parse_toml(text, file)  # located syntax and nesting errors before tomlkit sees it
    try:
        document = tomlkit.parse(text)
    except ParseError as error:
        raise InputError(Problem(f"not valid TOML: {error}", file=file,
                                 hint="fix the syntax first (clientwise check shows the same)")) from None
    _normalise(document)
    result = _lines(document.as_string())
    if tomllib.loads(result) != data:
        # a multi-line string holds trailing spaces or blank runs: keep its lines as they are
        result = document.as_string()
    if tomllib.loads(result) != data:  # pragma: no cover - a bug guard
        raise RuntimeError(f"formatting {file} would change its data; the file was left alone")
    return result


def _normalise(container: Any) -> None:
    body: list[Any] = getattr(container, "body", None) or []
    if not body and isinstance(container, (Table, InlineTable)):
        body = container.value.body
    for index, (key, item) in enumerate(body):
        if isinstance(item, Array) and _one_line_of_scalars(item):
            values = [value.as_string().strip() for value in item]
            tidy = tomlkit.parse(f"x = [{', '.join(values)}]")["x"]  # the values as written: 0.10 stays 0.10
            tidy._trivia = item.trivia  # type: ignore[attr-defined]  # keeps the comment after the value
            body[index] = (key, tidy)
        if isinstance(key, Key):
            key.sep = " = "
            key._original = key.as_string().strip()  # type: ignore[attr-defined]  # drop spaces kept from the source
        if isinstance(item, Table):
            if not item.is_super_table():
                item.trivia.indent = ""
            _normalise(item.value)
        elif isinstance(item, AoT):
            for table in item.body:
                table.trivia.indent = ""
                _normalise(table.value)
        elif key is not None and hasattr(item, "trivia") and not isinstance(item, InlineTable):
            item.trivia.indent = ""


def _one_line_of_scalars(array: Array) -> bool:
    """A one-line array of plain values: rewritten as ``[1, 2, 3]``; others keep their layout."""
    return "\n" not in array.as_string() and not any(isinstance(v, (dict, list)) for v in array.unwrap())


def _lines(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue  # no leading blank lines, no runs of blank lines
        if _HEADER.match(line) and out:
            start = len(out)
            while start > 0 and out[start - 1].lstrip().startswith("#"):
                start -= 1  # the comment block right above a table belongs to it
            if start > 0 and out[start - 1]:
                out.insert(start, "")
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def format_file(path: Path, *, check: bool = False) -> Formatted:
    """Format ``path`` in place (atomically) unless ``check``; say whether it changed."""
    text = read_toml_text(path)
    result = format_text(text, str(path))
    changed = result != text
    if changed and not check:
        with atomic_write(path) as stream:
            stream.write(result.encode("utf-8"))
    return Formatted(path, changed)

"""Which files feed a table: the sources ``[data]`` declares, matched in the DATA directory.

A client's exports are named by the system that wrote them and carry a new date
stamp every quarter, so a source names its files by glob (``Accounts_Export*.csv``).
Each glob must match exactly one file: none or several is an error that lists what
is there, because guessing which quarter's export to read would be a silent wrong.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from clientwise.errors import Problem, ProblemList
from clientwise.host.contracts import RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.ruleset.data import DataConfig
from clientwise.ruleset.sources import SourceSpec

#: Files never taken for data: hidden files and Office's lock files.
IGNORED_PREFIXES = (".", "~$")
_LISTED = 20


@dataclass(frozen=True)
class SourceTable:
    """One file's rows for a table, and the source in ``[data]`` that read it
    (None: found by the directory convention, read with the table's rename and
    ``[data]``'s format)."""

    raw: RawTable
    source: SourceSpec | None = None


def data_files(directory: Path) -> list[Path]:
    """The files of a directory that may hold data, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(IGNORED_PREFIXES))


def glob_files(directory: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` (its folder part as written, its name in any case)."""
    folder, _, name = pattern.replace("\\", "/").rpartition("/")
    where = directory / folder if folder else directory
    if not where.is_dir():
        return []
    wanted = name.lower()
    return [p for p in data_files(where) if fnmatch.fnmatchcase(p.name.lower(), wanted)]


def source_files(directory: Path, table: str, sources: list[SourceSpec], explicit: bool,
                 problems: ProblemList) -> list[tuple[SourceSpec, Path]]:
    """Each source with the one file each of its globs matches; problems for the others.

    ``explicit``: the table lists ``sources`` (else its ``files`` shorthand), for key paths.
    """
    found: list[tuple[SourceSpec, Path]] = []
    for index, source in enumerate(sources):
        key = f"data.{table}.sources[{index}].files" if explicit else f"data.{table}.files"
        for pattern in source.files:
            matches = glob_files(directory, pattern)
            if len(matches) == 1:
                found.append((source, matches[0]))
                continue
            problems.add(_no_single_match(directory, table, key, pattern, matches))
    return found


def _no_single_match(directory: Path, table: str, key: str, pattern: str, matches: list[Path]) -> Problem:
    if matches:
        names = ", ".join(p.name for p in matches[:_LISTED]) + (", ..." if len(matches) > _LISTED else "")
        return Problem(
            f"'{pattern}' matches {len(matches)} files for the {table} table; it must match one",
            file=str(directory),
            location=key,
            value=f"matched: {names}",
            hint="move the older exports out of the folder, or make the pattern name one file "
            "(e.g. with its date stamp); to stack several files, list each in files = [...]",
        )
    present = [p.name for p in data_files(directory)] if directory.is_dir() else []
    listed = ", ".join(present[:_LISTED]) + (", ..." if len(present) > _LISTED else "")
    return Problem(
        f"no file matches '{pattern}' for the {table} table",
        file=str(directory),
        location=key,
        value=f"files here: {listed or 'none'}",
        hint="compare the pattern with the names listed; patterns are relative to DATA and match names "
        "in any case ('*' stands for any text, e.g. the date stamp)",
    )


def read_options(data: DataConfig, table: str, source: SourceSpec | None) -> ReadOptions:
    """How to read one file of ``table``: its source's format keys, else its table's, else ``[data]``'s."""
    spec = data.table(table)
    keys = spec.format_keys(source) if spec is not None else source

    def pick(key: str) -> str | None:
        value = getattr(keys, key) if keys is not None else None
        return getattr(data, key) if value is None else value

    return ReadOptions(
        table=table,
        encoding=pick("encoding"),
        separator=pick("separator"),
        quote=pick("quote"),
        sheet=source.sheet if source is not None else None,
    )

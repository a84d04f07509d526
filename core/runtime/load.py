"""The load stage: find the input tables and read them with the matching loader.

DATA is one file (customers, or a JSON/Excel file holding several tables) or a
directory holding ``customers.*``, ``contacts.*`` and ``interactions.*``. Only
the tables the ``[data]`` section declares are read, and only their declared
columns are asked for. Every problem found here is reported at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path

from clientwise.host.contracts import Loader, RawTable
from clientwise.errors import DataError, Problem, ProblemList
from clientwise.ruleset.data import DataConfig

TABLES = ("customers", "contacts", "interactions")


def load_tables(
    path: Path, data: DataConfig, loaders: Sequence[Loader], *, needed: set[str]
) -> dict[str, RawTable]:
    """Read every declared table found under ``path``; fail if a needed one is missing.

    ``needed`` names the tables the ruleset's rules use; customers is always needed.
    Declared tables that are present but not needed are read too, so their data is
    validated like the rest.
    """
    by_suffix = loaders_by_suffix(loaders)
    specs = data.tables()
    columns: dict[str, Sequence[str] | None] = {
        name: list(dict.fromkeys(spec.source_columns().values())) for name, spec in specs.items()
    }
    keys = {name: spec.source_columns()[data.key] for name, spec in specs.items()}
    problems = ProblemList()
    files = _find_files(path, by_suffix, [name for name in TABLES if name in specs], problems)
    problems.raise_if_any(DataError)

    found: dict[str, RawTable] = {}
    for file in files:
        loader = by_suffix[file.suffix.lower()]
        for name, table in _read(loader, file, columns, keys).items():
            if name not in columns:
                continue
            if name in found:
                problems.add(_ambiguous(name, sorted([found[name].file, table.file])))
            else:
                found[name] = table
    for name in TABLES:
        if name not in found and (name == "customers" or name in needed):
            problems.add(_missing(name, path, by_suffix, declared=name in specs))
    problems.raise_if_any(DataError)
    return found


def _read(
    loader: Loader, path: Path, columns: dict[str, Sequence[str] | None], keys: dict[str, str]
) -> dict[str, RawTable]:
    """Call a loader, passing ``keys`` only to loaders that take it.

    ``keys`` (the key column per table) lets formats that nest tables give nested
    rows their customer's key; a loader written without it still works.
    """
    try:
        parameters = inspect.signature(loader.read).parameters.values()
    except (TypeError, ValueError):
        parameters = None
    if parameters is not None and any(p.name == "keys" or p.kind is p.VAR_KEYWORD for p in parameters):
        return loader.read(path, columns, keys=keys)  # type: ignore[call-arg]
    return loader.read(path, columns)


def input_files(path: Path, data: DataConfig, loaders: Sequence[Loader]) -> list[Path]:
    """The files :func:`load_tables` reads for ``path`` (a run's input, for its fingerprint)."""
    problems = ProblemList()
    return _find_files(path, loaders_by_suffix(loaders), [name for name in TABLES if name in data.tables()], problems)


def loaders_by_suffix(loaders: Sequence[Loader]) -> dict[str, Loader]:
    """Suffix -> loader; the first loader listing a suffix wins."""
    table: dict[str, Loader] = {}
    for loader in loaders:
        for suffix in loader.suffixes:
            table.setdefault(suffix.lower(), loader)
    return table


def _supported(by_suffix: Mapping[str, Loader]) -> str:
    return ", ".join(sorted(by_suffix))


def _find_files(
    path: Path, by_suffix: Mapping[str, Loader], tables: list[str], problems: ProblemList
) -> list[Path]:
    if not path.exists():
        problems.add(
            Problem(
                "no such file or directory",
                file=str(path),
                hint="pass the customers file, or a directory holding customers.csv "
                "(and contacts.*, interactions.* if the rules use them)",
            )
        )
        return []
    if path.is_file():
        if path.suffix.lower() not in by_suffix:
            problems.add(_unsupported(path, by_suffix))
            return []
        return [path]
    found: list[Path] = []
    entries = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    for table in tables:
        named = [p for p in entries if p.stem.lower() == table]
        readable = [p for p in named if p.suffix.lower() in by_suffix]
        if len(readable) > 1:
            problems.add(_ambiguous(table, [str(p) for p in readable]))
        elif readable:
            found.append(readable[0])
        elif named:
            problems.extend(_unsupported(p, by_suffix) for p in named)
    return found


def _unsupported(path: Path, by_suffix: Mapping[str, Loader]) -> Problem:
    return Problem(
        f"unsupported file type '{path.suffix or path.name}'",
        file=str(path),
        hint=f"save it in one of the supported formats: {_supported(by_suffix)}",
    )


def _ambiguous(table: str, files: list[str]) -> Problem:
    return Problem(
        f"the {table} table was found in more than one file",
        value=" and ".join(files),
        hint=f"keep a single {table} file (remove or rename the others)",
    )


def _missing(table: str, path: Path, by_suffix: Mapping[str, Loader], *, declared: bool) -> Problem:
    why = "is always required" if table == "customers" else "is needed by the ruleset's rules"
    if not declared:
        return Problem(
            f"the {table} table {why}, but the ruleset's [data] section does not declare it",
            hint=f"declare its fields in [data.{table}.fields]",
        )
    looked_for = ", ".join(f"{table}{suffix}" for suffix in sorted(by_suffix))
    if path.is_dir():
        return Problem(
            f"the {table} table {why}, but {path} holds no {table} file",
            file=str(path),
            value=f"looked for {looked_for}",
            hint=f"put the {table} table in {path} as {table}.csv (or another supported format)"
            + ("" if table == "customers" else ", or remove the rules that use it"),
        )
    return Problem(
        f"the {table} table {why}, but {path.name} does not hold it",
        file=str(path),
        value=f"looked for a '{table}' table in {path.name}; in a directory: {looked_for}",
        hint=f"put every table in one directory as customers.csv, {table}.csv, ... and pass the "
        f"directory, or use one JSON or Excel file holding a '{table}' array or sheet",
    )

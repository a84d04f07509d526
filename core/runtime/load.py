"""The load stage: find the input tables and read them with the matching loader.

DATA is one file (customers, or a JSON/Excel file holding several tables) or a
directory. In a directory, a table is read from the files its sources in
``[data]`` name (``files = ["Accounts_Export*.csv"]``, or several
``[[data.<table>.sources]]`` stacked into one table), else from the file named
after it (``customers.*``, ``contacts.*``, ``interactions.*``). Only the tables
the ``[data]`` section declares are read, and only their declared columns are
asked for. Every problem found here is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from clientwise.compiler.program import Program
from clientwise.errors import DataError, Problem, ProblemList
from clientwise.host.contracts import Loader, RawTable
from clientwise.ruleset.data import DataConfig, TableSpec
from clientwise.ruleset.sources import SourceSpec
from clientwise.runtime.findings import Finding
from clientwise.runtime.read_guard import read_file
from clientwise.runtime.related_rows import CustomerRows
from clientwise.runtime.sources import SourceTable, data_files, read_options, source_files

TABLES = ("customers", "contacts", "interactions")


@dataclass(frozen=True)
class LoadedData:
    """Validated tables, and what was noticed reading them (see :mod:`clientwise.runtime.findings`)."""

    tables: dict[str, pl.DataFrame]
    findings: list[Finding] = field(default_factory=list)
    #: the program to run over these tables: steps reading what the export lacks made
    #: unknown (see clientwise.runtime.absent); None: the evaluator's own
    program: Program | None = None
    #: per related table, each row's customer (row number in ``tables["customers"]``) as
    #: validation found it; the derive stage groups by these instead of searching again
    customer_rows: dict[str, CustomerRows] = field(default_factory=dict)


def load_tables(
    path: Path, data: DataConfig, loaders: Sequence[Loader], *, needed: set[str],
    findings: list[Finding] | None = None,
) -> dict[str, list[SourceTable]]:
    """Read every declared table found under ``path``; fail if a needed one is missing.

    ``needed`` names the tables the ruleset's rules use; customers is always needed.
    Declared tables that are present but not needed are read too, so their data is
    validated like the rest. Each table is a list of the files that fed it, in the
    order its sources list them; ``findings`` gets one line per file read.
    """
    by_suffix = loaders_by_suffix(loaders)
    specs = data.tables()
    problems = ProblemList()
    declared = {name: spec.source_list() for name, spec in specs.items()}
    with_sources = [name for name, sources in declared.items() if sources is not None]
    if with_sources and not path.is_dir() and path.exists():
        problems.add(_not_a_directory(path, with_sources))
    problems.raise_if_any(DataError)

    found: dict[str, list[SourceTable]] = {}
    if path.is_dir():
        for name in with_sources:
            spec = specs[name]
            for source, file in source_files(path, name, declared[name] or [], spec.sources is not None, problems):
                if file.suffix.lower() not in by_suffix:
                    problems.add(_unsupported(file, by_suffix))
                    continue
                table = _read_source(by_suffix[file.suffix.lower()], file, name, spec, source, data)
                found.setdefault(name, []).append(SourceTable(table, source))
    problems.raise_if_any(DataError)

    conventional = {name: spec for name, spec in specs.items() if declared[name] is None}
    columns: dict[str, Sequence[str] | None] = {
        name: list(dict.fromkeys(spec.source_columns().values())) for name, spec in conventional.items()
    }
    keys = {name: spec.source_columns()[data.key] for name, spec in conventional.items()}
    files = _find_files(path, by_suffix, [name for name in TABLES if name in conventional], problems)
    problems.raise_if_any(DataError)
    for file in files:
        loader = by_suffix[file.suffix.lower()]
        named = file.stem.lower() if file.stem.lower() in TABLES else "customers"
        options = replace(read_options(data, named, None), table=None)  # the loader decides
        for name, table in read_file(loader, file, columns, keys=keys, options=options).items():
            if name not in columns:
                continue
            if name in found:
                problems.add(_ambiguous(name, sorted([found[name][0].raw.file, table.file])))
            else:
                found[name] = [SourceTable(table)]
    for name in TABLES:
        if name not in found and (name == "customers" or name in needed):
            problems.add(_missing(name, path, by_suffix, declared=name in specs))
    problems.raise_if_any(DataError)
    if findings is not None:
        findings.extend(_fed(name, part) for name in TABLES for part in found.get(name, ()))
    return found


def _fed(table: str, part: SourceTable) -> Finding:
    return fed_finding(table, part.raw.file, part.raw.frame.height)


def fed_finding(table: str, file: str, rows: int) -> Finding:
    """Which file fed a table, and with how many rows (every backend's reader says it alike)."""
    return Finding("source", "info", table, f"{rows} row{'s' if rows != 1 else ''} from {file}", file=file, count=rows)


def _read_source(
    loader: Loader, file: Path, table: str, spec: TableSpec, source: SourceSpec, data: DataConfig
) -> RawTable:
    """The ``table`` rows of one source's file (a workbook or JSON file may hold several tables)."""
    wanted = [c for f, c in spec.source_columns(source).items() if f not in source.constants]
    wanted = list(dict.fromkeys([*wanted, *source.filter]))
    options = read_options(data, table, source)
    tables = read_file(loader, file, {name: wanted for name in TABLES},
                         keys={name: spec.source_columns(source)[data.key] for name in TABLES}, options=options)
    if table in tables:
        return tables[table]
    if len(tables) == 1:
        only = next(iter(tables.values()))
        return RawTable(table, only.frame, only.file, only.rows)
    raise DataError(Problem(
        f"the file holds no {table} table" if not tables else
        f"the file holds several tables ({', '.join(tables)}) and none is named {table}",
        file=str(file),
        hint=f"name the sheet or array '{table}', or set sheet = \"...\" in its source",
    ))


def _not_a_directory(path: Path, tables: list[str]) -> Problem:
    return Problem(
        f"the ruleset names the files of the {', '.join(tables)} table{'s' if len(tables) > 1 else ''} "
        "in [data], so DATA must be the directory holding them, not a file",
        file=str(path),
        hint=f"pass the directory: {path.parent}",
    )


def input_files(path: Path, data: DataConfig, loaders: Sequence[Loader]) -> list[Path]:
    """The files :func:`load_tables` reads for ``path``: a run's input, for its fingerprint
    and so that no output replaces one. Files that cannot be found are left out (loading
    reports them)."""
    problems = ProblemList()
    specs = data.tables()
    declared = {name: spec.source_list() for name, spec in specs.items()}
    found: list[Path] = []
    if path.is_dir():
        for name, sources in declared.items():
            if sources is not None:
                explicit = specs[name].sources is not None
                found += [file for _, file in source_files(path, name, sources, explicit, problems)]
    conventional = [name for name in TABLES if name in specs and declared[name] is None]
    return found + _find_files(path, loaders_by_suffix(loaders), conventional, problems)


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
    if not path.is_file() and not path.is_dir():
        problems.add(Problem(
            "DATA is neither a regular file nor a directory (a device, a pipe or a socket)",
            file=str(path),
            hint="pass the customers file, or the directory holding the tables; to read from a pipe, "
            "save the data to a file first",
        ))
        return []
    if path.is_file():
        if path.suffix.lower() not in by_suffix:
            problems.add(_unsupported(path, by_suffix))
            return []
        return [path]
    found: list[Path] = []
    entries = data_files(path)
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

"""Finding a ruleset's test cases and turning a case into input tables.

Cases come from the merged ruleset's ``[[tests]]`` (inherited cases included) and
from a sibling ``NAME.tests.toml`` next to ``NAME.toml`` (and next to every file the
ruleset extends), which keeps long case lists out of the criteria file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from clientwise.errors import (
    InputError,
    Problem,
    ProblemList,
    RulesetError,
    did_you_mean,
)
from clientwise.ruleset import Ruleset
from clientwise.ruleset.cases import Record, TestCase
from clientwise.ruleset.data import TableSpec
from clientwise.ruleset.model import validation_problems
from clientwise.ruleset.toml_file import read_toml


@dataclass(frozen=True)
class LocatedCase:
    """A case with the file and key path it came from, for messages."""

    case: TestCase
    file: str
    path: str


def sibling_tests_file(ruleset_path: Path) -> Path:
    """``acme.toml`` -> ``acme.tests.toml``."""
    return ruleset_path.with_name(ruleset_path.name.removesuffix(".toml") + ".tests.toml")


def load_cases(ruleset: Ruleset, source: str | Path | None = None) -> list[LocatedCase]:
    """Every case of ``ruleset``: its merged ``[[tests]]``, then the sibling tests file of each
    file in its ``extends`` chain (base first). A later case with an id already seen replaces
    the earlier one, as ``extends`` does; an id twice in one file is an error.
    """
    file = ruleset.file_of("tests")
    cases = {c.id: LocatedCase(c, file, f"tests[{i}]") for i, c in enumerate(ruleset.core.tests)}
    files = [Path(f) for f in ruleset.files if not f.endswith("(shipped)")]
    if source is not None and Path(source).suffix == ".toml" and Path(source) not in files:
        files.append(Path(source))
    problems = ProblemList()
    for path in files:
        sibling = sibling_tests_file(path)
        if not sibling.is_file():
            continue
        try:
            found = _read_sibling(sibling)
        except RulesetError as error:
            problems.extend(error.problems)
            continue
        seen: dict[str, LocatedCase] = {}
        for located in found:
            other = seen.get(located.case.id)
            if other is not None:
                problems.add(Problem(f"two test cases have id '{located.case.id}' (also {other.path})",
                                     file=located.file, location=located.path, hint="give each case its own id"))
            seen[located.case.id] = located
            cases[located.case.id] = located
    problems.raise_if_any(RulesetError)
    return list(cases.values())


def _read_sibling(path: Path) -> list[LocatedCase]:
    file = str(path)
    document = read_toml(path, file=file)
    problems = ProblemList()
    extra = sorted(set(document) - {"tests"})
    if extra:
        problems.add(Problem(f"a tests file holds only [[tests]], found: {', '.join(extra)}", file=file,
                             location=extra[0], hint="move criteria into the ruleset itself"))
    items = document.get("tests", [])
    if not isinstance(items, list):
        problems.add(Problem("tests must be an array of tables", file=file, location="tests",
                             hint="write each case as [[tests]]"))
        items = []
    cases = []
    for index, item in enumerate(items):
        try:
            cases.append(LocatedCase(TestCase.model_validate(item), file, f"tests[{index}]"))
        except ValidationError as error:
            problems.extend(validation_problems(error, file=file, document=item, model=TestCase,
                                                prefix=f"tests[{index}]"))
    problems.raise_if_any(RulesetError)
    return cases


def with_empty_fields(frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """``frame`` with an empty column for every optional field it leaves out: a test case
    describes its customers completely, so a field it does not give is an empty cell, not
    a column the export lacks (see clientwise.runtime.absent)."""
    source = spec.source_columns()
    empty = [source[f] for f, field in spec.fields.items() if not field.required and source[f] not in frame.columns]
    if not empty:
        return frame
    # one column of nulls under each name (a polars query adding literals cost more than the case)
    nulls = pl.Series("", [None] * frame.height, dtype=pl.String)
    return frame.hstack([nulls.alias(column) for column in empty])


def case_tables(case: TestCase, ruleset: Ruleset, path: str = "tests[0]", file: str | None = None
                ) -> dict[str, pl.DataFrame]:
    """The case's records as the tables an evaluation reads (validated like any data).

    Records use the names rules use (``revenue``) or the client's column names of
    ``[data.*.rename]``; a key that is neither is an error, since it would be ignored.
    """
    rows, problems = case_rows(case, ruleset, path, file)
    problems.raise_if_any(InputError)
    tables = {}
    for name, spec in ruleset.core.data.tables().items():
        if rows[name]:
            tables[name] = with_empty_fields(pl.DataFrame(rows[name], strict=False, infer_schema_length=None), spec)
        else:
            tables[name] = pl.DataFrame(schema={column: pl.String for column in spec.source_columns().values()})
    return tables


def case_rows(case: TestCase, ruleset: Ruleset, path: str = "tests[0]", file: str | None = None
              ) -> tuple[dict[str, list[dict[str, Any]]], ProblemList]:
    """Per declared table the case's rows under the client's column names, and what is
    wrong with them (see :func:`case_tables`; checking a case needs no frames)."""
    config = ruleset.core.data
    records: dict[str, list[tuple[str, Record]]] = {
        "customers": [*(("customers", r) for r in case.customers), *(("population", r) for r in case.population)],
        "contacts": [("contacts", r) for r in case.contacts],
        "interactions": [("interactions", r) for r in case.interactions],
    }
    problems = ProblemList()
    for name in ("contacts", "interactions"):
        if records[name] and config.table(name) is None:
            problems.add(Problem(f"the case gives {name}, but the ruleset declares no {name} table", file=file,
                                 location=f"{path}.{name}", hint=f"remove them, or declare [data.{name}.fields]"))
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, spec in config.tables().items():
        source = spec.source_columns()
        columns = set(source.values())
        counters: dict[str, int] = {}
        rows = tables[name] = []
        for key, record in records[name]:
            index = counters[key] = counters.get(key, -1) + 1
            row = {}
            for column, value in record.items():
                if column in source:
                    row[source[column]] = value
                elif column in columns:
                    row[column] = value
                else:
                    problems.add(Problem(f"'{column}' is not a field of the {name} table, so it would be ignored",
                                         file=file, location=f"{path}.{key}[{index}].{column}",
                                         hint=did_you_mean(column, list(source)) or
                                         f"fields: {', '.join(source)}"))
            rows.append(row)
    return tables, problems


def customer_key(record: Record, ruleset: Ruleset) -> Any:
    """The record's customer key, written with the field name or the client's column name."""
    config = ruleset.core.data
    key = config.key
    return record.get(key, record.get(config.customers.source_columns().get(key, key)))

"""The load stage for a backend that read DATA itself (``Backend.open_input``).

The backend has read and validated the tables (reporting bad cells with the same
located messages as :mod:`clientwise.runtime.validate`); what remains is the part of
:meth:`clientwise.runtime.evaluator.Evaluator.load_data` that needs no rows: tables the
rules need but the data lacks, declared fields no file has (made unknown, see
:mod:`clientwise.runtime.absent`) and, with ``strict_data``, warnings as errors. How the
values compare with the rules' vocabulary (:mod:`clientwise.runtime.vocabulary`) is
asked of the backend: a count of each distinct value of the fields the rules compare
with text.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from clientwise.compiler.program import Program
from clientwise.errors import DataError, Problem
from clientwise.host.backend_input import BackendInput
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import DataConfig
from clientwise.runtime.absent import find_absent, without_absent
from clientwise.runtime.findings import strict_problems
from clientwise.runtime.load import LoadedData
from clientwise.runtime.vocabulary import vocabulary_findings


def loaded_by_backend(given: BackendInput, config: DataConfig, program: Program,
                      missing_tables: Callable[[set[str]], list[Problem]], strict_data: bool) -> LoadedData:
    """What the evaluator knows about data the backend holds; no table comes to polars.
    ``missing_tables`` gives the problems for tables the data lacks (the evaluator's)."""
    optional = {name for name, spec in config.tables().items() if spec.optional}
    problems = missing_tables(set(given.files) | optional)
    if problems:
        raise DataError(problems)
    shapes = {name: RawTable(name, pl.DataFrame(schema=dict.fromkeys(columns, pl.Null)), given.files[name],
                             pl.Series("row", [], pl.Int64))
              for name, columns in given.columns.items()}
    absent = find_absent(shapes, config)
    runnable, gaps = without_absent(program, absent)  # missing data is unknown, never "no"
    findings = [*given.findings, *gaps, *vocabulary_findings(program, given, given.files, config, absent, given.files)]
    if strict_data and strict_problems(findings):
        raise DataError(strict_problems(findings))
    return LoadedData({}, findings, runnable)

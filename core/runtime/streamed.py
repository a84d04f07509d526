"""The result of a run whose customers table went from the backend straight to a file.

An out-of-core backend (DuckDB) writes the customers table itself
(:meth:`clientwise.runtime.evaluator.Evaluator.evaluate_into`); only the columns the
sections' summaries read come back. The result has the summaries, and through the
evaluator the findings, warnings and faults, but no customer rows and no
explanations: those are in the file, and ``clientwise evaluate --explain`` takes the
in-memory path.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from clientwise.compiler.program import Program
from clientwise.host.contracts import Engine, SummaryContext
from clientwise.host.faults import FaultRecorder
from clientwise.host.manager import PluginHost
from clientwise.runtime.assemble import identity, section_summaries
from clientwise.runtime.outputs import ACTION_SCHEMA, ROW
from clientwise.runtime.result import Result


def streamed_result(program: Program, host: PluginHost, engine: Engine, summary_frame: pl.DataFrame,
                    as_of: dt.date, faults: FaultRecorder) -> Result:
    """``summary_frame``: every customer, in key order, with the columns the summaries read."""
    data = program.ruleset.core.data
    key, name = data.key, data.name
    summaries = section_summaries(program, host, summary_frame, SummaryContext(key, name, as_of), faults)
    owner = host.owner("engine", engine.name)
    dist, version = host.origin(owner) if owner else (None, None)
    return Result(
        ruleset=identity(program), as_of=as_of, engine=engine.name, key=key, name=name,
        customers=summary_frame.select(key).clear(),
        actions=pl.DataFrame(schema={k: v for k, v in ACTION_SCHEMA.items() if k not in (ROW, "order")}),
        columns=[column for column in program.outputs if column.name in summary_frame.columns],
        summaries=summaries,
        warnings=[warning for summary in summaries for warning in summary.warnings],
        provenance=dict(sorted({**program.provenance,
                                "engine": {"plugin": owner, "distribution": dist, "version": version}}.items())),
        presentation=program.ruleset.core.report,
    )

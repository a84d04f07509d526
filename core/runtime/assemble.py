"""From the loop's evaluated frame to a :class:`Result`: the customers table, the
actions table, each section's portfolio summary and the explanations.

Shared by batch evaluation and ``evaluate_one`` so both give results of one shape.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from clientwise import expr
from clientwise.compiler.plan import SectionSummary
from clientwise.compiler.program import Program
from clientwise.host.contracts import Decided, Engine, SummaryContext
from clientwise.host.faults import FaultRecorder
from clientwise.host.manager import PluginHost
from clientwise.runtime.explain import Tracer
from clientwise.runtime.outputs import ROW
from clientwise.runtime.reporting import SectionReporter
from clientwise.runtime.result import Result, RulesetIdentity
from clientwise.runtime.rows import SMALL_ROWS


def identity(program: Program) -> RulesetIdentity:
    ruleset = program.ruleset
    core = ruleset.core.metadata
    return RulesetIdentity(core.name, core.version, ruleset.hash, ruleset.files, core.description)


def assemble(program: Program, host: PluginHost, engine: Engine, decided: Decided, as_of: dt.date,
             faults: FaultRecorder, *, summarize: bool = True) -> Result:
    """The result; ``summarize=False`` leaves out the portfolio summaries (for one
    customer they mean nothing, and they cost more than deciding it)."""
    data = program.ruleset.core.data
    key, name = data.key, data.name
    frame = decided.frame
    ids = [key, *([name] if name in frame.columns and name != key else [])]
    actions = frame.select(pl.col(ids).gather(decided.actions[ROW])).hstack(decided.actions.drop(ROW))
    columns = [column for column in program.outputs if column.name in frame.columns]
    customers = frame.select(*ids, *(column.name for column in columns)).hstack([action_lists(decided)])
    summaries = section_summaries(program, host, frame, SummaryContext(key, name, as_of), faults) if summarize else []
    ctx = expr.EvalContext(as_of=as_of, functions=host.functions(), key=key)
    owner = host.owner("engine", engine.name)
    dist, version = host.origin(owner) if owner else (None, None)
    return Result(
        ruleset=identity(program),
        as_of=as_of,
        engine=engine.name,
        key=key,
        name=name,
        customers=customers,
        actions=actions,
        columns=columns,
        summaries=summaries,
        warnings=[warning for summary in summaries for warning in summary.warnings],
        tracer=Tracer(frame, key, name, program.traced_derived(), program.traced_rules(), actions, ctx),
        provenance=dict(sorted({**program.provenance,
                                "engine": {"plugin": owner, "distribution": dist, "version": version}}.items())),
        reporter=SectionReporter(program, host, frame, as_of, faults.strict) if summarize else None,
        presentation=program.ruleset.core.report,
    )


def action_lists(decided: Decided, small: int = SMALL_ROWS) -> pl.Series:
    """Each customer's fired actions (rule ids, in the actions table's order; [] for none);
    up to ``small`` customers (a test case, one customer) in plain Python, where a
    group-by and a join cost more than the rows."""
    table, height = decided.actions, decided.frame.height
    if height <= small:
        lists: list[list[str]] = [[] for _ in range(height)]
        for row, rule in zip(table.get_column(ROW).to_list(), table.get_column("rule").to_list()):
            lists[row].append(rule)
        return pl.Series("actions", lists, dtype=pl.List(pl.String))
    # the actions table is ordered by row (outputs.actions_table): telling polars so makes
    # grouping a slicing of runs and the join a merge, several times faster at a million rows
    grouped = (table.select(pl.col(ROW).set_sorted(), "rule")
               .group_by(ROW, maintain_order=True).agg(pl.col("rule").alias("actions")))
    return (
        pl.DataFrame({ROW: pl.int_range(height, dtype=pl.UInt32, eager=True).set_sorted()})
        .join(grouped, on=ROW, how="left", maintain_order="left")
        .select(pl.col("actions").fill_null(pl.lit([], pl.List(pl.String))))
        .to_series()
    )


def section_summaries(program: Program, host: PluginHost, frame: pl.DataFrame, context: SummaryContext,
               faults: FaultRecorder) -> list[SectionSummary]:
    """Each plugin section's portfolio view; a section whose plugin fails shows the error instead."""
    summaries = []
    for entry in program.sections:
        handler = entry.handler
        if handler is None:
            continue
        plugin = host.owner("ruleset section", entry.name) or entry.name
        config = program.ruleset.sections[entry.name]
        summary, fault = faults.guard(plugin, "summarize",
                                      lambda handler=handler, config=config: handler.summarize(config, frame, context),
                                      section=entry.name)
        if summary is None:
            message = fault.render() if fault else f"plugin '{plugin}' returned no summary"
            summary = SectionSummary(entry.name, handler.title, error=message, warnings=[f"plugin error: {message}"])
        summaries.append(summary)
    return summaries

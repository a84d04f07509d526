"""One customer at a time, against population figures a batch evaluation left behind.

A service asks "what does this customer get?" per request. Population functions
(``rank``, ``share``, ``median`` ...) need the portfolio, so :meth:`Evaluator.evaluate`
keeps its evaluated frame; :func:`evaluate_one` then computes the record's fields:

* fields without population functions on the record alone, in plain Python with the
  reference evaluator (a polars query per run of fields cost more than the rest);
* fields with population functions (and section-computed fields, which may use the
  whole column) over the kept portfolio plus the record, taking the record's value:
  the other customers keep their batch values (the population figures are frozen);
* decisions with the evaluator's engine, in this process (the durable engine keeps
  its rulesets between calls, so a call costs a few milliseconds of rule matching).

A record already in the portfolio with unchanged data gets exactly its batch result;
the tests hold both engines to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from clientwise import expr
from clientwise.runtime.context import EvaluationContext
from clientwise.host.contracts import DecideContext, Engine
from clientwise.runtime.decide import (
    Decided,
    _actions_table,
    _check_statuses,
    _derive,
    classification_outputs,
    engine_runs,
)
from clientwise.errors import InputError, Problem
from clientwise.host.faults import FaultRecorder
from clientwise.compiler.steps import ActionsStep, DerivedStep

if TYPE_CHECKING:
    from clientwise.compiler.compile import Program
    from clientwise.runtime.evaluator import Evaluator
    from clientwise.runtime.result import Result


@dataclass(frozen=True)
class Population:
    """What a batch evaluation leaves for single-customer calls."""

    frame: pl.DataFrame
    related: Mapping[str, pl.DataFrame]
    as_of: dt.date
    #: derived fields needing the whole portfolio -> the columns they read (None: every
    #: column); worked out once here rather than on every call (:func:`whole_portfolio`)
    whole_portfolio: Mapping[str, frozenset[str] | None]


def whole_portfolio(program: Program, functions: expr.FunctionRegistry, key: str) -> dict[str, frozenset[str] | None]:
    """The derived fields a single customer cannot compute alone: population functions
    (``rank``, ``share``) and section-computed fields (which may use the whole column)."""
    found: dict[str, frozenset[str] | None] = {}
    for step in program.steps():
        if not isinstance(step, DerivedStep):
            continue
        if step.node is None:
            found[step.name] = None
        elif any(isinstance(n, expr.Call) and functions[n.name].kind == "population" for n in expr.walk(step.node)):
            found[step.name] = expr.fields_used(step.node, functions) | {key}
    return found


def evaluate_one(evaluator: Evaluator, population: Population | None, record: Mapping[str, Any],
                 related: Mapping[str, pl.DataFrame | list[dict[str, Any]]] | None = None) -> Result:
    """The result for one customer ``record`` (field name -> value), see the module doc."""
    if population is None:
        raise InputError(Problem(
            "evaluate_one needs population figures, and this evaluator has evaluated no portfolio yet",
            location="Evaluator.evaluate_one",
            hint="call evaluator.evaluate(portfolio) once first (for example at service start-up)",
        ))
    data = evaluator.ruleset.core.data
    key = data.key
    if record.get(key) is None:
        raise InputError(Problem(f"the record has no '{key}'", location="record", value=repr(dict(record)),
                                 hint=f"give the customer's key as record['{key}']"))
    customer = record[key]
    tables: dict[str, pl.DataFrame] = {"customers": pl.DataFrame([dict(record)])}
    for name, frame in population.related.items():
        given = (related or {}).get(name)
        if given is None:
            tables[name] = frame.filter(pl.col(key) == customer)
        else:
            tables[name] = given if isinstance(given, pl.DataFrame) else pl.DataFrame(given, schema=frame.schema)
    loaded = evaluator.load(tables)
    one = loaded.pop("customers")
    others = population.frame.filter(pl.col(key) != customer)
    one = _typed(one, others)
    context = DecideContext(population.as_of, key, evaluator.host.functions(), evaluator.ruleset.core.metadata.name)
    decided = _run(evaluator, population, one, others, loaded, context)
    evaluation = EvaluationContext(evaluator.host, evaluator.ruleset, population.as_of, evaluator.engine)
    return evaluator._result(evaluation, decided, FaultRecorder(evaluator.host), summarize=False)


def _derive_one(one: pl.DataFrame, others: pl.DataFrame, stratum: list, population: Population,
                related: Mapping[str, pl.DataFrame], related_rows: Mapping[str, list[dict[str, Any]]],
                ctx: expr.EvalContext) -> pl.DataFrame:
    """Derive a stratum for the record: row-local fields in plain Python on the record
    alone, population fields one by one over the frozen portfolio plus it."""
    local: list[DerivedStep] = []
    for step in [*stratum, None]:
        if step is not None and step.name not in population.whole_portfolio:
            local.append(step)
            continue
        if local:
            one = _derive_local(one, local, related_rows, ctx, others)
            local = []
        if step is not None:
            reads = population.whole_portfolio[step.name]
            columns = one.columns if reads is None else [c for c in one.columns if c in reads]
            spliced = pl.concat([others.select(columns), one.select(columns)], how="vertical_relaxed")
            value = _derive(spliced, [step], related, ctx).get_column(step.name).tail(1)
            one = _typed(one.with_columns(value.alias(step.name)), others)
    return one


def _derive_local(one: pl.DataFrame, steps: list[DerivedStep], related_rows: Mapping[str, list[dict[str, Any]]],
                  ctx: expr.EvalContext, others: pl.DataFrame) -> pl.DataFrame:
    """Row-local fields of one record with the reference evaluator: one customer needs
    no vectorising, and a polars query per run of fields (planned for each call) was
    most of a call's time. The property tests hold the reference to the polars compiler,
    and the single-customer tests hold a known customer to exactly its batch result."""
    row = one.row(0, named=True)
    values: dict[str, Any] = {}
    schema: dict[str, pl.DataType] = {}
    for step in steps:
        assert step.node is not None and step.node.type is not None  # computed fields are never local
        # evaluate_rows, not evaluate: no population function here (see whole_portfolio)
        row[step.name] = values[step.name] = expr.evaluate_rows(step.node, [row], ctx, related_rows)[0]
        schema[step.name] = others.schema.get(step.name) or expr.dtype_of(step.node.type)
    return one.with_columns(pl.DataFrame([values], schema=schema).get_columns())


def _typed(one: pl.DataFrame, others: pl.DataFrame) -> pl.DataFrame:
    """A single row may infer a column as null-typed; keep the portfolio's dtypes."""
    wanted, have = others.schema, one.schema
    return one.cast({c: wanted[c] for c, dtype in have.items() if c in wanted and dtype != wanted[c]})


def _run(evaluator: Evaluator, population: Population, one: pl.DataFrame, others: pl.DataFrame,
         related: Mapping[str, pl.DataFrame], context: DecideContext) -> Decided:
    engine: Engine = getattr(evaluator.engine, "inline", lambda: evaluator.engine)()
    ctx = expr.EvalContext(as_of=context.as_of, functions=context.functions, key=context.key)
    related_rows = {name: frame.to_dicts() for name, frame in related.items()}
    actions_step: ActionsStep | None = None
    for stratum in engine_runs(evaluator.program.strata, engine):
        if isinstance(stratum[0], DerivedStep):
            one = _derive_one(one, others, stratum, population, related, related_rows, ctx)
            continue
        decisions = [step.decision for step in stratum if not isinstance(step, DerivedStep)]
        statuses = engine.decide(one, decisions, context)
        _check_statuses(engine, decisions, statuses, one.height)
        one = one.hstack(statuses)
        one, actions_step = classification_outputs(one, stratum, ctx, actions_step)
    return Decided(one, _actions_table(one, actions_step, ctx))

"""The derive and decide stages, stratum by stratum, and the outputs they produce.

The engine only reports each rule's status per customer. Turning statuses into a
tier, a class, an action list and rendered ``because`` texts happens here, the same
way for every engine, so engines cannot disagree on anything but rule outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from clientwise import expr
from clientwise.compiler.compile import Program
from clientwise.host.contracts import CompiledDecision, DecideContext, Engine
from clientwise.runtime.derive import derive
from clientwise.errors import ClientwiseError
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DerivedStep, Step

if TYPE_CHECKING:
    from clientwise.host.isolate import StepGuard

#: Column suffix for the id of the rule that decided a classification.
RULE_SUFFIX = "_rule"


@dataclass
class Decided:
    """Every column computed for every customer, plus the recommended actions.

    ``actions`` identifies customers by their row in ``frame`` (column ``row``).
    """

    frame: pl.DataFrame
    actions: pl.DataFrame


def run(
    program: Program,
    customers: pl.DataFrame,
    related: Mapping[str, pl.DataFrame],
    engine: Engine,
    context: DecideContext,
    guard: StepGuard | None = None,
) -> Decided:
    """Derive and decide stratum by stratum; with ``guard``, plugin failures are isolated (clientwise.host.isolate)."""
    frame = customers
    polars_context = expr.EvalContext(as_of=context.as_of, functions=context.functions, key=context.key)
    actions_step: ActionsStep | None = None

    def decide_steps(frame: pl.DataFrame, steps: Sequence[Step], guarded: bool) -> pl.DataFrame:
        nonlocal actions_step
        decisions = [step.decision for step in steps if not isinstance(step, DerivedStep)]

        def decide(rows: pl.DataFrame, decisions: Sequence[CompiledDecision]) -> pl.DataFrame:
            statuses = engine.decide(rows, decisions, context)
            _check_statuses(engine, decisions, statuses, rows.height)
            return statuses

        statuses = guard.decide(engine, frame, decisions, decide) if guarded and guard else decide(frame, decisions)
        frame, actions_step = classification_outputs(frame.hstack(statuses), steps, polars_context, actions_step)
        return guard.blank_failed(frame) if guard is not None else frame

    for stratum in engine_runs(program.strata, engine):
        if isinstance(stratum[0], DerivedStep):
            if guard is None:
                frame = _derive(frame, stratum, related, polars_context)
            else:
                frame = guard.derive(frame, stratum, lambda rows, steps: _derive(rows, steps, related, polars_context))
            continue
        parts = _merged_strata(stratum, program.strata)
        if guard is None or len(parts) == 1:
            frame = decide_steps(frame, stratum, guarded=True)
            continue
        try:  # a chaining engine's one call for several strata
            frame = decide_steps(frame, stratum, guarded=False)
        except ClientwiseError:
            raise
        except Exception:
            # stratum by stratum, so a fault blanks only the decisions that fail (and those reading them)
            for part in parts:
                frame = decide_steps(frame, part, guarded=True)
    actions = _actions_table(frame, actions_step, polars_context)
    return Decided(frame, actions)


def _merged_strata(run: Sequence[Step], strata: Sequence[Sequence[Step]]) -> list[Sequence[Step]]:
    """The strata a run of :func:`engine_runs` merged, in order."""
    members = {id(step) for step in run}
    return [stratum for stratum in strata if id(stratum[0]) in members]


def engine_runs(strata: Sequence[Sequence[Step]], engine: Engine) -> list[list[Step]]:
    """The strata as the engine gets them: an engine that chains (``Engine.chains``)
    gets consecutive decision strata (cut only because later rules read earlier
    outputs) merged into one call; derived fields between decisions still cut."""
    runs = [list(stratum) for stratum in strata]
    if not getattr(engine, "chains", False):
        return runs
    merged: list[list[Step]] = []
    for stratum in runs:
        decision = not isinstance(stratum[0], DerivedStep)
        if decision and merged and not isinstance(merged[-1][0], DerivedStep):
            merged[-1].extend(stratum)
        else:
            merged.append(stratum)
    return merged


def classification_outputs(frame: pl.DataFrame, stratum: Sequence[Step], ctx: expr.EvalContext,
                           actions_step: ActionsStep | None) -> tuple[pl.DataFrame, ActionsStep | None]:
    """Add each classification's value and rule columns, in dependency order (a later
    value may read an earlier one in a merged run); returns the actions step if any."""
    for step in stratum:
        if isinstance(step, ClassificationStep):
            frame = frame.with_columns(_classification_outputs(step, ctx))
        elif isinstance(step, ActionsStep):
            actions_step = step
    return frame, actions_step


def _derive(frame: pl.DataFrame, stratum: Sequence[Step], related: Mapping[str, pl.DataFrame],
            ctx: expr.EvalContext) -> pl.DataFrame:
    batch: list[tuple[str, expr.Node]] = []
    for step in stratum:
        assert isinstance(step, DerivedStep)
        if step.node is not None:
            batch.append((step.name, step.node))
            continue
        if batch:
            frame, batch = derive(frame, batch, related, ctx), []
        assert step.computed is not None
        frame = frame.with_columns(step.computed.build().alias(step.name))
    return derive(frame, batch, related, ctx) if batch else frame


def _check_statuses(engine: Engine, decisions: Sequence[CompiledDecision], statuses: pl.DataFrame, height: int) -> None:
    expected = {rule.id for decision in decisions for rule in decision.rules}
    missing = expected - set(statuses.columns)
    if missing or statuses.height != height:
        raise RuntimeError(
            f"engine '{engine.name}' returned {statuses.height} rows and lacks statuses for "
            f"{sorted(missing)[:5]}; an engine must return one status column per rule for every customer"
        )


def _fired(rule_id: str) -> pl.Expr:
    return pl.col(rule_id) == "fired"


def _classification_outputs(step: ClassificationStep, ctx: expr.EvalContext) -> list[pl.Expr]:
    """The decided value and the id of the rule that decided it.

    A classification's ``because`` is rendered only when an explanation asks for it
    (see :mod:`clientwise.runtime.explain`): rendering text for every customer costs seconds
    at a million customers and no table output shows it.
    """
    output = step.output
    default = expr.to_polars(step.default, ctx) if step.default is not None else pl.lit(None)
    if not step.decision.rules:
        return [default.alias(output), pl.lit(None, pl.String).alias(output + RULE_SUFFIX)]
    value: pl.Expr | pl.When | pl.Then = pl
    rule_id: pl.Expr | pl.When | pl.Then = pl
    for rule, then in zip(step.decision.rules, step.then):
        fired = _fired(rule.id)
        value = value.when(fired).then(expr.to_polars(then, ctx))
        rule_id = rule_id.when(fired).then(pl.lit(rule.id.split("/", 1)[1]))
    return [
        value.otherwise(default).alias(output),  # type: ignore[union-attr]
        rule_id.otherwise(pl.lit(None, pl.String)).alias(output + RULE_SUFFIX),  # type: ignore[union-attr]
    ]


#: Column of ``Decided.actions`` holding the customer's row in ``Decided.frame``.
ROW = "row"
ACTION_SCHEMA = {ROW: pl.UInt32, "rule": pl.String, "action": pl.String, "priority": pl.Int64,
                 "because": pl.String, "order": pl.Int64}


def _actions_table(frame: pl.DataFrame, step: ActionsStep | None, ctx: expr.EvalContext) -> pl.DataFrame:
    """One row per fired action, ordered by customer row, priority, then rule order.

    Rows are identified by position, not key: sorting and joining integers is several
    times faster than text keys at a million customers, and ``frame`` is in key order.
    """
    empty = pl.DataFrame(schema=ACTION_SCHEMA)
    parts = []
    lazy = frame.lazy().with_row_index(ROW)
    rules = list(enumerate(zip(step.rules, step.decision.rules, step.because))) if step else []
    if rules and frame.height:  # only rules that fired for someone: one customer has a few
        fired = frame.select(_fired(compiled.id).any().alias(compiled.id) for _, (_, compiled, _) in rules).row(0)
        rules = [item for item, any_fired in zip(rules, fired) if any_fired]
    for order, (rule, compiled, template) in rules:
        parts.append(
            lazy.filter(_fired(compiled.id)).select(
                pl.col(ROW),
                pl.lit(rule.id).alias("rule"),
                pl.lit(rule.action).alias("action"),
                pl.lit(rule.priority, pl.Int64).alias("priority"),
                expr.render_template(template, ctx).alias("because"),
                pl.lit(order, pl.Int64).alias("order"),
            )
        )
    table = pl.concat(parts).sort([ROW, "priority", "order"]).collect() if parts else empty
    return table.drop("order")

"""The runtime loop: derive and decide run by run, the same for a whole portfolio and
for one customer.

The compiled program holds the schedule (:meth:`Program.runs`); the loop walks it.
What differs between a batch evaluation and ``evaluate_one`` is only how a derive
stratum is computed (a ``Deriver``: one polars query over every customer, or the
record alone against the frozen portfolio, see :mod:`clientwise.runtime.single`) and
which engine decides (``Engine.inline`` for one customer). Plugin code always runs
under the fault guard (:mod:`clientwise.host.isolate`). An overflow raised anywhere in
the walk (:mod:`clientwise.expr.numbers`) leaves it located in the ruleset: the file
and key path of the field or rule whose expression overflowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import polars as pl

from clientwise import expr
from clientwise.compiler.plan import Source
from clientwise.compiler.program import DecideRun, DeriveStratum, Program
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DecisionStep, DerivedStep, Step
from clientwise.compiler.typecheck import key_source
from clientwise.errors import ClientwiseError
from clientwise.expr.numbers import NumberOverflow
from clientwise.host.contracts import CompiledDecision, DecideContext, Decided, Engine
from clientwise.host.isolate import StepGuard
from clientwise.runtime.outputs import (
    actions_rows,
    actions_table,
    check_statuses,
    classification_columns,
    classification_rows,
)

#: Computes one derive stratum's fields onto the frame.
Deriver = Callable[[pl.DataFrame, DeriveStratum], pl.DataFrame]


@dataclass
class Loop:
    """One walk over a program's schedule with one engine."""

    program: Program
    engine: Engine
    context: DecideContext
    guard: StepGuard
    derive: Deriver
    #: a few customers: classification values and the actions table are computed in
    #: plain Python (polars' planning would cost more than the rows; see
    #: :func:`classification_rows`, :func:`actions_rows`)
    row_wise: bool = False

    def __post_init__(self) -> None:
        if self.context.compiled is None:  # the engine evaluates the program's conditions compiled once
            self.context = replace(self.context, compiled=self.program.expressions)

    def run(self, customers: pl.DataFrame) -> Decided:
        ctx = expr.EvalContext(as_of=self.context.as_of, functions=self.context.functions, key=self.context.key,
                               keyed=True, compiled=self.context.compiled)
        frame = customers
        try:
            for run in self.program.runs(self.engine.chains):
                if isinstance(run, DeriveStratum):
                    frame = self.guard.derive(frame, run, self.derive)
                else:
                    frame = self._decide_run(frame, run, ctx)
            actions = actions_rows if self.row_wise else actions_table
            return Decided(frame, actions(frame, self.program.actions(), ctx))
        except NumberOverflow as error:
            raise located(error, self.program.steps()) from None

    def _decide_run(self, frame: pl.DataFrame, run: DecideRun, ctx: expr.EvalContext) -> pl.DataFrame:
        if len(run.strata) > 1:  # a chaining engine's one call for several strata
            try:
                return self._decide(frame, run.steps, ctx, guarded=False)
            except ClientwiseError:
                raise
            except Exception:
                pass  # stratum by stratum, so a fault blanks only the decisions that fail (and those reading them)
        for stratum in run.strata:
            frame = self._decide(frame, stratum.steps, ctx, guarded=True)
        return frame

    def _decide(self, frame: pl.DataFrame, steps: Sequence[DecisionStep], ctx: expr.EvalContext,
                guarded: bool) -> pl.DataFrame:
        decisions = [step.decision for step in steps]
        statuses = (self.guard.decide(self.engine, frame, decisions, self._statuses) if guarded
                    else self._statuses(frame, decisions))
        classify = classification_rows if self.row_wise else classification_columns
        frame = classify(frame.hstack(statuses), steps, ctx)
        return self.guard.blank_failed(frame)

    def _statuses(self, rows: pl.DataFrame, decisions: Sequence[CompiledDecision]) -> pl.DataFrame:
        statuses = self.engine.decide(rows, decisions, self.context)
        check_statuses(self.engine, decisions, statuses, rows.height)
        return statuses


def located(error: NumberOverflow, steps: Sequence[Step]) -> NumberOverflow:
    """``error`` with the file and key path of the first expression (in program order)
    that contains the operation that overflowed; as it is if none does (plugin code)."""
    for node, source in expressions(steps):
        if any(expr.to_text(sub) == error.expression for sub in expr.walk(node)):
            return error.at(source.file, source.path)
    return error


def expressions(steps: Sequence[Step]) -> Iterator[tuple[expr.Node, Source]]:
    """Every checked expression of the program with the key that holds its text."""
    for step in steps:
        if isinstance(step, DerivedStep):
            if step.node is not None:
                yield step.node, step.source
        elif isinstance(step, ClassificationStep):
            for compiled, rule, then, because in zip(step.decision.rules, step.classification.rules, step.then,
                                                     step.because):
                yield compiled.condition, key_source(rule.source, "when")
                yield then, key_source(rule.source, "then")
                yield from ((p.node, key_source(rule.source, "because")) for p in (because.placeholders if because else ()))
            if step.default is not None:
                yield step.default, key_source(step.classification.source, "default")
        elif isinstance(step, ActionsStep):
            for action, compiled, template in zip(step.rules, step.decision.rules, step.because):
                yield compiled.condition, key_source(action.source, "when")
                yield from ((p.node, key_source(action.source, "because")) for p in template.placeholders)

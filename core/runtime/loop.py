"""The runtime loop: derive and decide run by run, the same for a whole portfolio and
for one customer.

The compiled program holds the schedule (:meth:`Program.runs`); the loop walks it.
What differs between a batch evaluation and ``evaluate_one`` is only how a derive
stratum is computed (a ``Deriver``: one polars query over every customer, or the
record alone against the frozen portfolio, see :mod:`clientwise.runtime.single`) and
which engine decides (``Engine.inline`` for one customer). Plugin code always runs
under the fault guard (:mod:`clientwise.host.isolate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from clientwise import expr
from clientwise.compiler.program import DecideRun, DeriveStratum, Program
from clientwise.compiler.steps import DecisionStep
from clientwise.errors import ClientwiseError
from clientwise.host.contracts import CompiledDecision, DecideContext, Engine
from clientwise.host.isolate import StepGuard
from clientwise.runtime.outputs import Decided, actions_table, check_statuses, classification_columns

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

    def run(self, customers: pl.DataFrame) -> Decided:
        ctx = expr.EvalContext(as_of=self.context.as_of, functions=self.context.functions, key=self.context.key)
        frame = customers
        for run in self.program.runs(self.engine.chains):
            if isinstance(run, DeriveStratum):
                frame = self.guard.derive(frame, run, self.derive)
            else:
                frame = self._decide_run(frame, run, ctx)
        return Decided(frame, actions_table(frame, self.program.actions(), ctx))

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
        frame = classification_columns(frame.hstack(statuses), steps, ctx)
        return self.guard.blank_failed(frame)

    def _statuses(self, rows: pl.DataFrame, decisions: Sequence[CompiledDecision]) -> pl.DataFrame:
        statuses = self.engine.decide(rows, decisions, self.context)
        check_statuses(self.engine, decisions, statuses, rows.height)
        return statuses

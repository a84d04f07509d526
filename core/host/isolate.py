"""Fault isolation inside derive and decide: which plugin, which field or rule, which customer.

The derive and decide stages run plugin code for whole columns at once (a plugin's
function or computed field inside a polars query, a plugin engine's ``decide``).
When such a stage raises, :class:`StepGuard` retries its steps one by one to find
the failing field or decision (a chaining engine's call for several strata is first
retried stratum by stratum, see :mod:`clientwise.runtime.loop`), attributes it to the
plugin that provides the code
(the function's provider, the section's plugin, or the engine's), narrows the rows
down by bisection to the first customer the code fails on, and fills the affected
columns with nulls so the run can go on. The fault lists those columns, and the
CLI exits non-zero: an error is never a silently empty output.

Population functions see every customer, so a column is either computed for all
customers or marked as failed for all: bisection only finds a customer to name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from clientwise import expr
from clientwise.compiler.program import DeriveStratum
from clientwise.errors import ClientwiseError
from clientwise.expr import dtype_of

if TYPE_CHECKING:
    from clientwise.compiler.steps import DerivedStep
    from clientwise.host.contracts import CompiledDecision, Engine
    from clientwise.host.faults import FaultRecorder
    from clientwise.host.manager import PluginHost

#: Type names of ComputedField -> polars dtype of its null stand-in.
_COMPUTED_DTYPES = {"string": pl.String(), "number": pl.Float64(), "boolean": pl.Boolean(), "date": pl.Date()}


@dataclass
class StepGuard:
    """Runs derive strata and engine decisions so that plugin failures are attributed, not fatal."""

    host: PluginHost
    faults: FaultRecorder
    key: str

    def __post_init__(self) -> None:
        self.failed_outputs: set[str] = set()

    def derive(self, frame: pl.DataFrame, stratum: DeriveStratum,
               run: Callable[[pl.DataFrame, DeriveStratum], pl.DataFrame]) -> pl.DataFrame:
        """``run(frame, stratum)``; on failure, each step alone, failing ones as null columns."""
        try:
            return run(frame, stratum)
        except ClientwiseError:
            raise
        except Exception:
            pass
        for step in stratum.steps:
            alone = DeriveStratum((step,))
            try:
                frame = run(frame, alone)
            except ClientwiseError:
                raise
            except Exception as error:
                self._record(error, self._derived_owner(step), "derive", step.section, step.name,
                             self._culprit(frame, lambda rows, alone=alone: run(rows, alone)))  # type: ignore[misc]
                frame = frame.with_columns(pl.lit(None, _dtype(step)).alias(step.name))
        return frame

    def decide(self, engine: Engine, frame: pl.DataFrame, decisions: Sequence[CompiledDecision],
               call: Callable[[pl.DataFrame, Sequence[CompiledDecision]], pl.DataFrame]) -> pl.DataFrame:
        """The engine's statuses; if it raises, each decision alone (decisions of one
        stratum do not read each other), and every rule of a failing one is ``unknown``."""
        from clientwise.host.contracts import RULE_STATUS

        try:
            return call(frame, decisions)
        except ClientwiseError:
            raise
        except Exception as error:
            if len(decisions) > 1:
                return pl.concat([self.decide(engine, frame, [decision], call) for decision in decisions],
                                 how="horizontal")
            plugin = self.host.owner("engine", engine.name) or engine.name
            outputs = ", ".join(decision.output for decision in decisions)
            self._record(error, plugin, "decide", None, outputs,
                         self._culprit(frame, lambda rows: call(rows, decisions)))
            self.failed_outputs.update(decision.output for decision in decisions)
            return pl.DataFrame({rule.id: pl.Series([None] * frame.height, dtype=RULE_STATUS).fill_null("unknown")
                                 for decision in decisions for rule in decision.rules})

    def blank_failed(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Null (not the classification default) for outputs whose decision failed: no made-up values."""
        columns = [name for name in sorted(self.failed_outputs) if name in frame.columns]
        return frame.with_columns(pl.lit(None, frame.schema[name]).alias(name) for name in columns) if columns else frame

    def _record(self, error: Exception, plugin: str, hook: str, section: str | None, rule: str,
                customer: str | None) -> None:
        def fail() -> None:
            raise error

        self.faults.guard(plugin, hook, fail, section=section, rule=rule, customer=customer)

    def _derived_owner(self, step: DerivedStep) -> str:
        """The plugin whose code computes ``step``: a plugin function it calls, else its section's plugin."""
        functions = self.host.functions()
        if step.node is not None:
            for name in sorted(expr.calls_used(step.node)):
                provider = functions.provider(name)
                if provider is not None and self.host.origin(provider)[0] != "clientwise":
                    return provider
        return self.host.owner("ruleset section", step.section) or step.section

    def _culprit(self, frame: pl.DataFrame, call: Callable[[pl.DataFrame], Any]) -> str | None:
        """The key of the first customer the call fails on by itself (bisection), or None."""
        rows = frame
        if rows.height == 0 or _fails(call, rows.head(0)):
            return None
        while rows.height > 1:
            half = rows.height // 2
            first, second = rows.head(half), rows.slice(half)
            if _fails(call, first):
                rows = first
            elif _fails(call, second):
                rows = second
            else:
                return None  # fails only together: no single customer to blame
        if rows.height == 1 and _fails(call, rows):
            return str(rows[self.key][0])
        return None


def _fails(call: Callable[[pl.DataFrame], Any], rows: pl.DataFrame) -> bool:
    try:
        call(rows)
    except Exception:
        return True
    return False


def _dtype(step: DerivedStep) -> pl.DataType:
    if step.node is not None and step.node.type is not None:
        return dtype_of(step.node.type)
    assert step.computed is not None
    return _COMPUTED_DTYPES.get(step.computed.type, pl.Null())

"""What an engine had to change to run a ruleset's rules, for ``clientwise check``.

An engine may offer ``notes(decisions, context) -> list[str]``: one line per rule part
it could not run natively and how it ran it instead (the durable engine precomputes
function calls and null tests on polars). The polars engine runs everything as
written and has none.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from clientwise.compiler.steps import DerivedStep
from clientwise.host.contracts import DecideContext

if TYPE_CHECKING:
    from clientwise.runtime.evaluator import Evaluator


def engine_notes(evaluator: Evaluator) -> list[str]:
    """The engine's notes on the compiled rules (:meth:`Engine.notes`)."""
    decisions = [step.decision for step in evaluator.program.steps() if not isinstance(step, DerivedStep)]
    context = DecideContext(dt.date.today(), evaluator.ruleset.core.data.key, evaluator.host.functions(),
                            evaluator.ruleset.core.metadata.name)
    return list(evaluator.engine.notes(decisions, context))

"""The state of one evaluation, and the two hooks it is handed to.

Each implementation of ``clientwise_before_evaluate`` and ``clientwise_after_evaluate``
is called on its own under the evaluation's fault recorder, so one failing plugin
neither stops the run nor skips the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
from pydantic import BaseModel

from clientwise.host.contracts import Engine
from clientwise.host.faults import FaultRecorder
from clientwise.host.manager import PluginHost
from clientwise.ruleset import Ruleset
from clientwise.runtime.result import Result


@dataclass
class EvaluationContext:
    """Everything one run works with; there is one per evaluation, never a global one."""

    host: PluginHost
    ruleset: Ruleset
    as_of: dt.date
    engine: Engine
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def plugin_settings(self, name: str) -> BaseModel | None:
        """The validated ``[plugins.<name>]`` settings of plugin ``name`` (defaults if the table is absent)."""
        return self.ruleset.plugin_settings.get(name)


def before_evaluate(context: EvaluationContext, faults: FaultRecorder) -> None:
    """``clientwise_before_evaluate``: the data is loaded and validated, nothing derived yet."""
    faults.call_hook("clientwise_before_evaluate", context=context)


def after_evaluate(context: EvaluationContext, result: Result, faults: FaultRecorder) -> None:
    """``clientwise_after_evaluate``: the result is complete, nothing written yet."""
    faults.call_hook("clientwise_after_evaluate", context=context, result=result)

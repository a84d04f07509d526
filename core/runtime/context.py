"""The state of one evaluation, handed to ``before``/``after`` hooks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
from pydantic import BaseModel

from clientwise.host.contracts import Engine
from clientwise.host.manager import PluginHost
from clientwise.ruleset import Ruleset


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

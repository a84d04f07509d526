"""Sections a client ruleset switches off: ``enabled = false``, or its plugin disabled.

A client that has no contact data, or no use for relationship health, extends the
default and switches the section off instead of copying the default without it:

```toml
extends = "default"
[relationship]
enabled = false          # or: [plugins] disable = ["relationship"]
```

The section is then not validated or compiled. Rules elsewhere that read its outputs
(an action on ``missing_role_count``) cannot run; the compiler leaves them out and
says so when the ruleset loads (see :func:`clientwise.compiler.compile.compile_ruleset`),
so their names are known here: the section's handler is asked what it would produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clientwise.errors import Problem, ProblemList
from clientwise.host.contracts import CompileContext
from clientwise.host.manager import PluginHost
from clientwise.ruleset.data import DataConfig

#: The key every plugin section accepts to switch it off.
ENABLED = "enabled"


@dataclass(frozen=True)
class SwitchedOff:
    """A section the ruleset switches off, where, and the names it would have produced."""

    section: str
    file: str
    location: str
    why: str
    #: derived fields and decision outputs the section would produce (empty when its
    #: plugin is not installed, so nothing can say)
    produces: frozenset[str] = frozenset()


def enabled_switch(key: str, value: dict[str, Any], file: str, problems: ProblemList) -> bool | None:
    """The section's ``enabled`` (True when not given); None when it is not true or false."""
    switch = value.get(ENABLED, True)
    if isinstance(switch, bool):
        return switch
    problems.add(Problem(f"{ENABLED} must be true or false", file=file, location=f"{key}.{ENABLED}",
                         value=repr(switch), hint=f"write {ENABLED} = false to switch [{key}] off"))
    return None


def switched_off(key: str, value: dict[str, Any], *, file: str, location: str, why: str, host: PluginHost,
                 data: DataConfig | None) -> SwitchedOff:
    """The record of a switched-off section; its would-be outputs from its handler in
    ``host`` (a host that still has the plugin), if its settings are valid."""
    handler = host.sections().get(key)
    produces: frozenset[str] = frozenset()
    if handler is not None and data is not None:
        try:
            config = handler.model.model_validate({k: v for k, v in value.items() if k != ENABLED})
            plan = handler.compile(config, CompileContext(file, data))
            produces = frozenset([*(item.name for item in plan.derived),
                                  *(cls.output for cls in plan.classifications)])
        except Exception:  # noqa: BLE001 - a switched-off section's own problems are not reported
            produces = frozenset()
    return SwitchedOff(key, file, location, why, produces)

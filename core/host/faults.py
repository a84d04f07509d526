"""Fault isolation: plugin code that raises during an evaluation is caught and attributed.

A broken plugin must not take a whole portfolio run down, and must never make an
output silently empty. Each hook implementation and each section's ``summarize`` is
called on its own; an exception becomes a :class:`PluginFault` naming the plugin,
its version, the hook, the section or rule and (when one customer is involved) the
customer key. The run goes on, the affected section is marked as an error in every
output, and the CLI exits with :data:`FAULT_EXIT_CODE`. With ``strict`` (the CLI's
``--strict-plugins``) the first fault stops the run instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from clientwise.errors import ClientwiseError, PluginFailure, PluginFault

if TYPE_CHECKING:
    from clientwise.host.manager import PluginHost

T = TypeVar("T")


@dataclass
class FaultRecorder:
    """Runs plugin code for one evaluation and collects what went wrong."""

    host: PluginHost
    strict: bool = False

    def __post_init__(self) -> None:
        self.faults: list[PluginFault] = []

    def guard(
        self,
        plugin: str,
        hook: str,
        call: Callable[[], T],
        *,
        section: str | None = None,
        rule: str | None = None,
        customer: str | None = None,
    ) -> tuple[T | None, PluginFault | None]:
        """``call()``; on an exception record (or, strict, raise) an attributed fault."""
        try:
            return call(), None
        except ClientwiseError:
            raise  # deliberate, user-facing errors (InputError) keep their meaning
        except Exception as error:
            _dist, version = self.host.origin(plugin)
            first_line = (str(error).strip().splitlines() or [""])[0]  # polars appends the failing query
            fault = PluginFault(plugin, version, hook, f"{type(error).__name__}: {first_line}", section, rule, customer)
            if self.strict:
                raise PluginFailure(fault) from error
            self.faults.append(fault)
            return None, fault

    def call_hook(self, hook: str, **kwargs: Any) -> None:
        """Call every implementation of ``hook`` separately, so one failing does not skip the rest."""
        for plugin, function in self.host.implementations(hook):
            self.guard(plugin, hook, lambda function=function: function(**kwargs))  # type: ignore[misc]

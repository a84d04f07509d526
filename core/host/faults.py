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

from clientwise.errors import ClientwiseError

if TYPE_CHECKING:
    from clientwise.host.manager import PluginHost

#: Exit code of a run that finished but had plugin faults (or stopped on one with --strict-plugins).
FAULT_EXIT_CODE = 3

T = TypeVar("T")


@dataclass(frozen=True)
class PluginFault:
    """One exception raised by plugin code, with everything needed to find and report it."""

    plugin: str
    version: str | None
    hook: str
    error: str
    section: str | None = None
    #: The rule, derived field (hook "derive") or decided outputs (hook "decide") affected.
    rule: str | None = None
    #: The first customer the code fails on by itself, when one can be found.
    customer: str | None = None

    def render(self) -> str:
        where = [f"plugin '{self.plugin}'" + (f" {self.version}" if self.version else ""), f"hook {self.hook}"]
        if self.section:
            where.append(f"section [{self.section}]")
        if self.rule:
            label = {"derive": "field", "decide": "outputs"}.get(self.hook, "rule")
            where.append(f"{label} {self.rule}")
        if self.customer is not None:
            where.append(f"customer {self.customer}")
        return f"{', '.join(where)}: {self.error}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "version": self.version,
            "hook": self.hook,
            "section": self.section,
            "rule": self.rule,
            "customer": self.customer,
            "error": self.error,
        }


class PluginFailure(ClientwiseError):
    """A plugin raised during an evaluation run with ``strict`` plugins."""

    exit_code = FAULT_EXIT_CODE

    def __init__(self, fault: PluginFault):
        self.fault = fault
        super().__init__(
            f"a plugin failed: {fault.render()} (without --strict-plugins the run goes on and marks the "
            f"affected output as an error; fix or disable the plugin: --disable-plugin {fault.plugin})"
        )


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

"""Errors a user can act on.

Every problem names where it is (file, key path or row and column), what is wrong,
the offending value and what to do. Input problems (bad data, bad ruleset) exit
with code 2; anything else is a bug and exits with 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: How many problems are shown before "... and N more".
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located precisely enough to fix it."""

    message: str
    file: str | None = None
    location: str | None = None
    value: str | None = None
    hint: str | None = None
    excerpt: str | None = None

    def render(self) -> str:
        where = ": ".join(part for part in (self.file, self.location) if part)
        head = f"{where}: {self.message}" if where else self.message
        lines = [head]
        if self.value is not None:
            lines.append(f"  value: {self.value}")
        if self.excerpt:
            lines.extend("  " + line for line in self.excerpt.splitlines())
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)


class ClientwiseError(Exception):
    """Base class of every error clientwise raises on purpose."""

    exit_code = 1


class InputError(ClientwiseError):
    """The ruleset, the data or the command line is wrong; the user can fix it."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem] | Problem | str, *, total: int | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.total = max(total or 0, len(self.problems))
        super().__init__(self.render())

    def render(self, limit: int = SHOWN_PROBLEMS) -> str:
        shown = [p.render() for p in self.problems[:limit]]
        hidden = self.total - len(shown)
        if hidden > 0:
            shown.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''} like these")
        return "\n".join(shown)


class RulesetError(InputError):
    """The ruleset is not valid."""


class DataError(InputError):
    """The customer data is not valid for this ruleset."""


class PluginError(InputError):
    """A plugin the ruleset needs is missing, broken or misconfigured."""


def collect(problems: Iterable[Problem], error: type[InputError] = InputError) -> None:
    """Raise ``error`` with all problems at once, if there are any."""
    found = list(problems)
    if found:
        raise error(found)


@dataclass
class ProblemList:
    """Accumulates problems so a check can report all of them, not only the first."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error: type[InputError] = InputError) -> None:
        collect(self.problems, error)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' suggestion for a misspelt name, or None."""
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


#: Exit code of a run that finished but had plugin faults (or stopped on one with --strict-plugins).
FAULT_EXIT_CODE = 3

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

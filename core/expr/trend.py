"""What the trend functions (``previous``, ``change``, ``runs_since``, ``days_since_review``)
need from earlier saved runs, and the hidden columns that carry it.

A trend function cannot compute its value from the current data alone: it reads the
previous run of the same ruleset. Before deriving anything the runtime reads what the
program's trend calls need (:func:`trend_needs`) from a history (the run store, or a
test case's ``previous`` values; :mod:`clientwise.runtime.trend`) and joins it to the
customers as hidden columns. Their names contain a character no field name can
(``·``), so they never clash with a field and never reach an output. The function
implementations read these columns: polars by name, the reference evaluator from
``CallInfo.row``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from clientwise.compiler.plan import Source
from clientwise.errors import Problem
from clientwise.expr import nodes as n
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import FunctionRegistry
from clientwise.expr.parser import problem
from clientwise.expr.types import Type

#: The as-of date of the customer's latest earlier run (``days_since_review``).
REVIEWED = "trend·reviewed"
#: Prefixes of the previous-value and streak columns.
PREVIOUS, STREAK = "trend·previous·", "trend·streak·"


def previous_column(field: str) -> str:
    """The hidden column holding ``field``'s value in the previous run."""
    return PREVIOUS + field


def streak_column(condition: n.Node) -> str:
    """The hidden column holding how many earlier runs in a row ``condition`` held
    (counted back from the previous run; null when unknown)."""
    return STREAK + to_text(condition)


@dataclass(frozen=True)
class TrendNeeds:
    """Everything a program's trend calls read from earlier runs."""

    fields: frozenset[str] = frozenset()
    #: conditions of ``runs_since``, by their canonical text (one column each)
    conditions: tuple[n.Node, ...] = ()
    reviewed: bool = False
    #: the type of every field read from earlier runs, as the checker typed it
    types: dict[str, Type] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields or self.conditions or self.reviewed)

    def columns(self) -> list[str]:
        """The hidden columns these needs fill."""
        return [*(previous_column(f) for f in sorted(self.fields)),
                *dict.fromkeys(streak_column(c) for c in self.conditions),
                *([REVIEWED] if self.reviewed else [])]

    def stored_fields(self) -> set[str]:
        """The fields earlier runs must provide: previous values and what conditions read."""
        return set(self.fields).union(*(n.fields_used(c) for c in self.conditions))


def trend_needs(nodes: Iterable[n.Node], functions: FunctionRegistry) -> TrendNeeds:
    """What the (checked) expressions ``nodes`` read from earlier runs."""
    fields: set[str] = set()
    conditions: dict[str, n.Node] = {}
    types: dict[str, Type] = {}
    reviewed = False
    for node in nodes:
        for sub in n.walk(node):
            if isinstance(sub, n.Field) and sub.type is not None and sub.table is None:
                types.setdefault(sub.name, sub.type)
            spec = functions.get(sub.name) if isinstance(sub, n.Call) else None
            if spec is None or spec.trend is None:
                continue
            assert isinstance(sub, n.Call)
            if spec.trend == "previous" and isinstance(sub.args[0], n.Field):
                fields.add(sub.args[0].name)
            elif spec.trend == "streak":
                conditions.setdefault(to_text(sub.args[0]), sub.args[0])
            elif spec.trend == "reviewed":
                reviewed = True
    ordered = tuple(conditions[k] for k in sorted(conditions))
    wanted = set(fields).union(*(n.fields_used(c) for c in ordered))
    return TrendNeeds(frozenset(fields), ordered, reviewed, {k: v for k, v in types.items() if k in wanted})


def trend_problems(node: n.Node, functions: FunctionRegistry, source: Source, text: str | None) -> list[Problem]:
    """Trend calls the language cannot evaluate, with a caret: ``previous`` and ``change`` of
    anything but a field, and a trend call inside an aggregate (its rows have no earlier run)."""
    found = []
    for sub in n.walk(node):
        spec = functions.get(sub.name) if isinstance(sub, n.Call) else None
        if spec is None:
            continue
        assert isinstance(sub, n.Call)
        if spec.trend == "previous" and sub.args and not isinstance(sub.args[0], n.Field):
            found.append(problem(f"{spec.name}() takes a field, whose value the previous run stored", source, text,
                                 sub.args[0].span, f"call it as {spec.usage}, e.g. {spec.name}(health_score)"))
        if spec.kind == "aggregate":
            found.extend(problem(f"{inner.name}() reads earlier runs and cannot be used inside {spec.name}()", source,
                                 text, inner.span, "compute it as a separate derived field in [derive]")
                         for arg in sub.args for inner in n.walk(arg) if isinstance(inner, n.Call)
                         and (inner_spec := functions.get(inner.name)) is not None and inner_spec.trend)
    return found


def trend_calls(nodes: Iterable[n.Node], functions: FunctionRegistry) -> list[str]:
    """The trend calls in ``nodes`` as written (for notes such as ``check``'s)."""
    found = []
    for node in nodes:
        for sub in n.walk(node):
            if isinstance(sub, n.Call) and (spec := functions.get(sub.name)) is not None and spec.trend:
                found.append(to_text(sub))
    return list(dict.fromkeys(found))

"""The compiled ruleset: every step in dependency order, cut into the strata and runs
the runtime loop executes, with the facts explanations and provenance need.

All of it is worked out once here, so batch evaluation, ``evaluate_one`` and test
cases run exactly the same schedule (see :mod:`clientwise.runtime.loop`):

* a **stratum** is a set of steps one derive or decide call can do: derived fields
  whose inputs are known, or decisions that do not read each other;
* a **run** is what the loop hands over at once: a derive stratum, or decision
  strata for one engine call. An engine that chains (``Engine.chains``) gets
  consecutive decision strata merged into one run; any other gets one per stratum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from clientwise import expr
from clientwise.compiler.plan import OutputColumn, SectionPlan
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DecisionStep, DerivedStep, Step
from clientwise.compiler.trace import TracedDerived, TracedRule
from clientwise.expr.backends.closures import ExpressionCache
from clientwise.expr.types import Type
from clientwise.host.contracts import CompiledDecision, SectionHandler
from clientwise.ruleset import Ruleset


@dataclass(frozen=True)
class ExpressionLevels:
    """Expression fields computed together: each level reads only earlier levels, so
    one level is one ``with_columns`` and its fields run in parallel."""

    levels: tuple[tuple[DerivedStep, ...], ...]

    @property
    def steps(self) -> tuple[DerivedStep, ...]:
        return tuple(step for level in self.levels for step in level)


@dataclass(frozen=True)
class DeriveStratum:
    """Derived fields whose inputs are known; plugin-computed fields cut the expression runs."""

    steps: tuple[DerivedStep, ...]
    parts: tuple[ExpressionLevels | DerivedStep, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        parts: list[ExpressionLevels | DerivedStep] = []
        batch: list[DerivedStep] = []
        for step in self.steps:
            if step.node is not None:
                batch.append(step)
                continue
            if batch:
                parts.append(levels_of(batch))
                batch = []
            parts.append(step)
        if batch:
            parts.append(levels_of(batch))
        object.__setattr__(self, "parts", tuple(parts))


def levels_of(steps: Sequence[DerivedStep]) -> ExpressionLevels:
    """Expression fields (in dependency order) grouped by depth."""
    groups = depth_levels([(step.name, step.reads) for step in steps])
    return ExpressionLevels(tuple(tuple(steps[i] for i in group) for group in groups))


def depth_levels(fields: Sequence[tuple[str, frozenset[str]]]) -> list[list[int]]:
    """Indexes of ``(name, reads)`` fields (in dependency order) grouped by depth: no field
    reads one of its own group, so each group can be computed at once."""
    depth: dict[str, int] = {}
    groups: list[list[int]] = []
    for index, (name, reads) in enumerate(fields):
        depth[name] = 1 + max((depth[read] for read in reads if read in depth), default=-1)
        if depth[name] == len(groups):
            groups.append([])
        groups[depth[name]].append(index)
    return groups


@dataclass(frozen=True)
class DecideStratum:
    """Decisions that do not read each other's outputs."""

    steps: tuple[DecisionStep, ...]

    @property
    def decisions(self) -> tuple[CompiledDecision, ...]:
        return tuple(step.decision for step in self.steps)


@dataclass(frozen=True)
class DecideRun:
    """Decision strata for one engine call (several only for an engine that chains)."""

    strata: tuple[DecideStratum, ...]

    @property
    def steps(self) -> tuple[DecisionStep, ...]:
        return tuple(step for stratum in self.strata for step in stratum.steps)

    @property
    def decisions(self) -> tuple[CompiledDecision, ...]:
        return tuple(step.decision for step in self.steps)


Stratum = DeriveStratum | DecideStratum
Run = DeriveStratum | DecideRun


@dataclass(frozen=True)
class SectionEntry:
    """One section of the ruleset as compiled: its handler (None for the core's own
    ``[derive]`` and ``[[rules]]``) and what it compiled into."""

    name: str
    handler: SectionHandler | None
    plan: SectionPlan


#: Where a section's outputs come from: plugin name, distribution and version.
Origin = dict[str, str | None]


@dataclass(frozen=True)
class Program:
    """The ruleset as the runtime loop runs it."""

    ruleset: Ruleset
    strata: tuple[Stratum, ...]
    outputs: tuple[OutputColumn, ...]
    sections: tuple[SectionEntry, ...]
    tables_needed: frozenset[str]
    scope: expr.Scope
    types: Mapping[str, Type]
    #: section ("derive", "rules" and each plugin section) -> the plugin that produced it
    provenance: Mapping[str, Origin]
    #: what loading noticed about the ruleset: sections switched off, and the items left
    #: out because they read those sections' outputs (shown by check, warnings of a run)
    notes: tuple[str, ...] = ()
    #: its expressions compiled to closures, once per run date, for evaluations of a few
    #: customers (shared by the copies :meth:`with_steps` makes: the nodes are the same)
    expressions: ExpressionCache = field(default_factory=ExpressionCache, repr=False, compare=False)
    _runs: dict[bool, tuple[Run, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_runs", {chains: _runs(self.strata, chains) for chains in (False, True)})

    def runs(self, chains: bool) -> tuple[Run, ...]:
        """The schedule for an engine that chains (``Engine.chains``) or not."""
        return self._runs[chains]

    def steps(self) -> list[Step]:
        return [step for stratum in self.strata for step in stratum.steps]

    def derived(self) -> list[DerivedStep]:
        return [step for step in self.steps() if isinstance(step, DerivedStep)]

    def decisions(self) -> list[DecisionStep]:
        return [step for step in self.steps() if not isinstance(step, DerivedStep)]

    def actions(self) -> ActionsStep | None:
        """The collect-all decision made of every section's actions (None without actions)."""
        return next((step for step in self.steps() if isinstance(step, ActionsStep)), None)

    def with_steps(self, replacements: Mapping[str, DerivedStep]) -> Program:
        """The same program with some derived steps replaced (test cases fix values);
        the schedule is worked out again from the new steps."""
        strata = tuple(
            DeriveStratum(tuple(replacements.get(step.name, step) for step in stratum.steps))
            if isinstance(stratum, DeriveStratum) else stratum
            for stratum in self.strata
        )
        return replace(self, strata=strata)

    def traced_derived(self) -> list[TracedDerived]:
        return list(self._traced_derived)

    def traced_rules(self) -> list[TracedRule]:
        return list(self._traced_rules)

    # worked out once per program: an evaluation of a few customers (a test case) spent a
    # tenth of its time walking every rule's expression for the fields it reads
    @cached_property
    def _traced_derived(self) -> tuple[TracedDerived, ...]:
        return tuple(TracedDerived(step.name, step.expression, tuple(sorted(step.reads)), step.source.path)
                     for step in self.derived())

    @cached_property
    def _traced_rules(self) -> tuple[TracedRule, ...]:
        rules: list[TracedRule] = []
        for step in self.decisions():
            if isinstance(step, ClassificationStep):
                for rule, planned, because in zip(step.decision.rules, step.classification.rules, step.because):
                    rules.append(TracedRule(step.output, rule.id.split("/", 1)[1], rule.id, rule.when,
                                            tuple(sorted(expr.fields_used(rule.condition))), rule.source.path,
                                            outcome_column=step.output, because=because, reason=planned.reason))
            elif isinstance(step, ActionsStep):
                for action, compiled in zip(step.rules, step.decision.rules):
                    rules.append(TracedRule("actions", action.id, compiled.id, action.when,
                                            tuple(sorted(expr.fields_used(compiled.condition))), action.source.path))
        return tuple(rules)


def _runs(strata: Sequence[Stratum], chains: bool) -> tuple[Run, ...]:
    runs: list[Run] = []
    for stratum in strata:
        if isinstance(stratum, DeriveStratum):
            runs.append(stratum)
        elif chains and runs and isinstance(runs[-1], DecideRun):
            runs[-1] = DecideRun((*runs[-1].strata, stratum))
        else:
            runs.append(DecideRun((stratum,)))
    return tuple(runs)

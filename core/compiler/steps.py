"""The checked, runnable form of plan items: what the derive and decide stages execute.

Everything the runtime needs to know about a step is worked out here once, at compile
time: what it reads, and whether a single customer can compute it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from clientwise import expr
from clientwise.compiler.plan import ActionRule, Classification, ComputedField, Source
from clientwise.expr.types import Type
from clientwise.host.contracts import CompiledDecision

#: The output name of the collect-all decision made of every section's actions.
ACTIONS = "actions"


@dataclass(frozen=True)
class DerivedStep:
    """A derived field: a checked expression, or plugin code (``computed``).

    ``whole_portfolio`` is set when one customer cannot compute the field alone: it
    calls a population function (``rank``, ``share``) or is plugin code, which may use
    the whole column (unless it says otherwise: ``ComputedField.row_local``). ``reads`` names the customer fields it reads.
    """

    name: str
    expression: str
    source: Source
    node: expr.Node | None = None
    computed: ComputedField | None = None
    description: str = ""
    reads: frozenset[str] = frozenset()
    whole_portfolio: bool = False
    #: inputs whose unknown value the field treats as intended (``DerivedField.tolerates``)
    tolerates: frozenset[str] = frozenset()

    @property
    def section(self) -> str:
        """The ruleset section the field comes from (the first part of its key path)."""
        return self.source.path.split(".")[0].split("[")[0]


@dataclass(frozen=True)
class ClassificationStep:
    """A first-match decision with the value and reason of each rule."""

    classification: Classification
    decision: CompiledDecision
    then: tuple[expr.Node, ...]
    because: tuple[expr.Template | None, ...]
    default: expr.Node | None
    type: Type

    @property
    def output(self) -> str:
        return self.classification.output

    @cached_property
    def reads(self) -> frozenset[str]:
        """The customer fields its values (``then``, ``default``) read; its rules' statuses aside."""
        nodes = [*self.then, *([self.default] if self.default is not None else [])]
        return frozenset().union(*(expr.fields_used(node) for node in nodes))


@dataclass(frozen=True)
class ActionsStep:
    """Every section's actions, decided together (collect all)."""

    rules: tuple[ActionRule, ...]
    decision: CompiledDecision
    because: tuple[expr.Template, ...]

    @property
    def output(self) -> str:
        return ACTIONS


DecisionStep = ClassificationStep | ActionsStep
Step = DerivedStep | ClassificationStep | ActionsStep

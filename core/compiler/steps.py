"""The checked, runnable form of plan items: what the derive and decide stages execute."""

from __future__ import annotations

from dataclasses import dataclass

from clientwise import expr
from clientwise.host.contracts import CompiledDecision
from clientwise.expr.types import Type
from clientwise.compiler.plan import ActionRule, Classification, ComputedField, Source

#: The output name of the collect-all decision made of every section's actions.
ACTIONS = "actions"


@dataclass(frozen=True)
class DerivedStep:
    """A derived field: a checked expression, or plugin code (``computed``)."""

    name: str
    expression: str
    source: Source
    node: expr.Node | None = None
    computed: ComputedField | None = None
    description: str = ""


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


@dataclass(frozen=True)
class ActionsStep:
    """Every section's actions, decided together (collect all)."""

    rules: tuple[ActionRule, ...]
    decision: CompiledDecision
    because: tuple[expr.Template, ...]


Step = DerivedStep | ClassificationStep | ActionsStep

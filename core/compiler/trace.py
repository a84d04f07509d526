"""What an explanation shows for each derived field and rule: worked out by the compiler
(see :meth:`Program.traced_derived`), read by :mod:`clientwise.runtime.explain`."""

from __future__ import annotations

from dataclasses import dataclass

from clientwise import expr
from clientwise.compiler.reason import Reason


@dataclass(frozen=True)
class TracedDerived:
    """What an explanation shows for a derived field."""

    name: str
    expression: str
    inputs: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TracedRule:
    """What an explanation shows for a rule: where its status is and what it read."""

    decision: str
    rule: str
    status_column: str
    condition: str
    inputs: tuple[str, ...]
    source: str
    outcome_column: str | None = None
    because: expr.Template | None = None
    #: What ``because`` was made from when a section wrote it (a report translates it).
    reason: Reason | None = None

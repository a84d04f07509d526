"""Rule coverage: which rules and which decided values no test case exercises.

A rule is covered when it fired for a checked customer of some case; an outcome
(``tier = core``, ``value_class = value_destroyer``, ``health_band = red``) is
covered when some checked customer got it. Possible outcomes are the literal values
the classification rules (and their default) give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clientwise import expr
from clientwise.compiler.compile import Program
from clientwise.compiler.steps import ActionsStep, ClassificationStep


@dataclass(frozen=True)
class Coverage:
    rules: tuple[str, ...]
    outcomes: tuple[tuple[str, str], ...]
    fired: frozenset[str]
    seen: frozenset[tuple[str, str]]

    @property
    def uncovered_rules(self) -> list[str]:
        return [r for r in self.rules if r not in self.fired]

    @property
    def uncovered_outcomes(self) -> list[tuple[str, str]]:
        return [o for o in self.outcomes if o not in self.seen]

    @property
    def total(self) -> int:
        return len(self.rules) + len(self.outcomes)

    @property
    def covered(self) -> int:
        return self.total - len(self.uncovered_rules) - len(self.uncovered_outcomes)

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 1),
            "covered": self.covered,
            "total": self.total,
            "uncovered_rules": self.uncovered_rules,
            "uncovered_outcomes": [f"{name} = {value}" for name, value in self.uncovered_outcomes],
        }


def possible_outcomes(program: Program) -> list[tuple[str, str]]:
    """(output, value) for every literal value a classification can decide."""
    found: list[tuple[str, str]] = []
    for step in program.steps():
        if not isinstance(step, ClassificationStep):
            continue
        for node in (*step.then, *([step.default] if step.default is not None else [])):
            if isinstance(node, expr.Literal) and node.value is not None:
                item = (step.output, str(node.value))
                if item not in found:
                    found.append(item)
    return found


def rule_ids(program: Program) -> list[str]:
    return [rule.id for step in program.steps() if isinstance(step, (ClassificationStep, ActionsStep))
            for rule in step.decision.rules]


def measure(program: Program, fired: Iterable[str], seen: Iterable[tuple[str, str]]) -> Coverage:
    return Coverage(tuple(rule_ids(program)), tuple(possible_outcomes(program)), frozenset(fired), frozenset(seen))

"""What a ruleset section compiles into: derived fields and decision rules.

A section handler (built-in or third-party) never computes results itself. It turns
its TOML section into expression-language text for derived fields and decision
rules; the core parses, type-checks, orders by dependency and runs them on an
engine. That keeps every engine, explanation and check working for every plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from clientwise.compiler.reason import Reason

#: How a value is shown: ``percent`` is a fraction (0.35 shows as 35%), ``money`` an amount.
ValueKind = Literal["text", "number", "integer", "percent", "money", "list", "boolean", "date"]
#: How the reports colour a value. Statuses: ``good``, ``warn``, ``bad``, ``neutral``;
#: ranks, for ordered groups such as tiers: ``strong``, ``medium``, ``light``.
Tone = Literal["good", "warn", "bad", "neutral", "strong", "medium", "light"]


@dataclass(frozen=True)
class Source:
    """Where a piece of ruleset text lives, for error messages: file and key path."""

    file: str
    path: str

    def child(self, key: str | int) -> Source:
        if isinstance(key, int):
            return Source(self.file, f"{self.path}[{key}]")
        return Source(self.file, f"{self.path}.{key}" if self.path else key)


@dataclass(frozen=True)
class DerivedField:
    """A named per-customer value computed from an expression.

    Derived fields may use population functions (rank, share, ...) and aggregates
    over related tables; decision rules may not.

    ``tolerates`` names inputs whose unknown value the expression treats as intended
    (a scorecard leaves an unanswered criterion out, a cost counts unknown units as 0).
    When the export lacks what such an input is computed from, this field is still
    computed; for any other input it is unknown too (missing data is unknown, never
    "no"; see :mod:`clientwise.runtime.absent`).
    """

    name: str
    expression: str
    source: Source
    description: str = ""
    tolerates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputedField:
    """A derived column built by plugin code, for outputs the expression language cannot state.

    ``build`` returns a polars expression over the customers frame; ``inputs`` names the
    fields it reads so the core can order it. Prefer :class:`DerivedField`: a
    computed field cannot be explained value by value.

    ``row_local`` promises that a customer's value depends on its own row alone (no
    ranking, totals or windows over the column): ``Evaluator.evaluate_one`` then
    computes it for the record alone instead of over the whole portfolio.
    """

    name: str
    build: Callable[[], pl.Expr]
    inputs: tuple[str, ...]
    source: Source
    description: str = ""
    type: Literal["string", "number", "boolean", "date", "list"] = "string"
    row_local: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule of a first-match classification: when ``when`` holds, the output is ``then``.

    ``then`` is expression text; ``because`` a template with ``{expression}``
    placeholders, or a :class:`Reason` when a section writes it (a sentence the
    reports translate; the ruleset's own ``because`` texts stay a template).
    """

    id: str
    when: str
    then: str
    source: Source
    because: str | Reason | None = None

    @property
    def because_template(self) -> str | None:
        """The ``because`` template the evaluation renders (a reason's English one)."""
        return self.because.template if isinstance(self.because, Reason) else self.because

    @property
    def reason(self) -> Reason | None:
        return self.because if isinstance(self.because, Reason) else None


@dataclass(frozen=True)
class Classification:
    """A first-match decision: rules are tried in order, the first that holds decides.

    A rule whose condition is null (unknown) does not fire. When no rule fires the
    output is ``default`` (expression text, or None for a null output).
    """

    output: str
    rules: tuple[Rule, ...]
    source: Source
    default: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ActionRule:
    """A collect-all rule: every action whose condition holds is recommended."""

    id: str
    when: str
    action: str
    priority: int
    because: str
    source: Source
    section: str = "rules"


@dataclass(frozen=True)
class OutputColumn:
    """A column a section adds to the per-customer result table.

    ``kind`` tells writers how to show it; ``percent`` is a fraction (0.35 shows as
    35%). ``detail`` columns (one per checklist question, one per cost driver) go to
    the machine-readable formats but not to the terminal summary.

    Reports use two more declarations, so they never need a column's name:
    ``group`` marks a column customers are grouped by (the tier): the reports show it
    beside every customer they list (actions, tables of customers) and filter actions
    by it, and other sections may break their views down by it. ``tones`` lists the
    column's known values in their natural order, each with the colour the reports
    give it (``(("value_creator", "good"), ("value_destroyer", "bad"))``). ``labels``
    names values for people (``(("value_destroyer", "Value destroyer"),)``): the
    reports show a value's label, the machine-readable outputs the value itself.
    """

    name: str
    label: str
    kind: ValueKind = "text"
    detail: bool = False
    group: bool = False
    tones: tuple[tuple[Any, Tone], ...] = ()
    #: an input shown for context right after the customer's name (segmentation's
    #: measure, say), unless the ruleset's ``[output] columns`` says otherwise
    context: bool = False
    labels: tuple[tuple[Any, str], ...] = ()


@dataclass
class SectionPlan:
    """Everything a section contributes to an evaluation."""

    section: str
    derived: list[DerivedField | ComputedField] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    actions: list[ActionRule] = field(default_factory=list)
    outputs: list[OutputColumn] = field(default_factory=list)


@dataclass
class SectionSummary:
    """A section's portfolio view: headline figures, small tables and warnings."""

    section: str
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Set when the section's plugin failed to summarize: what failed, shown instead of figures.
    error: str | None = None


def names(items: Sequence[DerivedField | ComputedField]) -> list[str]:
    return [item.name for item in items]

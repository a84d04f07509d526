"""Forward chaining for the durable engine: what a later rule needs from an earlier one.

The core hands a chaining engine a whole dependency-ordered run of decisions (see
``Engine.chains``). Rules are grouped by *level*: level 0 reads only the frame; a
rule of level n reads the output of a ``first`` decision of a lower level. In the
worker (:mod:`clientwise.plugins.engines.durable.worker`), once a level's rules have matched,
each classification's decided value is asserted as a new fact, in the same session,
for the rules of the next level to match on.

A decided value is one of a few *candidates*: the ``then`` of the rule that fired
first, or the default. Each posted column that reads a classification's output is
computed here, on polars, once per candidate (``tier@0``, ``tier@1``, ...); the worker
picks the candidate of the rule that fired. Shapes this cannot express (a posted
column reading two chained outputs, or a ``then`` reading an output of the same run)
are decided level by level instead (:func:`chainable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from clientwise.expr import EvalContext, fields_used, to_polars
from clientwise.host.contracts import CompiledDecision

#: Separates a posted name from its candidate number: ``tier@0``.
CANDIDATE = "@"


@dataclass(frozen=True)
class Chain:
    """One classification whose value later rules read: its rules (indexes in the
    plan's rule list, in order) and, per posted name, the candidate column of each
    rule and last the default's."""

    level: int
    rules: tuple[int, ...]
    columns: tuple[tuple[str, tuple[str, ...]], ...]
    #: posted names whose candidates are the same for every customer (``tier`` when each
    #: ``then`` is a literal): the values themselves, so no candidate column is posted
    constants: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def names(self) -> list[str]:
        return [name for name, _ in (*self.columns, *self.constants)]


def levels(decisions: Sequence[CompiledDecision], context: EvalContext) -> list[int]:
    """Each decision's chaining level: 0, or one more than the decisions it reads."""
    produced: dict[str, int] = {}
    result: list[int] = []
    for index, decision in enumerate(decisions):
        reads: set[str] = set()
        for rule in decision.rules:
            reads |= fields_used(rule.condition, context.functions)
        level = max((result[produced[name]] + 1 for name in reads if name in produced), default=0)
        result.append(level)
        if decision.mode == "first":
            produced[decision.output] = index
    return result


def chained_outputs(decisions: Sequence[CompiledDecision], level_of: Sequence[int]) -> dict[str, int]:
    """Output name -> index of the ``first`` decision whose value later rules read."""
    outputs = {d.output: i for i, d in enumerate(decisions) if d.mode == "first"}
    return {name: i for name, i in outputs.items() if any(level > level_of[i] for level in level_of)}


def chainable(decisions: Sequence[CompiledDecision], columns: dict[str, pl.Expr], chained: dict[str, int],
              context: EvalContext) -> str | None:
    """Why this run cannot chain in one session (None when it can)."""
    for name, column in columns.items():
        roots = set(column.meta.root_names()) & set(chained)
        if len(roots) > 1:
            return f"posted column {name} reads {len(roots)} decided values ({', '.join(sorted(roots))})"
    for output, index in chained.items():
        decision = decisions[index]
        if len(decision.then) != len(decision.rules):
            return f"decision {output} carries no `then` values"
        for node in [*decision.then, *([decision.default] if decision.default is not None else [])]:
            if fields_used(node, context.functions) & set(chained):
                return f"a value of {output} reads another value decided in the same run"
    return None


def candidates(frame: pl.DataFrame, decisions: Sequence[CompiledDecision], columns: dict[str, pl.Expr],
               chained: dict[str, int], plan_rules: Sequence[str], level_of: Sequence[int],
               context: EvalContext) -> tuple[pl.DataFrame, list[Chain]]:
    """The candidate columns of every posted column that reads a chained output, and the chains."""
    index_of = {rule_id: i for i, rule_id in enumerate(plan_rules)}
    parts: list[pl.DataFrame] = []
    chains: list[Chain] = []
    for output, decision_index in chained.items():
        decision = decisions[decision_index]
        reading = [name for name, column in columns.items() if output in column.meta.root_names()]
        # a candidate is posted for every customer but used only where its rule fires: it
        # must not stop the run for the others (an overflow gives null here; the core
        # checks the value it chooses, see clientwise.runtime.outputs)
        unused = pl.lit(False)
        values = [*(to_polars(then, context, mask=unused) for then in decision.then),
                  to_polars(decision.default, context, mask=unused) if decision.default is not None else pl.lit(None)]
        found = [frame.lazy().with_columns(value.alias(output))
                 .select(columns[name].alias(f"{name}{CANDIDATE}{k}") for name in reading).collect()
                 for k, value in enumerate(values)] if reading else []
        names: list[tuple[str, tuple[str, ...]]] = []
        constants: list[tuple[str, tuple[Any, ...]]] = []
        for name in reading:
            options = [part.get_column(f"{name}{CANDIDATE}{k}") for k, part in enumerate(found)]
            if frame.height and all(option.n_unique() == 1 for option in options):
                constants.append((name, tuple(option[0] for option in options)))
            else:
                names.append((name, tuple(option.name for option in options)))
                parts.extend(option.to_frame() for option in options)
        if names or constants:  # an output read only through lowered-away conditions needs no fact
            rules = tuple(index_of[rule.id] for rule in decision.rules)
            chains.append(Chain(level_of[decision_index], rules, tuple(names), tuple(constants)))
    return (pl.concat(parts, how="horizontal") if parts else pl.DataFrame(height=frame.height)), chains


def value(decision: CompiledDecision, context: EvalContext) -> pl.Expr:
    """The decided value from the statuses in the frame (level-by-level fallback)."""
    fired = [pl.col(rule.id) == "fired" for rule in decision.rules]
    chosen = ~pl.any_horizontal(fired) if fired else None  # as the core chooses (clientwise.runtime.outputs)
    default = to_polars(decision.default, context, mask=chosen) if decision.default is not None else pl.lit(None)
    if not decision.rules:
        return default
    expression: pl.Expr | pl.When | pl.Then = pl
    for when, then in zip(fired, decision.then):
        expression = expression.when(when).then(to_polars(then, context, mask=when))
    return expression.otherwise(default)  # type: ignore[union-attr]

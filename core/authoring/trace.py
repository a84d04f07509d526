"""``clientwise explain``: one customer's full trace, readable by a non-programmer.

It renders :class:`~clientwise.runtime.explain.Explanation` (derived values with their
inputs, every rule with its condition and the values it read) with the part a
consultant asks for next, added under each rule by :class:`WhyNot`: the condition
with the customer's values substituted and, for a rule that did not fire, which part
of it was false or unknown (:mod:`clientwise.authoring.whynot`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from clientwise.authoring.runner import rule_conditions
from clientwise.authoring.whynot import reasons, substituted
from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.expr import EvalContext
from clientwise.output.escape import clean_lines
from clientwise.runtime.evaluator import Evaluator
from clientwise.runtime.explain import Explanation, RuleStep, show_value
from clientwise.runtime.result import Result


def _traced(result: Result, key: str, argument: str) -> tuple[Explanation, dict[str, Any]]:
    """The explanation of ``key`` and its evaluated row; errors name ``argument`` (KEY, --explain)."""
    try:
        explanation = result.explain(key)
    except InputError as error:  # the tracer names --explain
        raise InputError([dataclasses.replace(p, location=argument) for p in error.problems]) from None
    assert result.tracer is not None
    frame = result.tracer.frame
    return explanation, frame.filter(pl.col(result.key).cast(pl.String) == key).row(0, named=True)


def _status_id(step: RuleStep) -> str:
    return step.rule if step.decision == "actions" else f"{step.decision}/{step.rule}"


@dataclass(frozen=True)
class WhyNot:
    """The :class:`~clientwise.runtime.explain.RuleAnnotator` of ``clientwise explain``: under each
    rule, its condition with this customer's values substituted and, if it did not fire,
    which part of the condition was false or unknown."""

    rules: Mapping[str, Any]
    row: Mapping[str, Any]
    context: EvalContext

    def __call__(self, step: RuleStep, /) -> list[str]:
        compiled = self.rules.get(_status_id(step))
        if compiled is None:
            return []
        values = substituted(compiled.condition, compiled.when, self.row) if step.values else ""
        lines = [f"that is: {values}"] if values else []
        if step.status != "fired":
            lines.append("why not:")
            lines.extend("  " + line for line in reasons(compiled.condition, self.row, self.context))
        return lines


def render_trace(evaluator: Evaluator, result: Result, key: str, *, argument: str = "KEY") -> str:
    """The full trace of customer ``key`` with the reasons every rule that did not fire.

    ``clientwise explain`` and ``clientwise evaluate --explain`` both print it; errors
    (an unknown key) name ``argument``, the way the command took the key.
    """
    explanation, row = _traced(result, key, argument)
    assert result.tracer is not None
    return explanation.render(WhyNot(rule_conditions(evaluator.program), row, result.tracer.context))


def render_why_not(evaluator: Evaluator, result: Result, key: str, rule: str) -> str:
    """Why rule ``rule`` (an action id, ``tier/core`` or an unambiguous ``core``) did not fire for ``key``."""
    explanation, row = _traced(result, key, "KEY")
    steps = {_status_id(s): s for s in explanation.rules}
    by_label: dict[str, list[str]] = {}
    for status_id, s in steps.items():
        by_label.setdefault(s.rule, []).append(status_id)
    chosen = rule if rule in steps else (by_label[rule][0] if len(by_label.get(rule, [])) == 1 else None)
    if chosen is None:
        candidates = by_label.get(rule, [])
        hint = (f"name the decision too: {' or '.join(candidates)}" if candidates
                else did_you_mean(rule, list(steps)) or f"rule ids: {', '.join(steps)}")
        raise InputError(Problem(f"no rule '{rule}' to explain" if not candidates else f"rule '{rule}' is ambiguous",
                                 location="--why-not", value=repr(rule), hint=hint))
    step = steps[chosen]
    assert result.tracer is not None
    lines = [f"Customer {explanation.key}" + (f" ({explanation.name})" if explanation.name else "")
             + f", rule {chosen}: {step.condition}"]
    if step.status == "fired":
        lines.append("It fired" + (f": {step.decision} = {show_value(step.outcome)}" if step.decision != "actions" else "")
                     + (f" (because: {step.because})" if step.because else "."))
        return clean_lines(lines)
    if step.status == "skipped":
        same = [s for s in explanation.rules if s.decision == step.decision and s.status == "fired"]
        first = same[0].rule if same else "an earlier rule"
        lines.append(f"It was not evaluated: rule '{first}' came first and decided {step.decision} = "
                     f"{show_value(same[0].outcome) if same else 'its value'} (first match wins).")
        lines.append("Had it been evaluated:")
    else:
        lines.append("It did not fire:" if step.status == "not_met"
                     else "It did not fire: a value it needs is unknown (null):")
    compiled = rule_conditions(evaluator.program)[chosen]
    values = substituted(compiled.condition, compiled.when, row)
    if values:
        lines.append(f"  that is: {values}")
    parts = reasons(compiled.condition, row, result.tracer.context)
    lines.extend("  " + line for line in parts or ["- its condition holds"])
    return clean_lines(lines)

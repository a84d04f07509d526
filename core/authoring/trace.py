"""``clientwise explain``: one customer's full trace, readable by a non-programmer.

It extends :class:`~clientwise.explain.Explanation` (derived values with their
inputs, every rule with its condition and the values it read) with the part a
consultant asks for next: for a rule that did not fire, which part of its condition
was false or unknown (:mod:`clientwise.authoring.whynot`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from clientwise.authoring.runner import rule_conditions
from clientwise.authoring.whynot import reasons, substituted
from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.escape import clean
from clientwise.explain import _STATUS_WORDS, Explanation, RuleStep, _shown
from clientwise.pipeline import Evaluator
from clientwise.result import Result


def _explanation(result: Result, key: str) -> Explanation:
    try:
        return result.explain(key)
    except InputError as error:  # the tracer names --explain; here the key is an argument
        raise InputError([dataclasses.replace(p, location="KEY") for p in error.problems]) from None


def _row(result: Result, key: str) -> dict[str, Any]:
    assert result.tracer is not None
    _explanation(result, key)
    frame = result.tracer.frame
    return frame.filter(pl.col(result.key).cast(pl.String) == key).row(0, named=True)


def _status_id(step: RuleStep) -> str:
    return step.rule if step.decision == "actions" else f"{step.decision}/{step.rule}"


def render_trace(evaluator: Evaluator, result: Result, key: str) -> str:
    """The full trace of customer ``key`` with the reasons every rule that did not fire."""
    explanation = _explanation(result, key)
    row = _row(result, key)
    rules = rule_conditions(evaluator.program)
    assert result.tracer is not None
    context = result.tracer.context
    title = f"Customer {explanation.key}" + (f" ({explanation.name})" if explanation.name else "")
    lines = [title, "=" * len(title), "", "Derived values (each computed from the values in brackets):"]
    for step in explanation.derived:
        inputs = ", ".join(f"{k} = {_shown(v)}" for k, v in step.inputs.items())
        lines.append(f"  {step.name} = {_shown(step.value)}")
        lines.append(f"      from {step.expression}" + (f"  [{inputs}]" if inputs else ""))
    decision, decided_by = None, ""
    for step in explanation.rules:
        if step.decision != decision:
            decision = step.decision
            kind = "every rule that holds recommends its action" if decision == "actions" \
                else "rules are tried in order; the first that holds decides"
            lines.extend(["", f"{decision} ({kind}):"])
        lines.append(f"  [{_STATUS_WORDS[step.status]}] {step.rule}: {step.condition}")
        if step.status == "skipped":
            lines.append(f"      {decided_by} decided first")
            continue
        compiled = rules.get(_status_id(step))
        if step.values:
            lines.append("      with " + ", ".join(f"{k} = {_shown(v)}" for k, v in step.values.items()))
            values = substituted(compiled.condition, compiled.when, row) if compiled is not None else ""
            if values:
                lines.append(f"      that is: {values}")
        if step.status == "fired":
            decided_by = f"rule '{step.rule}'"
            if step.outcome is not None and step.decision != "actions":
                lines.append(f"      -> {decision} = {_shown(step.outcome)}")
            if step.because:
                lines.append(f"      because: {step.because}")
        else:
            if compiled is not None:
                lines.append("      why not:")
                lines.extend("        " + line for line in reasons(compiled.condition, row, context))
    return _safe(lines)


def render_why_not(evaluator: Evaluator, result: Result, key: str, rule: str) -> str:
    """Why rule ``rule`` (an action id, ``tier/core`` or an unambiguous ``core``) did not fire for ``key``."""
    explanation = _explanation(result, key)
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
    row = _row(result, key)
    assert result.tracer is not None
    lines = [f"Customer {explanation.key}" + (f" ({explanation.name})" if explanation.name else "")
             + f", rule {chosen}: {step.condition}"]
    if step.status == "fired":
        lines.append("It fired" + (f": {step.decision} = {_shown(step.outcome)}" if step.decision != "actions" else "")
                     + (f" (because: {step.because})" if step.because else "."))
        return _safe(lines)
    if step.status == "skipped":
        same = [s for s in explanation.rules if s.decision == step.decision and s.status == "fired"]
        first = same[0].rule if same else "an earlier rule"
        lines.append(f"It was not evaluated: rule '{first}' came first and decided {step.decision} = "
                     f"{_shown(same[0].outcome) if same else 'its value'} (first match wins).")
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
    return _safe(lines)


def _safe(lines: list[str]) -> str:
    """No terminal control codes from customer data reach the terminal."""
    return "\n".join(clean(line) for line in lines)

"""Explanations: why each customer got what it got, rule by rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from clientwise.compiler.trace import TracedDerived, TracedRule
from clientwise.expr import EvalContext, render_text
from clientwise.output.escape import clean_lines


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def show_value(value: Any) -> str:
    """A value as a trace shows it: text quoted, numbers without trailing zeros, null as null."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class DerivedValue:
    """A derived value with the values it was computed from."""

    name: str
    expression: str
    value: Any
    inputs: dict[str, Any]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.name,
            "expression": self.expression,
            "value": _plain(self.value),
            "inputs": {k: _plain(v) for k, v in self.inputs.items()},
        }


@dataclass(frozen=True)
class RuleStep:
    """One decision rule's outcome for one customer, with the field values it read."""

    decision: str
    rule: str
    condition: str
    status: str
    values: dict[str, Any]
    source: str
    outcome: Any = None
    because: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "decision": self.decision,
            "rule": self.rule,
            "condition": self.condition,
            "status": self.status,
            "values": {k: _plain(v) for k, v in self.values.items()},
        }
        if self.status == "fired":
            data["outcome"] = _plain(self.outcome)
            if self.because is not None:
                data["because"] = self.because
        return data


_STATUS_WORDS = {
    "fired": "FIRED",
    "not_met": "not met",
    "unknown": "unknown (a value it needs is null)",
    "skipped": "not evaluated (an earlier rule decided)",
}
_FIRST_MATCH = "rules are tried in order; the first that holds decides"
_ALL_FIRE = "every rule that holds recommends its action"


@dataclass(frozen=True)
class Explanation:
    """The full trace for one customer."""

    key: str
    name: str | None
    derived: tuple[DerivedValue, ...]
    rules: tuple[RuleStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "derived": [d.to_dict() for d in self.derived],
            "rules": [r.to_dict() for r in self.rules],
        }

    def render(self, annotate: RuleAnnotator | None = None) -> str:
        """A trace a non-programmer can read: every derived value with its inputs, then
        every rule in order with the values it read and whether it fired.

        ``annotate`` adds lines under each rule that was evaluated, after the values it
        read (``clientwise explain`` adds the condition with the values substituted and,
        for a rule that did not fire, why not: :func:`clientwise.authoring.trace.render_trace`).
        Control codes in customer text are replaced, so the trace is safe to print.
        """
        title = f"Customer {self.key}" + (f" ({self.name})" if self.name else "")
        lines = [title, "=" * len(title), "", "Derived values (each computed from the values in brackets):"]
        for derived in self.derived:
            inputs = ", ".join(f"{k} = {show_value(v)}" for k, v in derived.inputs.items())
            lines.append(f"  {derived.name} = {show_value(derived.value)}")
            lines.append(f"      from {derived.expression}" + (f"  [{inputs}]" if inputs else ""))
        decision, decided_by = None, ""
        for step in self.rules:
            if step.decision != decision:
                decision, decided_by = step.decision, "an earlier rule"
                kind = _ALL_FIRE if decision == "actions" else _FIRST_MATCH
                lines.extend(["", f"{decision} ({kind}):"])
            lines.append(f"  [{_STATUS_WORDS[step.status]}] {step.rule}: {step.condition}")
            if step.status == "skipped":
                lines.append(f"      {decided_by} decided first")
                continue
            if step.values:
                lines.append("      with " + ", ".join(f"{k} = {show_value(v)}" for k, v in step.values.items()))
            if annotate is not None:
                lines.extend("      " + line for line in annotate(step))
            if step.status == "fired":
                decided_by = f"rule '{step.rule}'"
                if step.outcome is not None and step.decision != "actions":
                    lines.append(f"      -> {decision} = {show_value(step.outcome)}")
                if step.because:
                    lines.append(f"      because: {step.because}")
        return clean_lines(lines)


class RuleAnnotator(Protocol):
    """Adds lines to one rule of a rendered trace (see :meth:`Explanation.render`)."""

    def __call__(self, step: RuleStep, /) -> Sequence[str]:
        """Lines shown under ``step`` after the values it read; the renderer indents them.

        Called for every rule that was evaluated (not for those an earlier rule decided).
        """
        ...


@dataclass
class Tracer:
    """Builds explanations from the evaluated frame: it keeps every column a rule read.

    Explanations are built on demand from columns computed anyway, so a run that asks
    for none pays nothing for them. ``actions`` supplies the rendered ``because`` of
    fired actions (key, rule, because).
    """

    frame: pl.DataFrame
    key: str
    name: str
    derived: Sequence[TracedDerived]
    rules: Sequence[TracedRule]
    actions: pl.DataFrame
    context: EvalContext

    def explain(self, key: str) -> Explanation:
        rows = self.frame.filter(pl.col(self.key) == key)
        if rows.height == 0:
            from clientwise.errors import InputError, Problem, did_you_mean

            known = self.frame.get_column(self.key).cast(pl.String).to_list()
            raise InputError(
                Problem(
                    f"no customer with key '{key}'",
                    location="--explain",
                    hint=did_you_mean(key, known) or f"use a value of the '{self.key}' column",
                )
            )
        fired = self.actions.filter(pl.col(self.key) == key)
        return self._explain_row(rows.row(0, named=True), dict(zip(fired["rule"], fired["because"])))

    def explain_all(self) -> Iterator[Explanation]:
        for row, because in self._rows():
            yield self._explain_row(row, because)

    def rule_traces(self, statuses: frozenset[str] | None = None) -> Iterator[tuple[str, list[RuleStep]]]:
        """Per customer (key as text) its rule steps, only those with one of ``statuses``
        if given: what a report shows of an explanation, without the derived values or
        the texts of rules it leaves out (the HTML report traces thousands of customers)."""
        for row, because in self._rows():
            yield str(row[self.key]), self._rule_steps(row, because, statuses)

    def _rows(self) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
        """Every row with the rendered ``because`` of each of its fired actions."""
        by_key: dict[Any, dict[str, str]] = {}
        for row_key, rule, because in self.actions.select(self.key, "rule", "because").iter_rows():
            by_key.setdefault(row_key, {})[rule] = because
        for row in self.frame.iter_rows(named=True):
            yield row, by_key.get(row[self.key], {})

    def _explain_row(self, row: dict[str, Any], action_because: dict[str, str]) -> Explanation:
        derived = tuple(
            DerivedValue(d.name, d.expression, row.get(d.name), {i: row.get(i) for i in d.inputs}, d.source)
            for d in self.derived
        )
        rules = self._rule_steps(row, action_because, None)
        return Explanation(str(row[self.key]), row.get(self.name), derived, tuple(rules))

    def _rule_steps(self, row: dict[str, Any], action_because: dict[str, str],
                    statuses: frozenset[str] | None) -> list[RuleStep]:
        rules = []
        for r in self.rules:
            status = row[r.status_column]
            if statuses is not None and status not in statuses:
                continue
            because = None
            if status == "fired":
                if r.decision == "actions":
                    because = action_because.get(r.rule)
                elif r.because is not None:
                    because = render_text(r.because, row, self.context)
            rules.append(
                RuleStep(
                    decision=r.decision,
                    rule=r.rule,
                    condition=r.condition,
                    status=status,
                    values={i: row.get(i) for i in r.inputs},
                    source=r.source,
                    outcome=row.get(r.outcome_column) if r.outcome_column else None,
                    because=because,
                )
            )
        return rules

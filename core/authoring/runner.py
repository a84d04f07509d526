"""Running a ruleset's test cases: pass or fail per case, with the rules involved.

Each case is evaluated by the same :class:`~clientwise.runtime.evaluator.Evaluator` as real
data (compiled once per ruleset); its records are fed as DataFrames, so they are
validated and typed like a client's export. A failed expectation shows expected
against actual and the explanation of the rules that produced the value.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from clientwise import expr
from clientwise.authoring.cases_io import (
    LocatedCase,
    case_rows,
    case_tables,
    customer_key,
    load_cases,
)
from clientwise.authoring.keywords import keyword_matcher
from clientwise.authoring.whynot import reasons
from clientwise.compiler.compile import Program
from clientwise.compiler.plan import ComputedField
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DerivedStep
from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.ruleset.cases import NULL_MARK, TestCase
from clientwise.runtime.evaluator import Evaluator
from clientwise.runtime.explain import show_value
from clientwise.runtime.outputs import RULE_SUFFIX
from clientwise.runtime.result import Result
from clientwise.runtime.trend import GivenHistory


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold, for one customer."""

    customer: str
    what: str
    expected: Any
    actual: Any
    trace: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "what": self.what, "expected": _json(self.expected),
                "actual": _json(self.actual), "trace": list(self.trace)}


@dataclass
class CaseOutcome:
    """The result of one case: ``passed``, ``failed`` or ``error`` (bad case or records)."""

    id: str
    file: str
    path: str
    description: str
    status: str
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    outcomes: set[tuple[str, str]] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.file, "path": self.path, "status": self.status,
                "description": self.description,
                "mismatches": [m.to_dict() for m in self.mismatches],
                "problems": [p.render() for p in self.problems]}


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def select(cases: list[LocatedCase], keywords: tuple[str, ...]) -> list[LocatedCase]:
    """Cases whose id matches one of the ``-k`` expressions (:mod:`clientwise.authoring.keywords`),
    or every case when there is none."""
    matchers = [keyword_matcher(text) for text in keywords]
    return [c for c in cases if not matchers or any(matches(c.case.id) for matches in matchers)]


def run_cases(evaluator: Evaluator, source: str | Path, keywords: tuple[str, ...] = ()) -> list[CaseOutcome]:
    """Run the (selected) cases of the evaluator's ruleset; a bad case is an outcome, not an abort."""
    cases = select(load_cases(evaluator.ruleset, source), keywords)
    return [run_case(evaluator, located) for located in cases]


def run_case(evaluator: Evaluator, located: LocatedCase) -> CaseOutcome:
    case = located.case
    outcome = CaseOutcome(case.id, located.file, located.path, case.description, "passed")
    try:
        problems = case_problems(evaluator, located)
        if problems:
            raise InputError(problems)
        bound = with_fixed(evaluator, case, located)
        tables = case_tables(case, evaluator.ruleset, located.path, located.file)
        result = bound.evaluate(tables, as_of=case.as_of, history=case_history(case, evaluator.ruleset),
                                summarize=False)
        _compare(bound, result, located, outcome)
    except InputError as error:
        outcome.status = "error"
        outcome.problems = [_in_case(p, located) for p in error.problems]
    return outcome


def case_history(case: TestCase, ruleset: Any) -> GivenHistory | None:
    """The case's ``previous`` runs as the history trend functions read; None without any."""
    if not case.previous:
        return None
    return GivenHistory.from_records(ruleset.core.data.key, [(run.as_of, run.customers) for run in case.previous])


def _in_case(problem: Problem, located: LocatedCase) -> Problem:
    """A problem with the case's records, located in the case (rows count customers, then population)."""
    if problem.file == located.file:
        return problem
    table = (problem.file or "").removesuffix(" (DataFrame)")
    where = ", ".join(part for part in (table, problem.location) if part)
    return dataclasses.replace(problem, file=located.file,
                               location=f"{located.path} ({located.case.id})" + (f": {where}" if where else ""))


def with_fixed(evaluator: Evaluator, case: TestCase, located: LocatedCase) -> Evaluator:
    """The evaluator with the case's ``fixed`` derived values in place of their expressions."""
    if not case.fixed:
        return evaluator
    program = evaluator.program
    fixed = {step.name: _fixed_step(step, case.fixed, program) for step in program.derived() if step.name in case.fixed}
    bound = copy.copy(evaluator)
    bound.program = program.with_steps(fixed)
    return bound


def _fixed_step(step: DerivedStep, fixed: dict[str, Any], program: Program) -> DerivedStep:
    value = fixed[step.name]
    dtype = expr.dtype_of(program.types[step.name]) if step.name in program.types else None
    computed = ComputedField(step.name, lambda: pl.lit(value, dtype=dtype), (), step.source)
    return DerivedStep(step.name, f"fixed by the test case: {show_value(value)}", step.source, computed=computed,
                       whole_portfolio=True)


def _compare(evaluator: Evaluator, result: Result, located: LocatedCase, outcome: CaseOutcome) -> None:
    case = located.case
    assert result.tracer is not None
    frame = result.tracer.frame
    key = result.key
    checked = [str(customer_key(record, evaluator.ruleset)) for record in case.customers]
    wanted = set(checked)  # a few customers: their rows read by position, no filter query over the frame
    rows = {customer: frame.row(at, named=True)
            for at, customer in enumerate(frame.get_column(key).cast(pl.String).to_list()) if customer in wanted}
    rules = rule_conditions(evaluator.program)
    classifications = {s.output: s for s in evaluator.program.steps() if isinstance(s, ClassificationStep)}
    for customer in checked:
        row = rows[customer]
        outcome.fired |= {rule for rule in rules if row.get(rule) == "fired"}
        outcome.outcomes |= {(name, str(row[name])) for name in classifications if row.get(name) is not None}
        for column, expected in case.expect.values().items():
            actual = row.get(column)
            if not _matches(expected, actual, case.tolerance):
                trace = _column_trace(column, row, evaluator, result)
                outcome.mismatches.append(Mismatch(customer, column, expected, actual, trace))
        fired_actions = [r.id for r in _actions(evaluator.program) if row.get(r.id) == "fired"]
        for action in case.expect.actions:
            if action not in fired_actions:
                trace = (f"{action}: {rules[action].when}",
                         *reasons(rules[action].condition, row, result.tracer.context))
                status = str(row.get(action)).replace("_", " ")
                outcome.mismatches.append(Mismatch(customer, f"action {action}", "to fire", status, trace))
        forbidden = list(case.expect.not_actions)
        if case.expect.only_actions:
            forbidden += [a for a in fired_actions if a not in case.expect.actions]
        for action in forbidden:
            if action in fired_actions:
                trace = (f"{action}: {rules[action].when}",
                         "  " + _values_line(rules[action].condition, row))
                outcome.mismatches.append(Mismatch(customer, f"action {action}", "not to fire", "fired", trace))
    if outcome.mismatches:
        outcome.status = "failed"


def rule_conditions(program: Program) -> dict[str, Any]:
    """Status column (rule id) -> compiled rule, for every decision rule."""
    found: dict[str, Any] = {}
    for step in program.steps():
        if isinstance(step, (ClassificationStep, ActionsStep)):
            for rule in step.decision.rules:
                found[rule.id] = rule
    return found


def _actions(program: Program) -> list[Any]:
    return [r for s in program.steps() if isinstance(s, ActionsStep) for r in s.decision.rules]


def case_problems(evaluator: Evaluator, located: LocatedCase) -> list[Problem]:
    """Everything wrong with a case that can be seen without evaluating it (``clientwise check`` too)."""
    case, program, problems = located.case, evaluator.program, []
    columns = sorted({*program.types, *(f"{s.output}{RULE_SUFFIX}" for s in program.steps()
                                        if isinstance(s, ClassificationStep))})
    for column in case.expect.values():
        if column not in columns:
            problems.append(Problem(f"expects a value for '{column}', which the ruleset does not compute",
                                    file=located.file, location=f"{located.path}.expect.{column}",
                                    hint=did_you_mean(column, columns) or "use an output column such as tier"))
    action_ids = [r.id for r in _actions(program)]
    for key in ("actions", "not_actions"):
        for action in getattr(case.expect, key):
            if action not in action_ids:
                problems.append(Problem(f"no action rule has id '{action}'", file=located.file,
                                        location=f"{located.path}.expect.{key}",
                                        hint=did_you_mean(action, action_ids) or f"action ids: {', '.join(action_ids)}"))
    derived = [s.name for s in program.steps() if isinstance(s, DerivedStep)]
    for name in case.fixed:
        if name not in derived:
            problems.append(Problem(f"fixed value for '{name}', which is not a derived field", file=located.file,
                                    location=f"{located.path}.fixed.{name}",
                                    hint=did_you_mean(name, derived) or "fix only derived fields (e.g. segment_rank)"))
    key = evaluator.ruleset.core.data.key
    stored = {*program.types, *(s.output for s in program.steps() if isinstance(s, ClassificationStep))}
    for number, run in enumerate(case.previous):
        for index, record in enumerate(run.customers):
            where = f"{located.path}.previous[{number}].customers[{index}]"
            if record.get(key) is None:
                problems.append(Problem(f"this earlier run's customer has no '{key}'", file=located.file,
                                        location=where, hint=f'add {key} = "C1"'))
            for column in sorted(set(record) - stored - {key}):
                problems.append(Problem(f"'{column}' is not a value the ruleset computes, so no run stores it",
                                        file=located.file, location=f"{where}.{column}",
                                        hint=did_you_mean(column, sorted(stored)) or "give outputs such as "
                                                                                    "health_score or tier"))
    for index, record in enumerate(case.customers):
        if customer_key(record, evaluator.ruleset) is None:
            problems.append(Problem(f"this customer has no '{key}'", file=located.file,
                                    location=f"{located.path}.customers[{index}]", hint=f'add {key} = "C1"'))
    problems.extend(case_rows(case, evaluator.ruleset, located.path, located.file)[1].problems)
    return problems


def _matches(expected: Any, actual: Any, tolerance: float) -> bool:
    if expected == NULL_MARK:
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    if actual is None:
        return False
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) \
            and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return abs(float(expected) - float(actual)) <= tolerance
    return bool(expected == actual)


def _values_line(node: expr.Node, row: dict[str, Any]) -> str:
    return "with " + ", ".join(f"{n} = {show_value(row.get(n))}" for n in sorted(expr.fields_used(node)))


def _column_trace(column: str, row: dict[str, Any], evaluator: Evaluator, result: Result) -> tuple[str, ...]:
    """The rules (or the derived expression) that produced ``column`` for this customer."""
    assert result.tracer is not None
    for step in evaluator.program.steps():
        if isinstance(step, ClassificationStep) and step.output == column:
            lines = []
            for rule in step.decision.rules:
                status = row[rule.id]
                name = rule.id.split("/", 1)[1]
                lines.append(f"[{status}] {name}: {rule.when}")
                if status in ("not_met", "unknown"):
                    lines.extend("  " + line for line in reasons(rule.condition, row, result.tracer.context))
                elif status == "fired":
                    lines.append("  " + _values_line(rule.condition, row))
            return tuple(lines)
        if isinstance(step, DerivedStep) and step.name == column:
            inputs = sorted(expr.fields_used(step.node)) if step.node is not None else []
            shown = ", ".join(f"{n} = {show_value(row.get(n))}" for n in inputs)
            return (f"{column} = {step.expression}" + (f"  [{shown}]" if shown else ""),)
    return ()

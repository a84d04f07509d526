"""Rendering ``clientwise test`` results: readable text and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clientwise.authoring.coverage import Coverage
from clientwise.authoring.runner import CaseOutcome
from clientwise.output.escape import clean_lines
from clientwise.runtime.explain import show_value


@dataclass
class RulesetTests:
    """The outcome of one ruleset's cases and its coverage."""

    ruleset: str
    outcomes: list[CaseOutcome]
    coverage: Coverage

    def counts(self) -> dict[str, int]:
        return {status: sum(o.status == status for o in self.outcomes) for status in ("passed", "failed", "error")}

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "counts": self.counts(), "cases": [o.to_dict() for o in self.outcomes],
                "coverage": self.coverage.to_dict()}


def _value(value: Any) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else show_value(value)


def render(reports: Sequence[RulesetTests]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"{report.ruleset}: {len(report.outcomes)} case{'s' if len(report.outcomes) != 1 else ''}")
        for outcome in report.outcomes:
            head = {"passed": "PASS ", "failed": "FAIL ", "error": "ERROR"}[outcome.status]
            about = f"  ({outcome.description})" if outcome.description and outcome.status != "passed" else ""
            lines.append(f"  {head} {outcome.id}{about}")
            for mismatch in outcome.mismatches:
                if mismatch.what.startswith("action "):
                    lines.append(f"      customer {mismatch.customer}, {mismatch.what}: expected it "
                                 f"{mismatch.expected}, but it was {mismatch.actual}")
                else:
                    lines.append(f"      customer {mismatch.customer}, {mismatch.what}: expected "
                                 f"{_value(mismatch.expected)}, got {_value(mismatch.actual)}")
                lines.extend(f"          {line}" for line in mismatch.trace)
            for problem in outcome.problems:
                lines.extend(f"      {line}" for line in problem.render().splitlines())
        lines.extend(_coverage_lines(report.coverage))
        counts = report.counts()
        lines.append(", ".join(f"{n} {status}" for status, n in counts.items() if n or status == "passed"))
        lines.append("")
    return clean_lines(lines).rstrip("\n")


def _coverage_lines(coverage: Coverage) -> list[str]:
    lines = [f"  coverage: {coverage.percent:.0f}% ({coverage.covered} of {coverage.total} rules and outcomes)"]
    if coverage.uncovered_rules:
        lines.append(f"    rules no case fires: {', '.join(coverage.uncovered_rules)}")
    if coverage.uncovered_outcomes:
        shown = ", ".join(f"{name} = {value}" for name, value in coverage.uncovered_outcomes)
        lines.append(f"    outcomes no case reaches: {shown}")
    return lines


def render_json(reports: Sequence[RulesetTests]) -> str:
    return json.dumps({"rulesets": [r.to_dict() for r in reports]}, indent=2, ensure_ascii=False)

"""What reading the data noticed without stopping: the data-quality findings of a run.

Loading and validation stop on bad input, but some things are worth saying while
the run goes on: which file fed which table, client values no map entry covers,
rows whose customer is unknown (with ``orphans = "warn"`` or ``"drop"``), rows a
source's filter left out. Each is a :class:`Finding`, collected in one list so
every output can show them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clientwise.errors import Problem

#: ``info`` is what happened (a file fed a table); ``warning`` needs a look.
Severity = Literal["info", "warning"]
Kind = Literal["source", "filtered", "unmapped", "orphans", "not_computed", "vocabulary", "values", "empty"]


@dataclass(frozen=True)
class Finding:
    """One thing noticed in the data, located like a problem (file, table, field)."""

    kind: Kind
    severity: Severity
    table: str
    message: str
    file: str | None = None
    field: str | None = None
    #: how many rows or cells it concerns
    count: int = 0
    #: the first keys or values concerned, as the user wrote them
    examples: tuple[str, ...] = ()
    #: ``not_computed``: the ruleset section whose fields and rules the gap left unknown
    section: str | None = None
    #: what to do about it (for ``--strict-data``, which makes the finding an error)
    hint: str | None = None
    #: the first cells concerned as located problems (file, row, column, value, fix)
    located: tuple[Problem, ...] = ()

    def render(self) -> str:
        if self.section is not None:
            return f"{self.section}: {self.message}"
        where = ": ".join(part for part in (self.file, self.table + (f".{self.field}" if self.field else "")) if part)
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """The finding as the machine-readable outputs write it (``cells``: the first
        cells concerned, located as problems are)."""
        return {"kind": self.kind, "severity": self.severity, "table": self.table, "section": self.section,
                "file": self.file, "field": self.field, "count": self.count, "examples": list(self.examples),
                "message": self.message, "hint": self.hint,
                "cells": [{"file": p.file, "location": p.location, "value": p.value} for p in self.located]}


def strict_problems(findings: list[Finding]) -> list[Problem]:
    """The warnings among ``findings`` as errors (``--strict-data``): their located cells
    where they have them, else the finding itself."""
    problems: list[Problem] = []
    for finding in findings:
        if finding.severity != "warning":
            continue
        where = f"[{finding.section}]" if finding.section else finding.table + (
            f".{finding.field}" if finding.field else "")
        problems.extend(finding.located or [Problem(finding.message, file=finding.file, location=where,
                                                    hint=finding.hint)])
    return problems


def warnings_of(findings: list[Finding]) -> list[str]:
    """The findings worth a warning line, rendered."""
    return [finding.render() for finding in findings if finding.severity == "warning"]


def findings_lines(findings: list[Finding]) -> list[str]:
    """Findings as ``check`` prints them: per table the files that fed it, then warnings."""
    lines = []
    for finding in findings:
        if finding.severity == "info":
            where = f"{finding.table}: " + (f"{finding.file}: " if finding.kind != "source" and finding.file else "")
            lines.append(where + finding.message)
    lines.extend(f"warning: {text}" for text in warnings_of(findings))
    return lines

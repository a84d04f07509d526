"""Missing data is unknown, never "no": what a run cannot compute because the export lacks it.

A client's export may lack a whole table (one ``[data]`` declares ``optional = true``)
or a declared column. Read as a column of empty cells, the gap would pass for answers:
``count_of(contacts)`` over rows that are not there is 0, ``executive_sponsor is null``
holds for every customer, a scorecard that counts an unanswered criterion as "no"
scores 0. So before the run, every step that reads something absent, directly or
through a field computed from it, is made unknown:

* a derived field is null (its expression is not run);
* a rule's condition is unknown, so it does not fire; a classification whose every
  rule is unknown gets no default either (it is unknown, not its last class);
* a field that declares it copes with an unknown input (``DerivedField.tolerates``:
  a scorecard leaves an unanswered criterion out, a cost counts unknown units as 0)
  is computed from what is there.

What was not computed, and why, becomes a finding per section, so every output says
"no data" where it has none instead of showing a confident 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from clientwise import expr
from clientwise.compiler.plan import ComputedField
from clientwise.compiler.program import DecideStratum, DeriveStratum, Program, Stratum
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DecisionStep, DerivedStep
from clientwise.expr.types import Type
from clientwise.host.contracts import CompiledRule, RawTable
from clientwise.ruleset.data import DataConfig
from clientwise.runtime.findings import Finding
from clientwise.runtime.sources import SourceTable

#: Names listed in a finding before "and N more".
LISTED = 8


@dataclass(frozen=True)
class Absent:
    """What the export lacks. A cause is a table name (``contacts``: an optional table
    no file holds) or ``table.field`` (a declared field no file of the table has),
    mapped to where it was looked for: the files and the column names expected there."""

    causes: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.causes)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(cause for cause in self.causes if "." not in cause)

    def columns(self, table: str) -> frozenset[str]:
        """Declared fields of ``table`` that no file of it has."""
        prefix = f"{table}."
        return frozenset(cause[len(prefix):] for cause in self.causes if cause.startswith(prefix))

    def say(self, causes: frozenset[str]) -> str:
        """The causes as one phrase: tables first, then the missing columns per file."""
        parts = [f"the export has no {cause} table" for cause in sorted(causes) if cause in self.tables]
        by_file: dict[str, list[str]] = {}
        for cause in sorted(causes - self.tables, key=lambda c: self.causes[c]):
            files, column = self.causes[cause]
            by_file.setdefault(files, []).append(column)
        for files, columns in by_file.items():
            parts.append(f"{files} has no column{'s' if len(columns) > 1 else ''} {', '.join(columns)}")
        return "; ".join(parts)


def find_absent(raw: Mapping[str, RawTable | Sequence[SourceTable]], data: DataConfig) -> Absent:
    """The optional tables missing from ``raw`` and the declared fields none of a
    table's files has (required ones are errors already, so they are not listed)."""
    causes: dict[str, tuple[str, str]] = {}
    for name, spec in data.tables().items():
        if name not in raw:
            if spec.optional:
                causes[name] = (name, "")
            continue
        given = raw[name]
        parts = [SourceTable(given)] if isinstance(given, RawTable) else list(given)
        for field_name, field_spec in spec.fields.items():
            if field_spec.required or field_name == data.key:
                continue
            if any(_has(part, spec.source_columns(part.source)[field_name], field_name) for part in parts):
                continue
            columns = sorted({spec.source_columns(part.source)[field_name] for part in parts})
            named = " or ".join(f"'{c}'" for c in columns) + ("" if columns == [field_name] else f" ({field_name})")
            causes[f"{name}.{field_name}"] = (", ".join(dict.fromkeys(part.raw.file for part in parts)), named)
    return Absent(causes)


def _has(part: SourceTable, column: str, field_name: str) -> bool:
    constants = part.source.constants if part.source is not None else {}
    return field_name in constants or column in part.raw.frame.columns


@dataclass
class _Unknown:
    """The walk over the program: which names are unknown, and why."""

    program: Program
    absent: Absent
    causes: dict[str, frozenset[str]] = field(default_factory=dict)
    #: (section, what, causes): what was not computed, in program order
    skipped: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)

    def inherited(self, reads: frozenset[str]) -> frozenset[str]:
        return frozenset().union(*(self.causes[name] for name in reads if name in self.causes))

    def direct(self, node: expr.Node) -> frozenset[str]:
        """Absent tables aggregated over and absent related columns read inside aggregates."""
        found = {table for table in expr.tables_used(node) if table in self.absent.tables}
        for sub in expr.walk(node):
            if isinstance(sub, expr.Field) and sub.table is not None and f"{sub.table}.{sub.name}" in self.absent.causes:
                found.add(f"{sub.table}.{sub.name}")
        return frozenset(found)

    def derived(self, step: DerivedStep) -> DerivedStep:
        causes = self.inherited(step.reads - step.tolerates)
        if step.node is not None:
            causes |= self.direct(step.node)
        if not causes:
            return step
        self.causes[step.name] = causes
        self.skipped.append((step.section, step.name, causes))
        return _null_step(step, self.program.types.get(step.name), self._say(causes))

    def rule(self, rule: CompiledRule, section: str, label: str | None) -> tuple[CompiledRule, frozenset[str]]:
        """The rule with its condition unknown if it reads something absent; ``label``:
        how a finding names it (None: only its classification, if that ends unknown)."""
        causes = self.inherited(expr.fields_used(rule.condition)) | self.direct(rule.condition)
        if not causes:
            return rule, causes
        if label is not None:
            self.skipped.append((section, label, causes))
        unknown = expr.Literal(None, span=rule.condition.span, type=Type("boolean"))
        return replace(rule, condition=unknown), causes

    def decision(self, step: DecisionStep) -> DecisionStep:
        if isinstance(step, ActionsStep):
            rules = [self.rule(compiled, action.section, f"action rule '{action.id}'")[0]
                     for action, compiled in zip(step.rules, step.decision.rules)]
            return replace(step, decision=replace(step.decision, rules=tuple(rules)))
        section = step.classification.source.path.split(".")[0].split("[")[0]
        checked = [self.rule(compiled, section, None) for compiled in step.decision.rules]
        rules = tuple(rule for rule, _ in checked)
        decision = replace(step.decision, rules=rules)
        if checked and all(causes for _, causes in checked):  # nothing can decide: unknown, not the default
            self.causes[step.output] = frozenset().union(*(causes for _, causes in checked))
            self.skipped.append((section, step.output, self.causes[step.output]))
            return replace(step, decision=replace(decision, default=None), default=None)
        return replace(step, decision=decision)

    def _say(self, causes: frozenset[str]) -> str:
        return "unknown: " + self.absent.say(causes)

    def findings(self) -> list[Finding]:
        """One warning per section: what was not computed, and why."""
        grouped: dict[str, list[str]] = {}
        why_of: dict[str, frozenset[str]] = {}
        for section, what, causes in self.skipped:
            grouped.setdefault(section, []).append(what)
            why_of[section] = why_of.get(section, frozenset()) | causes
        found = []
        for section, names in grouped.items():
            shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
            causes = why_of[section]
            why = self.absent.say(causes)
            tables = sorted({c.split(".")[0] for c in causes})
            found.append(Finding(
                "not_computed", "warning", tables[0],
                f"not computed (no data: {why}): {shown}; unknown in every output, not 0 or no", count=len(names),
                examples=tuple(names), section=section,
                hint="add what is missing to the export (or map the client's column with rename), or "
                + (f"remove what reads it from [{section}]" if section in ("derive", "rules")
                   else f"switch the section off: [{section}] enabled = false")))
        return found


def without_absent(program: Program, absent: Absent) -> tuple[Program, list[Finding]]:
    """``program`` with every step that reads something ``absent`` made unknown, and
    the findings that list them (see the module docstring)."""
    if not absent:
        return program, []
    walk = _Unknown(program, absent)
    for name in absent.columns("customers"):
        walk.causes[name] = frozenset({f"customers.{name}"})
    strata: list[Stratum] = []
    for stratum in program.strata:
        if isinstance(stratum, DeriveStratum):
            strata.append(DeriveStratum(tuple(walk.derived(step) for step in stratum.steps)))
        else:
            strata.append(DecideStratum(tuple(walk.decision(step) for step in stratum.steps)))
    return replace(program, strata=tuple(strata)), walk.findings()


def _null_step(step: DerivedStep, type_: Type | None, why: str) -> DerivedStep:
    dtype = _dtype(type_)
    computed = ComputedField(step.name, lambda: pl.lit(None, dtype=dtype), (), step.source, step.description)
    return DerivedStep(step.name, why, step.source, computed=computed, description=step.description,
                       whole_portfolio=True)


def _dtype(type_: Type | None) -> pl.DataType:
    if type_ is None:
        return pl.Null()
    if type_.kind == "list" and type_.elem is not None:
        return pl.List(_dtype(type_.elem))
    return expr.dtype_of(type_)

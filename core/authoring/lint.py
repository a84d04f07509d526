"""The linter behind ``clientwise check``: rules that look wrong although they compile.

Findings are warnings (``--strict`` makes them errors). Each names the file and key
path, says what is wrong and what to do. The checks read the compiled program
(conditions as typed nodes) and the merged ruleset, so they work on rulesets that
extend others and on plugin sections alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clientwise import expr
from clientwise.authoring.coverage import possible_outcomes
from clientwise.authoring.intervals import Span, constraints, covers
from clientwise.compiler.compile import Program
from clientwise.compiler.plan import Source
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DerivedStep
from clientwise.compiler.typecheck import key_source
from clientwise.errors import Problem, RulesetError
from clientwise.host.contracts import CompiledRule
from clientwise.ruleset import Ruleset
from clientwise.ruleset.toml_file import read_toml


@dataclass(frozen=True)
class Finding:
    """One lint warning: a code (to look up in docs/authoring.md) and the problem."""

    code: str
    problem: Problem

    def render(self) -> str:
        return f"warning [{self.code}]: {self.problem.render()}"


PERCENT = Span(lo=0, lo_in=True, hi=100, hi_in=True)
NON_NEGATIVE = Span(lo=0, lo_in=True)
FRACTION = Span(lo=0, lo_in=True, hi=1, hi_in=True)
#: What a value computed by these functions can be, whatever the data.
FUNCTION_RANGES = {
    "rank": Span(lo=1, lo_in=True), "row_number": Span(lo=1, lo_in=True), "ntile": Span(lo=1, lo_in=True),
    "rank_pct": FRACTION, "cumshare": FRACTION, "count_of": NON_NEGATIVE, "count_distinct_of": NON_NEGATIVE,
    "count": NON_NEGATIVE, "days_since": NON_NEGATIVE, "months_since": NON_NEGATIVE,
}
_PERCENT_EXPR = re.compile(r"(^|\W)100 \*|\* 100(\W|$)")


def lint(program: Program) -> list[Finding]:
    """Every finding for a compiled program, in ruleset order."""
    ruleset = program.ruleset
    domains = _domains(program)
    findings: list[Finding] = []
    for step in program.steps():
        if isinstance(step, ClassificationStep):
            findings += _rules(step.decision.rules, domains, step.output)
            findings += _shadowed(step)
            findings += _gaps(step, domains)
        elif isinstance(step, ActionsStep):
            findings += _rules(step.decision.rules, domains, "actions")
            findings += _no_because(step)
        elif step.node is not None and step.node.type is not None and step.node.type.kind == "boolean":
            condition = CompiledRule(step.name, step.node, step.source, step.expression)
            findings += [f for f in _rules((condition,), domains, "derive") if f.code == "range"]
    findings += _tiers(ruleset, program)
    findings += _unused_fields(program)
    return [Finding(f.code, ruleset.origins.locate(f.problem)) for f in findings]  # the user's own file and index


def _domains(program: Program) -> dict[str, Span]:
    """What values a field can take, where that is known."""
    data = program.ruleset.core.data
    domains: dict[str, Span] = {}
    for name, spec in data.customers.fields.items():
        if spec.allowed:
            domains[name] = Span(values=frozenset(spec.allowed))
        elif spec.min is not None or spec.max is not None:
            domains[name] = Span(lo=-math.inf if spec.min is None else spec.min, lo_in=spec.min is not None,
                                 hi=math.inf if spec.max is None else spec.max, hi_in=spec.max is not None)
    for step in program.steps():
        if isinstance(step, DerivedStep) and step.node is not None:
            if _PERCENT_EXPR.search(step.expression):
                domains[step.name] = PERCENT
            elif isinstance(step.node, expr.Call) and step.node.name in FUNCTION_RANGES:
                domains[step.name] = FUNCTION_RANGES[step.node.name]
    outcomes: dict[str, set[str]] = {}
    for output, value in possible_outcomes(program):
        outcomes.setdefault(output, set()).add(value)
    for step in program.steps():
        if isinstance(step, ClassificationStep):
            if step.default is not None and not isinstance(step.default, expr.Literal):
                continue  # a computed default can be anything
            values = set(outcomes.get(step.output, set()))
            for then in step.then:
                if isinstance(then, expr.Field):
                    allowed = data.customers.fields.get(then.name)
                    values = values | set(allowed.allowed) if allowed is not None and allowed.allowed else values
                elif not isinstance(then, expr.Literal):
                    values = set()
                    break
            if values:
                domains[step.output] = Span(values=frozenset(values))
    return domains


def _domain(key: str, domains: dict[str, Span]) -> Span | None:
    function = key.split("(", 1)[0] if key.endswith(")") else None
    if function in FUNCTION_RANGES and function not in ("days_since", "months_since"):
        return FUNCTION_RANGES[function]
    if function in ("days_since", "months_since"):
        return NON_NEGATIVE  # a date in the future gives a negative count, but no threshold should rely on it
    return domains.get(key)


def _where(rule: CompiledRule) -> Source:
    return key_source(rule.source, "when")


def _label(rule: CompiledRule) -> str:
    return rule.id.split("/", 1)[-1]


def _rules(rules: tuple[CompiledRule, ...], domains: dict[str, Span], decision: str) -> list[Finding]:
    findings = []
    for rule in rules:
        where = _where(rule)
        if isinstance(rule.condition, expr.Literal) and rule.condition.value is False:
            findings.append(_finding("never-true", f"rule '{_label(rule)}' can never fire: its condition is false",
                                     where, rule.when, "remove the rule, or write the condition it should have"))
            continue
        out_of_range = False
        for atom, alone in _atoms(rule.condition):
            found, exact = constraints(atom)
            for key, span in found.items():
                domain = _domain(key, domains)
                if domain is None or not exact or span == Span():
                    continue
                if span.meet(domain).empty:
                    out_of_range = out_of_range or alone
                    whole = f"'{_label(rule)}' is never true" if decision == "derive" \
                        else f"rule '{_label(rule)}' can never fire"
                    outcome = whole if alone else "this part never holds"
                    findings.append(_finding(
                        "range", f"{outcome}: {expr.to_text(atom)} is outside what {key} can be "
                        f"({domain.describe()})", where, rule.when, "check the threshold or the value's spelling"))
                elif span.values is None and domain.within(span):
                    findings.append(_finding(
                        "range", f"{expr.to_text(atom)} always holds: {key} is always {domain.describe()}",
                        where, rule.when, "check the threshold against what the value can be: a percentage is 0 to 100, a share 0 to 1"))
        if out_of_range:
            continue
        found, _exact = constraints(rule.condition)
        empty = [key for key, span in found.items() if span.empty]
        if empty:
            findings.append(_finding(
                "never-true", f"rule '{_label(rule)}' can never fire: no value of {empty[0]} meets all its "
                f"conditions", where, rule.when, "one of the comparisons is the wrong way round or a threshold is off"))
    return findings


def _atoms(node: expr.Node, alone: bool = True) -> list[tuple[expr.Node, bool]]:
    """The comparisons of a condition; ``alone`` when the condition cannot hold without it."""
    if isinstance(node, expr.And):
        return [atom for operand in node.operands for atom in _atoms(operand, alone)]
    if isinstance(node, expr.Or):
        return [atom for operand in node.operands for atom in _atoms(operand, False)]
    if isinstance(node, expr.Not):
        return []
    return [(node, alone)]


def _implies(later: CompiledRule, earlier: CompiledRule) -> bool:
    """Every customer ``later`` matches is matched by ``earlier`` (as far as can be told)."""
    if isinstance(earlier.condition, expr.Literal) and earlier.condition.value is True:
        return True
    if expr.to_text(later.condition) == expr.to_text(earlier.condition):
        return True
    mine, _ = constraints(later.condition)
    theirs, exact = constraints(earlier.condition)
    if not exact or not theirs or not set(theirs) <= set(mine):
        return False
    return all(mine[key].within(theirs[key]) for key in theirs)


def _shadowed(step: ClassificationStep) -> list[Finding]:
    findings = []
    rules = step.decision.rules
    for index, rule in enumerate(rules):
        for earlier in rules[:index]:
            if _implies(rule, earlier):
                findings.append(_finding(
                    "shadowed", f"rule '{_label(rule)}' of {step.output} never decides: every customer it matches "
                    f"is already taken by the earlier rule '{_label(earlier)}' ({earlier.when})",
                    _where(rule), rule.when, "narrow or reorder the earlier rule, or remove this one"))
                break
    return findings


def _gaps(step: ClassificationStep, domains: dict[str, Span]) -> list[Finding]:
    if step.default is not None or not step.decision.rules:
        return []
    parts = [constraints(rule.condition) for rule in step.decision.rules]
    keys = {key for found, _ in parts for key in found}
    if len(keys) != 1 or not all(exact and len(found) == 1 for found, exact in parts):
        return []
    key = keys.pop()
    spans = [found[key] for found, _ in parts]
    if any(span.values is not None for span in spans):
        return []
    domain = _domain(key, domains) or Span()
    if covers(spans, domain):
        return []
    source = step.classification.source
    return [_finding("gap", f"not every customer gets a {step.output}: the rules cover only "
                     f"{'; '.join(s.describe() for s in spans)} of {key} ({domain.describe()})",
                     source, None, "let the last rule take the rest (e.g. a last band without up_to)")]


def _no_because(step: ActionsStep) -> list[Finding]:
    return [_finding("no-because", f"action rule '{rule.id}' has no because: the client will not see why it fired",
                     rule.source.child("because"), None,
                     'add because = "..." with the values that matter, e.g. "{days_since(last_visit)} days since the last visit"')
            for rule in step.rules if not rule.because.strip()]


def _tiers(ruleset: Ruleset, program: Program) -> list[Finding]:
    section = ruleset.sections.get("segmentation")
    if section is None or not hasattr(section, "tier_list"):
        return []
    tiers = section.tier_list()
    file = ruleset.file_of("segmentation")
    findings = []
    method = getattr(section, "method", None)
    shares = [t.share for t in tiers[:-1] if getattr(t, "share", None) is not None]
    if method == "rank" and shares and sum(shares) >= 1:
        findings.append(_finding(
            "tiers", f"the tier shares add up to {sum(shares):g}: the tiers overlap the whole portfolio and the last "
            f"tier '{tiers[-1].id}' gets no ranked customer", Source(file, "segmentation.tiers"), None,
            "make the shares of all tiers but the last add up to less than 1"))
    targets = [t.target for t in tiers if getattr(t, "target", None) is not None]
    if len(targets) == len(tiers) and targets:
        low, high = sum(t[0] for t in targets), sum(t[1] for t in targets)
        if low > 1 or high < 1:
            findings.append(_finding(
                "tiers", f"the tier targets cannot all be met: their minimums add up to {low:g} and their maximums "
                f"to {high:g}, but the tiers share 100% of the customers", Source(file, "segmentation.tiers"), None,
                "widen the targets so the minimums add up to at most 1 and the maximums to at least 1"))
    if method == "conditions":
        findings += _overlapping_tiers(program)
    return findings


def _overlapping_tiers(program: Program) -> list[Finding]:
    step = next((s for s in program.steps() if isinstance(s, ClassificationStep) and s.output == "tier"), None)
    if step is None:
        return []
    rules = [r for r in step.decision.rules if r.source.path.startswith("segmentation.tiers[")]
    findings = []
    parts = [constraints(rule.condition) for rule in rules]
    keys = {key for found, _ in parts for key in found}
    if len(keys) == 1 and all(exact and len(found) == 1 for found, exact in parts):
        key = keys.pop()
        spans = [found[key] for found, _ in parts]
        if all(span.values is None for span in spans) and not covers(spans, _domain(key, _domains(program)) or Span()):
            last = _label(rules[-1])
            findings.append(_finding(
                "tiers", f"the tier conditions do not cover every customer: they admit only "
                f"{'; '.join(s.describe() for s in spans)} of {key}; the others fall into the last tier '{last}' "
                "although its condition does not hold", _where(rules[-1]), rules[-1].when,
                "leave out the when of the last tier so it openly takes the rest, or close the gap"))
    for index, rule in enumerate(rules):
        mine, exact = constraints(rule.condition)
        for earlier in rules[:index]:
            theirs, their_exact = constraints(earlier.condition)
            if not (exact and their_exact and mine and set(mine) == set(theirs)) or _implies(rule, earlier):
                continue
            both = {key: mine[key].meet(theirs[key]) for key in mine}
            if not any(span.empty for span in both.values()):
                shown = ", ".join(f"{key} {span.describe()}" for key, span in both.items())
                findings.append(_finding(
                    "tiers", f"tiers '{_label(earlier)}' and '{_label(rule)}' overlap: customers with {shown} match "
                    f"both and get '{_label(earlier)}' (the first)", _where(rule), rule.when,
                    "make the conditions exclusive so each customer's tier is intended"))
    return findings


def used_names(program: Program) -> tuple[set[str], set[tuple[str, str]]]:
    """Customer fields and (table, column) pairs that some expression reads."""
    functions = None
    fields: set[str] = set()
    columns: set[tuple[str, str]] = set()

    def add(node: Any) -> None:
        if node is None:
            return
        if isinstance(node, expr.Template):
            for part in node.parts:
                if isinstance(part, expr.Placeholder):
                    add(part.node)
            return
        fields.update(expr.fields_used(node, functions))
        for sub in expr.walk(node):
            if isinstance(sub, expr.Field) and sub.table is not None:
                columns.add((sub.table, sub.name))

    for step in program.steps():
        if isinstance(step, DerivedStep):
            add(step.node)
            if step.computed is not None:
                fields.update(step.computed.inputs)
        elif isinstance(step, ClassificationStep):
            for rule in step.decision.rules:
                add(rule.condition)
            for node in (*step.then, step.default, *step.because):
                add(node)
        else:
            for rule in step.decision.rules:
                add(rule.condition)
            for template in step.because:
                add(template)
    return fields, columns


def _unused_fields(program: Program) -> list[Finding]:
    """Fields declared in the ruleset's own files (not shipped bases) that nothing reads."""
    ruleset = program.ruleset
    data = ruleset.core.data
    fields, columns = used_names(program)
    fields |= {data.key, data.name}
    findings = []
    own = [Path(f) for f in ruleset.files if not f.endswith("(shipped)") and Path(f).is_file()]
    for table, spec in data.tables().items():
        for name in spec.fields:
            used = name in fields if table == "customers" else (table, name) in columns or name == data.key
            if used:
                continue
            file = _declared_in(own, table, name)
            if file is not None:
                findings.append(_finding(
                    "unused-field", f"field '{name}' is declared but no rule, derived field or section reads it",
                    Source(file, f"data.{table}.fields.{name}"), None,
                    "remove the declaration (only declared columns are read), or use the field"))
    return findings


def _declared_in(files: list[Path], table: str, name: str) -> str | None:
    for path in reversed(files):
        try:
            document = read_toml(path)
        except RulesetError:
            continue
        if name in document.get("data", {}).get(table, {}).get("fields", {}):
            return str(path)
    return None


def _finding(code: str, message: str, source: Source, value: str | None, hint: str) -> Finding:
    return Finding(code, Problem(message, file=source.file, location=source.path, value=value, hint=hint))

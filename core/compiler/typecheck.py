"""Type-check parsed plan items into runnable steps, collecting every problem.

A failed part never raises: its problems are recorded and the item yields no step,
so the caller can go on checking the rest and report everything at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientwise import expr
from clientwise.compiler.plan import (
    ActionRule,
    Classification,
    ComputedField,
    DerivedField,
    Source,
)
from clientwise.compiler.steps import ACTIONS, ActionsStep, ClassificationStep, DerivedStep, Step
from clientwise.errors import InputError, Problem, ProblemList
from clientwise.expr.types import Type, unify
from clientwise.host.contracts import CompiledDecision, CompiledRule

if TYPE_CHECKING:
    from clientwise.expr.functions import FunctionRegistry


def key_source(source: Source, key: str) -> Source:
    """The source of one key of a rule: ``rules[3]`` -> ``rules[3].when``.

    A plan item's source that already names a key (``segmentation.tiers[0].share``)
    is kept as it is: that key is what the user edits to change the rule.
    """
    return source.child(key) if source.path.endswith("]") else source


class ItemChecker:
    """Checks one plan item against the names known at its place in dependency order."""

    def __init__(self, problems: ProblemList, scope: expr.Scope, functions: FunctionRegistry):
        self.problems, self.scope, self.functions = problems, scope, functions

    def check(self, item: object, nodes: dict[str, object]) -> Step | None:
        if isinstance(item, ComputedField):
            return DerivedStep(item.name, f"computed by plugin code ({item.source.path})", item.source,
                               computed=item, description=item.description, reads=frozenset(item.inputs),
                               whole_portfolio=not item.row_local)
        if isinstance(item, DerivedField):
            node = self.expression(nodes.get("expr"), item.source, item.expression, population=True)
            if node is None:
                return None
            population = any(isinstance(sub, expr.Call) and self.functions[sub.name].kind == "population"
                             for sub in expr.walk(node))
            return DerivedStep(item.name, item.expression, item.source, node=node, description=item.description,
                               reads=expr.fields_used(node, self.functions), whole_portfolio=population,
                               tolerates=frozenset(item.tolerates))
        if isinstance(item, Classification):
            return self.classification(item, nodes)
        return self.actions(item, nodes)  # type: ignore[arg-type]

    def expression(self, node: object, source: Source, text: str | None, *, population: bool = False) -> expr.Node | None:
        if node is None:
            return None
        try:
            return expr.check(node, self.scope, self.functions, allow_population=population,  # type: ignore[arg-type]
                              source=source, text=text)
        except InputError as error:
            self.problems.extend(error.problems)
            return None

    def template(self, template: object, source: Source) -> expr.Template | None:
        if template is None:
            return None
        try:
            return expr.check_template(template, self.scope, self.functions, source=source)  # type: ignore[arg-type]
        except InputError as error:
            self.problems.extend(error.problems)
            return None

    def condition(self, node: object, source: Source, text: str) -> expr.Node | None:
        """A rule's ``when``: a per-customer expression that must be true or false."""
        checked = self.expression(node, source, text)
        if checked is not None and checked.type.kind not in ("boolean", "null"):
            self.problems.add(Problem(f"a condition must be true or false, but this is {checked.type.describe()}",
                                      file=source.file, location=source.path, value=text,
                                      hint="compare it with something, e.g. x > 0"))
            return None
        return checked

    def classification(self, cls: Classification, nodes: dict[str, object]) -> ClassificationStep | None:
        before = len(self.problems.problems)
        rules, thens, becauses = [], [], []
        for i, rule in enumerate(cls.rules):
            when = self.condition(nodes.get(f"when{i}"), key_source(rule.source, "when"), rule.when)
            thens.append(self.expression(nodes.get(f"then{i}"), key_source(rule.source, "then"), rule.then))
            becauses.append(self.template(nodes.get(f"because{i}"), key_source(rule.source, "because"))
                            if rule.because_template else None)
            rules.append(CompiledRule(f"{cls.output}/{rule.id}", when, rule.source, rule.when))  # type: ignore[arg-type]
        default = None
        if cls.default is not None:
            default = self.expression(nodes.get("default"), key_source(cls.source, "default"), cls.default)
        if len(self.problems.problems) > before or None in thens or any(r.condition is None for r in rules):
            return None
        result_type: Type | None = Type("null")
        for node in [*thens, *([default] if default is not None else [])]:
            result_type = unify(result_type, node.type)  # type: ignore[arg-type, union-attr]
            if result_type is None:
                self.problems.add(Problem(f"the rules of '{cls.output}' give values of different types",
                                          file=cls.source.file, location=cls.source.path,
                                          hint="make every rule's value the same type (all text or all numbers)"))
                return None
        decision = CompiledDecision(cls.output, "first", tuple(rules), tuple(thens), default)  # type: ignore[arg-type]
        return ClassificationStep(cls, decision, tuple(thens), tuple(becauses), default, result_type)  # type: ignore[arg-type]

    def actions(self, actions: list[ActionRule], nodes: dict[str, object]) -> ActionsStep | None:
        before = len(self.problems.problems)
        rules, becauses = [], []
        for i, rule in enumerate(actions):
            when = self.condition(nodes.get(f"when{i}"), key_source(rule.source, "when"), rule.when)
            rules.append(CompiledRule(rule.id, when, rule.source, rule.when))  # type: ignore[arg-type]
            becauses.append(self.template(nodes.get(f"because{i}"), key_source(rule.source, "because")))
        if len(self.problems.problems) > before or any(r.condition is None for r in rules) or None in becauses:
            return None
        return ActionsStep(tuple(actions), CompiledDecision(ACTIONS, "all", tuple(rules)), tuple(becauses))  # type: ignore[arg-type]

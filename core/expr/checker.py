"""Name resolution and type checking: untyped nodes -> typed nodes, or every problem at once.

Runs before any data is read, so a misspelt field or ``tier > 3`` is reported by
``clientwise check`` with the key path and a caret under the offending text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from clientwise.compiler.plan import Source
from clientwise.errors import Problem, RulesetError, did_you_mean
from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import FunctionRegistry, FunctionSpec, SignatureError
from clientwise.expr.nodes import KNOWN_TABLES
from clientwise.expr.numbers import arithmetic, fits, overflow_hint, overflow_message
from clientwise.expr.parser import problem
from clientwise.expr.trend import trend_problems
from clientwise.expr.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    NULL,
    NUMBER,
    STRING,
    Type,
    comparable,
    unify,
)

if TYPE_CHECKING:
    from clientwise.ruleset.data import DataConfig

DERIVE_HINT = "compute it in [derive] as a named field and use that name here"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Scope:
    """The names an expression may use: customer fields and related tables' columns."""

    fields: Mapping[str, Type]
    tables: Mapping[str, Mapping[str, Type]] = field(default_factory=dict)
    known_tables: tuple[str, ...] = KNOWN_TABLES

    @classmethod
    def from_data(cls, data: DataConfig, derived: Mapping[str, Type] | None = None) -> Scope:
        """The scope a ``[data]`` section declares, plus already-typed derived fields."""
        fields = {name: Type.of_field(spec.type) for name, spec in data.customers.fields.items()}
        tables = {
            name: {col: Type.of_field(spec.type) for col, spec in table.fields.items()}
            for name, table in data.tables().items()
            if name != "customers"
        }
        return cls({**fields, **(derived or {})}, tables)

    def with_fields(self, extra: Mapping[str, Type]) -> Scope:
        """A new scope that also knows ``extra`` (e.g. derived fields checked so far)."""
        return replace(self, fields={**self.fields, **extra})


def check(
    node: n.Node,
    scope: Scope,
    registry: FunctionRegistry,
    *,
    allow_population: bool,
    source: Source,
    text: str | None = None,
) -> n.Node:
    """Resolve names and types; return the typed tree or raise one :class:`RulesetError`.

    ``allow_population`` is true for derived fields only: population and aggregate
    functions compare customers with each other, which a per-customer rule cannot.
    ``text`` is the expression text for the caret excerpt; by default the text
    :func:`~clientwise.expr.parse` recorded on the root node.
    """
    checker = Checker(scope, registry, allow_population, source, text if text is not None else node.source_text)
    typed = checker.generate(node, None)
    checker.problems.extend(trend_problems(node, registry, source, checker.text))
    if checker.problems:
        raise RulesetError(checker.problems)
    return replace(typed, source_text=node.source_text)


def type_of(node: n.Node) -> Type:
    """The type of a checked node (raises if the node was never checked)."""
    if node.type is None:
        raise ValueError("node is not type-checked")
    return node.type


@dataclass(frozen=True)
class _In:
    """Inside an aggregate: names resolve to ``table``'s columns."""

    table: str
    function: str


class Checker(Backend[n.Node]):
    """The checker as a back end: ``generate(node, inside)`` is ``node`` typed, problems collected.

    ``inside`` is the aggregate whose arguments are being checked (their names are
    that table's columns), or None.
    """

    name = "checker"

    def __init__(self, scope: Scope, registry: FunctionRegistry, allow_population: bool,
                 source: Source, text: str | None):
        self.scope, self.registry, self.allow_population = scope, registry, allow_population
        self.source, self.text = source, text
        self.problems: list[Problem] = []
        #: id of a literal-only number node -> its value, computed here so an overflow
        #: among literals is reported with a caret before any data is read
        self.constants: dict[int, object] = {}

    def error(self, message: str, span: n.Span, hint: str | None = None) -> None:
        self.problems.append(problem(message, self.source, self.text, span, hint))

    # -- leaves -------------------------------------------------------------------
    @handles(n.Literal)
    def _literal(self, node: n.Literal, inside: _In | None) -> n.Node:
        value = node.value
        if value is None:
            kind = NULL
        elif isinstance(value, bool):
            kind = BOOLEAN
        elif isinstance(value, int):
            kind = INTEGER
        elif isinstance(value, float):
            kind = NUMBER
        elif isinstance(value, str):
            kind = STRING
        else:
            kind = DATE
        typed = replace(node, type=kind)
        return self.fold(typed, value) if kind in (INTEGER, NUMBER, NULL) else typed

    def fold(self, node: n.Node, value: object) -> n.Node:
        """Record a literal-only number node's value, or report that it overflows
        (the rule the back ends apply at run time, :mod:`clientwise.expr.numbers`)."""
        if fits(value):
            self.constants[id(node)] = value
        else:
            self.error(overflow_message(to_text(node), value), node.span, overflow_hint(value, literal=True))
        return node

    @handles(n.Field)
    def _field(self, node: n.Field, inside: _In | None) -> n.Node:
        name = node.name
        if inside is not None:
            columns = self.scope.tables.get(inside.table, {})
            if name in columns:
                return replace(node, table=inside.table, type=columns[name])
            hint = did_you_mean(name, columns) or (
                f"inside {inside.function}({inside.table}, ...) names are {inside.table} columns: "
                + ", ".join(sorted(columns))
            )
            self.error(f"'{name}' is not a column of {inside.table}", node.span, hint)
            return node
        if name in self.scope.fields:
            return replace(node, type=self.scope.fields[name])
        if name in self.registry:
            self.error(f"'{name}' is a function, not a field", node.span, f"call it: {self.registry[name].usage}")
        elif name in self.scope.tables or name in self.scope.known_tables:
            self.error(f"'{name}' is a table, not a field", node.span,
                       f"aggregate it in [derive], e.g. count_of({name})")
        else:
            self.error(f"unknown field '{name}'", node.span, did_you_mean(name, self.scope.fields)
                       or "declare it in [data.customers.fields] or compute it in [derive]")
        return node

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral, inside: _In | None) -> n.Node:
        self.error("a list can only be used after 'in'", node.span, "write: x in ['a', 'b']")
        return node

    # -- operators ----------------------------------------------------------------
    @handles(n.Unary)
    def _unary(self, node: n.Unary, inside: _In | None) -> n.Node:
        operand = self.generate(node.operand, inside)
        t = operand.type
        if t is None:
            return replace(node, operand=operand)
        if not (t.is_number or t.is_null):
            self.error(f"'{node.op}' needs a number, but {_show(operand)} is {t.describe()}", node.span)
            return replace(node, operand=operand)
        typed = replace(node, operand=operand, type=t if t.is_number else NUMBER)
        if id(operand) in self.constants:
            value = self.constants[id(operand)]
            return self.fold(typed, None if value is None else (-value if node.op == "-" else value))  # type: ignore[operator]
        return typed

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic, inside: _In | None) -> n.Node:
        left, right = self.generate(node.left, inside), self.generate(node.right, inside)
        out = replace(node, left=left, right=right)
        bad = False
        for side in (left, right):
            t = side.type
            if t is None or t.is_number or t.is_null:
                continue
            bad = True
            hint = {
                "string": "text cannot be calculated with; use a because template to combine text",
                "date": "use days_since(date) or months_since(date) for time spans",
                "boolean": "turn true/false into a number with if_else(flag, 1, 0)",
            }.get(t.kind)
            self.error(f"arithmetic on {t.describe()}: '{node.op}' needs numbers, but "
                       f"{_show(side)} is {t.describe()}", side.span, hint)
        if bad or left.type is None or right.type is None:
            return out
        integer = all(s.type.integer or s.type.is_null for s in (left, right))  # type: ignore[union-attr]
        typed = replace(out, type=INTEGER if integer and node.op != "/" else NUMBER)
        if id(left) in self.constants and id(right) in self.constants:
            return self.fold(typed, arithmetic(node.op, self.constants[id(left)], self.constants[id(right)]))
        return typed

    @handles(n.Compare)
    def _compare(self, node: n.Compare, inside: _In | None) -> n.Node:
        left, right = self.generate(node.left, inside), self.generate(node.right, inside)
        out = replace(node, left=left, right=right)
        lt, rt = left.type, right.type
        if lt is None or rt is None:
            return out
        if lt.is_null or rt.is_null:
            negated = "not " if node.op == "!=" else ""
            self.error("comparing with null is always unknown", node.span,
                       f"use 'x is {negated}null'")
            return out
        if not comparable(lt, rt):
            self.error(f"cannot compare {lt.describe()} with {rt.describe()}: {_show(left)} "
                       f"{node.op} {_show(right)}", node.span, _compare_hint(left, right))
            return out
        if lt.kind == "boolean" and node.op not in ("==", "!="):
            self.error(f"true/false values can only be compared with == or !=, not '{node.op}'", node.span)
            return out
        return replace(out, type=BOOLEAN)

    @handles(n.In)
    def _in(self, node: n.In, inside: _In | None) -> n.Node:
        value = self.generate(node.value, inside)
        items = tuple(self.generate(item, inside) for item in node.items.items)
        out = replace(node, value=value, items=replace(node.items, items=items))
        if not items:
            self.error("the list after 'in' is empty", node.items.span, "list at least one value")
            return out
        vt = value.type
        if vt is not None and (vt.is_null or vt.kind in ("list", "table")):
            self.error(f"'in' needs a value on its left, not {vt.describe()}", value.span,
                       "use 'x is null' to test for null")
            return out
        ok = vt is not None
        for item in items:
            it = item.type
            if it is None:
                ok = False
            elif it.is_null:
                self.error("null in a list never matches anything", item.span, "test with 'x is null' instead")
                ok = False
            elif vt is not None and not comparable(vt, it):
                self.error(f"list item {_show(item)} is {it.describe()}, but {_show(value)} is "
                           f"{vt.describe()}", item.span, _compare_hint(value, item))
                ok = False
        if not ok:
            return out
        elem = vt
        for item in items:
            elem = unify(elem, item.type)  # type: ignore[arg-type]
        typed_items = replace(out.items, type=Type.list_of(elem or NULL))
        return replace(out, items=typed_items, type=BOOLEAN)

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull, inside: _In | None) -> n.Node:
        operand = self.generate(node.operand, inside)
        if operand.type is None:
            return replace(node, operand=operand)
        return replace(node, operand=operand, type=BOOLEAN)

    def _logic(self, word: str, operands: Sequence[n.Node], inside: _In | None) -> list[n.Node]:
        typed = [self.generate(o, inside) for o in operands]
        for o in typed:
            t = o.type
            if t is not None and t.kind not in ("boolean", "null"):
                hint = f"compare it, e.g. {_show(o)} > 0" if t.is_number else "compare it with == or use 'is not null'"
                self.error(f"'{word}' needs true/false values, but {_show(o)} is {t.describe()}", o.span, hint)
        return typed

    @handles(n.And)
    def _and(self, node: n.And, inside: _In | None) -> n.Node:
        typed = self._logic("and", node.operands, inside)
        return replace(node, operands=tuple(typed), type=_bool_if_ok(typed))

    @handles(n.Or)
    def _or(self, node: n.Or, inside: _In | None) -> n.Node:
        typed = self._logic("or", node.operands, inside)
        return replace(node, operands=tuple(typed), type=_bool_if_ok(typed))

    @handles(n.Not)
    def _not(self, node: n.Not, inside: _In | None) -> n.Node:
        typed = self._logic("not", [node.operand], inside)
        return replace(node, operand=typed[0], type=_bool_if_ok(typed))

    # -- calls --------------------------------------------------------------------
    @handles(n.Call)
    def _call(self, node: n.Call, inside: _In | None) -> n.Node:
        spec = self.registry.get(node.name)
        if spec is None:
            hint = self.registry.suggest(node.name) or "see docs/expressions.md for the functions available"
            self.error(f"unknown function '{node.name}'", node.span, hint)
            return node
        if spec.kind != "scalar":
            what = "an aggregate over a related table" if spec.kind == "aggregate" else \
                "a population function (it compares customers with each other)"
            if inside is not None:
                self.error(f"{spec.name}() cannot be used inside {inside.function}()", node.span,
                           "compute it as a separate derived field in [derive]")
                return node
            if not self.allow_population:
                self.error(f"{spec.name}() is {what} and cannot be used here", node.span, DERIVE_HINT)
                return node
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            self.error(f"{spec.name}() takes {spec.arity_text()}, got {count}", node.span, f"call it as {spec.usage}")
            return node
        args = self._aggregate_args(spec, node) if spec.kind == "aggregate" else \
            [self.generate(a, inside) for a in node.args]
        out = replace(node, args=tuple(args))
        if any(a.type is None for a in args):
            return out
        return self._typed_call(spec, out)

    def _aggregate_args(self, spec: FunctionSpec, node: n.Call) -> list[n.Node]:
        first = node.args[0]
        name = first.name if isinstance(first, n.Field) else None
        if name is not None and name in self.scope.tables:
            table = replace(first, type=Type.table_of(name))
            inner = _In(name, spec.name)
            return [table, *(self.generate(a, inner) for a in node.args[1:])]
        if name is not None and name in self.scope.known_tables:
            self.error(f"{spec.name}() needs the '{name}' table, which the data section does not provide",
                       first.span, f"declare [data.{name}] with its fields and provide {name} data ({name}.csv or similar)")
        else:
            tables = sorted({*self.scope.tables, *self.scope.known_tables})
            hint = (did_you_mean(name, tables) if name else None) or f"call it as {spec.usage}"
            self.error(f"the first argument of {spec.name}() must be a related table "
                       f"({', '.join(tables)})", first.span, hint)
        return list(node.args)

    def _typed_call(self, spec: FunctionSpec, node: n.Call) -> n.Node:
        args = node.args
        for index, (accepts, what) in sorted(spec.literal_args.items(), key=lambda item: item[0]):
            arg = args[index] if index < len(args) else None
            if arg is not None and not (isinstance(arg, n.Literal) and accepts(arg.value)):
                self.error(f"argument {index + 1} of {spec.name}() must be written as {what}",
                           arg.span, f"call it as {spec.usage}")
                return node
        if spec.filter_arg is not None and spec.filter_arg < len(args):
            keep = args[spec.filter_arg]
            if keep.type is not None and keep.type.kind not in ("boolean", "null"):
                self.error(f"the filter of {spec.name}() must be true/false, but {_show(keep)} is "
                           f"{keep.type.describe()}", keep.span, f"call it as {spec.usage}")
                return node
        try:
            result = spec.returns([a.type for a in args])  # type: ignore[misc]
            if spec.constant is not None:
                value = spec.constant([getattr(a, "value", None) for a in args])
                return n.Literal(value, span=node.span, type=result)
        except SignatureError as err:
            span = args[err.arg].span if err.arg is not None and err.arg < len(args) else node.span
            self.error(f"{spec.name}(): {err.message}", span, err.hint or f"call it as {spec.usage}")
            return node
        return replace(node, type=result)


def _bool_if_ok(operands: Sequence[n.Node]) -> Type | None:
    ok = all(o.type is not None and o.type.kind in ("boolean", "null") for o in operands)
    return BOOLEAN if ok else None


def _show(node: n.Node) -> str:
    text = to_text(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _compare_hint(left: n.Node, right: n.Node) -> str:
    kinds = {left.type.kind if left.type else "", right.type.kind if right.type else ""}
    if kinds == {"date", "string"}:
        text = next((s.value for s in (left, right) if isinstance(s, n.Literal) and isinstance(s.value, str)), "")
        return f"write the date as date('{text if _ISO_DATE.match(text) else '2026-01-31'}')"
    if kinds == {"string", "number"}:
        return "compare text with text ('gold') and numbers with numbers (3)"
    return "compare values of the same kind"

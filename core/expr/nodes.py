"""The typed intermediate form every expression is parsed into.

The IR is engine-neutral: every back end (``clientwise.expr.backends``: polars, the
plain-Python reference, canonical text; the checker; the durable-rules lowering)
handles the same small set of frozen dataclasses, one handler per node class. Rules
for back ends:

* every node has ``span`` (start, end character offsets in the source text) and,
  after :func:`clientwise.expr.check`, its :class:`~clientwise.expr.types.Type`;
* ``Literal.value`` is ``int | float | str | bool | None | datetime.date``
  (``date('2026-01-31')`` is folded into a date literal by the checker);
* ``Compare`` is binary; ``a < b < c`` arrives as ``And(a < b, b < c)``;
* ``In.items`` is a list of non-null expressions, never empty;
* ``And``/``Or`` are n-ary and use Kleene (SQL) logic; everything else propagates
  null, except ``IsNull`` (never null), ``coalesce`` and ``if_else``;
* a ``Field`` with ``table`` set is a column of that related table (only inside an
  aggregate call); a ``Field`` whose type is ``table`` is the table itself (the
  aggregate's first argument).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, TypeAlias
from typing import Literal as L

from clientwise.expr.types import Type

Span: TypeAlias = tuple[int, int]
Value: TypeAlias = int | float | str | bool | None | dt.date


@dataclass(frozen=True)
class Node:
    """Base of every node: where it is in the text and (once checked) its type.

    ``source_text`` is set on the root only: the text the expression was parsed from,
    so later checks can show the offending line with a caret.
    """

    span: Span = field(kw_only=True)
    type: Type | None = field(default=None, kw_only=True)
    source_text: str | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Literal(Node):
    value: Value


@dataclass(frozen=True)
class Field(Node):
    """A customer field, or (``table`` set) a related-table column inside an aggregate."""

    name: str
    table: str | None = None


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: L["-", "+"]
    operand: Node


@dataclass(frozen=True)
class Arithmetic(Node):
    op: L["+", "-", "*", "/"]
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: L["==", "!=", "<", "<=", ">", ">="]
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    value: Node
    items: ListLiteral
    negated: bool = False


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool = False


@dataclass(frozen=True)
class And(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes, in source order."""
    out: list[Node] = []
    for f in fields(node):
        if f.name in ("span", "type", "source_text"):
            continue
        value = getattr(node, f.name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Node))
    return tuple(out)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


#: Related tables the language knows, whether or not a ruleset provides them.
KNOWN_TABLES: tuple[str, ...] = ("contacts", "interactions")


def _is_aggregate(call: Call, functions: Any) -> bool:
    """Whether ``call`` aggregates a related table (its arguments are table columns).

    Checked nodes say so by type; for parsed-only nodes ask ``functions`` (a
    :class:`~clientwise.expr.FunctionRegistry`) or, without it, whether the first
    argument names a known table.
    """
    first = call.args[0] if call.args else None
    if not isinstance(first, Field):
        return False
    if first.type is not None:
        return first.type.kind == "table"
    if functions is not None:
        spec = functions.get(call.name)
        return spec is not None and spec.kind == "aggregate"
    return first.name in KNOWN_TABLES


def _outside_aggregates(node: Node, functions: Any) -> Iterator[Node]:
    """Every node except the arguments of aggregate calls."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not (isinstance(current, Call) and _is_aggregate(current, functions)):
            stack.extend(reversed(children(current)))


def fields_used(node: Node, functions: Any = None) -> frozenset[str]:
    """Customer fields (data, derived or decision outputs) the expression reads.

    Related-table columns inside aggregates are not fields (see :func:`tables_used`).
    Exact on checked nodes; on parsed-only nodes pass ``functions`` (the registry).
    """
    return frozenset(n.name for n in _outside_aggregates(node, functions) if isinstance(n, Field))


def tables_used(node: Node, functions: Any = None) -> frozenset[str]:
    """Related tables the expression aggregates over (see :func:`fields_used` on ``functions``)."""
    return frozenset(
        n.args[0].name  # type: ignore[attr-defined]
        for n in walk(node)
        if isinstance(n, Call) and _is_aggregate(n, functions)
    )


def calls_used(node: Node) -> frozenset[str]:
    """Names of the functions the expression calls."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Call))

"""Typed or untyped nodes -> canonical expression text.

The text is stable: it keys precomputed aggregate columns and durable-rules'
precomputed conditions, and it is what explanations and lint messages show. It uses
the fewest parentheses that parse back to the same tree.
"""

from __future__ import annotations

import datetime as dt

from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles

# Binding strength: a child binding weaker than its parent gets parentheses.
_PRECEDENCE: dict[type[n.Node], int] = {n.Or: 1, n.And: 2, n.Not: 3, n.Compare: 4, n.In: 4, n.IsNull: 4,
                                        n.Unary: 7}
_ARITH = {"+": 5, "-": 5, "*": 6, "/": 6}
#: Binds tighter than any operator: literals, fields, lists, calls.
_ATOM = 9


def to_text(node: n.Node) -> str:
    """Canonical expression text for a node (stable; used as a key and in explanations)."""
    return _WRITER.generate(node)


def _literal_text(value: n.Value) -> str:
    """A literal value as the language writes it (``null``, ``true``, ``date('2026-01-31')``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    return repr(value)


def _precedence(node: n.Node) -> int:
    if isinstance(node, n.Arithmetic):
        return _ARITH[node.op]
    return _PRECEDENCE.get(type(node), _ATOM)


class TextWriter(Backend[str]):
    """The text back end; stateless, so :func:`to_text` shares one instance."""

    name = "text"

    def wrap(self, child: n.Node, minimum: int) -> str:
        """``child``'s text, in parentheses when it binds weaker than ``minimum``."""
        text = self.generate(child)
        return f"({text})" if _precedence(child) < minimum else text

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> str:
        return _literal_text(node.value)

    @handles(n.Field)
    def _field(self, node: n.Field) -> str:
        return node.name

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral) -> str:
        return "[" + ", ".join(self.generate(i) for i in node.items) + "]"

    @handles(n.Unary)
    def _unary(self, node: n.Unary) -> str:
        operand = self.wrap(node.operand, _PRECEDENCE[n.Unary])
        return node.op + (f"({operand})" if operand.startswith(("-", "+")) else operand)  # not "--5"

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic) -> str:
        p = _ARITH[node.op]
        return f"{self.wrap(node.left, p)} {node.op} {self.wrap(node.right, p + 1)}"

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> str:
        return f"{self.wrap(node.left, 5)} {node.op} {self.wrap(node.right, 5)}"

    @handles(n.In)
    def _in(self, node: n.In) -> str:
        op = "not in" if node.negated else "in"
        return f"{self.wrap(node.value, 5)} {op} {self.generate(node.items)}"

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull) -> str:
        return f"{self.wrap(node.operand, 5)} is {'not ' if node.negated else ''}null"

    @handles(n.And)
    def _and(self, node: n.And) -> str:
        return " and ".join(self.wrap(o, _PRECEDENCE[n.And] + 1) for o in node.operands)

    @handles(n.Or)
    def _or(self, node: n.Or) -> str:
        return " or ".join(self.wrap(o, _PRECEDENCE[n.Or] + 1) for o in node.operands)

    @handles(n.Not)
    def _not(self, node: n.Not) -> str:
        return "not " + self.wrap(node.operand, _PRECEDENCE[n.Not])

    @handles(n.Call)
    def _call(self, node: n.Call) -> str:
        return f"{node.name}(" + ", ".join(self.generate(a) for a in node.args) + ")"


_WRITER = TextWriter()

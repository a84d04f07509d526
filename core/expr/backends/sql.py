"""Typed nodes -> SQL expression text (DuckDB's dialect), with the polars back end's semantics.

The sibling of :mod:`clientwise.expr.backends.polars` for backends that run a ruleset
as SQL (:mod:`clientwise.plugins.backends.duckdb`). The same rules hold: comparisons
and arithmetic with null give null, ``and``/``or``/``not`` are Kleene (SQL's own),
``x / 0`` is null, ``x in [...]`` is SQL's ``IN`` written as a Kleene OR of equalities.
Arithmetic is checked exactly as on polars (:mod:`clientwise.expr.numbers`): whole
numbers are computed in ``HUGEINT`` (128 bits) and must fit in 64, other numbers must
stay finite; the checks are the :data:`PRELUDE` macros, which stop the query with an
error :func:`overflow_of` turns back into :class:`NumberOverflow`. SQL's ``CASE``
computes a branch only for the rows that take it, so a value is checked only where it
is used (a classification's ``then`` where its rule fired, an aggregate's value where
its filter holds), as the reference evaluator does.

Function calls use each :class:`~clientwise.expr.functions.FunctionSpec`'s ``sql``
form; aggregate and population calls are computed by the backend beforehand and
arrive here as columns (``columns``, keyed by the call's canonical text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import EvalContext, SqlCall
from clientwise.expr.numbers import NumberOverflow, per_customer
from clientwise.expr.types import Type

_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: What starts the message of an overflow raised inside a query; fields are split by chr(31).
OVERFLOW_MARK = "clientwise-overflow"
_SEP = "chr(31)"

#: Macros every connection running compiled SQL defines first (``CREATE MACRO``):
#: ``cw_int(v, text, key)`` narrows an exact HUGEINT to BIGINT, ``cw_float(v, text, key)``
#: passes a finite double; both stop the query with a marked error otherwise. ``v`` is
#: bound once by a lambda: a macro that repeated it would grow nested checks exponentially.
PRELUDE: tuple[str, ...] = (
    "CREATE OR REPLACE TEMP MACRO cw_overflow(v, t, k) AS error("
    f"'{OVERFLOW_MARK}' || {_SEP} || t || {_SEP} || CAST(v AS VARCHAR) || {_SEP} || "
    "coalesce(CAST(k AS VARCHAR), ''))",
    "CREATE OR REPLACE TEMP MACRO cw_int(v, t, k) AS list_transform([v], lambda x: CASE WHEN x IS NULL THEN NULL "
    "WHEN x BETWEEN CAST(-9223372036854775808 AS HUGEINT) AND CAST(9223372036854775807 AS HUGEINT) "
    "THEN CAST(x AS BIGINT) ELSE cw_overflow(x, t, k) END)[1]",
    "CREATE OR REPLACE TEMP MACRO cw_float(v, t, k) AS list_transform([CAST(v AS DOUBLE)], lambda x: "
    "CASE WHEN x IS NULL OR isfinite(x) THEN x ELSE cw_overflow(x, t, k) END)[1]",
)


def sql_type(t: Type) -> str:
    """The SQL type a value of type ``t`` is stored as (the twin of ``dtype_of``)."""
    if t.kind == "number":
        return "BIGINT" if t.integer else "DOUBLE"
    return {"string": "VARCHAR", "boolean": "BOOLEAN", "date": "DATE"}.get(t.kind, "INTEGER")


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote(text: str) -> str:
    """A SQL string literal (no escapes besides the doubled quote)."""
    return "'" + text.replace("'", "''") + "'"


def literal(value: Any, t: Type | None = None) -> str:
    """A value as a SQL literal of the type the polars back end gives it."""
    if value is None:
        return f"CAST(NULL AS {sql_type(t)})" if t is not None and not t.is_null else "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"  # the exact double, never a DECIMAL
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return quote(str(value))


def overflow_of(message: str) -> NumberOverflow | None:
    """The :class:`NumberOverflow` a query stopped with (see :data:`PRELUDE`), else None."""
    at = message.find(OVERFLOW_MARK + "\x1f")
    if at < 0:
        return None
    _, text, value, key = message[at:].split("\n")[0].split("\x1f")[:4]
    number: Any
    try:
        number = int(value)
    except ValueError:
        number = float(value)
    return NumberOverflow(text, number, key or None)


def to_sql(node: n.Node, ctx: EvalContext, *, columns: Mapping[str, str] | None = None, row: str = "") -> str:
    """Compile a checked expression to SQL over the customers (or a related table's) columns.

    ``columns`` maps :func:`~clientwise.expr.to_text` of an aggregate or population call
    to the (quoted) column holding its precomputed value; ``row`` is the row-number column.
    """
    return SqlCompiler(ctx, columns or {}, row).generate(node)


class SqlCompiler(Backend[str]):
    """The SQL back end: one SQL expression per checked node."""

    name = "sql"

    def __init__(self, ctx: EvalContext, columns: Mapping[str, str], row: str = ""):
        self.ctx, self.columns, self.row = ctx, columns, row

    def generate(self, node: n.Node, *args: Any) -> str:
        if node.type is None:
            raise ValueError(f"expression is not type-checked: {to_text(node)}")
        return super().generate(node, *args)

    def checked(self, result: str, node: n.Node) -> str:
        """``result`` with its overflow check (exact HUGEINT narrowed, or a finite double)."""
        integer = node.type is not None and node.type.integer
        key = ident(self.ctx.key) if self.ctx.keyed and per_customer(node, self.ctx.functions) else "NULL"
        check = "cw_int" if integer else "cw_float"
        return f"{check}({result}, {quote(to_text(node))}, {key})"

    def call_info(self, node: n.Call) -> SqlCall:
        return SqlCall(node.args, self.ctx.as_of, ident(self.ctx.key), self.row)

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> str:
        return literal(node.value, node.type)

    @handles(n.Field)
    def _field(self, node: n.Field) -> str:
        return ident(node.name)

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral) -> str:
        raise TypeError(f"{to_text(node)}: a list is a value only after 'in', which compiles its items "
                        "itself; the checker reports a list anywhere else")

    @handles(n.Unary)
    def _unary(self, node: n.Unary) -> str:
        operand = self.generate(node.operand)
        if node.op == "+":
            return operand
        if node.type is not None and node.type.integer:  # -(-2**63) does not fit
            return self.checked(f"(CAST(0 AS HUGEINT) - CAST({operand} AS HUGEINT))", node)
        return f"(- CAST({operand} AS DOUBLE))"

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic) -> str:
        left, right = self.generate(node.left), self.generate(node.right)
        if node.op == "/":
            return self.checked(f"(CASE WHEN {right} <> 0 THEN CAST({left} AS DOUBLE) / CAST({right} AS DOUBLE) "
                                "END)", node)
        if node.type is not None and node.type.integer:
            return self.checked(f"(CAST({left} AS HUGEINT) {node.op} CAST({right} AS HUGEINT))", node)
        return self.checked(f"(CAST({left} AS DOUBLE) {node.op} CAST({right} AS DOUBLE))", node)

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> str:
        return f"({self.generate(node.left)} {_COMPARE[node.op]} {self.generate(node.right)})"

    @handles(n.In)
    def _in(self, node: n.In) -> str:
        value = self.generate(node.value)
        found = " OR ".join(f"{value} = {self.generate(item)}" for item in node.items.items)
        return f"(NOT ({found}))" if node.negated else f"({found})"

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull) -> str:
        return f"({self.generate(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"

    @handles(n.And)
    def _and(self, node: n.And) -> str:
        return "(" + " AND ".join(self.boolean(o) for o in node.operands) + ")"

    @handles(n.Or)
    def _or(self, node: n.Or) -> str:
        return "(" + " OR ".join(self.boolean(o) for o in node.operands) + ")"

    @handles(n.Not)
    def _not(self, node: n.Not) -> str:
        return f"(NOT {self.boolean(node.operand)})"

    def boolean(self, node: n.Node) -> str:
        """``node`` as a boolean (a bare null literal typed as one)."""
        return "CAST(NULL AS BOOLEAN)" if node.type is not None and node.type.is_null else self.generate(node)

    @handles(n.Call)
    def _call(self, node: n.Call) -> str:
        spec = self.ctx.functions[node.name]
        if spec.kind != "scalar":
            key = to_text(node)
            if key not in self.columns:
                raise ValueError(f"{spec.kind} call {key} must be computed by the backend before its expression")
            return self.columns[key]
        if spec.sql is None:
            raise ValueError(f"{node.name}() has no SQL form; the backend refuses it at compile time")
        result = spec.sql([self.generate(a) for a in node.args], self.call_info(node))
        if node.type is not None and node.type.is_number and spec.checked:
            return self.checked(result, node)  # a function's result must fit too
        return result

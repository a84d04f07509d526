"""Typed nodes -> polars expressions, with SQL null semantics.

Comparisons and arithmetic with null give null, ``and``/``or`` are Kleene (polars
does this natively), ``x / 0`` is null, ``x in [...]`` with null ``x`` is null and
``is null`` is never null. Arithmetic is checked (:mod:`clientwise.expr.numbers`):
whole numbers are computed exactly in Int128 and must fit in 64 bits, other numbers
must stay finite. :mod:`clientwise.expr.backends.python` implements the same rules
in plain Python; the tests keep the two in agreement.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any

import polars as pl

from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import CallInfo, EvalContext, exact_div
from clientwise.expr.numbers import bounds, check_column, per_customer
from clientwise.expr.types import Type

_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def dtype_of(t: Type) -> pl.DataType:
    """The polars dtype a value of type ``t`` is stored as."""
    if t.kind == "number":
        return pl.Int64() if t.integer else pl.Float64()
    return {"string": pl.String(), "boolean": pl.Boolean(), "date": pl.Date()}.get(t.kind, pl.Null())


def to_polars(node: n.Node, ctx: EvalContext, *, columns: Mapping[str, str] | None = None,
              mask: pl.Expr | None = None) -> pl.Expr:
    """Compile a checked expression over the customers frame.

    ``columns`` maps :func:`~clientwise.expr.to_text` of an aggregate call to the
    column holding its precomputed value; :func:`clientwise.runtime.derive.derive` fills it.
    ``mask`` (a boolean column) names the rows whose value is used: overflow is only
    an error there (a classification's value where its rule fired).
    """
    return PolarsCompiler(ctx, columns or {}, mask).generate(node)


def aggregate_columns(call: n.Call, ctx: EvalContext) -> tuple[pl.Expr | None, list[pl.Expr], CallInfo]:
    """An aggregate call's row filter and value arguments, each one value per related row
    (for ``related.with_columns``, before grouping), and the call's info.

    The filter has null as false (None without one). The values are checked for
    overflow only in the rows the filter keeps: the reference evaluator computes them
    for those rows alone. ``spec.polars(values, keep, info)`` over the grouped columns,
    or ``spec.in_order``, gives the aggregate (see :func:`clientwise.runtime.derive.derive`).
    """
    spec = ctx.functions[call.name]
    stop = spec.filter_arg if spec.filter_arg is not None else len(call.args)
    keep = None
    if spec.filter_arg is not None and spec.filter_arg < len(call.args):
        node = call.args[spec.filter_arg]
        keep = _per_row(_typed(PolarsCompiler(ctx, {}).generate(node), node, pl.Boolean()), node).fill_null(False)
    compiler = PolarsCompiler(ctx, {}, keep)
    values = [_per_row(compiler.generate(a), a) for a in call.args[1:stop]]
    return keep, values, CallInfo(call.args[1:stop], ctx.as_of, ctx.key)


def _reads_columns(node: n.Node) -> bool:
    return any(isinstance(sub, n.Field) for sub in n.walk(node))


def _constant(node: n.Node) -> bool:
    """Literals only: the checker computed the value already (and rejected an overflow)."""
    return all(not isinstance(sub, n.Field | n.Call) for sub in n.walk(node))


def _per_row(expr: pl.Expr, node: n.Node) -> pl.Expr:
    """One value per row even when ``node`` reads no column (``sum(1)``, ``count_of(t, true)``).

    A literal is a single value in polars; population functions and aggregates must
    see it once per customer / related row, as the reference evaluator does.
    """
    if _reads_columns(node):
        return expr
    return pl.when(pl.int_range(pl.len()) >= 0).then(expr)


def _typed(expr: pl.Expr, node: n.Node, dtype: pl.DataType) -> pl.Expr:
    """A null literal has no dtype; give it the one its context needs."""
    return expr.cast(dtype) if node.type is not None and node.type.is_null else expr


class PolarsCompiler(Backend[pl.Expr]):
    """The polars back end: one expression over the customers frame per checked node."""

    name = "polars"

    def __init__(self, ctx: EvalContext, columns: Mapping[str, str], mask: pl.Expr | None = None):
        self.ctx, self.columns, self.mask = ctx, columns, mask

    def generate(self, node: n.Node, *args: Any) -> pl.Expr:
        if node.type is None:
            raise ValueError(f"expression is not type-checked: {to_text(node)}")
        return super().generate(node, *args)

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> pl.Expr:
        if node.value is None:  # typed when a rule's condition is made unknown (clientwise.runtime.absent)
            return pl.lit(None) if node.type is None or node.type.is_null else pl.lit(None, dtype=dtype_of(node.type))
        assert node.type is not None
        return pl.lit(node.value, dtype=dtype_of(node.type))

    @handles(n.Field)
    def _field(self, node: n.Field) -> pl.Expr:
        return pl.col(node.name)

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral) -> pl.Expr:
        raise TypeError(f"{to_text(node)}: a list is a value only after 'in', which compiles its items "
                        "itself; the checker reports a list anywhere else")

    def checked(self, result: pl.Expr, node: n.Node) -> pl.Expr:
        """``result`` (Int128 for a whole number) with its overflow check, see
        :mod:`clientwise.expr.numbers`; a literal-only node was checked by the checker."""
        integer = node.type is not None and node.type.integer
        if _constant(node):
            return result.cast(pl.Int64) if integer else result
        key = pl.col(self.ctx.key) if self.ctx.keyed and per_customer(node, self.ctx.functions) else None
        return check_column(result, to_text(node), integer=integer, key=key, mask=self.mask)

    def proven(self, node: n.Node) -> bool:
        """Whether an integer node provably stays within 64 bits (a sum of 0/1 flags, a
        count times a constant): then it is computed in Int64 and not checked."""
        return bounds(node, self.ctx.functions) is not None

    @handles(n.Unary)
    def _unary(self, node: n.Unary) -> pl.Expr:
        operand = _typed(self.generate(node.operand), node.operand, pl.Float64())
        if node.op == "+":
            return operand
        if node.type is not None and node.type.integer and not self.proven(node):  # -(-2**63) does not fit
            return self.checked(pl.lit(0, pl.Int128) - operand.cast(pl.Int128), node)  # Int128 has no negate
        return -operand

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic) -> pl.Expr:
        dtype = dtype_of(node.type) if node.type and node.type.is_number else pl.Float64()
        left = _typed(self.generate(node.left), node.left, dtype)
        right = _typed(self.generate(node.right), node.right, dtype)
        if node.op == "/":
            return self.checked(pl.when(right != 0).then(exact_div(left, right)), node)
        if node.type is None or not node.type.integer:
            return self.checked(_ARITH[node.op](left, right), node)
        if self.proven(node):
            return _ARITH[node.op](left, right)
        return self.checked(_ARITH[node.op](left.cast(pl.Int128), right.cast(pl.Int128)), node)

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> pl.Expr:
        left, right = self.generate(node.left), self.generate(node.right)
        if not _reads_columns(node.left) and _reads_columns(node.right):
            # polars 2.1 returns one row for `literal < broadcast column`; put the literal right.
            return _COMPARE[_MIRROR[node.op]](right, left)
        return _COMPARE[node.op](left, right)

    @handles(n.In)
    def _in(self, node: n.In) -> pl.Expr:
        value = self.generate(node.value)
        items = node.items.items
        vt = node.value.type
        # is_in on a value without any column gives a length-1 series that will not broadcast.
        literal = all(isinstance(i, n.Literal) for i in items) and _reads_columns(node.value)
        exact = vt is not None and (vt.kind in ("string", "date", "boolean") or (
            vt.integer and all(i.type is not None and i.type.integer for i in items)))
        if literal and exact:
            assert vt is not None
            dtype = dtype_of(vt)
            values = pl.Series([i.value for i in items], dtype=dtype)  # type: ignore[attr-defined]
            found = value.cast(dtype).is_in(values.implode())
        else:
            # Floats (0.0 == -0.0) and expressions: Kleene OR of equalities, as SQL defines IN.
            found = reduce(operator.or_, [value == self.generate(i) for i in items])
        return ~found if node.negated else found

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull) -> pl.Expr:
        operand = self.generate(node.operand)
        return operand.is_not_null() if node.negated else operand.is_null()

    @handles(n.And)
    def _and(self, node: n.And) -> pl.Expr:
        return reduce(operator.and_, [_typed(self.generate(o), o, pl.Boolean()) for o in node.operands])

    @handles(n.Or)
    def _or(self, node: n.Or) -> pl.Expr:
        return reduce(operator.or_, [_typed(self.generate(o), o, pl.Boolean()) for o in node.operands])

    @handles(n.Not)
    def _not(self, node: n.Not) -> pl.Expr:
        return ~_typed(self.generate(node.operand), node.operand, pl.Boolean())

    @handles(n.Call)
    def _call(self, node: n.Call) -> pl.Expr:
        spec = self.ctx.functions[node.name]
        if spec.kind == "aggregate":
            key = to_text(node)
            if key not in self.columns:
                raise ValueError(f"aggregate {key} must be computed by clientwise.runtime.derive.derive()")
            return pl.col(self.columns[key])
        args = [self.generate(a) for a in node.args]
        if spec.kind == "population":
            args = [_per_row(expr, a) for expr, a in zip(args, node.args)]
        result = spec.polars(args, CallInfo(node.args, self.ctx.as_of, self.ctx.key))
        if node.type is not None and node.type.is_number and spec.checked:
            return self.checked(result, node)  # a function's result must fit too
        return result

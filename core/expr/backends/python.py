"""The reference back end: plain Python over typed nodes, with the polars back end's semantics.

It is slow and obviously correct: tests compare it with :func:`to_polars` on random
data, and explanations use it to show how one customer's values led to a result.
Evaluation is column-wise over a list of row dicts so population functions (which
look at every customer) work exactly as in polars. Arithmetic is checked as on
polars (:mod:`clientwise.expr.numbers`): Python's exact ints must fit in 64 bits,
floats must stay finite.
"""

from __future__ import annotations

import operator
from dataclasses import replace
from collections.abc import Mapping, Sequence
from typing import Any

from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import CallInfo, EvalContext
from clientwise.expr.numbers import arithmetic, check_values, fits, per_customer

Row = Mapping[str, Any]
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def evaluate(node: n.Node, row: Row, ctx: EvalContext,
             related: Mapping[str, Sequence[Row]] | None = None) -> Any:
    """The value of a scalar expression for one customer (no population functions)."""
    for sub in n.walk(node):
        if isinstance(sub, n.Call) and ctx.functions[sub.name].kind == "population":
            raise ValueError(f"{sub.name}() needs every customer: use evaluate_rows()")
    return evaluate_rows(node, [row], ctx, related)[0]


def evaluate_rows(node: n.Node, rows: Sequence[Row], ctx: EvalContext,
                  related: Mapping[str, Sequence[Row]] | None = None) -> list[Any]:
    """The value of an expression for every customer in ``rows`` (population = ``rows``).

    ``related`` holds the related tables' rows for aggregates, matched on ``ctx.key``.
    With ``ctx.compiled`` the expression runs compiled (the same values, faster).
    """
    if ctx.compiled is not None:
        return ctx.compiled.column(node, rows, ctx, related)
    return PythonEvaluator(ctx, related or {}, rows).generate(node, rows)


def kleene_and(values: Sequence[Any]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(values: Sequence[Any]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def as_polars_compares(a: Any, b: Any) -> tuple[Any, Any]:
    """An integer compared with a float is compared as a float, as polars does: Python
    compares them exactly, which differs beyond 2**53 (``2**53 + 1 > 2.0**53``)."""
    if type(a) is int and isinstance(b, float):
        return float(a), b
    if type(b) is int and isinstance(a, float):
        return a, float(b)
    return a, b


def _not(v: Any) -> bool | None:
    return None if v is None else not v


class PythonEvaluator(Backend[list[Any]]):
    """The reference back end: ``generate(node, rows)`` is the column of values over ``rows``.

    Columns, not single values, so population functions see every customer; aggregates
    evaluate their arguments over one customer's related rows the same way.
    """

    name = "python"

    def __init__(self, ctx: EvalContext, related: Mapping[str, Sequence[Row]], population: Sequence[Row]):
        self.ctx, self.related, self.population = ctx, related, population
        self._groups: dict[str, dict[Any, list[Row]]] = {}

    @handles(n.Literal)
    def _literal(self, node: n.Literal, rows: Sequence[Row]) -> list[Any]:
        return [node.value] * len(rows)

    @handles(n.Field)
    def _field(self, node: n.Field, rows: Sequence[Row]) -> list[Any]:
        return [row[node.name] for row in rows]

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral, rows: Sequence[Row]) -> list[Any]:
        columns = [self.generate(i, rows) for i in node.items]
        return [list(values) for values in zip(*columns)] if columns else [[] for _ in rows]

    def checked(self, node: n.Node, rows: Sequence[Row], values: list[Any]) -> list[Any]:
        """``values`` if every one fits (:mod:`clientwise.expr.numbers`), else NumberOverflow
        naming the first row's customer."""
        if all(map(fits, values)):  # the usual case: no need to name the expression or its customer
            return values
        key_of = (lambda index: rows[index].get(self.ctx.key)) if per_customer(node, self.ctx.functions) else None
        return check_values(values, to_text(node), key_of)

    @handles(n.Unary)
    def _unary(self, node: n.Unary, rows: Sequence[Row]) -> list[Any]:
        values = self.generate(node.operand, rows)
        return self.checked(node, rows, [None if v is None else (-v if node.op == "-" else v) for v in values])

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic, rows: Sequence[Row]) -> list[Any]:
        pairs = zip(self.generate(node.left, rows), self.generate(node.right, rows))
        return self.checked(node, rows, [arithmetic(node.op, a, b) for a, b in pairs])

    @handles(n.Compare)
    def _compare(self, node: n.Compare, rows: Sequence[Row]) -> list[Any]:
        fn = _COMPARE[node.op]
        pairs = zip(self.generate(node.left, rows), self.generate(node.right, rows))
        return [None if a is None or b is None else fn(*as_polars_compares(a, b)) for a, b in pairs]

    @handles(n.In)
    def _in(self, node: n.In, rows: Sequence[Row]) -> list[Any]:
        # SQL's IN: a Kleene OR of equalities, so a null on either side is unknown
        pairs = zip(self.generate(node.value, rows), self.generate(node.items, rows))
        found = [kleene_or([None if v is None or i is None else operator.eq(*as_polars_compares(v, i)) for i in items])
                 for v, items in pairs]
        return [_not(f) for f in found] if node.negated else found

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull, rows: Sequence[Row]) -> list[Any]:
        values = self.generate(node.operand, rows)
        return [(v is not None) if node.negated else (v is None) for v in values]

    @handles(n.And)
    def _and(self, node: n.And, rows: Sequence[Row]) -> list[Any]:
        return [kleene_and(values) for values in zip(*(self.generate(o, rows) for o in node.operands))]

    @handles(n.Or)
    def _or(self, node: n.Or, rows: Sequence[Row]) -> list[Any]:
        return [kleene_or(values) for values in zip(*(self.generate(o, rows) for o in node.operands))]

    @handles(n.Not)
    def _not(self, node: n.Not, rows: Sequence[Row]) -> list[Any]:
        return [_not(v) for v in self.generate(node.operand, rows)]

    @handles(n.Call)
    def _call(self, node: n.Call, rows: Sequence[Row]) -> list[Any]:
        return as_typed(node, self._called(node, rows))

    def _called(self, node: n.Call, rows: Sequence[Row]) -> list[Any]:
        spec = self.ctx.functions[node.name]
        if spec.kind == "aggregate":
            return [self.aggregate(node, row) for row in rows]
        columns = [self.generate(a, rows) for a in node.args]
        if spec.kind == "population":
            keys = tuple(row.get(self.ctx.key) for row in rows)
            info = CallInfo(node.args, self.ctx.as_of, self.ctx.key, keys)
            values = list(spec.python(columns, info))
            if not spec.checked or all(map(fits, values)):
                return values
            return check_values(values, to_text(node))  # not one customer's value
        info = CallInfo(node.args, self.ctx.as_of, self.ctx.key)
        if spec.trend is not None:  # reads the hidden history columns of its row
            values = [spec.python(list(values), replace(info, row=row))
                      for values, row in zip(zip(*columns) if columns else ([] for _ in rows), rows)]
        else:
            values = [spec.python(list(values), info) for values in zip(*columns)] if columns else \
                [spec.python([], info) for _ in rows]
        return self.checked(node, rows, values) if spec.checked else values

    def aggregate(self, node: n.Call, row: Row) -> Any:
        spec = self.ctx.functions[node.name]
        table = node.args[0].type.table if node.args[0].type else None
        assert table is not None
        mine = self.group(table).get(row[self.ctx.key], [])
        if not mine:
            return spec.empty
        stop = spec.filter_arg if spec.filter_arg is not None else len(node.args)
        if spec.filter_arg is not None and spec.filter_arg < len(node.args):
            keep = self.generate(node.args[spec.filter_arg], mine)
            mine = [r for r, k in zip(mine, keep) if k is True]
        columns = [self.generate(a, mine) for a in node.args[1:stop]]
        value = spec.python(columns, len(mine), CallInfo(node.args[1:stop], self.ctx.as_of, self.ctx.key))
        if not spec.checked or fits(value):
            return value
        return check_values([value], to_text(node), lambda _: row.get(self.ctx.key))[0]

    def group(self, table: str) -> dict[Any, list[Row]]:
        if table not in self._groups:
            groups: dict[Any, list[Row]] = {}
            for r in self.related.get(table, ()):
                if r.get(self.ctx.key) is not None:
                    groups.setdefault(r[self.ctx.key], []).append(r)
            self._groups[table] = groups
        return self._groups[table]


def as_typed(node: n.Node, values: list[Any]) -> list[Any]:
    """A call typed as a fractional number gives floats, as polars casts its column: a
    function choosing between a whole and a fractional argument (``if_else(flag, a, b)``,
    ``coalesce``, ``max``) may hand back the whole one, and a later ``* 2`` must then be
    float arithmetic, not a checked 64-bit product."""
    if node.type is None or not node.type.is_number or node.type.integer:
        return values
    return [float(v) if type(v) is int else v for v in values]

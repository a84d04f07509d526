"""The reference evaluator compiled once: each typed node becomes a Python closure.

:mod:`clientwise.expr.backends.python` walks the tree for every evaluation: a handler
lookup, a list per node and the function's spec looked up again, each time. A test
case or an ``evaluate_one`` call evaluates the same ~150 expressions over a handful of
customers, so that walk was most of deriving. This back end walks the tree once and
returns a closure per node that computes one customer's value (``fn(row, at, run)``);
:class:`Compiled` applies the root closure to each row.

The semantics are the reference evaluator's, operation for operation (the property
tests hold the two to each other and to polars): every operand is computed (``and``
does not short-circuit, so an overflow in a later operand stops the run as in polars),
every arithmetic result and checked function result is range-checked, calls typed as
fractional numbers give floats. Population functions see every row at once: each is a
*slot* computed over the rows before the root closure runs (in post-order, so a slot's
arguments may read earlier slots); its closure reads the slot's value at the row's
position ``at``. Aggregates read the customer's related rows, grouped once per
evaluation (:class:`Run`).

:class:`ExpressionCache` keeps the compiled closures of a program's expressions (the
:class:`~clientwise.compiler.program.Program` owns one), so each expression is
compiled once per run date, not once per evaluation.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from clientwise.expr import nodes as n
from clientwise.expr.backends.base import Backend, handles
from clientwise.expr.backends.python import PythonEvaluator, as_polars_compares, as_typed, kleene_and, kleene_or
from clientwise.expr.backends.text import to_text
from clientwise.expr.functions import CallInfo, EvalContext, FunctionSpec
from clientwise.expr.numbers import arithmetic, check_values, fits, per_customer

Row = Mapping[str, Any]
#: One customer's value of a node: ``fn(row, at, run)``, ``at`` the row's position
#: among the rows evaluated (where a population slot's value is), ``run`` the evaluation.
RowFn = Callable[[Row, int, "Run"], Any]
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


class Run:
    """One evaluation's state: the related rows grouped by customer (worked out on first
    use, once for every expression evaluated with this run) and the population slots'
    values of the expression being evaluated."""

    __slots__ = ("key", "related", "slots", "_groups")

    def __init__(self, key: str, related: Mapping[str, Sequence[Row]] | None = None):
        self.key, self.related = key, related or {}
        self.slots: list[list[Any]] = []
        self._groups: dict[str, dict[Any, list[Row]]] = {}

    def group(self, table: str) -> dict[Any, list[Row]]:
        """``table``'s rows by customer key (rows without a key belong to no one)."""
        groups = self._groups.get(table)
        if groups is None:
            groups = {}
            for row in self.related.get(table, ()):
                if row.get(self.key) is not None:
                    groups.setdefault(row[self.key], []).append(row)
            self._groups[table] = groups
        return groups


@dataclass(frozen=True)
class Slot:
    """A population call: its arguments per row, then the function over the columns."""

    node: n.Call
    spec: FunctionSpec
    args: tuple[RowFn, ...]
    info: CallInfo

    def values(self, rows: Sequence[Row], run: Run) -> list[Any]:
        columns = [[arg(row, at, run) for at, row in enumerate(rows)] for arg in self.args]
        info = replace(self.info, keys=tuple(row.get(self.info.key) for row in rows))
        values = list(self.spec.python(columns, info))
        if self.spec.checked and not all(map(fits, values)):
            check_values(values, to_text(self.node))  # not one customer's value
        return as_typed(self.node, values)


@dataclass(frozen=True)
class Compiled:
    """An expression compiled to closures: :meth:`column` is its value for each row."""

    node: n.Node
    ctx: EvalContext
    root: RowFn
    slots: tuple[Slot, ...]

    def column(self, rows: Sequence[Row], run: Run) -> list[Any]:
        """The values over ``rows`` (the population of its population functions).

        An error (an overflow, a function refusing its arguments) is the reference
        evaluator's: the closures compute the same operations customer by customer,
        the reference (like polars) operation by operation, so where two operations
        fail for different customers they would name a different one first. The
        expression is then evaluated again the reference's way, which raises its error.
        """
        outer, run.slots = run.slots, []
        try:
            for slot in self.slots:
                run.slots.append(slot.values(rows, run))
            root = self.root
            return [root(row, at, run) for at, row in enumerate(rows)]
        except Exception:
            PythonEvaluator(self.ctx, run.related, rows).generate(self.node, rows)
            raise  # the reference found nothing wrong: this error, then
        finally:
            run.slots = outer


def compile_closures(node: n.Node, ctx: EvalContext) -> Compiled:
    """``node`` (checked) compiled for ``ctx``'s functions, key and run date."""
    compiler = ClosureCompiler(ctx)
    root = compiler.generate(node)
    return Compiled(node, ctx, root, tuple(compiler.slots))


class ExpressionCache:
    """Compiled expressions by node, for one program (its nodes live as long as it).

    Keyed by the node's identity and the context it was compiled for; an entry keeps
    its node, so an identity is never reused while the entry exists. Expressions from
    elsewhere evaluated with the program's context are kept too, up to :attr:`limit`
    entries, after which the cache starts over.
    """

    limit = 20_000

    def __init__(self) -> None:
        self._entries: dict[tuple[int, dt.date, str, int], tuple[n.Node, Compiled]] = {}

    def compiled(self, node: n.Node, ctx: EvalContext) -> Compiled:
        key = (id(node), ctx.as_of, ctx.key, id(ctx.functions))
        entry = self._entries.get(key)
        if entry is not None and entry[0] is node:
            return entry[1]
        if len(self._entries) >= self.limit:
            self._entries.clear()
        compiled = compile_closures(node, ctx)
        self._entries[key] = (node, compiled)
        return compiled

    def __len__(self) -> int:
        return len(self._entries)

    def column(self, node: n.Node, rows: Sequence[Row], ctx: EvalContext,
               related: Mapping[str, Sequence[Row]] | None = None) -> list[Any]:
        """``node``'s value for each of ``rows`` (:class:`~clientwise.expr.functions.CompiledExpressions`)."""
        return self.compiled(node, ctx).column(rows, Run(ctx.key, related))


def row_columns(ctx: EvalContext, related: Mapping[str, Sequence[Row]] | None = None
                ) -> Callable[[n.Node, Sequence[Row]], list[Any]]:
    """Evaluates expressions over rows sharing ``related`` (grouped once for all of them):
    compiled with ``ctx.compiled`` when it is an :class:`ExpressionCache`, else compiled
    for this evaluation only."""
    cache = ctx.compiled if isinstance(ctx.compiled, ExpressionCache) else ExpressionCache()
    run = Run(ctx.key, related)
    return lambda node, rows: cache.compiled(node, ctx).column(rows, run)


class ClosureCompiler(Backend[RowFn]):
    """``generate(node)`` is the closure computing ``node`` for one row; population
    calls are collected in :attr:`slots`, in the order they must be computed."""

    name = "closures"

    def __init__(self, ctx: EvalContext):
        self.ctx = ctx
        self.slots: list[Slot] = []

    def checked(self, node: n.Node, compute: RowFn) -> RowFn:
        """``compute`` with its result range-checked (:func:`clientwise.expr.numbers.fits`);
        an overflow names the row's customer when the value is the customer's own."""
        key = self.ctx.key if per_customer(node, self.ctx.functions) else None

        def run(row: Row, at: int, state: Run) -> Any:
            value = compute(row, at, state)
            if fits(value):
                return value
            return check_values([value], to_text(node), (lambda _: row.get(key)) if key is not None else None)[0]
        return run

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> RowFn:
        value = node.value
        return lambda row, at, run: value

    @handles(n.Field)
    def _field(self, node: n.Field) -> RowFn:
        name = node.name
        return lambda row, at, run: row[name]

    @handles(n.ListLiteral)
    def _list(self, node: n.ListLiteral) -> RowFn:
        items = tuple(self.generate(item) for item in node.items)
        return lambda row, at, run: [item(row, at, run) for item in items]

    @handles(n.Unary)
    def _unary(self, node: n.Unary) -> RowFn:
        operand, negate = self.generate(node.operand), node.op == "-"

        def unary(row: Row, at: int, run: Run) -> Any:
            value = operand(row, at, run)
            return None if value is None else (-value if negate else value)
        return self.checked(node, unary)

    @handles(n.Arithmetic)
    def _arithmetic(self, node: n.Arithmetic) -> RowFn:
        left, right, op = self.generate(node.left), self.generate(node.right), node.op
        return self.checked(node, lambda row, at, run: arithmetic(op, left(row, at, run), right(row, at, run)))

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> RowFn:
        left, right, compare = self.generate(node.left), self.generate(node.right), _COMPARE[node.op]

        def run(row: Row, at: int, state: Run) -> Any:
            a, b = left(row, at, state), right(row, at, state)
            return None if a is None or b is None else compare(*as_polars_compares(a, b))
        return run

    @handles(n.In)
    def _in(self, node: n.In) -> RowFn:
        # SQL's IN: a Kleene OR of equalities, so a null on either side is unknown
        value, items, negated = self.generate(node.value), self.generate(node.items), node.negated

        def run(row: Row, at: int, state: Run) -> Any:
            v = value(row, at, state)
            found = kleene_or([None if v is None or i is None else operator.eq(*as_polars_compares(v, i))
                               for i in items(row, at, state)])
            return (None if found is None else not found) if negated else found
        return run

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull) -> RowFn:
        operand = self.generate(node.operand)
        if node.negated:
            return lambda row, at, run: operand(row, at, run) is not None
        return lambda row, at, run: operand(row, at, run) is None

    @handles(n.And)
    def _and(self, node: n.And) -> RowFn:
        operands = tuple(self.generate(o) for o in node.operands)  # every one computed, as polars does
        return lambda row, at, run: kleene_and([o(row, at, run) for o in operands])

    @handles(n.Or)
    def _or(self, node: n.Or) -> RowFn:
        operands = tuple(self.generate(o) for o in node.operands)
        return lambda row, at, run: kleene_or([o(row, at, run) for o in operands])

    @handles(n.Not)
    def _not(self, node: n.Not) -> RowFn:
        operand = self.generate(node.operand)

        def run(row: Row, at: int, state: Run) -> Any:
            value = operand(row, at, state)
            return None if value is None else not value
        return run

    @handles(n.Call)
    def _call(self, node: n.Call) -> RowFn:
        spec = self.ctx.functions[node.name]
        if spec.kind == "aggregate":
            return self._aggregate(node, spec)
        args = tuple(self.generate(a) for a in node.args)
        info = CallInfo(node.args, self.ctx.as_of, self.ctx.key)
        if spec.kind == "population":
            index = len(self.slots)
            self.slots.append(Slot(node, spec, args, info))
            return lambda row, at, run: run.slots[index][at]
        python, trend = spec.python, spec.trend is not None
        if trend:  # reads the hidden history columns of its row
            def call(row: Row, at: int, run: Run) -> Any:
                return python([arg(row, at, run) for arg in args], replace(info, row=row))
        else:
            def call(row: Row, at: int, run: Run) -> Any:
                return python([arg(row, at, run) for arg in args], info)
        return _typed(node, self.checked(node, call) if spec.checked else call)

    def _aggregate(self, node: n.Call, spec: FunctionSpec) -> RowFn:
        table = node.args[0].type.table if node.args[0].type else None
        assert table is not None
        stop = spec.filter_arg if spec.filter_arg is not None else len(node.args)
        keep = self.generate(node.args[spec.filter_arg]) \
            if spec.filter_arg is not None and spec.filter_arg < len(node.args) else None
        args = tuple(self.generate(a) for a in node.args[1:stop])
        info = CallInfo(node.args[1:stop], self.ctx.as_of, self.ctx.key)
        key, python, empty, checked = self.ctx.key, spec.python, spec.empty, spec.checked

        def aggregate(row: Row, at: int, run: Run) -> Any:
            mine = run.group(table).get(row[key], [])
            if not mine:
                return empty
            if keep is not None:
                mine = [r for j, r in enumerate(mine) if keep(r, j, run) is True]
            value = python([[arg(r, j, run) for j, r in enumerate(mine)] for arg in args], len(mine), info)
            if not checked or fits(value):
                return value
            return check_values([value], to_text(node), lambda _: row.get(key))[0]
        return _typed(node, aggregate)


def _typed(node: n.Node, compute: RowFn) -> RowFn:
    """A call typed as a fractional number gives floats, as polars casts its column
    (see :func:`clientwise.expr.backends.python.as_typed`)."""
    if node.type is None or not node.type.is_number or node.type.integer:
        return compute

    def as_float(row: Row, at: int, run: Run) -> Any:
        value = compute(row, at, run)
        return float(value) if type(value) is int else value
    return as_float

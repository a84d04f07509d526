"""Typed expression nodes -> durable-rules JSON conditions, with Kleene (SQL) nulls.

durable-rules matches a message when a condition is *true*; it has no notion of an
unknown value. Each rule therefore becomes two durable rules: one that matches when
the condition is TRUE and one when it is FALSE; a customer matching neither is
``unknown``. Both are built from the same tree with Kleene algebra::

    T(a and b) = T(a) and T(b)      F(a and b) = F(a) or F(b)
    T(a or b)  = T(a) or T(b)       F(a or b)  = F(a) and F(b)
    T(not a)   = F(a)               F(not a)   = T(a)

An atom (a comparison, ``in``, a boolean field) is TRUE/FALSE only when every field
it reads is present (``$ex``): null fields are not posted, and durable-rules treats a
missing ``$m`` reference as a value, so the guard is required, not cosmetic.

What durable-rules cannot express is lowered, never dropped: function calls,
arithmetic, ``is null`` tests (``$nex`` alone hangs the engine), text ordering, long
``in`` lists and literal-only expressions become *precomputed columns* (polars, the
same code as the polars engine) that are posted like fields. Arithmetic is among
them because durable-rules' own wraps 64-bit integers silently and divides two
integers as integers, where the language's arithmetic is checked
(:mod:`clientwise.expr.numbers`): computed on polars, an overflow is the same error
on both engines, and durable-rules only compares. :attr:`Lowered.notes` says what
was lowered and why, for ``clientwise check``.

The lowering is three expression back ends (:class:`clientwise.expr.Backend`), one
handler per node type each: :class:`Lowered` for the boolean level, :class:`Operands`
for the values a comparison compares, :class:`Reasons` for the notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.expr import Backend, EvalContext, handles, to_polars, to_text
from clientwise.expr import nodes as n

#: Fields of the posted message that clientwise adds itself.
ROW_FIELD = "__row"
PRECOMPUTED_PREFIX = "__cw"
#: Properties durable-rules reads as the fact's session and message id: fields of
#: these names are posted under another name (``__cwfield_id``).
DURABLE_PROPERTIES = frozenset({"id", "sid"})
#: ``in`` lists longer than this are precomputed (one durable ``$or`` branch per item).
MAX_IN_ITEMS = 32
EPOCH = dt.date(1970, 1, 1)

_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}

#: A condition: ``True`` (always), ``False`` (never) or a durable JSON condition.
Cond = bool | dict[str, Any]


@dataclass
class Lowered(Backend[tuple[Cond, Cond]]):
    """Everything the engine needs to post one stratum: columns, conditions and notes.

    As a back end, ``generate(node)`` is the (TRUE, FALSE) pair of durable conditions
    of a boolean node: Kleene algebra over and/or/not, comparisons lowered with
    :class:`Operands` where durable-rules can compare, precomputed columns otherwise.
    """

    name = "durable conditions"

    context: EvalContext
    #: posted name -> polars expression producing it (fields and precomputed columns)
    columns: dict[str, pl.Expr] = field(default_factory=dict)
    #: the precomputed columns, keyed by the expression text they hold
    _by_text: dict[str, str] = field(default_factory=dict)
    #: rule id -> human-readable lowering notes
    notes: dict[str, list[str]] = field(default_factory=dict)
    _rule: str = ""
    #: whether the last rule lowered has a `null` literal operand (unknown without any null input)
    null_literal: bool = False

    def rule(self, rule_id: str, condition: n.Node) -> tuple[Cond, Cond, frozenset[str]]:
        """(TRUE condition, FALSE condition, posted names it reads) for one rule."""
        self._rule = rule_id
        self._reads: set[str] = set()
        self.null_literal = False
        true, false = self.generate(condition)
        return true, false, frozenset(self._reads)

    def whole(self, rule_id: str, condition: n.Node, why: str) -> tuple[Cond, Cond, frozenset[str]]:
        """The rule's whole condition as one precomputed column (for rules durable cannot post)."""
        self._rule = rule_id
        name = self.precompute(condition, why)
        return {name: True}, {name: False}, frozenset([name])

    # -- boolean level: Kleene algebra ----------------------------------------

    @handles(n.And)
    def _and(self, node: n.And) -> tuple[Cond, Cond]:
        parts = [self.generate(o) for o in node.operands]
        return _all([t for t, _ in parts]), _any([f for _, f in parts])

    @handles(n.Or)
    def _or(self, node: n.Or) -> tuple[Cond, Cond]:
        parts = [self.generate(o) for o in node.operands]
        return _any([t for t, _ in parts]), _all([f for _, f in parts])

    @handles(n.Not)
    def _not(self, node: n.Not) -> tuple[Cond, Cond]:
        true, false = self.generate(node.operand)
        return false, true

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> tuple[Cond, Cond]:
        self.null_literal = self.null_literal or node.value is None
        return node.value is True, node.value is False

    @handles(n.Field)
    def _field(self, node: n.Field) -> tuple[Cond, Cond]:
        name = self.read(self.post_field(node.name, node.type))
        return {name: True}, {name: False}

    @handles(n.In)
    def _in(self, node: n.In) -> tuple[Cond, Cond]:
        if len(node.items.items) > MAX_IN_ITEMS:
            return self._precomputed(node)
        # SQL defines `x in [a, b]` as `x == a or x == b`; the polars engine agrees.
        equal = [n.Compare("==", node.value, item, span=node.span, type=node.type) for item in node.items.items]
        rewritten: n.Node = n.Or(tuple(equal), span=node.span, type=node.type)
        if node.negated:
            rewritten = n.Not(rewritten, span=node.span, type=node.type)
        return self.generate(rewritten)

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> tuple[Cond, Cond]:
        lowered = self._atom(node)
        return self._precomputed(node) if lowered is None else lowered

    @handles(n.Arithmetic, n.Unary, n.IsNull, n.Call, n.ListLiteral)
    def _precomputed(self, node: n.Node) -> tuple[Cond, Cond]:
        name = self.read(self.precompute(node, _why(node)))
        return {name: True}, {name: False}

    def _atom(self, node: n.Compare) -> tuple[Cond, Cond] | None:
        """A comparison as durable conditions, or None when it must be precomputed whole."""
        left_type = node.left.type
        if left_type is None or left_type.kind not in ("number", "date", "boolean", "string"):
            return None
        if left_type.kind == "string" and node.op not in ("==", "!="):
            return None  # text ordering: durable-rules and polars need not agree on collation
        left, right = node.left, node.right
        op: str = node.op
        if not isinstance(left, n.Field) and isinstance(right, n.Field):
            left, right, op = right, left, _MIRROR[op]
        fields_before = set(self._reads)
        if isinstance(left, n.Field):
            name = self.post_field(left.name, left.type)
        else:
            why = _why(left) if _why(left) != _OTHER else "durable-rules compares a field to a value, not two computed values"
            name = self.precompute(left, why)
        operands = Operands(self, {self.read(name)})
        value = operands.generate(right)
        if value is None:
            self._reads = fields_before
            return None
        # guard exactly what the durable operands read: a precomputed `coalesce(b, 0)`
        # is known when `b` is null, so guarding `b` itself would be wrong
        guards = [{"$ex": {f: 1}} for f in sorted(operands.atom)]
        true = _all([*guards, _op(op, name, value)])
        false = _all([*guards, _op(_NEGATE[op], name, value)])
        return true, false

    # -- posted names ----------------------------------------------------------------

    def read(self, name: str) -> str:
        """Record that the rule being lowered reads the posted ``name``; returns it."""
        self._reads.add(name)
        return name

    def post_field(self, field: str, type_: Any) -> str:
        """Post ``field``; returns the name it is posted under."""
        name = f"{PRECOMPUTED_PREFIX}field_{field}" if field in DURABLE_PROPERTIES else field
        if name not in self.columns:
            self.columns[name] = _posted(pl.col(field), type_)
        return name

    def precompute(self, node: n.Node, why: str) -> str:
        """Post ``node``'s value as a column computed on polars; returns its posted name."""
        text = to_text(node)
        name = self._by_text.get(text)
        if name is None:
            name = f"{PRECOMPUTED_PREFIX}{len(self._by_text)}"
            self._by_text[text] = name
            self.columns[name] = _posted(to_polars(node, self.context), node.type)
        self.notes.setdefault(self._rule, []).append(f"{text}: {why}; precomputed on polars as {name}")
        return name


class Operands(Backend[Any]):
    """The value level of one comparison: ``generate(node)`` is a durable operand (a
    constant or ``{"$m": name}``), or None when the comparison must be precomputed
    instead. ``atom`` collects the posted names the comparison reads: it is TRUE or
    FALSE only when they are present.
    """

    name = "durable operands"

    def __init__(self, lowered: Lowered, atom: set[str]):
        self.lowered, self.atom = lowered, atom

    def _read(self, name: str) -> dict[str, str]:
        self.atom.add(self.lowered.read(name))
        return {"$m": name}

    @handles(n.Literal)
    def _literal(self, node: n.Literal) -> Any:
        return None if node.value is None else _constant(node.value)

    @handles(n.Field)
    def _field(self, node: n.Field) -> Any:
        if node.type is None or node.type.kind not in ("number", "date", "boolean", "string"):
            return None
        return self._read(self.lowered.post_field(node.name, node.type))

    @handles(n.Arithmetic, n.Unary, n.Compare, n.In, n.IsNull, n.And, n.Or, n.Not, n.Call, n.ListLiteral)
    def _precomputed(self, node: n.Node) -> Any:
        return self._read(self.lowered.precompute(node, _why(node)))


_OTHER = "durable-rules has no equivalent"


class Reasons(Backend[str]):
    """Why durable-rules cannot take a node as it is: the note for its precomputed column."""

    name = "durable reasons"

    @handles(n.Call)
    def _call(self, node: n.Call) -> str:
        return f"durable-rules cannot call functions ({node.name})"

    @handles(n.IsNull)
    def _is_null(self, node: n.IsNull) -> str:
        return "durable-rules cannot test for null (its $nex alone never returns)"

    @handles(n.In)
    def _in(self, node: n.In) -> str:
        return f"an 'in' list of more than {MAX_IN_ITEMS} items"

    @handles(n.Arithmetic, n.Unary)
    def _arithmetic(self, node: n.Node) -> str:
        return "arithmetic is checked for overflow on polars (durable-rules wraps 64-bit integers silently)"

    @handles(n.Compare)
    def _compare(self, node: n.Compare) -> str:
        return "text ordering or a comparison without fields"

    @handles(n.Literal, n.Field, n.ListLiteral, n.And, n.Or, n.Not)
    def _other(self, node: n.Node) -> str:
        return _OTHER


_REASONS = Reasons()


def _why(node: n.Node) -> str:
    return _REASONS.generate(node)


def _constant(value: Any) -> Any:
    if isinstance(value, dt.date):
        return (value - EPOCH).days
    return value


def _posted(expression: pl.Expr, type_: Any) -> pl.Expr:
    """Dates travel as days since 1970 (comparable numbers); everything else as is."""
    if type_ is not None and type_.kind == "date":
        return expression.cast(pl.Date).dt.epoch("d")
    return expression


def _op(op: str, name: str, value: Any) -> dict[str, Any]:
    if op == "==":
        return {name: value}
    return {_OPS[op]: {name: value}}


def _all(conditions: list[Cond]) -> Cond:
    if any(c is False for c in conditions):
        return False
    kept = [c for c in conditions if c is not True]
    if not kept:
        return True
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _any(conditions: list[Cond]) -> Cond:
    if any(c is True for c in conditions):
        return True
    kept = [c for c in conditions if c is not False]
    if not kept:
        return False
    return kept[0] if len(kept) == 1 else {"$or": kept}

"""Which values of one field a condition admits, for the linter's static checks.

Only simple shapes are understood: comparisons of a field (or any expression, keyed
by its text) with a number, ``==``/``in`` with text values, ``is not null`` and
``and`` of those. Anything else is "unknown", and the linter says nothing about it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from clientwise import expr


@dataclass(frozen=True)
class Span:
    """Numbers from ``lo`` to ``hi``; ``values`` restricts text fields (None: any)."""

    lo: float = -math.inf
    lo_in: bool = False
    hi: float = math.inf
    hi_in: bool = False
    values: frozenset[str] | None = None

    def meet(self, other: Span) -> Span:
        lo, lo_in = max((self.lo, not self.lo_in), (other.lo, not other.lo_in))
        hi, hi_in = min((self.hi, self.hi_in), (other.hi, other.hi_in))
        values = self.values if other.values is None else other.values if self.values is None \
            else self.values & other.values
        return Span(lo, not lo_in, hi, hi_in, values)

    @property
    def empty(self) -> bool:
        if self.values is not None and not self.values:
            return True
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_in and self.hi_in))

    def within(self, other: Span) -> bool:
        """Every value admitted here is admitted by ``other``."""
        lo_ok = self.lo > other.lo or (self.lo == other.lo and (other.lo_in or not self.lo_in))
        hi_ok = self.hi < other.hi or (self.hi == other.hi and (other.hi_in or not self.hi_in))
        values_ok = other.values is None or (self.values is not None and self.values <= other.values)
        return lo_ok and hi_ok and values_ok

    def describe(self) -> str:
        if self.values is not None:
            return "one of " + ", ".join(sorted(self.values)) if self.values else "no value"
        low = "" if self.lo == -math.inf else f"{'>=' if self.lo_in else '>'} {self.lo:g}"
        high = "" if self.hi == math.inf else f"{'<=' if self.hi_in else '<'} {self.hi:g}"
        return " and ".join(p for p in (low, high) if p) or "any value"


ANY = Span()
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def constraints(node: expr.Node) -> tuple[dict[str, Span], bool]:
    """Field text -> admitted span, and whether the whole condition was understood."""
    if isinstance(node, expr.And):
        found: dict[str, Span] = {}
        exact = True
        for operand in node.operands:
            part, part_exact = constraints(operand)
            exact = exact and part_exact
            for key, span in part.items():
                found[key] = found[key].meet(span) if key in found else span
        return found, exact
    atom = _atom(node)
    return ({atom[0]: atom[1]}, True) if atom else ({}, False)


def _number(node: expr.Node) -> float | None:
    if isinstance(node, expr.Literal) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, expr.Unary) and node.op == "-":
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _atom(node: expr.Node) -> tuple[str, Span] | None:
    if isinstance(node, expr.IsNull) and node.negated:
        return expr.to_text(node.operand), ANY
    if isinstance(node, expr.In) and not node.negated:
        texts = [i.value for i in node.items.items if isinstance(i, expr.Literal) and isinstance(i.value, str)]
        if len(texts) == len(node.items.items):
            return expr.to_text(node.value), Span(values=frozenset(texts))
        return None
    if not isinstance(node, expr.Compare):
        return None
    left, op, right = node.left, node.op, node.right
    if _number(left) is not None or (isinstance(left, expr.Literal) and isinstance(left.value, str)):
        left, right, op = right, left, _FLIP[op]
    if isinstance(left, expr.Literal):
        return None
    key = expr.to_text(left)
    if isinstance(right, expr.Literal) and isinstance(right.value, str):
        return (key, Span(values=frozenset([right.value]))) if op == "==" else None
    value = _number(right)
    if value is None or op == "!=":
        return None
    return key, {
        "<": Span(hi=value), "<=": Span(hi=value, hi_in=True), ">": Span(lo=value), ">=": Span(lo=value, lo_in=True),
        "==": Span(lo=value, lo_in=True, hi=value, hi_in=True),
    }[op]


def covers(spans: list[Span], domain: Span) -> bool:
    """Whether the union of numeric ``spans`` covers ``domain``."""
    # covered so far: everything below ``reach``, and ``reach`` itself when ``reach_in``
    reach, reach_in = domain.lo, not domain.lo_in
    for span in sorted(spans, key=lambda s: (s.lo, not s.lo_in)):
        if span.lo > reach or (span.lo == reach and not reach_in and not span.lo_in):
            return False
        if span.hi > reach or (span.hi == reach and span.hi_in):
            reach, reach_in = span.hi, span.hi_in
    return reach > domain.hi or (reach == domain.hi and (reach_in or not domain.hi_in))

"""Why a condition did not hold for one customer: which part was false or null.

Explanations say a rule was "not met"; a consultant then wants to know which part
of ``tier in ['strategic', 'core'] and executive_sponsor is null`` failed. The
condition's typed nodes are re-evaluated part by part with the reference evaluator
(:func:`clientwise.expr.evaluate`) on the customer's row, descending into ``and``,
``or`` and ``not`` down to the comparisons that decided the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientwise import expr
from clientwise.runtime.explain import show_value

Row = Mapping[str, Any]


def _word(value: Any) -> str:
    return "true" if value is True else "false" if value is False else "unknown (null)"


def _values(node: expr.Node, row: Row) -> str:
    used = sorted(expr.fields_used(node))
    return ", ".join(f"{name} = {show_value(row.get(name))}" for name in used)


def reasons(node: expr.Node, row: Row, context: expr.EvalContext) -> list[str]:
    """Lines naming the parts of ``node`` that kept it from being true for ``row``.

    Returns an empty list when the condition holds.
    """
    value = expr.evaluate(node, row, context)
    if value is True:
        return []
    return _explain(node, row, context, value, 0)


def _explain(node: expr.Node, row: Row, context: expr.EvalContext, value: Any, depth: int) -> list[str]:
    indent = "  " * depth
    if isinstance(node, expr.And):
        parts: list[tuple[expr.Node, Any]] = [(o, expr.evaluate(o, row, context)) for o in node.operands]
        falses: list[tuple[expr.Node, Any]] = [(o, v) for o, v in parts if v is False]
        culprits = falses or [(o, v) for o, v in parts if v is None]
        lines = []
        for operand, operand_value in culprits:
            lines.extend(_explain(operand, row, context, operand_value, depth))
        return lines
    if isinstance(node, expr.Or):
        lines = [f"{indent}- none of these holds:"]
        for operand in node.operands:
            lines.extend(_explain(operand, row, context, expr.evaluate(operand, row, context), depth + 1))
        return lines
    if isinstance(node, expr.Not) and value is False:
        return [f"{indent}- {expr.to_text(node.operand)} is true, so its negation is false"
                + _with(node.operand, row)]
    return [f"{indent}- {expr.to_text(node)} is {_word(value)}" + _with(node, row)]


def _with(node: expr.Node, row: Row) -> str:
    values = _values(node, row)
    return f"  [{values}]" if values else ""


def substituted(node: expr.Node, text: str, row: Row) -> str:
    """``text`` with every field replaced by this customer's value: ``238 <= 120``.

    Uses the fields' positions in the parsed text, so the author's own spelling of the
    rest of the condition is kept; if positions do not match the text, returns ``""``.
    """
    fields = sorted((n for n in expr.walk(node) if isinstance(n, expr.Field) and n.table is None),
                    key=lambda n: n.span[0], reverse=True)
    out = text
    for field in fields:
        start, end = field.span
        if out[start:end] != field.name:
            return ""
        value = row.get(field.name)
        shown = ("true" if value else "false") if isinstance(value, bool) else show_value(value)
        out = out[:start] + shown + out[end:]
    return out

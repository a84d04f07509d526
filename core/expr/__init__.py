"""The expression language: text -> typed nodes -> back ends (polars, a reference evaluator, text).

Typical use::

    node = parse("revenue >= 1_000_000 and tier in ['core']", source)
    typed = check(node, scope, functions, allow_population=False, source=source)
    frame.with_columns(to_polars(typed, PolarsContext(as_of, functions)).alias("big"))

Every back end (``clientwise.expr.backends``) is a :class:`Backend` with one
handler per node type. See ``docs/expressions.md`` for the language reference.
"""

from clientwise.compiler.plan import Source
from clientwise.expr.backends import Backend, UnhandledNode, handles, registered_backends
from clientwise.expr.backends.polars import aggregate_columns, dtype_of, to_polars
from clientwise.expr.backends.python import evaluate, evaluate_rows
from clientwise.expr.backends.text import to_text
from clientwise.expr.checker import DERIVE_HINT, KNOWN_TABLES, Scope, check, type_of
from clientwise.expr.functions import (
    CallInfo,
    EvalContext,
    FunctionKind,
    FunctionRegistry,
    FunctionSpec,
    PolarsContext,
    SignatureError,
    round_half_away,
    round_half_away_expr,
)
from clientwise.expr.nodes import (
    And,
    Arithmetic,
    Call,
    Compare,
    Field,
    In,
    IsNull,
    ListLiteral,
    Literal,
    Node,
    Not,
    Or,
    Span,
    Unary,
    calls_used,
    children,
    fields_used,
    tables_used,
    walk,
)
from clientwise.expr.parser import MAX_DEPTH, MAX_LENGTH, parse
from clientwise.expr.template import (
    Placeholder,
    Template,
    check_template,
    parse_template,
    render_template,
    render_text,
    render_texts,
)
from clientwise.expr.types import BOOLEAN, DATE, INTEGER, NULL, NUMBER, STRING, Type


def parse_checked(
    text: str,
    source: Source,
    scope: Scope,
    registry: FunctionRegistry,
    *,
    allow_population: bool,
) -> Node:
    """``parse`` then ``check``: the one call a section compiler usually needs."""
    return check(parse(text, source), scope, registry, allow_population=allow_population,
                 source=source, text=text)


__all__ = [
    "BOOLEAN", "DATE", "DERIVE_HINT", "INTEGER", "KNOWN_TABLES", "MAX_DEPTH", "MAX_LENGTH", "NULL",
    "NUMBER", "STRING", "And", "Arithmetic", "Backend", "Call", "CallInfo", "Compare", "EvalContext", "Field",
    "FunctionKind", "FunctionRegistry", "FunctionSpec", "In", "IsNull", "ListLiteral", "Literal",
    "Node", "Not", "Or", "Placeholder", "PolarsContext", "Scope", "SignatureError", "Span", "Template", "Type",
    "Unary", "UnhandledNode", "aggregate_columns", "calls_used", "check", "check_template",
    "children", "dtype_of", "evaluate", "evaluate_rows", "fields_used", "handles", "parse", "parse_checked",
    "parse_template", "registered_backends", "render_template", "render_text", "render_texts", "round_half_away",
    "round_half_away_expr", "tables_used", "to_polars", "to_text", "type_of", "walk",
]

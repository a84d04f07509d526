"""``because`` texts: ``"Sponsor last visited {days_since(last_sponsor_visit)} days ago"``.

A placeholder is ``{expression}`` or ``{expression:spec}`` with spec ``.Nf`` (N
decimals), ``.N%`` (percent with N decimals) or ``d`` (whole number); ``{{`` and
``}}`` are literal braces. Placeholders are parsed and checked like any expression.
Rendering is vectorised in polars and repeated in plain Python with the same float
steps, so both give the same text: null is ``n/a``, integers have no decimals, other
numbers up to two (trailing zeros trimmed), dates are ISO, booleans ``yes``/``no``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from clientwise.compiler.plan import Source
from clientwise.errors import Problem, RulesetError
from clientwise.expr import nodes as n
from clientwise.expr.backends.polars import to_polars
from clientwise.expr.backends.python import evaluate, evaluate_rows
from clientwise.expr.backends.text import to_text
from clientwise.expr.checker import Scope, check
from clientwise.expr.functions import (
    EvalContext,
    FunctionRegistry,
    round_half_away,
    round_half_away_expr,
)
from clientwise.expr.parser import parse_fragment, problem
from clientwise.expr.types import Type

NULL_TEXT = "n/a"
_SPEC = re.compile(r"^(?:\.(?P<fixed>\d)f|\.(?P<pct>\d)%|(?P<int>d))$")
_INT64 = 2**63


@dataclass(frozen=True)
class Placeholder:
    """One ``{expression:spec}``; ``span`` covers the braces in the template text."""

    node: n.Node
    spec: str | None
    span: n.Span


@dataclass(frozen=True)
class Template:
    text: str
    parts: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    def fields_used(self, functions: FunctionRegistry | None = None) -> frozenset[str]:
        """Customer fields any placeholder reads (see :func:`~clientwise.expr.fields_used`)."""
        return frozenset().union(*(n.fields_used(p.node, functions) for p in self.placeholders))

    def tables_used(self, functions: FunctionRegistry | None = None) -> frozenset[str]:
        return frozenset().union(*(n.tables_used(p.node, functions) for p in self.placeholders))


def parse_template(text: str, source: Source) -> Template:
    """Split a template into text and parsed placeholders; report every problem at once."""
    parts: list[str | Placeholder] = []
    problems: list[Problem] = []
    buffer, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i + 1: i + 2] == ch:
            buffer.append(ch)
            i += 2
            continue
        if ch == "}":
            problems.append(problem("single '}' in a template", source, text, (i, i + 1),
                                    "write }} for a literal brace"))
            i += 1
            continue
        if ch != "{":
            buffer.append(ch)
            i += 1
            continue
        end, colon = _placeholder_end(text, i + 1)
        if end is None:
            problems.append(problem("'{' is never closed", source, text, (i, len(text)),
                                    "close the placeholder with }, or write {{ for a literal brace"))
            break
        if buffer:
            parts.append("".join(buffer))
            buffer = []
        stop = colon if colon is not None else end
        spec = text[colon + 1: end] if colon is not None else None
        try:
            node = parse_fragment(text[i + 1: stop], source, offset=i + 1, whole=text)
        except RulesetError as err:
            problems.extend(err.problems)
            node = n.Literal(None, span=(i + 1, stop))
        if spec is not None and not _SPEC.match(spec):
            problems.append(problem(f"unknown format '{spec}'", source, text, (colon + 1, end),  # type: ignore[operator]
                                    "use .2f (2 decimals), .1% (percent) or d (whole number)"))
        parts.append(Placeholder(node, spec, (i, end + 1)))
        i = end + 1
    if buffer:
        parts.append("".join(buffer))
    if problems:
        raise RulesetError(problems)
    return Template(text, tuple(parts))


def _placeholder_end(text: str, start: int) -> tuple[int | None, int | None]:
    """Index of the closing brace and of the format colon, skipping quoted text."""
    quote, depth, colon, j = None, 0, None, start
    while j < len(text):
        ch = text[j]
        if quote:
            if ch == "\\":
                j += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ":" and depth == 0 and colon is None:
            colon = j
        elif ch == "}" and depth <= 0:
            return j, colon
        j += 1
    return None, None


def check_template(template: Template, scope: Scope, registry: FunctionRegistry, *,
                   allow_population: bool = False, source: Source) -> Template:
    """Type-check every placeholder (all problems at once); a format needs a number."""
    problems: list[Problem] = []
    parts: list[str | Placeholder] = []
    for part in template.parts:
        if isinstance(part, str):
            parts.append(part)
            continue
        try:
            node = check(part.node, scope, registry, allow_population=allow_population,
                         source=source, text=template.text)
        except RulesetError as err:
            problems.extend(err.problems)
            parts.append(part)
            continue
        t = node.type
        if t is not None and t.kind in ("list", "table"):
            problems.append(problem(f"{t.describe()} cannot be shown in a text", source, template.text,
                                    part.node.span))
        elif part.spec is not None and t is not None and not (t.is_number or t.is_null):
            problems.append(problem(f"format '{part.spec}' needs a number, but {to_text(node)} is "
                                    f"{t.describe()}", source, template.text, part.span,
                                    "drop the format: {" + to_text(node) + "}"))
        parts.append(replace(part, node=node))
    if problems:
        raise RulesetError(problems)
    return replace(template, parts=tuple(parts))


# -- rendering --------------------------------------------------------------------
def _format(spec: str | None, t: Type) -> tuple[str, int, int, bool]:
    """(style, decimals, power of ten to scale by, trim zeros)."""
    match = _SPEC.match(spec) if spec else None
    if match and match["fixed"] is not None:
        return "fixed", int(match["fixed"]), int(match["fixed"]), False
    if match and match["pct"] is not None:
        return "pct", int(match["pct"]), int(match["pct"]) + 2, False
    if match and match["int"]:
        return "fixed", 0, 0, False
    return ("int", 0, 0, False) if t.integer else ("fixed", 2, 2, True)


def _fixed_expr(x: pl.Expr, decimals: int, power: int, trim: bool) -> pl.Expr:
    units = round_half_away_expr(x.cast(pl.Float64).abs() * (10.0 ** power)).cast(pl.Int64, strict=False)
    whole = (units // 10**decimals).cast(pl.String)
    body = whole
    if decimals:
        frac = (units % 10**decimals).cast(pl.String).str.zfill(decimals)
        if trim:
            frac = frac.str.strip_chars_end("0")
        body = pl.when(frac == "").then(whole).otherwise(pl.concat_str([whole, pl.lit("."), frac]))
    sign = pl.when((x < 0) & (units != 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, body])


def _fixed_py(v: Any, decimals: int, power: int, trim: bool) -> str:
    scaled = round_half_away(abs(float(v)) * (10.0 ** power))
    if not math.isfinite(scaled) or not scaled < _INT64:
        return NULL_TEXT
    units = int(scaled)
    body = str(units // 10**decimals)
    if decimals:
        frac = str(units % 10**decimals).zfill(decimals)
        frac = frac.rstrip("0") if trim else frac
        body = body + "." + frac if frac else body
    return ("-" if v < 0 and units != 0 else "") + body


def render_expr(x: pl.Expr, t: Type, spec: str | None) -> pl.Expr:
    """A polars string expression showing values of type ``t`` (null -> ``n/a``)."""
    if t.is_null:
        return pl.lit(NULL_TEXT)
    if t.kind == "string":
        out = x
    elif t.kind == "boolean":
        out = pl.when(x).then(pl.lit("yes")).when(~x).then(pl.lit("no"))
    elif t.kind == "date":
        out = x.dt.to_string("%Y-%m-%d")
    else:
        style, decimals, power, trim = _format(spec, t)
        out = x.cast(pl.Int64).cast(pl.String) if style == "int" else _fixed_expr(x, decimals, power, trim)
        if style == "pct":
            out = pl.concat_str([out, pl.lit("%")])
    return out.fill_null(NULL_TEXT)


def render_value(v: Any, t: Type, spec: str | None) -> str:
    """The plain-Python twin of :func:`render_expr` for one value."""
    if v is None:
        return NULL_TEXT
    if t.kind == "string":
        return str(v)
    if t.kind == "boolean":
        return "yes" if v else "no"
    if t.kind == "date":
        return v.isoformat()
    style, decimals, power, trim = _format(spec, t)
    if style == "int":
        return str(int(v))
    text = _fixed_py(v, decimals, power, trim)
    return text + "%" if style == "pct" and text != NULL_TEXT else text


def render_template(template: Template, ctx: EvalContext, *,
                       columns: Mapping[str, str] | None = None) -> pl.Expr:
    """The rendered text of a checked template, one string per customer."""
    pieces = [pl.lit(p) if isinstance(p, str) else
              render_expr(to_polars(p.node, ctx, columns=columns), p.node.type, p.spec)  # type: ignore[arg-type]
              for p in template.parts]
    return pl.concat_str(pieces) if pieces else pl.lit("")


def render_texts(template: Template, rows: Sequence[Mapping[str, Any]], ctx: EvalContext,
                related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> list[str]:
    """The rendered text for every row, evaluated by the reference evaluator."""
    out = [""] * len(rows)
    for part in template.parts:
        if isinstance(part, str):
            out = [o + part for o in out]
            continue
        values = evaluate_rows(part.node, rows, ctx, related)
        out = [o + render_value(v, part.node.type, part.spec) for o, v in zip(out, values)]  # type: ignore[arg-type]
    return out


def render_text(template: Template, row: Mapping[str, Any], ctx: EvalContext,
           related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> str:
    """The rendered text for one customer (no population functions: they need every customer)."""
    return "".join(
        p if isinstance(p, str) else render_value(evaluate(p.node, row, ctx, related), p.node.type, p.spec)  # type: ignore[arg-type]
        for p in template.parts
    )

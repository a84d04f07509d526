"""``because`` texts: ``"Sponsor last visited {days_since(last_sponsor_visit)} days ago"``.

A placeholder is ``{expression}`` or ``{expression:spec}`` with spec ``money``
(an amount with the report's currency), ``percent`` (a fraction as a percent),
``number``, ``date``, ``.Nf`` (N decimals), ``.N%`` (percent with N decimals) or ``d``
(whole number); ``{{`` and ``}}`` are literal braces. Placeholders are parsed and
checked like any expression. Values are written in the ruleset's ``[report]`` locale
(see :mod:`clientwise.expr.render`), as the reports' tables write them.
"""

from __future__ import annotations

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
from clientwise.expr.functions import EvalContext, FunctionRegistry
from clientwise.expr.parser import parse_fragment, problem
from clientwise.expr.render import SPEC, SPEC_HINT, render_expr, render_value, spec_fits
from clientwise.output.locale import LocaleStyle



@dataclass(frozen=True)
class Placeholder:
    """One ``{expression:spec}``; ``span`` covers the braces in the template text."""

    node: n.Node
    spec: str | None
    span: n.Span


@dataclass(frozen=True)
class Template:
    """A parsed template; ``style`` is the locale its values are written in (the
    compiler sets the ruleset's ``[report]`` locale and currency)."""

    text: str
    parts: tuple[str | Placeholder, ...]
    style: LocaleStyle = LocaleStyle()

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
        if spec is not None and not SPEC.match(spec):
            problems.append(problem(f"unknown format '{spec}'", source, text, (colon + 1, end),  # type: ignore[operator]
                                    SPEC_HINT))
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
        elif part.spec is not None and t is not None and not spec_fits(part.spec, t):
            wanted = "a date" if part.spec == "date" else "a number"
            problems.append(problem(f"format '{part.spec}' needs {wanted}, but {to_text(node)} is "
                                    f"{t.describe()}", source, template.text, part.span,
                                    "drop the format: {" + to_text(node) + "}"))
        parts.append(replace(part, node=node))
    if problems:
        raise RulesetError(problems)
    return replace(template, parts=tuple(parts))


def render_template(template: Template, ctx: EvalContext, *,
                       columns: Mapping[str, str] | None = None) -> pl.Expr:
    """The rendered text of a checked template, one string per customer."""
    pieces = [pl.lit(p) if isinstance(p, str) else
              render_expr(to_polars(p.node, ctx, columns=columns), p.node.type, p.spec, template.style)  # type: ignore[arg-type]
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
        out = [o + render_value(v, part.node.type, part.spec, template.style) for o, v in zip(out, values)]  # type: ignore[arg-type]
    return out


def render_text(template: Template, row: Mapping[str, Any], ctx: EvalContext,
           related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> str:
    """The rendered text for one customer (no population functions: they need every customer)."""
    return "".join(
        p if isinstance(p, str) else render_value(evaluate(p.node, row, ctx, related), p.node.type, p.spec, template.style)  # type: ignore[arg-type]
        for p in template.parts
    )

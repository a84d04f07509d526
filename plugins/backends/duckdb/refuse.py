"""What the DuckDB backend cannot compile, found before any data is read.

A function without a SQL form (``FunctionSpec.sql``: a plugin's function written for
polars only) is refused, naming the field or rule (file and key path) and the call,
so a ruleset never runs half on one semantics. Plugin-computed fields are not refused:
they run in polars over their input columns (see ``derive.py``).
"""

from __future__ import annotations

from clientwise.compiler.program import Program
from clientwise.expr import Call, FunctionRegistry, to_text, walk
from clientwise.host.contracts import Refusal
from clientwise.runtime.loop import expressions


def refusals(program: Program, functions: FunctionRegistry) -> list[Refusal]:
    found: list[Refusal] = []
    seen: set[tuple[str, str]] = set()
    for node, source in expressions(program.steps()):
        for sub in walk(node):
            if isinstance(sub, Call) and sub.name in functions and functions[sub.name].sql is None:
                text = to_text(sub)
                if (source.path, text) not in seen:
                    seen.add((source.path, text))
                    provider = functions.provider(sub.name) or "a plugin"
                    found.append(Refusal(source, text, f"{sub.name}() (from {provider}) has no SQL form"))
    return found

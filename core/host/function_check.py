"""Does a function give the same values on polars and in Python?

Every :class:`~clientwise.expr.FunctionSpec` carries two implementations: ``polars``
for evaluations and ``python`` for explanations, ``clientwise explain`` and single
customers (``Evaluator.evaluate_one``). When they disagree, a customer's trace
contradicts its result. :func:`disagreements` runs each function's ``example`` over
customers built from the default ruleset's fields (every value null in turn, then a
mix) both ways; ``clientwise.sdk.testing.assert_plugin_valid`` reports what it finds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from clientwise import expr
from clientwise.compiler.plan import Source
from clientwise.expr.trend import PREVIOUS, REVIEWED, STREAK, previous_column, streak_column, trend_needs
from clientwise.runtime.derive import derive

#: Values tried per type; the first is the value a field keeps while another is null.
PALETTES: dict[str, tuple[Any, ...]] = {
    "number": (2.5, None, -1.0, 0.0, 0.35, 1200.0),
    "integer": (3, None, -1, 0, 12),
    "string": ("strategic", None, "", "x"),
    "boolean": (True, None, False),
    "date": (dt.date(2026, 3, 31), None, dt.date(2025, 6, 30), dt.date(2026, 6, 30)),
}
AS_OF = dt.date(2026, 6, 30)
KEY = "customer_id"


def disagreements(specs: Sequence[expr.FunctionSpec], registry: expr.FunctionRegistry,
                  scope: expr.Scope) -> list[str]:
    """One line per function whose two implementations differ, naming the inputs."""
    ctx = expr.EvalContext(as_of=AS_OF, functions=registry, key=KEY)
    found = []
    for spec in specs:
        typed = _typed_example(spec, registry, scope)
        if typed is None:  # not an expression over fields: nothing to compare
            continue
        node, scope = typed
        rows, related = _customers(node, registry, scope)
        try:
            on_polars = derive(_frame(rows, scope.fields), [("out", node)], related, ctx)["out"].to_list()
        except Exception as error:
            found.append(f"{spec.name}(): {spec.example} fails on polars: {type(error).__name__}: {error}")
            continue
        try:
            in_python = expr.evaluate_rows(node, rows, ctx, {t: f.to_dicts() for t, f in related.items()})
        except Exception as error:
            found.append(f"{spec.name}(): {spec.example} fails in Python: {type(error).__name__}: {error}")
            continue
        for row, got, want in zip(rows, on_polars, in_python):
            if not _same(got, want):
                inputs = ", ".join(f"{name}={value!r}" for name, value in row.items() if name != KEY)
                found.append(f"{spec.name}() disagrees with itself: {spec.example} with {inputs or 'no fields'} "
                             f"is {got!r} on polars but {want!r} in Python; make both implementations give "
                             "the same value, nulls included")
                break
    return found


#: Types tried, in order, for a field the example names that the default ruleset lacks.
_GUESSES = (expr.NUMBER, expr.STRING, expr.DATE, expr.BOOLEAN)


def _typed_example(spec: expr.FunctionSpec, registry: expr.FunctionRegistry,
                   base: expr.Scope) -> tuple[expr.Node, expr.Scope] | None:
    """The example, type-checked: fields the default ruleset lacks (``upper(country)``)
    get the first types that make it check, as a customer field and as a column of
    every related table (an aggregate's arguments read the table's columns)."""
    source = Source("example", f"{spec.name}.example")
    try:
        parsed = expr.parse(spec.example, source)
    except Exception:
        return None
    known = set(base.fields) | set(base.tables) | {c for columns in base.tables.values() for c in columns}
    unknown = sorted({node.name for node in expr.walk(parsed) if isinstance(node, expr.Field)} - known)
    for types in itertools.islice(itertools.product(_GUESSES, repeat=len(unknown)), 256):
        guessed = dict(zip(unknown, types))
        scope = expr.Scope({**base.fields, **guessed},
                           {table: {**columns, **guessed} for table, columns in base.tables.items()})
        try:
            return expr.check(parsed, scope, registry, allow_population=True, source=source,
                              text=spec.example), scope
        except Exception:
            continue
    return None


def _customers(node: expr.Node, registry: expr.FunctionRegistry,
               scope: expr.Scope) -> tuple[list[dict[str, Any]], dict[str, pl.DataFrame]]:
    """Customers for ``node``: its fields all set, each null in turn, then mixed; each
    customer has two rows in every related table the node aggregates over."""
    fields = sorted(expr.fields_used(node, registry) - {KEY})
    palettes = [_palette(scope.fields[name]) for name in fields]
    choices = [[0] * len(fields)]
    choices += [[1 if i == nulled else 0 for i in range(len(fields))] for nulled in range(len(fields))]
    choices += [[(row + 2 * i) % len(p) for i, p in enumerate(palettes)] for row in range(6)]
    rows = [{KEY: f"K{number}", **{f: p[c] for f, p, c in zip(fields, palettes, picks)}}
            for number, picks in enumerate(choices)]
    for number, row in enumerate(rows):  # what trend functions read from an earlier run
        row.update({column: palette[(number + 1) % len(palette)] for column, palette in _history(node, registry, scope)})
    related = {}
    for table in sorted(expr.tables_used(node, registry)):
        columns = scope.tables[table]
        related_rows = [{KEY: row[KEY], **{name: _palette(t)[(number + offset + i) % len(_palette(t))]
                                            for i, (name, t) in enumerate(columns.items()) if name != KEY}}
                        for number, row in enumerate(rows) for offset in (0, 3)]
        related[table] = _frame(related_rows, columns)
    return rows, related


def _history(node: expr.Node, registry: expr.FunctionRegistry,
             scope: expr.Scope) -> list[tuple[str, tuple[Any, ...]]]:
    """The hidden columns a trend call reads (:mod:`clientwise.expr.trend`) with their palettes."""
    needs = trend_needs([node], registry)
    found = [(previous_column(f), _palette(scope.fields[f])) for f in sorted(needs.fields)]
    found += [(streak_column(c), (2, None, 0, 1)) for c in needs.conditions]
    return found + ([(REVIEWED, PALETTES["date"])] if needs.reviewed else [])


def _palette(type_: expr.Type) -> tuple[Any, ...]:
    return PALETTES["integer" if type_.integer else type_.kind]


def _frame(rows: list[dict[str, Any]], types: Any) -> pl.DataFrame:
    schema = {name: expr.dtype_of(types[name]) if name in types else _hidden_dtype(name, rows, types)
              for name in rows[0]}
    return pl.DataFrame(rows, schema=schema)


def _hidden_dtype(name: str, rows: list[dict[str, Any]], types: Any) -> pl.DataType:
    """A trend column's dtype: its field's, a count's or a date's; text for anything else."""
    field = name.removeprefix(PREVIOUS)
    if name != field and field in types:
        return expr.dtype_of(types[field])
    if name == REVIEWED:
        return pl.Date()
    return pl.Int64() if name.startswith(STREAK) else pl.String()


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, float) and isinstance(want, int | float) and not isinstance(want, bool):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(got) and math.isnan(want))
    return got == want and isinstance(got, bool) == isinstance(want, bool)

"""Derived fields in SQL: the twin of :mod:`clientwise.runtime.derive` for the DuckDB backend.

A run of expression fields (:class:`~clientwise.compiler.program.ExpressionLevels`)
becomes, in order: one grouped query per related table with every aggregate call over
it (filters and values computed per related row first, joined to the customer's row),
one query per population call (innermost first: a ``rank`` of a ``share``), and one
``SELECT *, ...`` per dependency level. Aggregate and population results are helper
columns the level expressions read (:func:`clientwise.expr.backends.sql.to_sql`'s
``columns``). A plugin-computed field (polars code) runs in polars over its input
columns only and is joined back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from clientwise.compiler.program import DeriveStratum, ExpressionLevels
from clientwise.compiler.steps import DerivedStep
from clientwise.errors import DataError
from clientwise.expr import Call, EvalContext, Node, to_text, walk
from clientwise.expr.backends.sql import SqlCompiler, ident, literal, sql_type
from clientwise.expr.functions import SqlCall
from clientwise.plugins.backends.duckdb.session import RELATED_ROW, ROW, Chain


class SqlDeriver:
    """Adds derive strata to a run's chain of tables."""

    def __init__(self, chain: Chain, related: Mapping[str, str], ctx: EvalContext, guard: Any):
        self.chain, self.related, self.ctx, self.guard = chain, related, ctx, guard
        #: canonical call text -> quoted helper column, for every aggregate/population call so far
        self.columns: dict[str, str] = {}

    def stratum(self, stratum: DeriveStratum) -> None:
        for part in stratum.parts:
            if isinstance(part, ExpressionLevels):
                self.levels(part)
            else:
                self.computed(part)

    # -- expression fields ------------------------------------------------------------------
    def levels(self, part: ExpressionLevels) -> None:
        self.aggregates([step.node for step in part.steps if step.node is not None])
        for level in part.levels:
            self.population([step.node for step in level if step.node is not None])
            compiler = SqlCompiler(self.ctx, self.columns, ident(ROW))
            fields = ", ".join(f"{_typed(compiler.generate(step.node), step.node)} AS {ident(step.name)}"
                               for step in level if step.node is not None)
            self.chain.step(f"SELECT *, {fields} FROM {self.chain.current}", materialize=False)

    def aggregates(self, nodes: Sequence[Node]) -> None:
        """Every new aggregate call, one grouped query per related table, joined on the row."""
        by_table: dict[str, list[tuple[str, Call]]] = {}
        for node in nodes:
            for call in self._calls(node, "aggregate"):
                text = to_text(call)
                if text not in self.columns:
                    self.columns[text] = ident(self.chain.fresh("agg"))
                    table = call.args[0].type.table if call.args[0].type else None
                    by_table.setdefault(str(table), []).append((self.columns[text], call))
        for table, calls in by_table.items():
            if table not in self.related:
                raise DataError(f"the ruleset aggregates over the '{table}' table, but no {table} data was loaded")
            self._aggregate_table(self.related[table], calls)

    def _aggregate_table(self, rows: str, calls: list[tuple[str, Call]]) -> None:
        key = ident(self.ctx.key)
        compiler = SqlCompiler(self.ctx, {}, ident(RELATED_ROW))
        keeps, values, aggregates, filled = [], [], [], []
        for index, (column, call) in enumerate(calls):
            spec = self.ctx.functions[call.name]
            stop = spec.filter_arg if spec.filter_arg is not None else len(call.args)
            keep = None
            if spec.filter_arg is not None and spec.filter_arg < len(call.args):
                keep = ident(f"k{index}")
                keeps.append(f"coalesce({compiler.boolean(call.args[spec.filter_arg])}, FALSE) AS {keep}")
            names = []
            for position, argument in enumerate(call.args[1:stop]):
                name = ident(f"v{index}_{position}")
                value = compiler.generate(argument)
                values.append(f"{f'CASE WHEN {keep} THEN {value} END' if keep else value} AS {name}")
                names.append(name)
            info = SqlCall(call.args[1:stop], self.ctx.as_of, key, ident(RELATED_ROW))
            assert spec.sql is not None  # refused at compile time otherwise
            aggregates.append(f"{spec.sql(names, keep, info)} AS {column}")
            filled.append(f"{self._result(call, column)} AS {column}")
        customers = f"SELECT {ident(ROW)}, {key} FROM {self.chain.current}"
        joined = f"SELECT r.*, c.{ident(ROW)} FROM {rows} r JOIN ({customers}) c ON r.{key} = c.{key}"
        flagged = f"SELECT *{''.join(', ' + k for k in keeps)} FROM ({joined})"
        valued = f"SELECT *{''.join(', ' + v for v in values)} FROM ({flagged})"
        grouped = f"SELECT {ident(ROW)}, {', '.join(aggregates)} FROM ({valued}) GROUP BY {ident(ROW)}"
        names = ", ".join(column for column, _ in calls)
        self.chain.step(f"SELECT * EXCLUDE ({names}), {', '.join(filled)} FROM "
                        f"(SELECT t.*, {', '.join('a.' + c for c, _ in calls)} FROM {self.chain.current} t "
                        f"LEFT JOIN ({grouped}) a ON t.{ident(ROW)} = a.{ident(ROW)})")

    def _result(self, call: Call, column: str) -> str:
        """The aggregate's value for every customer: ``empty`` without related rows, checked."""
        spec = self.ctx.functions[call.name]
        value = column if spec.empty is None else f"coalesce({column}, {literal(spec.empty)})"
        if spec.checked and call.type is not None and call.type.is_number:
            check = "cw_int" if call.type.integer else "cw_float"
            return f"{check}({value}, {literal(to_text(call))}, {ident(self.ctx.key)})"
        return value

    def population(self, nodes: Sequence[Node]) -> None:
        """Every new population call of one level, innermost first, as a helper column."""
        for node in nodes:
            for call in reversed(self._calls(node, "population")):
                text = to_text(call)
                if text in self.columns:
                    continue
                spec = self.ctx.functions[call.name]
                assert spec.sql is not None  # refused at compile time otherwise
                compiler = SqlCompiler(self.ctx, self.columns, ident(ROW))
                args = [compiler.generate(argument) for argument in call.args]
                current = self.chain.current
                query = spec.sql(args, SqlCall(call.args, self.ctx.as_of, ident(self.ctx.key), ident(ROW), current))
                value = "p.value"
                if spec.checked and call.type is not None and call.type.is_number:
                    value = f"{'cw_int' if call.type.integer else 'cw_float'}(p.value, {literal(text)}, NULL)"
                column = ident(self.chain.fresh("pop"))
                self.chain.step(f"SELECT t.*, {value} AS {column} FROM {current} t "
                                f"LEFT JOIN ({query}) p ON t.{ident(ROW)} = p.{ident(ROW)}")
                self.columns[text] = column

    def _calls(self, node: Node, kind: str) -> list[Call]:
        return [sub for sub in walk(node) if isinstance(sub, Call) and self.ctx.functions[sub.name].kind == kind]

    # -- plugin code ------------------------------------------------------------------------
    def computed(self, step: DerivedStep) -> None:
        """A plugin-computed field: its polars code over its input columns, joined back."""
        assert step.computed is not None
        inputs = [name for name in dict.fromkeys(step.computed.inputs) if name != ROW]
        frame = self.chain.fetch([ROW, *inputs])
        build = step.computed.build

        def run(rows: pl.DataFrame, _stratum: DeriveStratum) -> pl.DataFrame:
            return rows.with_columns(build().alias(step.name))

        frame = self.guard.derive(frame, DeriveStratum((step,)), run).select(ROW, step.name)
        view = self.chain.register(frame, "computed")
        self.chain.step(f"SELECT t.*, c.{ident(step.name)} FROM {self.chain.current} t "
                        f"LEFT JOIN {view} c ON t.{ident(ROW)} = c.{ident(ROW)}")


def _typed(sql: str, node: Node) -> str:
    """The field as the SQL type its type promises (BIGINT for integer numbers...)."""
    if node.type is None or node.type.is_null:
        return sql
    return f"CAST({sql} AS {sql_type(node.type)})"


"""One customer at a time, against population figures a batch evaluation left behind.

A service asks "what does this customer get?" per request. Population functions
(``rank``, ``share``, ``median`` ...) need the portfolio, so :meth:`Evaluator.evaluate`
keeps its evaluated frame (a :class:`Population`); a call then runs the program's
schedule through the same loop as a batch (:mod:`clientwise.runtime.loop`), with a
deriver that computes the record's fields:

* fields a customer can compute alone, in plain Python with the reference evaluator
  (a polars query per run of fields cost more than the rest);
* fields that need the whole portfolio (``DerivedStep.whole_portfolio``) over the
  kept portfolio plus the record, taking the record's value: the other customers keep
  their batch values (the population figures are frozen);
* decisions with the evaluator's engine as ``Engine.inline`` gives it, in this process.

A record already in the portfolio with unchanged data gets exactly its batch result;
the tests hold both engines to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise import expr
from clientwise.compiler.program import DeriveStratum, Program
from clientwise.compiler.steps import DerivedStep
from clientwise.runtime.derive import derive_stratum, field_column
from clientwise.runtime.rows import add_columns, derive_rows


class Portfolio:
    """The evaluated portfolio as single-customer calls read it, with what they work out
    from it once: its schema, each field's input columns, where each customer's row is.

    It belongs to one :class:`Population` (a new batch evaluation makes a new one), so
    nothing kept here outlives the frame it was worked out from.
    """

    def __init__(self, frame: pl.DataFrame, key: str, related: Mapping[str, pl.DataFrame] | None = None):
        self.frame, self.key, self.related = frame, key, related or {}
        self.schema = frame.schema  # a 150-column schema costs more than a field: built once
        self._columns: dict[tuple[str, ...], pl.DataFrame] = {}
        self._sorted: bool | None = None
        self._found: tuple[Any, int] | None = None
        self._expressions: dict[str, pl.Expr | None] = {}
        self._related_keys: dict[str, pl.DataFrame] = {}

    def with_record(self, columns: Sequence[str], customer: Any, record: pl.DataFrame) -> pl.DataFrame:
        """``columns`` of every customer but ``customer`` in the portfolio's order, then
        the record's row: one chunk, as the batch's frame (polars adds floats chunk by chunk)."""
        chosen = self._columns.get(tuple(columns))
        if chosen is None:
            chosen = self._columns[tuple(columns)] = self.frame.select(columns)
        at = self._row_of(customer)
        if at is None:  # a key of another type, or keys out of order: as a filter finds it
            others = chosen.filter(pl.col(self.key) != customer)
        else:
            others = chosen if at < 0 else chosen.slice(0, at).vstack(chosen.slice(at + 1))
        mine = pl.DataFrame([record.get_column(column) for column in columns])  # no query to plan
        if mine.dtypes != others.dtypes:  # the record's values typed otherwise: the common type
            return pl.concat([others, mine], how="vertical_relaxed", rechunk=True)
        return others.vstack(mine).rechunk()

    def column(self, step: DerivedStep, ctx: expr.EvalContext) -> pl.Expr | None:
        """The polars column of an expression field that aggregates no related table
        (as the derive stage builds it), built once; None for any other field."""
        if step.name not in self._expressions:
            plain = step.node is not None and not expr.tables_used(step.node, ctx.functions)
            self._expressions[step.name] = field_column(step.name, step.node, ctx, {}) if plain else None
        return self._expressions[step.name]

    def columns_of(self, one: pl.DataFrame, columns: Sequence[str], customer: Any) -> pl.DataFrame:
        """``one`` (the record's row) with ``columns`` of the customer's batch row, null when
        it has none: what a left join on the key gives, without joining the portfolio."""
        at = self._row_of(customer)
        if at is None or one.height != 1 or any(column in one.columns for column in columns):
            return one.join(self.frame.select(self.key, *columns), on=self.key, how="left")
        if at < 0:
            return one.hstack([pl.Series(c, [None], dtype=self.schema[c]) for c in columns])
        return one.hstack([self.frame.get_column(c).slice(at, 1) for c in columns])

    def related_rows(self, table: str, customer: Any) -> pl.DataFrame:
        """The customer's rows of a related table, in the table's order (what a filter on
        the key finds), by binary search over the table's keys sorted once."""
        frame = self.related[table]
        index = self._related_keys.get(table)
        if index is None:  # row numbers by key; a stable sort keeps each customer's rows in order
            index = self._related_keys[table] = frame.select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), pl.col(self.key).alias("key")
            ).drop_nulls("key").sort("key", maintain_order=True)
        keys = index.get_column("key")
        try:
            start = int(keys.search_sorted(customer, side="left"))
            stop = int(keys.search_sorted(customer, side="right"))
        except (TypeError, ValueError, pl.exceptions.PolarsError):  # a key of another type
            return frame.filter(pl.col(self.key) == customer)
        return frame[index.get_column("row").slice(start, stop - start)]

    def _row_of(self, customer: Any) -> int | None:
        """The customer's row (-1: not in the portfolio), by binary search over the keys a
        batch leaves in increasing order (no filter over the whole portfolio per call);
        None when that search cannot answer."""
        found = self._found  # read once: calls from several threads each see a whole pair
        if found is not None and found[0] == customer:
            return found[1]
        keys = self.frame.get_column(self.key)
        if self._sorted is None:
            self._sorted = keys.null_count() == 0 and bool(keys.is_sorted())
        if not self._sorted or customer is None:
            return None
        try:
            at = int(keys.search_sorted(customer, side="left"))
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            return None
        row = at if at < keys.len() and keys[at] == customer else -1
        self._found = (customer, row)  # the next fields of the same call look for it again
        return row


@dataclass(frozen=True)
class Population:
    """What a batch evaluation leaves for single-customer calls."""

    frame: pl.DataFrame
    related: Mapping[str, pl.DataFrame]
    as_of: dt.date
    #: the program as the batch ran it (steps the export could not feed made unknown)
    program: Program
    key: str = "customer_id"
    portfolio: Portfolio = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "portfolio", Portfolio(self.frame, self.key, self.related))


@dataclass
class OneCustomer:
    """Derives a record's fields against a frozen portfolio (a ``Deriver`` for the loop).

    ``portfolio`` is the batch's evaluated portfolio and ``customer`` the record's key: a
    field over the portfolio reads the other customers' few columns it needs, so a call
    never copies the whole (150-column) portfolio to leave the record's batch row out.
    """

    portfolio: Portfolio
    customer: Any
    related: Mapping[str, pl.DataFrame]
    ctx: expr.EvalContext

    def __post_init__(self) -> None:
        self.related_rows = {name: frame.to_dicts() for name, frame in self.related.items()}
        self.schema = self.portfolio.schema

    def __call__(self, one: pl.DataFrame, stratum: DeriveStratum) -> pl.DataFrame:
        local: list[DerivedStep] = []
        for step in [*stratum.steps, None]:
            if step is not None and not step.whole_portfolio and step.computed is None:
                local.append(step)
                continue
            if local:
                one = self._local(one, local)
                local = []
            if step is not None:
                one = self._over_portfolio(one, step) if step.whole_portfolio else self._computed(one, step)
        return one

    def _over_portfolio(self, one: pl.DataFrame, step: DerivedStep) -> pl.DataFrame:
        """The field over the portfolio plus the record (plugin code may read any column)."""
        reads = step.reads | {self.ctx.key}
        columns = one.columns if step.computed is not None else [c for c in one.columns if c in reads]
        spliced = self.portfolio.with_record(columns, self.customer, one)
        column = self.portfolio.column(step, self.ctx)
        if column is not None:  # built once; one select (a query of its own costs several times more)
            value = spliced.select(column).to_series().tail(1)
        else:
            value = derive_stratum(spliced, DeriveStratum((step,)), self.related, self.ctx).get_column(step.name).tail(1)
        return self._added(one, value.alias(step.name))

    def _computed(self, one: pl.DataFrame, step: DerivedStep) -> pl.DataFrame:
        """Plugin code computing a customer's value from its own row (``ComputedField.row_local``)."""
        assert step.computed is not None
        return self._added(one, one.select(step.computed.build().alias(step.name)).to_series())

    def _added(self, one: pl.DataFrame, value: pl.Series) -> pl.DataFrame:
        """``one`` with ``value`` in the portfolio's dtype (a single row may infer it as null-typed)."""
        wanted = self.schema.get(value.name)
        return add_columns(one, [value if wanted is None or value.dtype == wanted else value.cast(wanted)])

    def _local(self, one: pl.DataFrame, steps: Sequence[DerivedStep]) -> pl.DataFrame:
        """Fields one customer computes alone, with the reference evaluator
        (:mod:`clientwise.runtime.rows`), in the portfolio's dtypes."""
        return derive_rows(one, steps, self.related_rows, self.ctx, self.schema)


def typed_like(one: pl.DataFrame, wanted: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A single row may infer a column as null-typed; keep the portfolio's dtypes (``wanted``)."""
    have = one.schema
    return one.cast({c: wanted[c] for c, dtype in have.items() if c in wanted and dtype != wanted[c]})


def record_tables(population: Population, record: Mapping[str, Any], key: str,
                  related: Mapping[str, pl.DataFrame | list[dict[str, Any]]] | None) -> dict[str, pl.DataFrame]:
    """The record as a customers table, with its related rows: those given, else the portfolio's."""
    customer = record[key]
    tables: dict[str, pl.DataFrame] = {"customers": pl.DataFrame([dict(record)])}
    for name, frame in population.related.items():
        given = (related or {}).get(name)
        if given is None:
            tables[name] = population.portfolio.related_rows(name, customer)
        else:
            tables[name] = given if isinstance(given, pl.DataFrame) else pl.DataFrame(given, schema=frame.schema)
    return tables

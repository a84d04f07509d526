"""The objects plugins hand to the core through hooks.

Each is a small Protocol so a plugin can implement it with any class; the hooks in
:mod:`clientwise.host.spec` return lists of these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    BinaryIO,
    ClassVar,
    Literal,
    Protocol,
    runtime_checkable,
)

import polars as pl
from pydantic import BaseModel

from clientwise.compiler.plan import SectionPlan, SectionSummary, Source
from clientwise.host.read_options import ReadOptions

if TYPE_CHECKING:
    from clientwise.expr.functions import FunctionRegistry
    from clientwise.expr.nodes import Node
    from clientwise.runtime.result import Result
    from clientwise.ruleset import DataConfig

#: The outcome of one rule for one customer, as every engine reports it.
#: ``skipped`` is a first-match rule after the one that fired: it was not evaluated.
RULE_STATUS = pl.Enum(["fired", "not_met", "unknown", "skipped"])


@dataclass(frozen=True)
class CompileContext:
    """What a section handler may look at while compiling its section."""

    file: str
    data: DataConfig

    def source(self, path: str) -> Source:
        return Source(self.file, path)


@dataclass(frozen=True)
class SummaryContext:
    """What a section's portfolio summary may need besides its settings and the table."""

    key: str
    name: str
    as_of: dt.date


@runtime_checkable
class SectionHandler(Protocol):
    """Handles one top-level ruleset section (``[segmentation]``, ``[rfm]``, ...)."""

    name: ClassVar[str]
    model: ClassVar[type[BaseModel]]
    title: ClassVar[str]

    def compile(self, config: BaseModel, context: CompileContext) -> SectionPlan:
        """Turn the validated section into derived fields and decision rules."""
        ...

    def summarize(self, config: BaseModel, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        """Portfolio figures over the evaluated customers table (one row per customer,
        every input, derived and output column; ``context.key`` identifies customers)."""
        ...


@dataclass(frozen=True)
class RawTable:
    """One table as a loader read it, before mapping and validation.

    ``rows`` says how the user's own tool numbers each row (``2`` for the first data
    row of a CSV with a header line), one entry per row of ``frame``, so messages
    point at the line the user sees.
    """

    name: Literal["customers", "contacts", "interactions"] | str
    frame: pl.DataFrame
    file: str
    rows: pl.Series


@runtime_checkable
class Loader(Protocol):
    """Reads customer records from one kind of file."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    def read(
        self,
        path: Path,
        columns: Mapping[str, Sequence[str] | None],
        *,
        keys: Mapping[str, str] | None = None,
        options: ReadOptions | None = None,
    ) -> dict[str, RawTable]:
        """Read the tables found in ``path``.

        ``columns`` maps each wanted table to the source column names needed, or None
        for all columns; a loader may read only those (Parquet does). ``keys`` gives
        each table's customer-key column as the file names it, so a format that nests
        contacts inside customers (JSON) can give nested rows their customer's key.
        ``options`` (optional: a loader without the parameter is called without it)
        says how ``[data]`` declares the file: the table it holds, its encoding, CSV
        dialect or sheet.
        """
        ...


@runtime_checkable
class Writer(Protocol):
    """Writes an evaluation result in one format."""

    format: ClassVar[str]
    suffix: ClassVar[str]
    description: ClassVar[str]

    def write(self, result: Result, stream: BinaryIO) -> None:
        ...


@dataclass(frozen=True)
class CompiledRule:
    """A checked rule ready for an engine: its condition as typed expression nodes."""

    id: str
    condition: Node
    source: Source
    when: str


@dataclass(frozen=True)
class CompiledDecision:
    """A group of rules decided together: ``first`` match (a classification) or ``all`` (actions)."""

    output: str
    mode: Literal["first", "all"]
    rules: tuple[CompiledRule, ...]
    #: ``first`` only: the value each rule gives (same order as ``rules``) and the
    #: default, so an engine that chains (``Engine.chains``) can assert the decided
    #: value for later rules; the core still computes the output columns itself.
    then: tuple[Node, ...] = ()
    default: Node | None = None


@dataclass(frozen=True)
class DecideContext:
    """What an engine needs besides the rows: the run's date, the key and the functions."""

    as_of: dt.date
    key: str
    functions: FunctionRegistry
    #: the ruleset's name, for engine error messages
    ruleset: str = ""


@runtime_checkable
class Engine(Protocol):
    """Evaluates decision rules over customers whose derived fields are known.

    An engine may set ``chains: ClassVar[bool] = True`` (read with ``getattr``, so
    engines without it keep working): the core then hands it, in one ``decide`` call,
    a dependency-ordered run of decisions in which later rules read the outputs of
    earlier ``first`` decisions (chained rules); the engine must derive those values
    itself from ``CompiledDecision.then``/``default``. Without it, such a run is split
    into one call per dependency level (stratification).

    Two optional methods, also read with ``getattr``: ``prepare()``, called when an
    evaluation has loaded its data (the durable engine starts its workers there, so
    they start while fields are derived), and ``close()``, called by
    ``Evaluator.close()`` to release what the engine keeps between evaluations; an
    engine must still work when used after ``close()``.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def decide(
        self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext
    ) -> pl.DataFrame:
        """One :data:`RULE_STATUS` column per rule, named by rule id, rows in ``frame`` order.

        For ``first`` decisions, every rule after the fired one is ``skipped``; a
        condition that is null is ``unknown`` and does not fire.
        """
        ...

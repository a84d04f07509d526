"""The objects plugins hand to the core through hooks.

Each contract is a base class a plugin subclasses: the required methods are abstract,
the optional capabilities have working defaults, so the core never probes an object
for what it can do. The hooks in :mod:`clientwise.host.spec` return lists of these,
and the host refuses an item that does not subclass its contract.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Generic, Literal, TypeVar

import polars as pl
from pydantic import BaseModel

from clientwise.compiler.plan import OutputColumn, SectionPlan, SectionSummary, Source
from clientwise.host.read_options import ReadOptions
from clientwise.output.blocks import Block, summary_blocks
from clientwise.output.locale import LocaleStyle
from clientwise.output.messages import Messages

if TYPE_CHECKING:
    from clientwise.expr.functions import CompiledExpressions, FunctionRegistry
    from clientwise.expr.nodes import Node
    from clientwise.ruleset.data import DataConfig
    from clientwise.runtime.result import Result

#: The settings model a section handler is parametrised with.
ConfigT = TypeVar("ConfigT", bound=BaseModel)

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


@dataclass(frozen=True)
class ReportContext:
    """What a section's report may look at besides its settings and its summary.

    ``table`` has one row per evaluated customer: the ``key`` and ``name`` columns, the
    input data, this section's own derived fields and outputs, and the columns other
    sections share with every report: their ``groups`` (columns customers are grouped by,
    such as the tier) and ``measures`` (their headline amounts, such as profit). Other
    sections' fields are left out, so a report depends on other sections only through
    what they declare, never on their column names.
    """

    key: str
    #: The customer-name column, or None when customers have no name besides their key.
    name: str | None
    as_of: dt.date
    table: pl.DataFrame
    #: This section's output columns (labels and kinds to show them with).
    columns: tuple[OutputColumn, ...]
    #: Other sections' columns marked ``group`` (``OutputColumn.group``), in ``table``.
    groups: tuple[OutputColumn, ...] = ()
    #: Other sections' headline amounts (``money`` outputs that are not ``detail``), in ``table``.
    measures: tuple[OutputColumn, ...] = ()
    #: Sentences in the report's language (``[report] locale``): clientwise's catalogue
    #: extended by this section's (``SectionHandler.messages``). ``context.messages("Net
    #: promoter score")`` gives the translation, or the English text when there is none.
    messages: Messages = field(default_factory=Messages)
    #: The report's locale and currency, to write numbers inside a sentence the way the
    #: report's tables do (``context.style.money(1234.5)`` -> ``1.235 €`` in de-DE).
    style: LocaleStyle = field(default_factory=LocaleStyle)

    def label(self, column: str) -> str:
        """The label a column is shown with: its declared label, else its name."""
        declared = {c.name: c.label for c in (*self.columns, *self.groups, *self.measures)}
        return declared.get(column, column)


class SectionHandler(ABC, Generic[ConfigT]):
    """Handles one top-level ruleset section (``[segmentation]``, ``[rfm]``, ...).

    Subclass it with your settings model as the type argument, so ``compile``,
    ``summarize`` and ``report`` receive the validated model with its own type::

        class NpsSection(SectionHandler[NpsConfig]):
            name, model, title = "nps", NpsConfig, "Net promoter score"
    """

    name: ClassVar[str]
    model: ClassVar[type[BaseModel]]
    title: ClassVar[str]
    #: A folder of gettext catalogues named by language (``de.po``, ``fr.po``) translating
    #: this section's texts: the reports look up its title and every title, label and
    #: note of its blocks there (exact English text as ``msgid``), and ``report`` gets
    #: them as ``context.messages``. None: the section's text stays as written.
    messages: ClassVar[Traversable | Path | None] = None

    @abstractmethod
    def compile(self, config: ConfigT, context: CompileContext) -> SectionPlan:
        """Turn the validated section into derived fields and decision rules."""

    def summarize(self, config: ConfigT, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        """Portfolio figures over the evaluated customers table (one row per customer,
        every input, derived and output column; ``context.key`` identifies customers).

        Optional: a section without portfolio figures keeps this default (an empty summary).
        """
        return SectionSummary(self.name, self.title)

    def report(self, config: ConfigT, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """What the reports for people (HTML, Markdown, xlsx) show of this section: figures,
        tables and charts described as data (:mod:`clientwise.output.blocks`).

        Called when such a report is written, with the summary ``summarize`` returned.
        Optional: the default shows the summary's figures and the first rows of each of
        its tables, labelled by their names.
        """
        return summary_blocks(summary)


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


class Loader(ABC):
    """Reads customer records from one kind of file."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    @abstractmethod
    def read(
        self,
        path: Path,
        columns: Mapping[str, Sequence[str] | None],
        *,
        keys: Mapping[str, str],
        options: ReadOptions,
    ) -> dict[str, RawTable]:
        """Read the tables found in ``path``.

        ``columns`` maps each wanted table to the source column names needed, or None
        for all columns; a loader may read only those (Parquet does). ``keys`` gives
        each table's customer-key column as the file names it, so a format that nests
        contacts inside customers (JSON) can give nested rows their customer's key;
        formats holding one flat table ignore it. ``options`` says how ``[data]``
        declares the file: the table it holds, its encoding, CSV dialect or sheet;
        its fields are None where the ruleset leaves the loader to work them out.
        """


class Writer(ABC):
    """Writes an evaluation result in one format.

    ``suffix`` is the file suffix written by default; ``suffixes`` lists further
    suffixes that select this writer from ``-o``'s file name (``.htm`` besides ``.html``).
    """

    format: ClassVar[str]
    suffix: ClassVar[str]
    description: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: The core hands :meth:`write` a result whose text (``customers``, ``actions``, column names)
    #: is formula-escaped (``=cmd()`` -> ``'=cmd()``), so customer text cannot run in a spreadsheet.
    #: Set False only in a writer that escapes for its own format (HTML, JSON, typed xlsx cells).
    escape_formulas: ClassVar[bool] = True
    #: The command line's writer options it takes (``paper``, ``csv_dialect``, ``traces``); others are refused.
    options: ClassVar[frozenset[str]] = frozenset()
    #: Shows ``Result.review`` ("since the last review"): only for such writers does the core compare first.
    review: ClassVar[bool] = False

    @abstractmethod
    def write(self, result: Result, stream: BinaryIO) -> None:
        """Write the whole result to ``stream`` (binary; the core makes the file atomic)."""

    def configure(self, **options: str) -> Writer:
        """This writer set up with the given ``options`` (only names in :attr:`options`).

        The installed writer is shared by every run of the process, so a writer that
        takes options returns a new, configured one; it raises
        :class:`~clientwise.errors.InputError` for a value it does not know.
        """
        return self

    def all_suffixes(self) -> tuple[str, ...]:
        """Every file suffix that selects this writer, lower case, ``suffix`` first."""
        return tuple(dict.fromkeys(s.lower() for s in (self.suffix, *self.suffixes) if s))


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
    """What an engine needs besides the rows: date, key, functions, compiled expressions (``EvalContext.compiled``)."""

    as_of: dt.date
    key: str
    functions: FunctionRegistry
    #: the ruleset's name, for engine error messages
    ruleset: str = ""
    compiled: CompiledExpressions | None = field(default=None, compare=False, repr=False)


class Engine(ABC):
    """Evaluates decision rules over customers whose derived fields are known.

    Only :meth:`decide` is required; the rest are capabilities with safe defaults:

    * ``chains = True``: the core hands the engine, in one ``decide`` call, a
      dependency-ordered run of decisions in which later rules read the outputs of
      earlier ``first`` decisions (chained rules); the engine derives those values
      itself from ``CompiledDecision.then``/``default``. Otherwise (the default) such a
      run is split into one call per dependency level.
    * :meth:`prepare` is called when an evaluation has loaded its data (the durable
      engine starts its workers there, so they start while fields are derived).
    * :meth:`close` releases what the engine keeps between evaluations; the engine must
      still work when used after it.
    * :meth:`inline` gives the engine to use for one customer at a time
      (``Evaluator.evaluate_one``): one that runs in this process.
    * :meth:`notes` lists what the engine had to change to run a ruleset's rules
      (shown by ``clientwise check``).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    chains: ClassVar[bool] = False

    @abstractmethod
    def decide(
        self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext
    ) -> pl.DataFrame:
        """One :data:`RULE_STATUS` column per rule, named by rule id, rows in ``frame`` order.

        For ``first`` decisions, every rule after the fired one is ``skipped``; a
        condition that is null is ``unknown`` and does not fire.
        """

    def prepare(self) -> None:
        """Start what the evaluation will need (workers, connections); default: nothing."""
        return None

    def close(self) -> None:
        """Release what the engine keeps between evaluations; default: nothing."""
        return None

    def inline(self) -> Engine:
        """The engine for single-customer calls, in this process; default: this engine."""
        return self

    def notes(self, decisions: Sequence[CompiledDecision], context: DecideContext) -> list[str]:
        """One line per rule part this engine could not run as written, and how it ran it."""
        return []


@dataclass
class Decided:
    """What a backend's run gives back: ``frame``, the customers (in key order) with every
    derived field, one :data:`RULE_STATUS` column per rule (named by rule id) and each
    classification's value and ``<output>_rule`` columns; ``actions``, identifying
    customers by their row in ``frame`` (column ``row``)."""

    frame: pl.DataFrame
    actions: pl.DataFrame


@dataclass(frozen=True)
class BackendOptions:
    """How a backend may use the machine (``--memory-limit``, ``--spill-dir``, ``--threads``);
    backends that do not manage memory themselves (polars) ignore them."""

    #: e.g. ``"4GB"``: above it the backend spills to ``spill_dir`` instead of failing
    memory_limit: str | None = None
    spill_dir: Path | None = None
    threads: int | None = None
    #: ``--table customers=crm.accounts``: the database table or view holding each input table
    tables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Refusal:
    """An expression part a backend cannot compute, found at compile time: the rule or
    field (``source``: file and key path) and the node's text."""

    source: Source
    node: str
    reason: str

    def render(self) -> str:
        return f"{self.source.file}: {self.source.path}: {self.node}: {self.reason}"


@dataclass(frozen=True)
class BackendJob:
    """One run handed to a backend: the compiled program (a ``Program``, typed loosely
    as the compiler builds on these contracts) and the validated input: ``customers``
    sorted by key and ``related`` by name, or ``input``, what the backend's own
    :meth:`Backend.open_input` read (then the frames are empty). ``engine`` and ``guard``
    (:class:`clientwise.host.isolate.StepGuard`) serve a backend that runs the core's loop."""

    program: Any
    customers: pl.DataFrame
    related: Mapping[str, pl.DataFrame]
    context: DecideContext
    engine: Engine
    guard: Any
    input: Any = None
    customer_rows: Mapping[str, Any] = field(default_factory=dict)  # validation's CustomerRows per table


class Backend(ABC):
    """Where a whole evaluation runs: derived fields (row-local, population functions,
    aggregates over related tables), rule statuses, classifications and actions.

    Every backend keeps the semantic contract of ``docs/engines.md`` (ranks, null order,
    ties by customer key, float sums in a fixed order, rounding, overflow), and the
    conformance suite holds it to the polars backend. Optional capabilities:

    * ``uses_engine = True``: rules are decided by the chosen engine (``--engine``), as
      the polars backend does; a backend that decides them itself (the default) is
      refused with any engine but ``polars``, rather than ignoring the choice;
    * :meth:`configure` gives the backend for one set of :class:`BackendOptions`;
    * :meth:`refusals` lists, at compile time, every expression part it cannot compute
      (a function without a form for it, plugin code it cannot run); the evaluator
      refuses such a ruleset naming each rule and node, and ``clientwise check``
      lists them. Default: none.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    uses_engine: ClassVar[bool] = False

    @abstractmethod
    def run(self, job: BackendJob) -> Decided:
        """Derive, decide and collect the actions for every customer of ``job``."""

    def configure(self, options: BackendOptions) -> Backend:
        """This backend with ``options`` applied; default: itself (no options to use)."""
        return self

    def refusals(self, program: Any, functions: FunctionRegistry) -> list[Refusal]:
        """Every part of ``program`` this backend cannot compute; default: none."""
        return []

    def open_input(self, data: Path, config: DataConfig) -> Any:
        """DATA read and validated by the backend itself, out of core (a
        :class:`clientwise.host.backend_input.BackendInput`), or None: the loaders read it."""
        return None

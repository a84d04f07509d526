"""What a function of the expression language is, and the registry that holds them.

Functions come from plugins (``clientwise_functions`` hook); the built-ins live in
``clientwise.plugins.functions``. A spec carries everything the core needs so that a
third-party function is as capable as a built-in one: arity, a typing rule, a polars
builder and a plain-Python reference implementation with identical semantics.

Implementation signatures by ``kind``:

* ``scalar`` - ``polars(args, call) -> Expr`` (per row);
  ``python(values, call) -> value`` for one row. Nulls arrive as ``None``.
* ``population`` - ``polars(args, call) -> Expr`` over the whole customers frame;
  ``python(columns, call) -> list`` (one list of values per argument, one result per customer).
* ``aggregate`` - first argument is a related table, the argument at ``filter_arg``
  (if given) a row filter. ``polars(args, keep, call) -> Expr`` returns one value per
  group, where ``args`` are the value arguments (table and filter removed) and
  ``keep`` the filter with null as false (or None); ``python(columns, rows, call)``
  receives the value columns of the rows that passed the filter and how many there were.
  ``empty`` is the value for a customer with no related rows at all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import polars as pl

from clientwise.errors import PluginError, did_you_mean
from clientwise.expr.types import Type

if TYPE_CHECKING:
    from clientwise.expr.nodes import Node

FunctionKind = Literal["scalar", "population", "aggregate"]
#: What a trend function reads from earlier saved runs (:mod:`clientwise.expr.trend`).
TrendKind = Literal["previous", "streak", "reviewed"]
#: A check on an argument that must be written as a literal: (accepts value?, "what it must be").
LiteralRule = tuple[Callable[[Any], bool], str]


class SignatureError(Exception):
    """Raised by a typing rule: the arguments do not fit. ``arg`` points the caret."""

    def __init__(self, message: str, arg: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.arg, self.hint = message, arg, hint


@dataclass(frozen=True)
class EvalContext:
    """What evaluation needs besides the data: the as-of date, the functions, the key column.

    The key column breaks ties deterministically (``row_number``) and joins related
    tables to customers. Used by the polars compiler and the reference evaluator alike
    (``PolarsContext`` is the same class).

    ``keyed`` promises that every frame evaluated holds the key column (the runtime's
    customer and related-row frames do), so a run-time error such as an overflow
    names the customer it happened for.

    ``compiled`` (a program's :class:`~clientwise.expr.backends.closures.ExpressionCache`)
    lets the reference evaluator run each expression compiled once instead of walking
    its tree at every evaluation; without it the tree is walked.
    """

    as_of: dt.date
    functions: FunctionRegistry
    key: str = "customer_id"
    keyed: bool = False
    compiled: CompiledExpressions | None = field(default=None, compare=False, repr=False)


class CompiledExpressions(Protocol):
    """Expressions evaluated over rows from a compiled form (see :attr:`EvalContext.compiled`)."""

    def column(self, node: Node, rows: Sequence[Mapping[str, Any]], ctx: EvalContext,
               related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> list[Any]:
        """``node``'s value for each of ``rows``, as the reference evaluator gives it."""
        ...


PolarsContext = EvalContext


@dataclass(frozen=True)
class CallInfo:
    """What an implementation may know besides argument values: typed nodes and context.

    ``keys`` is set only by the reference evaluator for population functions: the
    customer key of every row, in row order (``row_number`` breaks ties with it).
    """

    nodes: tuple[Node, ...]
    as_of: dt.date
    key: str
    keys: tuple[Any, ...] | None = None
    #: Set by the reference evaluator for functions that read the run history
    #: (``FunctionSpec.trend``): the customer's row, hidden history columns included.
    row: Mapping[str, Any] | None = None

    def literal(self, index: int, default: Any = None) -> Any:
        """The value of a literal argument (see ``FunctionSpec.literal_args``)."""
        if index >= len(self.nodes):
            return default
        return getattr(self.nodes[index], "value", default)


@dataclass(frozen=True)
class SqlCall:
    """What a function's SQL builder may know besides its arguments' SQL text.

    Names are quoted SQL identifiers: ``key`` the customer key column, ``row`` the
    customer's row number (population) or the related row's position in its table
    (aggregate), ``relation`` the table a population function's arguments are columns of.
    """

    nodes: tuple[Node, ...]
    as_of: dt.date
    key: str
    row: str
    relation: str = ""

    @property
    def integer(self) -> bool:
        """Whether the first argument is a whole number (sums of it are exact)."""
        return bool(self.nodes and self.nodes[0].type is not None and self.nodes[0].type.integer)

    def literal(self, index: int, default: Any = None) -> Any:
        """The value of a literal argument (see ``FunctionSpec.literal_args``)."""
        if index >= len(self.nodes):
            return default
        return getattr(self.nodes[index], "value", default)


@dataclass(frozen=True)
class FunctionSpec:
    """One function. ``max_args=None`` means any number from ``min_args``.

    ``returns`` types a call from its argument types (raise :class:`SignatureError`).
    ``literal_args`` lists arguments that must be written as literals (``round(x, 2)``)
    with the check their value must pass. ``constant`` folds a call whose arguments are
    all literals into a literal at check time (``date('2026-01-31')``).
    """

    name: str
    kind: FunctionKind
    min_args: int
    max_args: int | None
    returns: Callable[[Sequence[Type]], Type]
    polars: Callable[..., Any]
    python: Callable[..., Any]
    doc: str
    example: str
    signature: str = ""
    literal_args: Mapping[int, LiteralRule] = field(default_factory=dict)
    constant: Callable[[Sequence[Any]], Any] | None = None
    filter_arg: int | None = None
    empty: Any = None
    #: Aggregates that work per group (distinct counts, per-day maxima) are computed in
    #: their own filtered group-by instead of sharing the table's, which stays fast.
    own_query: bool = False
    #: Whether the back ends check the function's number results for overflow
    #: (:mod:`clientwise.expr.numbers`): a whole-number result may arrive exact in Int128
    #: (a sum) and is narrowed, a fractional one must be finite. A function whose result
    #: cannot leave the range (a count, a choice among its arguments) sets False.
    checked: bool = True
    #: The whole numbers an integer result stays within, given its arguments' bounds
    #: (``None`` where unknown): ``bounds(args) -> (low, high) | None``. Arithmetic whose
    #: operands are bounded this way is proven not to overflow and left unchecked.
    bounds: Callable[[Sequence[tuple[int, int] | None]], tuple[int, int] | None] | None = None
    #: Aggregate only: computes every customer's value at once from the related rows in
    #: table order, ``in_order(group, values, groups, call) -> Series`` (``group`` the
    #: customer's row number of each related row, ``values`` the value arguments, ``groups``
    #: the number of customers; a whole-number result exact in Int128, checked by the
    #: core). For results that depend on the order rows are combined in: polars'
    #: group-by adds partial sums in an order that changes with the thread count, so a
    #: float sum would change in its last digit between runs (:mod:`clientwise.expr.summation`).
    in_order: Callable[[pl.Series, list[pl.Series], int, CallInfo], pl.Series] | None = None
    #: Scalar only: the function reads earlier saved runs (:mod:`clientwise.expr.trend`):
    #: ``"previous"`` the previous run's value of its first argument (a field),
    #: ``"streak"`` how many runs in a row its first argument (a condition) held,
    #: ``"reviewed"`` the as-of date of the customer's latest earlier run. The runtime
    #: puts what it read in hidden columns (``trend.previous_column`` ...) the
    #: implementations read: polars by name, Python from ``CallInfo.row``.
    trend: TrendKind | None = None
    #: The function in SQL (DuckDB's dialect), for the backends that compile to SQL
    #: (:mod:`clientwise.expr.backends.sql`); None: such a backend refuses the call at
    #: compile time. ``scalar``: ``sql(args, call) -> expression``; ``population``:
    #: ``sql(args, call) -> SELECT`` over ``call.relation`` giving ``call.row`` and
    #: ``value`` for every customer; ``aggregate``: ``sql(values, keep, call) ->
    #: aggregate expression`` over one customer's related rows (``values`` already null
    #: where the filter ``keep`` drops the row; ``call.row`` is the rows' table order).
    sql: Callable[..., str] | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"function name {self.name!r} is not an identifier")
        if self.kind not in ("scalar", "population", "aggregate"):
            raise ValueError(f"function {self.name}: unknown kind {self.kind!r}")
        if self.max_args is not None and self.max_args < self.min_args:
            raise ValueError(f"function {self.name}: max_args < min_args")
        if self.trend is not None and self.kind != "scalar":
            raise ValueError(f"function {self.name}: only scalar functions read the run history")
        if self.trend in ("previous", "streak") and self.min_args < 1:
            raise ValueError(f"function {self.name}: a {self.trend} function needs an argument")
        if self.kind == "aggregate" and self.min_args < 1:
            raise ValueError(f"aggregate {self.name} needs a table as first argument")

    @property
    def usage(self) -> str:
        """How to call it, for messages: the declared signature or ``name(...)``."""
        return self.signature or f"{self.name}(...)"

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
        return f"{self.min_args} to {self.max_args} arguments"


class FunctionRegistry:
    """Every function known to one evaluation, by name. Immutable once built."""

    def __init__(self, providers: Mapping[str, Iterable[FunctionSpec]] | Iterable[FunctionSpec]):
        """``providers`` maps a plugin name to its specs (or is a plain list of specs).

        A name provided twice is a :class:`PluginError` naming both providers.
        """
        groups = providers.items() if isinstance(providers, Mapping) else [("builtin", providers)]
        specs: dict[str, FunctionSpec] = {}
        owner: dict[str, str] = {}
        for provider, items in groups:
            for spec in items:
                if spec.name in specs:
                    raise PluginError(
                        f"function '{spec.name}' is provided twice: by '{owner[spec.name]}' and by '{provider}'"
                    )
                specs[spec.name], owner[spec.name] = spec, provider
        self._specs = specs
        self._owner = owner

    def get(self, name: str) -> FunctionSpec | None:
        return self._specs.get(name)

    def provider(self, name: str) -> str | None:
        """The plugin that provides function ``name`` (for attributing its failures)."""
        return self._owner.get(name)

    def __getitem__(self, name: str) -> FunctionSpec:
        return self._specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[FunctionSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        return list(self._specs)

    def suggest(self, name: str) -> str | None:
        """A 'did you mean' for an unknown function name."""
        return did_you_mean(name, self._specs)


def round_half_away_expr(m: pl.Expr) -> pl.Expr:
    """Round to a whole number, halves away from zero (polars; float result).

    Built from floor/ceil and one comparison so :func:`round_half_away` can repeat the
    exact float steps: ``round()`` and template formatting agree to the last digit.
    """
    t = pl.when(m >= 0).then(m.floor()).otherwise(m.ceil())
    return t + pl.when((m - t).abs() >= 0.5).then(m.sign()).otherwise(0.0)


def round_half_away(m: float) -> float:
    """The plain-Python twin of :func:`round_half_away_expr`."""
    if not math.isfinite(m):
        return m
    t = float(math.floor(m) if m >= 0 else math.ceil(m))
    return t + (math.copysign(1.0, m) if abs(m - t) >= 0.5 else 0.0)


def exact_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """``a / b`` correctly rounded, as Python divides.

    polars divides a column by a single value by multiplying with its reciprocal
    (``33 / 10`` gives 3.3000000000000003); adding a column of zeros makes ``b`` a
    real column, so every row is an IEEE division and matches the reference.
    """
    return a / (b + pl.int_range(pl.len()).cast(pl.Float64) * 0.0)

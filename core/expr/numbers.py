"""What a number is in the expression language, the same in every back end and engine.

* Whole numbers are 64-bit: an integer result outside -2**63 .. 2**63 - 1 is an error
  (polars would wrap it to a negative number, Python would grow it without bound).
* Other numbers are finite doubles: a result beyond the largest double (about
  1.8e308), which IEEE arithmetic turns into infinity, is an error too. No infinity
  ever reaches a comparison, so no NaN can follow from one (polars orders NaN above
  every number, Python and durable-rules compare it false: they would disagree).

Like SQL (PostgreSQL's ``bigint out of range``), an overflow stops the run with a
:class:`NumberOverflow` naming the expression, the value and the first customer it
happens for; the runtime adds the ruleset file and key path (exit code 2). Literals
are checked when the ruleset is checked (``clientwise check`` shows a caret), values
at run time by :func:`check_column` (polars) and :func:`check_values` (the reference
evaluator), one check per operation.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.expr.nodes import Arithmetic, Call, Field, Literal, Node, Unary, children

if TYPE_CHECKING:
    from clientwise.expr.functions import FunctionRegistry

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: The largest finite number (a double): about 1.8e308.
LARGEST = sys.float_info.max

_NUMBER_HINT = "check the data for a wrong value, or compute in larger units (thousands rather than units)"
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``a op b`` as the language defines it, before the range check: null if either is
    null, ``x / 0`` null, division of two floats (as polars divides; ints converted first)."""
    if a is None or b is None:
        return None
    if op == "/":
        return None if b == 0 else float(a) / float(b)
    return _OPERATORS[op](a, b)


def fits(value: Any) -> bool:
    """Whether ``value`` (None, a bool, an int or a float) is a number the language has."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return INT64_MIN <= value <= INT64_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "infinity" if value > 0 else "-infinity"
    return str(value)


def overflow_message(expression: str, value: Any) -> str:
    """What went wrong, for a run-time error and for ``clientwise check`` alike."""
    if isinstance(value, int):
        return f"integer overflow: {expression} is {value}, beyond the 64-bit whole numbers"
    return f"number overflow: {expression} is {_shown(value)}, beyond the largest number ({LARGEST:.3g})"


def overflow_hint(value: Any, *, literal: bool = False) -> str:
    if isinstance(value, int):
        return "write one number with a decimal point (2.0 rather than 2) to compute with fractional numbers" + (
            "" if literal else ", or check the data for a wrong value")
    return "use smaller numbers" if literal else _NUMBER_HINT


class NumberOverflow(DataError):
    """An arithmetic result outside the numbers the language has (see the module docstring).

    ``expression`` is the text of the operation that overflowed, ``value`` its exact
    result (an int beyond 64 bits, or infinity), ``key`` the first customer it
    overflowed for (None when it is not one customer's: a total over all of them).
    :meth:`at` gives the same error located in the ruleset.
    """

    #: set on the one-error subclass :func:`raised_in_query` makes (see there)
    carried: ClassVar[tuple[str, Any, Any] | None] = None

    def __init__(self, expression: str, value: Any = None, key: Any = None, *, file: str | None = None,
                 location: str | None = None):
        if type(self).carried is not None:
            expression, value, key = type(self).carried
        self.expression, self.value, self.key = expression, value, key
        message = overflow_message(expression, value)
        if key is not None:
            message += f" (first for customer {key})"
        super().__init__(Problem(message, file=file, location=location, value=_shown(value),
                                 hint=overflow_hint(value)))

    def at(self, file: str | None, location: str | None) -> NumberOverflow:
        """The same overflow, located in the ruleset (file and key path of the field or rule)."""
        return NumberOverflow(self.expression, self.value, self.key, file=file, location=location)


def raised_in_query(expression: str, value: Any, key: Any) -> NumberOverflow:
    """The error to raise from inside a polars query. polars re-raises an exception from
    a Python function as ``type(error)(message)``, which drops the attributes; a
    subclass made for this one error carries them as class attributes instead."""
    carrier = type(NumberOverflow.__name__, (NumberOverflow,), {"carried": (expression, value, key),
                                                              "__module__": __name__})
    return carrier(expression, value, key)


Bounds = tuple[int, int]
#: What a count stays within (rows of a table, customers): far beyond any portfolio, far inside 64 bits.
COUNTS: Bounds = (0, 2**40)
#: What a span of days (or months) between two dates stays within (polars stores a date in 32 bits).
DAY_SPANS: Bounds = (-(2**33), 2**33)


def union(bounds: Sequence[Bounds | None]) -> Bounds | None:
    """Bounds holding every value of any of ``bounds`` (None if one is unknown)."""
    if not bounds or any(b is None for b in bounds):
        return None
    return min(b[0] for b in bounds if b), max(b[1] for b in bounds if b)


def bounds(node: Node, functions: FunctionRegistry) -> Bounds | None:
    """The whole numbers an integer expression's values are proven to stay within (None:
    not proven, e.g. a data field). Interval arithmetic over literals and functions that
    declare ``FunctionSpec.bounds``; a result that could leave 64 bits is not proven."""
    found: Bounds | None = None
    if isinstance(node, Literal):
        value = node.value
        found = (0, 0) if value is None else (value, value) if type(value) is int else None
    elif isinstance(node, Unary):
        inner = bounds(node.operand, functions)
        found = inner if inner is None or node.op == "+" else (-inner[1], -inner[0])
    elif isinstance(node, Arithmetic) and node.op != "/":
        left, right = bounds(node.left, functions), bounds(node.right, functions)
        if left is not None and right is not None:
            corners = [_OPERATORS[node.op](a, b) for a in left for b in right]
            found = min(corners), max(corners)
    elif isinstance(node, Call):
        spec = functions.get(node.name)
        if spec is not None and spec.bounds is not None:
            found = spec.bounds([bounds(arg, functions) for arg in node.args])
    if found is None or found[0] < INT64_MIN or found[1] > INT64_MAX:
        return None
    return found


def per_customer(node: Node, functions: FunctionRegistry) -> bool:
    """Whether ``node``'s value is a customer's own: it reads a column of its row, not
    only through a population or aggregate function (whose overflow names no customer)."""
    if isinstance(node, Field):
        return True
    if isinstance(node, Call) and functions[node.name].kind != "scalar":
        return False
    return any(per_customer(child, functions) for child in children(node))


def check_values(values: list[Any], expression: str, key_of: Callable[[int], Any] | None = None) -> list[Any]:
    """``values`` (one per row) unchanged, or :class:`NumberOverflow` for the first that does not fit.

    The reference evaluator's check; Python's ints are exact, so the value reported
    is the true result. ``key_of(row)`` gives a row's customer key, if known.
    """
    for index, value in enumerate(values):
        if not fits(value):
            raise NumberOverflow(expression, value, key_of(index) if key_of is not None else None)
    return values


def check_column(expression: pl.Expr, text: str, *, integer: bool, key: pl.Expr | None = None,
                 mask: pl.Expr | None = None) -> pl.Expr:
    """``expression`` checked (polars): the first row out of range raises
    :class:`NumberOverflow` from inside the query. A column is first tested as a whole
    (its minimum and maximum, or its sum), and row by row only when that fails.

    An ``integer`` expression is computed exactly in Int128 by the caller and narrowed
    to Int64 here; otherwise the values are floats that must be finite. ``mask`` (a
    boolean column) limits the check to the rows it is true for: rows a filter or an
    unfired rule leaves out, whose value is never used (the reference evaluator never
    computes them). ``key`` (the customer key column) names the customer.
    """
    inputs = [expression, *([mask] if mask is not None else []), *([key] if key is not None else [])]

    def check(series: Sequence[pl.Series]) -> pl.Series:
        values = series[0]
        # the usual case costs one pass (a sum of finite floats that is not finite, or a
        # NaN, sends every float to the row-by-row test) or two (minimum and maximum)
        if not (fits(values.min()) and fits(values.max())) if integer else not math.isfinite(values.sum()):
            bad = ((values < INT64_MIN) | (values > INT64_MAX)) if integer else ~values.is_finite()
            if mask is not None:
                used = series[1]
                bad = bad & (used if len(used) == len(values) else bool(used[0]) if len(used) == 1 else True)
            bad = bad.fill_null(False)
            if bad.any():
                index = int(bad.arg_true()[0])
                keys = series[-1] if key is not None else None
                found = keys[index] if keys is not None and len(keys) == len(values) else None
                value = values[index]
                raise raised_in_query(text, int(value) if integer else float(value), found)
        return values.cast(pl.Int64, strict=False) if integer else values

    return pl.map_batches(inputs, check, return_dtype=pl.Int64() if integer else pl.Float64(), is_elementwise=True)

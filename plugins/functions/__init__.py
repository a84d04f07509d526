"""The built-in functions of the expression language, as a plugin like any other.

Each function has a polars builder, a plain-Python twin with the same semantics
(see ``docs/expressions.md``; ``tests/test_functions.py`` checks that they agree) and a
SQL form for the SQL backends (``sql.py``; the conformance suite holds it to polars).
Conventions: a null argument gives null unless the function is about nulls
(``coalesce``, ``if_else``); rounding is half away from zero.
"""

from __future__ import annotations

from dataclasses import replace

from clientwise.expr.functions import FunctionSpec
from clientwise.host.spec import hookimpl
from clientwise.plugins.functions.aggregate import AGGREGATES
from clientwise.plugins.functions.population import POPULATION
from clientwise.plugins.functions.scalar import SCALARS
from clientwise.plugins.functions.sql import SQL
from clientwise.plugins.functions.trend import TREND, TREND_SQL


@hookimpl
def clientwise_functions() -> list[FunctionSpec]:
    """Every built-in function: scalar, population, aggregate and trend."""
    sql = {**SQL, **TREND_SQL}
    return [replace(spec, sql=sql[spec.name]) for spec in (*SCALARS, *POPULATION, *AGGREGATES, *TREND)]

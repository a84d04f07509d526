"""The built-in functions in SQL (DuckDB's dialect): the form SQL backends compile calls to.

Each keeps its polars twin's semantics to the last digit (``docs/engines.md``, the
conformance suite checks it): rounding half away from zero built from the same float
steps; ranks with nulls left out; sums of whole numbers exact in ``HUGEINT``, sums of
floats added one by one in row order (an ordered aggregate, or a streaming running sum
over rows already sorted by (measure, key)), never by DuckDB's parallel partial sums.
"""

from __future__ import annotations

from collections.abc import Callable

from clientwise.expr.functions import SqlCall

Builder = Callable[..., str]


def _half_away(m: str) -> str:
    """Round to a whole number, halves away from zero (float result), as ``round_half_away_expr``."""
    t = f"(CASE WHEN {m} >= 0 THEN floor({m}) ELSE ceil({m}) END)"
    return f"({t} + CASE WHEN abs({m} - {t}) >= 0.5 THEN CAST(sign({m}) AS DOUBLE) ELSE 0.0 END)"


def _round(a: list[str], c: SqlCall) -> str:
    if len(a) == 1:
        return a[0] if c.integer else f"TRY_CAST({_half_away(f'CAST({a[0]} AS DOUBLE)')} AS BIGINT)"
    scale = f"CAST('{10.0 ** int(c.literal(1, 0))!r}' AS DOUBLE)"
    return f"({_half_away(f'(CAST({a[0]} AS DOUBLE) * {scale})')} / {scale})"


def _whole(fn: str) -> Builder:
    return lambda a, c: a[0] if c.integer else f"TRY_CAST({fn}(CAST({a[0]} AS DOUBLE)) AS BIGINT)"


def _extreme(fn: str) -> Builder:
    def build(a: list[str], c: SqlCall) -> str:
        nulls = " OR ".join(f"{x} IS NULL" for x in a)
        return f"(CASE WHEN {nulls} THEN NULL ELSE {fn}({', '.join(a)}) END)"
    return build


def _months(a: list[str], c: SqlCall) -> str:
    now = c.as_of
    return (f"(({now.year} - CAST(year({a[0]}) AS BIGINT)) * 12 + ({now.month} - CAST(month({a[0]}) AS BIGINT)) "
            f"- CASE WHEN day({a[0]}) > {now.day} THEN 1 ELSE 0 END)")


SCALAR: dict[str, Builder] = {
    "abs": lambda a, c: f"abs(CAST({a[0]} AS HUGEINT))" if c.integer else f"abs({a[0]})",
    "min": _extreme("least"),
    "max": _extreme("greatest"),
    "round": _round,
    "ceil": _whole("ceil"),
    "floor": _whole("floor"),
    "coalesce": lambda a, c: f"coalesce({', '.join(a)})",
    "if_else": lambda a, c: f"(CASE WHEN {a[0]} THEN {a[1]} ELSE {a[2]} END)",
    "lower": lambda a, c: f"lower({a[0]})",
    "upper": lambda a, c: f"upper({a[0]})",
    "contains": lambda a, c: f"contains({a[0]}, {a[1]})",
    "startswith": lambda a, c: f"starts_with({a[0]}, {a[1]})",
    "date": lambda a, c: f"DATE '{c.literal(0)}'",
    "days_since": lambda a, c: f"CAST(DATE '{c.as_of.isoformat()}' - {a[0]} AS BIGINT)",
    "months_since": _months,
}


# -- population functions: a SELECT giving (row, value) for every customer of c.relation ---------
def _window(expression: Callable[[list[str], SqlCall], str]) -> Builder:
    return lambda a, c: f"SELECT {c.row}, {expression(a, c)} AS value FROM {c.relation}"


def _rank(x: str) -> str:
    return f"(CASE WHEN {x} IS NULL THEN NULL ELSE rank() OVER (ORDER BY {x} DESC NULLS LAST) END)"


def _total(x: str, c: SqlCall) -> str:
    """The sum of ``x`` over every customer: exact for whole numbers, else in row (key) order."""
    if c.integer:
        return f"(SELECT coalesce(sum(CAST({x} AS HUGEINT)), 0) FROM {c.relation})"
    return f"(SELECT coalesce(sum(CAST({x} AS DOUBLE) ORDER BY {c.row}), 0.0) FROM {c.relation})"


def _share(a: list[str], c: SqlCall) -> str:
    total = _total(a[0], c)
    return (f"SELECT {c.row}, CASE WHEN {total} <> 0 THEN CAST({a[0]} AS DOUBLE) / CAST({total} AS DOUBLE) END "
            f"AS value FROM {c.relation}")


def _cumshare(a: list[str], c: SqlCall) -> str:
    """Each customer's running total through the last of its ties over the total.

    The running sum is DuckDB's streaming window over rows sorted by (measure desc,
    row): one addition after another in that order, as polars' ``cum_sum``; a segment
    tree (``OVER (ORDER BY ...)``) would add partial sums in another order.
    """
    kind = "HUGEINT" if c.integer else "DOUBLE"
    values = f"SELECT {c.row} AS r, CAST({a[0]} AS {kind}) AS x FROM {c.relation}"
    return (
        f"WITH v AS ({values}), "
        "s AS (SELECT r, x FROM v WHERE x IS NOT NULL ORDER BY x DESC, r), "
        "run AS (SELECT r, x, sum(x) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS through FROM s), "
        "ties AS (SELECT x, arg_max(through, r) AS through FROM run GROUP BY x), "
        f"total AS (SELECT {'sum(x)' if c.integer else 'sum(x ORDER BY r)'} AS total FROM v) "
        f"SELECT v.r AS {c.row}, CASE WHEN total.total <> 0 THEN CAST(ties.through AS DOUBLE) / "
        "CAST(total.total AS DOUBLE) END AS value FROM v LEFT JOIN ties ON v.x = ties.x CROSS JOIN total"
    )


def _median(a: list[str], c: SqlCall) -> str:
    """The two middle values interpolated as polars does, ``lower + (upper - lower) * 0.5``
    (DuckDB's ``median`` rounds differently in the last digit)."""
    return (
        f"WITH v AS (SELECT CAST({a[0]} AS DOUBLE) AS x FROM {c.relation} WHERE {a[0]} IS NOT NULL), "
        "n AS (SELECT count(*) AS n FROM v), "
        "o AS (SELECT x, row_number() OVER (ORDER BY x) AS i FROM v), "
        "m AS (SELECT min(o.x) FILTER (WHERE o.i = (n.n + 1) // 2) AS lower, "
        "max(o.x) FILTER (WHERE o.i = n.n // 2 + 1) AS upper FROM o CROSS JOIN n) "
        f"SELECT {c.row}, m.lower + (m.upper - m.lower) * 0.5 AS value FROM {c.relation} CROSS JOIN m"
    )


def _mean(a: list[str], c: SqlCall) -> str:
    kind = "HUGEINT" if c.integer else "DOUBLE"
    order = "" if c.integer else f" ORDER BY {c.row}"
    total = f"CAST(sum(CAST({a[0]} AS {kind}){order}) AS DOUBLE)"
    mean = f"(SELECT CASE WHEN count({a[0]}) > 0 THEN {total} / count({a[0]}) END FROM {c.relation})"
    return f"SELECT {c.row}, {mean} AS value FROM {c.relation}"


POPULATION: dict[str, Builder] = {
    "rank": _window(lambda a, c: _rank(a[0])),
    "row_number": _window(lambda a, c: f"(CASE WHEN {a[0]} IS NULL THEN NULL ELSE row_number() OVER "
                                       f"(ORDER BY {a[0]} DESC NULLS LAST, {c.key} ASC) END)"),
    "rank_pct": _window(lambda a, c: f"(CAST({_rank(a[0])} AS DOUBLE) / CAST(count({a[0]}) OVER () AS DOUBLE))"),
    "share": _share,
    "cumshare": _cumshare,
    "ntile": _window(lambda a, c: f"(({_rank(a[0])} * {int(c.literal(1))} + count({a[0]}) OVER () - 1) "
                                  f"// count({a[0]}) OVER ())"),
    "median": lambda a, c: _median(a, c),
    "mean": _mean,
    "sum": lambda a, c: f"SELECT {c.row}, {_total(a[0], c)} AS value FROM {c.relation}",
    "count": _window(lambda a, c: f"count({a[0]}) OVER ()"),
    "customer_count": _window(lambda a, c: "count(*) OVER ()"),
}


# -- aggregates: one expression over a customer's related rows ------------------------------------
def _sum_of(v: list[str], keep: str | None, c: SqlCall) -> str:
    if c.integer:
        return f"coalesce(sum(CAST({v[0]} AS HUGEINT)), 0)"
    return f"coalesce(sum(CAST({v[0]} AS DOUBLE) ORDER BY {c.row}), 0.0)"


def _mean_of(v: list[str], keep: str | None, c: SqlCall) -> str:
    total = f"sum(CAST({v[0]} AS HUGEINT))" if c.integer else f"sum(CAST({v[0]} AS DOUBLE) ORDER BY {c.row})"
    return f"(CASE WHEN count({v[0]}) > 0 THEN CAST({total} AS DOUBLE) / count({v[0]}) END)"


AGGREGATE: dict[str, Builder] = {
    "count_of": lambda v, keep, c: "count(*)" if keep is None else f"count(*) FILTER (WHERE {keep})",
    "sum_of": _sum_of,
    "mean_of": _mean_of,
    "min_of": lambda v, keep, c: f"min({v[0]})",
    "max_of": lambda v, keep, c: f"max({v[0]})",
    "count_distinct_of": lambda v, keep, c: f"count(DISTINCT {v[0]})",
    "max_per_day": lambda v, keep, c: f"coalesce(list_max(map_values(histogram({v[0]}))), 0)",
}

#: Every built-in function's SQL form, by name.
SQL: dict[str, Builder] = {**SCALAR, **POPULATION, **AGGREGATE}

"""``clientwise compare`` of two runs in one store, computed by DuckDB on the stored tables.

Two runs of a million customers are a million-row join and two three-million-row
action tables. Reading them into Python first took longer than the comparison may
take in all (bench/README.md), so when both runs are in the store the comparison is
a handful of SQL queries over ``customer_rows`` and the Pareto table (for revenue),
run by DuckDB in parallel; only their results (matrices, lists, per-customer changes)
come back, as Arrow. The runs are joined on the customer's number (``key_id``, see
:mod:`clientwise.history.keys`); the key text is looked up only for the customers a
result lists, and orders them as before. It gives the same :class:`Comparison` as
:func:`clientwise.history.compare.compare`, which still serves results files and the
split of a ruleset change (that needs the re-evaluated input in memory anyway).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

from clientwise.compare import NONE, figures_side_by_side
from clientwise.history.compare import (
    CLASSES,
    HEALTH,
    LIST_LIMIT,
    MEASURE,
    NUMERIC_KINDS,
    SCORE_SUMMARY,
    VALUE_CLASSES,
    Comparison,
    Migration,
    RulesetChange,
    checklist_changes,
    headline,
    labelled_actions,
    migration_of,
    notes,
    tier_mix,
)
from clientwise.history.keys import CUSTOMER_ROWS, KEY_ID, KEYS
from clientwise.history.runs import RunInfo, action_texts, load_result
from clientwise.history.sql import quote
from clientwise.history.store import RunStore

#: Portfolio tables read besides the customers (small ones: a row per tier, question, band).
SUMMARY_TABLES = {("segmentation", "tiers"), ("checklist", "questions"), ("relationship", "bands")}
#: What an output column's record has (a run's key and name columns have only name and type).
_OUTPUT_KEYS = {"label", "kind", "detail"}
_PARETO_OWN = {"seq", "position", MEASURE, "customer_share", "cumulative_share"}
#: Joins a customer's action ids into one text to group the pairs of lists by (``_action_changes``).
_SEPARATOR = "\x1f"


#: Floats are added up as this fixed point, so that a sum is the same on every run: DuckDB
#: adds a float column in parallel, in an order that changes with the threads, so the last
#: digit could change; as 10-decimal fixed point the sum is exact, in any order.
FIXED = "DECIMAL(38, 10)"


def _frame(store: RunStore, query: str) -> pl.DataFrame:
    return pl.DataFrame(store.connection.sql(query))


def _types(info: RunInfo) -> dict[str, dict]:
    return {c["name"]: c for c in info.columns}


def _measure(store: RunStore, run_id: int) -> tuple[str, str, bool] | None:
    """(table, key column, numbered) of the run's Pareto table, which holds each customer's measure;
    ``numbered``: its rows carry the customers' ``key_id``."""
    rows = store.rows("SELECT stored_in, columns FROM summary_tables WHERE run_id = ? AND section = 'segmentation' "
                      "AND name = 'pareto'", [run_id])
    if not rows:
        return None
    own = [c["name"] for c in json.loads(rows[0]["columns"])]
    key = next((name for name in own if name not in _PARETO_OWN), None)
    if key is None:
        return None
    numbered = KEY_ID not in own and bool(store.value(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ? "
        "AND column_name = ?", [rows[0]["stored_in"], KEY_ID]))
    return rows[0]["stored_in"], key, numbered


def _measured(store: RunStore, run_id: int, rows: str) -> tuple[str, str]:
    """``rows`` (an alias with ``key_id``) LEFT JOINed to the run's measures, and the measure's SQL."""
    pareto = _measure(store, run_id)
    if pareto is None:
        return "", "CAST(NULL AS DOUBLE)"
    table, key, numbered = pareto
    source = quote(table) if numbered else (  # a table saved without key_id: number its keys here
        f"(SELECT t.*, k.{KEY_ID} FROM {quote(table)} t JOIN {KEYS} k ON CAST(t.{quote(key)} AS VARCHAR) = k.key "
        f"WHERE t.run_id = {run_id})")
    return (f" LEFT JOIN {source} p ON p.run_id = {run_id} AND p.{KEY_ID} = {rows}.{KEY_ID}",
            f"CAST(p.{quote(MEASURE)} AS DOUBLE)")


def _side(store: RunStore, info: RunInfo, columns: list[tuple[str, str]], measured: bool) -> str:
    """A SELECT of one run's customers: key_id, name, the columns (cast to ``type``), and (``measured``)
    the measure from the run's Pareto table."""
    run_id = int(info.run_id or 0)
    have = _types(info)
    values = ", ".join(f"CAST({'c.' + quote(name) if name in have else 'NULL'} AS {dtype}) AS {quote(name)}"
                       for name, dtype in columns)
    join, measure = _measured(store, run_id, "c") if measured else ("", "CAST(NULL AS DOUBLE)")
    return (f"SELECT c.{KEY_ID}, c.name{', ' if values else ''}{values}, {measure} AS {MEASURE} "
            f"FROM {CUSTOMER_ROWS} c{join} WHERE c.run_id = {run_id}")


def compare_stored(store: RunStore, a_info: RunInfo, b_info: RunInfo,
                   ruleset_change: RulesetChange | None, detail: bool = True) -> Comparison:
    """Everything that changed from stored run A to stored run B (see module doc).

    ``detail=False`` (the terminal view) leaves out the per-customer score changes and
    action changes (a million rows each) and lists only the :data:`LIST_LIMIT` largest
    health drops; the summaries and counts stay.
    """
    a_id, b_id = int(a_info.run_id or 0), int(b_info.run_id or 0)
    a = load_result(store, a_info, summary_tables=SUMMARY_TABLES, actions=False, customers=False)
    b = load_result(store, b_info, summary_tables=SUMMARY_TABLES, actions=False, customers=False)
    ta, tb = _types(a_info), _types(b_info)
    classes = [c for c in CLASSES if c in ta and c in tb]
    scores = [name for name, column in tb.items()
              if name in ta and column.get("kind") in NUMERIC_KINDS and not column.get("detail")
              and _OUTPUT_KEYS <= set(ta[name])]
    columns = [(name, "VARCHAR") for name in classes] + [(name, tb[name]["type"]) for name in scores] + \
        [("actions", "VARCHAR[]")]
    weighted = _measure(store, b_id) is not None
    x, y = _side(store, a_info, columns, measured=False), _side(store, b_info, columns, measured=False)
    both = f"FROM ({x}) x JOIN ({y}) y ON x.{KEY_ID} = y.{KEY_ID}"
    with_measure = f"FROM ({x}) x JOIN ({_side(store, b_info, columns, measured=True)}) y ON x.{KEY_ID} = y.{KEY_ID}"
    keyed = f"{both} JOIN {KEYS} k ON k.{KEY_ID} = x.{KEY_ID}"  # for the lists: ordered by the key text
    key, name = b_info.key_field, b_info.name_field
    tier = "tier" in classes

    def only(info: RunInfo, other: int) -> pl.DataFrame:  # customers gained (only in B) or lost (only in A)
        run_id = int(info.run_id or 0)
        join, measure = _measured(store, run_id, "c")
        return _frame(store, f"WITH c AS MATERIALIZED (SELECT {KEY_ID}, name{', tier' if tier else ''} "
                             f"FROM {CUSTOMER_ROWS} o WHERE run_id = {run_id} AND NOT EXISTS (SELECT 1 FROM "
                             f"{CUSTOMER_ROWS} n WHERE n.run_id = {other} AND n.{KEY_ID} = o.{KEY_ID})) "
                             f"SELECT k.key AS {quote(key)}{f', c.name AS {quote(name)}' if name else ''}"
                             f"{', CAST(c.tier AS VARCHAR) AS tier' if tier else ''}, {measure} AS {MEASURE} "
                             f"FROM c JOIN {KEYS} k ON k.{KEY_ID} = c.{KEY_ID}{join} "
                             f"ORDER BY {MEASURE} DESC NULLS LAST, k.key")

    migrations, summary = _migrations(store, with_measure, classes, scores, weighted,
                                      lambda c: _order(store, c, a_id, b_id, a, b))
    who = f"k.key AS {quote(key)}" + (f", y.name AS {quote(name)}" if name else "")
    deltas = _frame(store, f"SELECT {who}" + "".join(
        f", x.{quote(s)} AS {quote(s + '_then')}, y.{quote(s)} AS {quote(s + '_now')}, "
        f"y.{quote(s)} - x.{quote(s)} AS {quote(s + '_change')}" for s in scores)
        + f" {keyed} ORDER BY k.key{'' if detail else ' LIMIT 0'}")
    drops = _drops(store, both, key, name, tier, detail) if HEALTH in scores else pl.DataFrame()
    actions, per_customer = _action_changes(store, (a_id, b_id), both, keyed, who, detail)
    texts = {**action_texts(store, a_id), **action_texts(store, b_id)}
    return Comparison(
        a=a_info, b=b_info, key=key, name=name, measure_label=(str((b.summary("segmentation").figures.get("measure")
                                                                     if b.summary("segmentation") else None)
                                                                    or MEASURE) if weighted else None),
        migrations=migrations, gained=only(b_info, a_id), lost=only(a_info, b_id), health_drops=drops, scores=deltas,
        score_columns=scores, checklist=checklist_changes(a, b), actions=labelled_actions(actions, texts),
        action_customers=per_customer, tier_mix=tier_mix(a, b), headline=headline(a, b),
        figures=figures_side_by_side(a.summaries, b.summaries), ruleset_change=ruleset_change,
        notes=notes(a_info, b_info), score_summary=summary, detailed=detail)


def _migrations(store: RunStore, both: str, classes: list[str], scores: list[str], weighted: bool,
                order: Callable[[str], list[str]]) -> tuple[list[Migration], pl.DataFrame]:
    """Every class's migration matrix and every score's summary from one join of the two runs.

    The join is aggregated once, by every class pair at once (a few hundred groups): counts,
    and exact sums (as :data:`FIXED` point) of the measure and of each
    score's change. Those groups are then added up per class (one grouping set each) and in
    all (the empty set, for the scores), exactly: a grouping set per class straight over the
    million rows computed every aggregate once per set.
    """
    inner = ", ".join([*(f"coalesce(x.{quote(c)}, '{NONE}') AS {quote(c + '__a')}, "
                         f"coalesce(y.{quote(c)}, '{NONE}') AS {quote(c + '__b')}" for c in classes),
                       f"y.{MEASURE} AS {MEASURE}",
                       *(f"y.{quote(s)} - x.{quote(s)} AS d{i}" for i, s in enumerate(scores))])
    pairs = [f"{quote(c + '__a')}, {quote(c + '__b')}" for c in classes]
    fine = ("SELECT " + "".join(f"{p}, " for p in pairs) + f"count(*) AS n, sum(CAST({MEASURE} AS {FIXED})) AS m"
            + "".join(f", count(*) FILTER (WHERE d{i} > 0) AS up{i}, count(*) FILTER (WHERE d{i} < 0) AS down{i}, "
                      f"count(*) FILTER (WHERE d{i} = 0) AS same{i}, sum(CAST(d{i} AS {FIXED})) AS s{i}, "
                      f"count(d{i}) AS k{i}" for i in range(len(scores)))
            + f" FROM (SELECT {inner} {both}) GROUP BY ALL")
    sets = ", ".join([*(f"({p})" for p in pairs), "()"])
    query = (f"WITH fine AS ({fine}) SELECT "
             + "".join(f"GROUPING({quote(c + '__a')}) AS {quote('g_' + c)}, {quote(c + '__a')} AS "
                       f"{quote('from_' + c)}, {quote(c + '__b')} AS {quote('to_' + c)}, " for c in classes)
             + "coalesce(sum(n), 0)::BIGINT AS customers"
             + (f", CAST(sum(m) AS DOUBLE) AS {MEASURE}" if weighted else "")
             + "".join(f", coalesce(sum(up{i}), 0)::BIGINT AS up{i}, coalesce(sum(down{i}), 0)::BIGINT AS down{i}, "
                       f"coalesce(sum(same{i}), 0)::BIGINT AS same{i}, "
                       f"(CAST(sum(s{i}) AS DOUBLE) / coalesce(sum(k{i}), 0)::BIGINT)::DOUBLE AS mean{i}"
                       for i in range(len(scores)))
             + f" FROM fine GROUP BY GROUPING SETS ({sets})")
    found = _frame(store, query)
    migrations = []
    for c in classes:
        matrix = (found.filter(pl.col(f"g_{c}") == 0)
                  .select(pl.col(f"from_{c}").alias("from"), pl.col(f"to_{c}").alias("to"), "customers",
                          *([MEASURE] if weighted else []))
                  .sort("from", "to"))
        migrations.append(migration_of(c, order(c), matrix))
    total = found.filter(pl.all_horizontal(pl.col(f"g_{c}") == 1 for c in classes)) if classes else found
    summary = pl.DataFrame([{"score": s, "up": total[f"up{i}"][0], "down": total[f"down{i}"][0],
                             "same": total[f"same{i}"][0], "mean_change": total[f"mean{i}"][0]}
                            for i, s in enumerate(scores)], schema=SCORE_SUMMARY)
    return migrations, summary




def _drops(store: RunStore, both: str, key: str, name: str | None, tier: bool, detail: bool) -> pl.DataFrame:
    """The customers whose health dropped, largest drop first (then by key); without ``detail``
    the first :data:`LIST_LIMIT`: the key text is looked up only for the drops down to the
    limit's (ties included), not for every customer whose health dropped."""
    change = f"{HEALTH}_change"
    dropped = (f"SELECT x.{KEY_ID}{', y.name' if name else ''}{', y.tier' if tier else ''}, x.{HEALTH} AS "
               f"{HEALTH}_then, y.{HEALTH} AS {HEALTH}_now, y.{HEALTH} - x.{HEALTH} AS {change} {both} "
               f"WHERE y.{HEALTH} < x.{HEALTH}")
    cut = "" if detail else (f" WHERE {change} <= (SELECT max({change}) FROM (SELECT {change} FROM d "
                             f"ORDER BY {change} LIMIT {LIST_LIMIT}))")
    return _frame(store, f"WITH d AS MATERIALIZED ({dropped}) SELECT k.key AS {quote(key)}"
                         f"{f', d.name AS {quote(name)}' if name else ''}{', d.tier' if tier else ''}, "
                         f"{HEALTH}_then, {HEALTH}_now, {change} FROM d JOIN {KEYS} k ON k.{KEY_ID} = d.{KEY_ID}"
                         f"{cut} ORDER BY {change}, k.key{'' if detail else f' LIMIT {LIST_LIMIT}'}")


def _order(store: RunStore, output: str, a_id: int, b_id: int, a: object, b: object) -> list[str]:
    """Classes best first: tiers by their smallest rank, value classes and bands in their section's order."""
    if output == "tier":
        rows = store.rows(f"SELECT CAST(tier AS VARCHAR) AS tier, min(segment_rank) AS best FROM {CUSTOMER_ROWS} "
                          f"WHERE run_id IN ({a_id}, {b_id}) GROUP BY ALL ORDER BY best NULLS LAST, tier")
        return [NONE if r["tier"] is None else r["tier"] for r in rows]
    if output == "value_class":
        return list(VALUE_CLASSES)
    bands = [r.summary("relationship").tables.get("bands") for r in (a, b)  # type: ignore[attr-defined]
             if r.summary("relationship")]  # type: ignore[attr-defined]
    return list(dict.fromkeys(str(x) for t in bands if t is not None and "band" in t.columns for x in t["band"].drop_nulls()))


def _action_changes(store: RunStore, run_ids: tuple[int, int], both: str, keyed: str, who: str,
                    detail: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per rule: new, resolved, persisting (customers in both runs); per customer whose actions
    changed (``detail``): the rules gained, lost and kept.

    Each customer's ``actions`` column lists its rule ids in priority order. Most customers
    share their pair of lists (then, now) with many others, so the counts come from the
    distinct pairs and how many customers have each, not from a join of the two runs'
    action rows; gained and kept are listed in the newer run's order, lost in the older's.
    The lists are grouped as text (the ids joined by :data:`_SEPARATOR`, a third faster than
    grouping lists), which is exact as no id of either run is empty or holds the separator;
    otherwise (a plugin's odd ids) they are grouped as lists.
    """
    odd = store.value(f"SELECT count(*) FROM action_rules WHERE run_id IN ({', '.join(map(str, run_ids))}) "
                      "AND (rule = '' OR contains(rule, ?))", [_SEPARATOR])
    if odd:
        pairs = _frame(store, f"SELECT coalesce(x.actions, []) AS a, coalesce(y.actions, []) AS b, "
                              f"count(*)::BIGINT AS customers {both} GROUP BY ALL").iter_rows()
    else:
        joined = _frame(store, f"SELECT array_to_string(coalesce(x.actions, []), chr({ord(_SEPARATOR)})) AS a, "
                               f"array_to_string(coalesce(y.actions, []), chr({ord(_SEPARATOR)})) AS b, "
                               f"count(*)::BIGINT AS customers {both} GROUP BY ALL")
        pairs = ((a.split(_SEPARATOR) if a else [], b.split(_SEPARATOR) if b else [], n) for a, b, n in joined.iter_rows())
    rows: dict[str, list[int]] = {}
    for then, now, customers in pairs:
        for rule in now:
            rows.setdefault(rule, [0, 0, 0])[0 if rule not in then else 2] += customers
        for rule in then:
            if rule not in now:
                rows.setdefault(rule, [0, 0, 0])[1] += customers
    counts = pl.DataFrame([{"rule": r, "new": n, "resolved": lost, "persisting": kept}
                           for r, (n, lost, kept) in rows.items()],
                          schema={"rule": pl.String, "new": pl.Int64, "resolved": pl.Int64, "persisting": pl.Int64})
    if not detail:
        return counts, pl.DataFrame(schema={"gained": pl.List(pl.String), "lost": pl.List(pl.String),
                                            "kept": pl.List(pl.String)})
    per_customer = _frame(store, f"""
        SELECT * EXCLUDE (a, b) FROM (
            SELECT {who}, coalesce(x.actions, []) AS a, coalesce(y.actions, []) AS b,
                list_filter(b, lambda r: NOT list_contains(a, r)) AS gained,
                list_filter(a, lambda r: NOT list_contains(b, r)) AS lost,
                list_filter(b, lambda r: list_contains(a, r)) AS kept
            {keyed} ORDER BY k.key)
        WHERE len(gained) + len(lost) > 0""")
    return counts, per_customer

"""``clientwise compare`` of two runs in one store, computed by DuckDB on the stored tables.

Two runs of a million customers are a million-row join and two three-million-row
action tables. Reading them into Python first took longer than the comparison may
take in all (bench/README.md), so when both runs are in the store the comparison is
a handful of SQL queries over ``customers``, ``actions`` and the Pareto table (for
revenue), run by DuckDB in parallel; only their results (matrices, lists, per-customer
changes) come back, as Arrow. It gives the same :class:`Comparison` as
:func:`clientwise.history.compare.compare`, which still serves results files and the
split of a ruleset change (that needs the re-evaluated input in memory anyway).
"""

from __future__ import annotations

import json

import polars as pl

from clientwise.compare import NONE, figures_side_by_side
from clientwise.history.compare import (
    CLASSES,
    HEALTH,
    MEASURE,
    NUMERIC_KINDS,
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
from clientwise.history.runs import RunInfo, action_texts, load_result
from clientwise.history.store import RunStore
from clientwise.history.tables import quote

#: Portfolio tables read besides the customers (small ones: a row per tier, question, band).
SUMMARY_TABLES = {("segmentation", "tiers"), ("checklist", "questions"), ("relationship", "bands")}
_PARETO_OWN = {"seq", "position", MEASURE, "customer_share", "cumulative_share"}


def _frame(store: RunStore, query: str) -> pl.DataFrame:
    return pl.DataFrame(store.connection.sql(query))


def _types(info: RunInfo) -> dict[str, dict]:
    return {c["name"]: c for c in info.columns}


def _measure(store: RunStore, run_id: int) -> tuple[str, str] | None:
    """(table, key column) of the run's Pareto table, which holds each customer's measure."""
    rows = store.rows("SELECT stored_in, columns FROM summary_tables WHERE run_id = ? AND section = 'segmentation' "
                      "AND name = 'pareto'", [run_id])
    if not rows:
        return None
    key = next((c["name"] for c in json.loads(rows[0]["columns"]) if c["name"] not in _PARETO_OWN), None)
    return (rows[0]["stored_in"], key) if key else None


def _side(store: RunStore, info: RunInfo, columns: list[tuple[str, str]]) -> str:
    """A SELECT of one run's customers: key, name, the columns (cast to ``type``), measure."""
    run_id = int(info.run_id or 0)
    have = _types(info)
    values = ", ".join(f"CAST({'c.' + quote(name) if name in have else 'NULL'} AS {dtype}) AS {quote(name)}"
                       for name, dtype in columns)
    pareto = _measure(store, run_id)
    join, measure = "", "CAST(NULL AS DOUBLE)"
    if pareto is not None:
        join = (f" LEFT JOIN {quote(pareto[0])} p ON p.run_id = {run_id} "
                f"AND CAST(p.{quote(pareto[1])} AS VARCHAR) = c.key")
        measure = f"CAST(p.{quote(MEASURE)} AS DOUBLE)"
    return (f"SELECT c.key, c.name{', ' if values else ''}{values}, {measure} AS {MEASURE} "
            f"FROM customers c{join} WHERE c.run_id = {run_id}")


def compare_stored(store: RunStore, a_info: RunInfo, b_info: RunInfo,
                   ruleset_change: RulesetChange | None) -> Comparison:
    """Everything that changed from stored run A to stored run B (see module doc)."""
    a_id, b_id = int(a_info.run_id or 0), int(b_info.run_id or 0)
    a = load_result(store, a_info, columns=[], summary_tables=SUMMARY_TABLES, actions=False)
    b = load_result(store, b_info, columns=[], summary_tables=SUMMARY_TABLES, actions=False)
    ta, tb = _types(a_info), _types(b_info)
    classes = [c for c in CLASSES if c in ta and c in tb]
    scores = [name for name, column in tb.items()
              if name in ta and column.get("kind") in NUMERIC_KINDS and not column.get("detail")
              and _OUTPUT_KEYS <= set(ta[name])]
    columns = [(name, "VARCHAR") for name in classes] + [(name, tb[name]["type"]) for name in scores]
    pareto = _measure(store, b_id)
    con = store.connection
    con.execute(f"CREATE OR REPLACE TEMP TABLE cw_pairs AS SELECT coalesce(x.key, y.key) AS key, "
                f"coalesce(y.name, x.name) AS name, x.key IS NOT NULL AS in_a, y.key IS NOT NULL AS in_b, "
                + "".join(f"x.{quote(n)} AS {quote(n + '__a')}, y.{quote(n)} AS {quote(n + '__b')}, "
                          for n, _ in columns)
                + f"x.{MEASURE} AS {MEASURE}__a, y.{MEASURE} AS {MEASURE}__b "
                f"FROM ({_side(store, a_info, columns)}) x FULL JOIN ({_side(store, b_info, columns)}) y "
                f"ON x.key = y.key")
    key, name = b_info.key_field, b_info.name_field
    ids = f"key AS {quote(key)}" + (f", name AS {quote(name)}" if name else "")
    weighted = pareto is not None
    migrations = [_migration(store, output, _order(store, output, a_id, b_id, a, b), weighted) for output in classes]
    tier = "tier" if "tier" in classes else None

    def listed(side: str, present: str, absent: str) -> pl.DataFrame:
        tier_column = f", tier__{side} AS tier" if tier else ""
        return _frame(store, f"SELECT {ids}{tier_column}, {MEASURE}__{side} AS {MEASURE} FROM cw_pairs "
                             f"WHERE {present} AND NOT {absent} ORDER BY {MEASURE} DESC NULLS LAST, key")

    gained, lost = listed("b", "in_b", "in_a"), listed("a", "in_a", "in_b")
    deltas = _frame(store, f"SELECT {ids}" + "".join(
        f", {quote(s + '__a')} AS {quote(s + '_then')}, {quote(s + '__b')} AS {quote(s + '_now')}, "
        f"{quote(s + '__b')} - {quote(s + '__a')} AS {quote(s + '_change')}" for s in scores)
        + " FROM cw_pairs WHERE in_a AND in_b ORDER BY key")
    drops = pl.DataFrame()
    if HEALTH in scores:
        drops = _frame(store, f"SELECT {ids}{', tier__b AS tier' if tier else ''}, {HEALTH}__a AS {HEALTH}_then, "
                              f"{HEALTH}__b AS {HEALTH}_now, {HEALTH}__b - {HEALTH}__a AS {HEALTH}_change "
                              f"FROM cw_pairs WHERE in_a AND in_b AND {HEALTH}__b < {HEALTH}__a "
                              f"ORDER BY {HEALTH}_change, key")
    actions, per_customer = _action_changes(store, a_id, b_id, ids)
    texts = {**action_texts(store, a_id), **action_texts(store, b_id)}
    con.execute("DROP TABLE IF EXISTS cw_pairs")
    return Comparison(
        a=a_info, b=b_info, key=key, name=name, measure_label=(str((b.summary("segmentation").figures.get("measure")
                                                                     if b.summary("segmentation") else None)
                                                                    or MEASURE) if weighted else None),
        migrations=migrations, gained=gained, lost=lost, health_drops=drops, scores=deltas, score_columns=scores,
        checklist=checklist_changes(a, b), actions=labelled_actions(actions, texts), action_customers=per_customer,
        tier_mix=tier_mix(a, b), headline=headline(a, b), figures=figures_side_by_side(a.summaries, b.summaries),
        ruleset_change=ruleset_change, notes=notes(a_info, b_info))


_OUTPUT_KEYS = {"label", "kind", "detail"}


def _order(store: RunStore, output: str, a_id: int, b_id: int, a: object, b: object) -> list[str]:
    """Classes best first: tiers by their smallest rank, value classes and bands in their section's order."""
    if output == "tier":
        rows = store.rows("SELECT CAST(tier AS VARCHAR) AS tier, min(segment_rank) AS best FROM customers "
                          f"WHERE run_id IN ({a_id}, {b_id}) GROUP BY ALL ORDER BY best NULLS LAST, tier")
        return [NONE if r["tier"] is None else r["tier"] for r in rows]
    if output == "value_class":
        return list(VALUE_CLASSES)
    bands = [r.summary("relationship").tables.get("bands") for r in (a, b)  # type: ignore[attr-defined]
             if r.summary("relationship")]  # type: ignore[attr-defined]
    return list(dict.fromkeys(str(x) for t in bands if t is not None and "band" in t.columns for x in t["band"].drop_nulls()))


def _migration(store: RunStore, output: str, order: list[str], weighted: bool) -> Migration:
    """Revenue moved is summed in key order: DuckDB's parallel sum of floats could differ in
    the last digit from run to run, and a comparison must not."""
    found = _frame(store, f"SELECT coalesce({quote(output + '__a')}, '{NONE}') AS \"from\", "
                          f"coalesce({quote(output + '__b')}, '{NONE}') AS \"to\", count(*)::BIGINT AS customers"
                          + (f", sum({MEASURE}__b ORDER BY key) AS {MEASURE}" if weighted else "")
                          + " FROM cw_pairs WHERE in_a AND in_b GROUP BY ALL ORDER BY 1, 2")
    return migration_of(output, order, found)


def _action_changes(store: RunStore, a_id: int, b_id: int, ids: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per rule: new, resolved, persisting (customers in both runs); per customer whose actions
    changed: the rules gained, lost and kept, each in its run's priority order."""
    def side(run_id: int) -> str:
        return (f"SELECT a.key, a.rule, r.priority, r.position FROM actions a JOIN action_rules r "
                f"ON r.run_id = a.run_id AND r.rule = a.rule WHERE a.run_id = {run_id}")

    store.connection.execute(
        "CREATE OR REPLACE TEMP TABLE cw_actions AS SELECT coalesce(x.key, y.key) AS key, "
        "coalesce(x.rule, y.rule) AS rule, x.rule IS NOT NULL AS in_a, y.rule IS NOT NULL AS in_b, "
        "x.priority AS pa, x.position AS qa, y.priority AS pb, y.position AS qb "
        f"FROM ({side(a_id)}) x FULL JOIN ({side(b_id)}) y ON x.key = y.key AND x.rule = y.rule "
        "SEMI JOIN cw_pairs p ON p.key = coalesce(x.key, y.key) AND p.in_a AND p.in_b")
    counts = _frame(store, "SELECT rule, count(*) FILTER (WHERE in_b AND NOT in_a)::BIGINT AS new, "
                           "count(*) FILTER (WHERE in_a AND NOT in_b)::BIGINT AS resolved, "
                           "count(*) FILTER (WHERE in_a AND in_b)::BIGINT AS persisting FROM cw_actions GROUP BY rule")
    empty = "CAST([] AS VARCHAR[])"
    per_customer = _frame(store, f"""
        WITH changed AS (
            SELECT key,
                list(rule ORDER BY pb, qb) FILTER (WHERE in_b AND NOT in_a) AS gained,
                list(rule ORDER BY pa, qa) FILTER (WHERE in_a AND NOT in_b) AS lost,
                list(rule ORDER BY pb, qb) FILTER (WHERE in_a AND in_b) AS kept
            FROM cw_actions GROUP BY key HAVING bool_or(in_a <> in_b))
        SELECT {ids}, coalesce(gained, {empty}) AS gained, coalesce(lost, {empty}) AS lost,
               coalesce(kept, {empty}) AS kept
        FROM changed JOIN cw_pairs USING (key) ORDER BY key""")
    store.connection.execute("DROP TABLE IF EXISTS cw_actions")
    return counts, per_customer

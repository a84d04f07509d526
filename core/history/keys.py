"""Customer keys numbered once per store, so that runs are joined on integers.

Comparing two runs of a million customers joins them on the customer, and so do the
customers gained and lost, each run's measure from its Pareto table and every trend
read. On the text key those joins were most of ``clientwise compare``'s time
(bench/README.md); on a number they cost a fraction. So the store keeps one row per
customer key it has ever seen in ``customer_keys`` (``key_id``, ``key``), and each
run's rows (``customer_rows``, ``action_rows``, and the portfolio tables that list
customers) carry the ``key_id``. A key keeps its number in every run, whatever its
position; new keys get the next numbers, in key order. The views ``customers`` and
``actions`` put the key text back, so an analyst's SQL reads the runs as before.

:func:`renumber` is the migration that brings a store of the earlier layout (the text
key in ``customers`` and ``actions``) to this one; :func:`number` numbers the keys of
a run being saved.
"""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb
import polars as pl

from clientwise.history.sql import PLAIN, quote

KEYS, KEY_ID = "customer_keys", "key_id"
#: The stored tables of a run's customers and actions; ``customers`` and ``actions`` are views.
CUSTOMER_ROWS, ACTION_ROWS = "customer_rows", "action_rows"

#: The views over the numbered tables (created by the migration; tables.append widens the
#: tables under them, and DuckDB binds a view again at every query, so they follow).
VIEWS = (
    f"""CREATE VIEW customers AS
        SELECT c.run_id, c.{KEY_ID}, k.key, c.* EXCLUDE (run_id, {KEY_ID})
        FROM {CUSTOMER_ROWS} c JOIN {KEYS} k ON k.{KEY_ID} = c.{KEY_ID}""",
    f"""CREATE VIEW actions AS
        SELECT a.run_id, a.{KEY_ID}, k.key, a.rule, a.because
        FROM {ACTION_ROWS} a JOIN {KEYS} k ON k.{KEY_ID} = a.{KEY_ID}""",
    """CREATE VIEW recommended_actions AS
        SELECT a.run_id, a.key, r.rule, r.action, r.priority, a.because
        FROM actions a JOIN action_rules r ON a.run_id = r.run_id AND a.rule = r.rule""",
)


def number(connection: duckdb.DuckDBPyConnection, keys: pl.Series) -> pl.DataFrame:
    """``key`` -> ``key_id`` for ``keys`` (text), numbering the keys the store has not seen yet.

    Run inside the save's transaction: the new numbers are stored with the run or not at all.
    """
    wanted = pl.DataFrame({"key": keys.cast(pl.String)}).unique()
    known = pl.DataFrame(connection.sql(f"SELECT key, {KEY_ID} FROM {KEYS}"))
    if known.is_empty():
        known = pl.DataFrame(schema={"key": pl.String, KEY_ID: pl.Int64})
    start = (known[KEY_ID].max() or 0) + 1  # type: ignore[operator]
    new = (wanted.join(known, on="key", how="anti").sort("key")
           .with_row_index(KEY_ID, offset=int(start)).select("key", pl.col(KEY_ID).cast(pl.Int64)))
    if new.height:
        connection.register("clientwise_keys", new)
        try:
            connection.execute(f"INSERT INTO {KEYS} BY NAME SELECT key, {KEY_ID} FROM clientwise_keys")
        finally:
            connection.unregister("clientwise_keys")
    return pl.concat([known.join(wanted, on="key", how="semi"), new])


def with_key_id(frame: pl.DataFrame, key: str, numbers: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the ``key_id`` of its ``key`` column (text or not) appended, rows in order;
    null for a key that is not numbered."""
    return frame.join(numbers.rename({"key": "__key"}), left_on=pl.col(key).cast(pl.String), right_on="__key",
                      how="left", maintain_order="left").drop("__key", strict=False)


def forget_unused(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop the keys no run has any more (after ``history forget``): the store keeps no customer
    text that no run needs."""
    connection.execute(f"DELETE FROM {KEYS} WHERE {KEY_ID} NOT IN (SELECT {KEY_ID} FROM {CUSTOMER_ROWS}) "
                       f"AND {KEY_ID} NOT IN (SELECT {KEY_ID} FROM {ACTION_ROWS})")


def renumber(connection: duckdb.DuckDBPyConnection) -> None:
    """Layout 3: number the keys of a layout-2 store and move its runs' rows onto the numbers.

    ``customers`` and ``actions`` become the tables ``customer_rows`` and ``action_rows``
    (the key replaced by its number, rows in run and key order) and views of the old
    names; the portfolio tables that list a run's customers gain ``key_id``.
    """
    connection.execute(f"INSERT INTO {KEYS} SELECT row_number() OVER (ORDER BY key), key FROM "
                       "(SELECT key FROM customers UNION SELECT key FROM actions)")
    columns = connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = 'customers' AND column_name NOT IN ('run_id', 'key', 'name') ORDER BY column_index"
    ).fetchall()
    outputs = "".join(f", {quote(name)} {dtype}" for name, dtype in columns)
    connection.execute(f"CREATE TABLE {CUSTOMER_ROWS} (run_id BIGINT NOT NULL, {KEY_ID} BIGINT NOT NULL, "
                       f"name VARCHAR {PLAIN}{outputs})")
    connection.execute(f"INSERT INTO {CUSTOMER_ROWS} BY NAME SELECT c.* EXCLUDE (key), k.{KEY_ID} FROM customers c "
                       f"JOIN {KEYS} k USING (key) ORDER BY c.run_id, k.{KEY_ID}")
    connection.execute(f"CREATE TABLE {ACTION_ROWS} (run_id BIGINT NOT NULL, {KEY_ID} BIGINT NOT NULL, "
                       "rule VARCHAR NOT NULL, because VARCHAR)")
    connection.execute(f"INSERT INTO {ACTION_ROWS} SELECT a.run_id, k.{KEY_ID}, a.rule, a.because FROM actions a "
                       f"JOIN {KEYS} k USING (key) ORDER BY a.run_id, k.{KEY_ID}")
    for statement in ("DROP VIEW recommended_actions", "DROP TABLE actions", "DROP TABLE customers", *VIEWS):
        connection.execute(statement)
    _number_portfolio_tables(connection)


def _number_portfolio_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Add ``key_id`` to each stored portfolio table's rows that name a run's customer (its
    ``key_field`` column), as a save of this layout does."""
    rows = connection.execute("SELECT s.run_id, s.stored_in, s.columns, r.key_field FROM summary_tables s "
                              "JOIN runs r USING (run_id) ORDER BY s.stored_in, s.run_id").fetchall()
    runs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for run_id, stored_in, columns, key_field in rows:
        names = {c["name"] for c in json.loads(columns)}
        if key_field in names and KEY_ID not in names:
            runs[(stored_in, key_field)].append(int(run_id))
    for (table, key_field), run_ids in runs.items():
        have = {r[0] for r in connection.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = ?",
            [table]).fetchall()}
        if KEY_ID not in have:
            connection.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {KEY_ID} BIGINT")
        connection.execute(f"UPDATE {quote(table)} t SET {KEY_ID} = k.{KEY_ID} FROM {KEYS} k "
                           f"WHERE t.run_id IN ({', '.join(map(str, run_ids))}) "
                           f"AND CAST(t.{quote(key_field)} AS VARCHAR) = k.key")

"""Customer keys numbered once per store, so that runs are joined on integers.

Comparing two runs of a million customers joins them on the customer, and so do the
customers gained and lost, each run's measure from its Pareto table and every trend
read. On the text key those joins were most of ``clientwise compare``'s time
(bench/README.md); on a number they cost a fraction. So the store keeps one row per
customer key it has ever seen in ``customer_keys`` (``key_id``, ``key``), and each
run's rows (``customer_rows``, ``action_rows``, and the Pareto table, :data:`NUMBERED`)
carry the ``key_id``. A key keeps its number in every run, whatever its
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
#: The portfolio tables (section, name) whose rows carry their customer's ``key_id``: the
#: ones ``compare`` joins with the customers (each customer's measure, from the Pareto
#: table). Numbering a million-row table costs about a second of a save, so only these.
NUMBERED = frozenset({("segmentation", "pareto")})

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


def number(connection: duckdb.DuckDBPyConnection, keys: pl.Series) -> pl.Series:
    """The ``key_id`` of each of ``keys`` (a run's customer keys, text, each once), in their
    order, numbering the keys the store has not seen yet (in key order, after the others).

    One join of the keys with the store's (a million text keys cost about a second of CPU,
    so the save joins them once; the ids of new keys are placed by position). Run inside
    the save's transaction: the new numbers are stored with the run or not at all.
    """
    frame = pl.DataFrame({"key": keys.cast(pl.String)})
    known = pl.DataFrame(connection.sql(f"SELECT key, {KEY_ID} FROM {KEYS}"))
    ids = (frame.join(known, on="key", how="left", maintain_order="left")[KEY_ID] if known.height
           else pl.Series(KEY_ID, [None] * frame.height, pl.Int64))
    missing = ids.is_null().arg_true()
    if missing.len():
        start = int(known[KEY_ID].max() or 0) + 1 if known.height else 1  # type: ignore[arg-type]
        unseen = frame["key"].gather(missing)
        placed = (unseen.rank("dense").cast(pl.Int64) + (start - 1)).alias(KEY_ID)  # in key order, no join
        new = pl.DataFrame([unseen, placed]).unique("key")
        connection.register("clientwise_keys", new)
        try:
            connection.execute(f"INSERT INTO {KEYS} BY NAME SELECT key, {KEY_ID} FROM clientwise_keys")
        finally:
            connection.unregister("clientwise_keys")
        ids = ids.scatter(missing, placed)
    return ids.alias(KEY_ID)


def with_key_id(frame: pl.DataFrame, key: str, numbers: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the ``key_id`` of its ``key`` column (text or not) appended, rows in order;
    null for a key that is not numbered. ``numbers``: ``key`` (text) and ``key_id``."""
    return frame.join(numbers.rename({"key": "__key"}), left_on=pl.col(key).cast(pl.String), right_on="__key",
                      how="left", maintain_order="left").drop("__key", strict=False)


def action_ids(actions: pl.Series, keys: pl.Series, ids: pl.Series, fired: pl.Series | None) -> pl.Series:
    """The ``key_id`` of each action row, given their keys (``actions``) and the run's
    customers (``keys``, their ``ids`` and ``fired``, each one's list of action ids).

    The runtime lists actions customer by customer, in the customers' order, so each
    customer's number is repeated once per action it has (no join of three million text
    keys); checked against the action rows' keys. Actions in another order (another
    engine, a results file) are matched by key instead.
    """
    if fired is not None and isinstance(fired.dtype, pl.List):
        counts = fired.list.len().fill_null(0)
        rows = pl.int_range(0, keys.len(), eager=True).repeat_by(counts).explode().drop_nulls()
        if rows.len() == actions.len() and keys.gather(rows).equals(actions.cast(pl.String), check_names=False):
            return ids.gather(rows).alias(KEY_ID)
    numbers = pl.DataFrame({"key": keys, KEY_ID: ids})
    return pl.DataFrame({"key": actions.cast(pl.String)}).join(numbers, on="key", how="left",
                                                                maintain_order="left")[KEY_ID]


def forget_unused(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop the keys no run has any more (after ``history forget``): the store keeps no customer
    text that no run needs."""
    connection.execute(f"DELETE FROM {KEYS} WHERE {KEY_ID} NOT IN (SELECT {KEY_ID} FROM {CUSTOMER_ROWS}) "
                       f"AND {KEY_ID} NOT IN (SELECT {KEY_ID} FROM {ACTION_ROWS})")


def renumber(connection: duckdb.DuckDBPyConnection) -> None:
    """Layout 3: number the keys of a layout-2 store and move its runs' rows onto the numbers.

    ``customers`` and ``actions`` become the tables ``customer_rows`` and ``action_rows``
    (the key replaced by its number, each run's rows together) and views of the old
    names; the :data:`NUMBERED` portfolio tables gain ``key_id``.
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
    connection.execute(f"CREATE TABLE {ACTION_ROWS} (run_id BIGINT NOT NULL, {KEY_ID} BIGINT NOT NULL, "
                       "rule VARCHAR NOT NULL, because VARCHAR)")
    runs = [r[0] for r in connection.execute("SELECT DISTINCT run_id FROM customers UNION SELECT DISTINCT run_id "
                                             "FROM actions ORDER BY run_id").fetchall()]
    for run_id in runs:  # run by run: a run's rows stay together (reads skip the others), no sort of them all
        connection.execute(f"INSERT INTO {CUSTOMER_ROWS} BY NAME SELECT c.* EXCLUDE (key), k.{KEY_ID} "
                           f"FROM customers c JOIN {KEYS} k USING (key) WHERE c.run_id = ?", [run_id])
        connection.execute(f"INSERT INTO {ACTION_ROWS} SELECT a.run_id, k.{KEY_ID}, a.rule, a.because FROM actions a "
                           f"JOIN {KEYS} k USING (key) WHERE a.run_id = ?", [run_id])
    for statement in ("DROP VIEW recommended_actions", "DROP TABLE actions", "DROP TABLE customers", *VIEWS):
        connection.execute(statement)
    _number_portfolio_tables(connection)


def _number_portfolio_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Add ``key_id`` to the rows of the :data:`NUMBERED` portfolio tables (by the run's
    ``key_field`` column), as a save of this layout does."""
    rows = connection.execute("SELECT s.run_id, s.section, s.name, s.stored_in, s.columns, r.key_field "
                              "FROM summary_tables s JOIN runs r USING (run_id) ORDER BY s.stored_in, s.run_id"
                              ).fetchall()
    runs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for run_id, section, name, stored_in, columns, key_field in rows:
        names = {c["name"] for c in json.loads(columns)}
        if (section, name) in NUMBERED and key_field in names and KEY_ID not in names:
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

"""Stores written by an earlier clientwise (an earlier layout) are upgraded on first use, runs kept.

An old store is made here as the old clientwise wrote it: the tables its layout's
migrations create (``schema.MIGRATIONS[:version]``, the SQL as it shipped), filled
with the runs of a store this clientwise saved, in the old shape (the customer key
as text in ``customers`` and ``actions``, no ``customer_keys``, no ``key_id``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

import clientwise
from clientwise.cli.app import cli
from clientwise.history import schema
from clientwise.history.runs import forget, load_result, run_info
from clientwise.history.save import save_run
from clientwise.history.sql import quote
from clientwise.history.store import open_store
from clientwise.sample import evolve, write

#: The tables every layout has, copied as they are.
_SAME = ("runs", "inputs", "action_rules", "summaries", "summary_tables", "warnings")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def write_old_layout(current: Path, old: Path, version: int) -> None:
    """``old``: the runs of the store ``current`` as the clientwise of layout ``version`` (1 or 2) stored them."""
    with open_store(old, write=True, migrations=schema.MIGRATIONS[:version]) as store:
        con = store.connection
        con.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
        for table in (*_SAME, *(("findings",) if version >= 2 else ())):
            con.execute(f"INSERT INTO {table} SELECT * FROM cur.{table}")
        outputs = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'cur' "
                              "AND table_name = 'customer_rows' AND column_name NOT IN ('run_id', 'key_id', 'name') "
                              "ORDER BY column_index").fetchall()
        for name, dtype in outputs:
            con.execute(f"ALTER TABLE customers ADD COLUMN {quote(name)} {dtype}")
        con.execute("INSERT INTO customers BY NAME SELECT * EXCLUDE (key_id) FROM cur.customers")
        con.execute("INSERT INTO actions SELECT run_id, key, rule, because FROM cur.actions")
        for (table,) in con.execute("SELECT DISTINCT stored_in FROM summary_tables").fetchall():
            con.execute(f"CREATE TABLE {quote(table)} AS SELECT COLUMNS(lambda c: c <> 'key_id') FROM cur.{quote(table)}")
        last = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]  # type: ignore[index]
        con.execute("DROP SEQUENCE run_ids")
        con.execute(f"CREATE SEQUENCE run_ids START {int(last) + 1}")
        con.execute("DETACH cur")


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two quarters of a 400-customer portfolio (customers gained and lost), saved at this layout."""
    folder = tmp_path_factory.mktemp("layouts")
    evaluator = clientwise.Evaluator("default")
    store = folder / "current.duckdb"
    results = []
    with open_store(store, write=True) as opened:
        for quarter in evolve(400, 2, seed=5):
            data = folder / quarter.label
            write(quarter.tables, data, "csv")
            results.append(evaluator.evaluate(data, as_of=quarter.as_of))
            save_run(opened, evaluator, results[-1], data, label=quarter.label)
    return {"folder": folder, "store": store, "evaluator": evaluator, "results": results}


def test_a_layout_2_store_is_renumbered_and_compares_exactly_as_before(quarters: dict, tmp_path: Path) -> None:
    current, old = quarters["store"], tmp_path / "old.duckdb"
    write_old_layout(current, old, 2)
    with duckdb.connect(str(old), read_only=True) as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["customers"] == "BASE TABLE" and "customer_keys" not in kinds
    code, out = invoke("history", "--store", str(old))  # a reading command upgrades it
    assert code == 0 and "2026-Q2" in out and "2026-Q3" in out, out
    with open_store(old, write=False) as store:
        assert store.version() == schema.CURRENT_VERSION == 3
        steps = store.rows("SELECT version, description FROM schema_version ORDER BY version")
        assert [s["version"] for s in steps] == [1, 2, 3] and "numbered" in steps[2]["description"]
        numbered = pl.DataFrame(store.connection.sql("SELECT key_id, key FROM customer_keys ORDER BY key_id"))
        keys = pl.DataFrame(store.connection.sql("SELECT DISTINCT key FROM customers ORDER BY key"))["key"]
        for run_id, result in enumerate(quarters["results"], start=1):
            back = load_result(store, run_info(store, run_id))
            assert back.customers.equals(result.customers) and back.actions.equals(result.actions)
        unnumbered = store.value("SELECT count(*) FROM portfolio_segmentation_pareto WHERE key_id IS NULL")
    # every key once, numbered in key order; the runs differ (customers gained and lost)
    assert numbered["key"].equals(keys) and numbered["key_id"].to_list() == list(range(1, len(keys) + 1))
    assert len(keys) > max(r.customers.height for r in quarters["results"])
    assert unnumbered == 0
    for args in (["--json"], [], ["-o", str(tmp_path / "c.md")]):  # what compare shows, byte for byte
        before, after = invoke("compare", "--store", str(current), *args), invoke("compare", "--store", str(old), *args)
        assert before == after and before[0] == 0, args
    result = quarters["results"][1]
    renamed = replace(result, customers=result.customers.with_columns(pl.col(result.key).str.replace("C", "N")),
                      actions=result.actions.with_columns(pl.col(result.key).str.replace("C", "N")))
    with open_store(old, write=True) as store:  # and it saves on, numbering new keys after the old ones
        run_id = save_run(store, quarters["evaluator"], renamed, None)
        assert load_result(store, run_info(store, run_id)).customers.equals(renamed.customers)
        added = store.rows("SELECT min(key_id) AS low, max(key_id) AS high, min(key) AS first FROM customer_keys "
                           "WHERE key_id > ?", [len(keys)])[0]
    assert added == {"low": len(keys) + 1, "high": len(keys) + renamed.customers.height, "first": "N00001"}


def test_keys_are_numbered_once_per_store_and_leave_with_the_last_run_that_had_them(quarters: dict,
                                                                                    tmp_path: Path) -> None:
    evaluator, (q2, q3) = quarters["evaluator"], quarters["results"]
    path, folder = tmp_path / "s.duckdb", quarters["folder"]
    with open_store(path, write=True) as store:
        ids = [save_run(store, evaluator, result, folder / label) for result, label in ((q2, "2026-Q2"),
                                                                                         (q3, "2026-Q3"))]
        ids.append(save_run(store, evaluator, q3, folder / "2026-Q3"))

        def numbers(run_id: int) -> dict[str, int]:
            return dict(store.sql("SELECT key, key_id FROM customers WHERE run_id = ?", [run_id]).fetchall())

        first, second, third = (numbers(i) for i in ids)
        assert second == third  # the same customer, the same number, in every run
        assert all(first[k] == second[k] for k in first.keys() & second.keys())
        assert store.value("SELECT count(*) FROM customer_keys") == len(first.keys() | second.keys())
        assert store.value("SELECT count(*) FROM actions a JOIN customers c USING (run_id, key_id) "
                           "WHERE a.key <> c.key") == 0
        forget(store, ids[1])
        assert store.value("SELECT count(*) FROM customer_keys") == len(first.keys() | second.keys())
        forget(store, ids[0])  # the customers only the first run had leave the store with it
        left = {r[0] for r in store.sql("SELECT key FROM customer_keys").fetchall()}
    assert left == set(third) and first.keys() - left


def test_an_output_named_like_the_stores_own_columns_is_refused(quarters: dict, tmp_path: Path) -> None:
    from clientwise.errors import InputError

    evaluator, result = quarters["evaluator"], quarters["results"][0]
    clashing = replace(result, customers=result.customers.with_columns(pl.lit(1).alias("key_id")))
    with open_store(tmp_path / "s.duckdb", write=True) as store:
        with pytest.raises(InputError, match="'key_id' clashes with the run store's own column"):
            save_run(store, evaluator, clashing, None)
        assert store.value("SELECT count(*) FROM runs") == 0


def test_a_layout_1_store_is_upgraded_with_its_runs_kept_and_findings_stored_from_then_on(
        quarters: dict, tmp_path: Path) -> None:
    """A store as clientwise with layout 1 wrote it (no findings table) is migrated on
    first use: its runs read back unchanged, with no findings, and new runs store theirs."""
    evaluator, result = quarters["evaluator"], quarters["results"][0]
    path = tmp_path / "s.duckdb"
    write_old_layout(quarters["store"], path, 1)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(1,)]
        assert "findings" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    code, out = invoke("history", "--store", str(path))  # a reading command upgrades it too
    assert code == 0 and "2026-Q2" in out, out
    with open_store(path, write=True) as store:
        assert store.version() == schema.CURRENT_VERSION
        steps = store.rows("SELECT version, description FROM schema_version ORDER BY version")
        assert [(s["version"], s["description"]) for s in steps] == [(m.version, m.description)
                                                                    for m in schema.MIGRATIONS]
        back = load_result(store, run_info(store, 1))
        assert back.customers.equals(result.customers) and back.findings == []
        new_id = save_run(store, evaluator, result, quarters["folder"] / "2026-Q2", label="new")
        stored = load_result(store, run_info(store, new_id)).findings
    assert new_id == 3 and result.findings and stored == result.findings
    kinds = {f.kind for f in stored}
    assert "source" in kinds  # which file fed which table, with its severity and counts
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT table_name, severity, count(*) FROM findings WHERE run_id = ? GROUP BY ALL",
                           [new_id]).fetchall()
    assert {r[0] for r in rows} >= {"customers", "contacts", "interactions"}



def test_actions_keep_their_customers_whatever_their_order(quarters: dict, tmp_path: Path) -> None:
    """The runtime lists actions customer by customer (each customer's number is then
    repeated, no join); actions in another order, or without the customers' action
    lists, are matched by key: either way each reads back with its customer."""
    evaluator, result = quarters["evaluator"], quarters["results"][1]
    shuffled = replace(result, actions=result.actions.reverse())
    listless = replace(result, customers=result.customers.drop("actions"))
    with open_store(tmp_path / "s.duckdb", write=True) as store:
        ids = [save_run(store, evaluator, r, None) for r in (result, shuffled, listless)]
        backs = [load_result(store, run_info(store, i)).actions for i in ids]
        per_run = store.rows("SELECT run_id, count(*) AS n, count(DISTINCT key_id) AS customers FROM action_rows "
                             "GROUP BY run_id ORDER BY run_id")
    assert all(back.equals(result.actions) for back in backs)
    assert [(r["n"], r["customers"]) for r in per_run] == [(result.actions.height,
                                                           result.actions[result.key].n_unique())] * 3

"""The run store: what a run keeps and reads back, where the store is, versions, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

import clientwise
from clientwise.cli.app import cli
from clientwise.errors import InputError
from clientwise.history import schema
from clientwise.history.runs import forget, list_runs, load_result, resolve, run_info
from clientwise.history.save import save_run
from clientwise.history.store import DEFAULT_NAME, open_store, store_path
from clientwise.sample import DEMO_AS_OF, demo_path

AS_OF = DEMO_AS_OF.isoformat()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def evaluated() -> tuple[clientwise.Evaluator, clientwise.Result]:
    evaluator = clientwise.Evaluator("default")
    return evaluator, evaluator.evaluate(demo_path(), as_of=DEMO_AS_OF)


def test_a_saved_run_reads_back_as_the_same_result(tmp_path: Path, evaluated) -> None:
    evaluator, result = evaluated
    with open_store(tmp_path / "s.duckdb", write=True) as store:
        run_id = save_run(store, evaluator, result, demo_path(), label="2026-Q2")
    with open_store(tmp_path / "s.duckdb", write=False) as store:
        info = run_info(store, resolve(store, "2026-Q2"))
        back = load_result(store, info)
    assert run_id == 1 and info.label == "2026-Q2" and info.as_of == DEMO_AS_OF
    assert back.customers.equals(result.customers) and back.customers.schema == result.customers.schema
    assert back.actions.equals(result.actions)
    assert back.columns == result.columns and back.warnings == result.warnings and back.provenance == result.provenance
    for stored, original in zip(back.summaries, result.summaries, strict=True):
        assert stored.figures == original.figures and stored.warnings == original.warnings
        assert list(stored.tables) == list(original.tables)
        assert all(stored.tables[name].equals(original.tables[name]) for name in original.tables)
    assert info.ruleset == result.ruleset
    assert clientwise.parse_ruleset(info.ruleset_text).hash == result.ruleset.hash  # the merged ruleset, re-readable
    assert [Path(f.path).name for f in info.inputs] == ["customers.csv", "contacts.csv", "interactions.csv"]
    assert all(len(f.sha256) == 64 and f.size > 0 for f in info.inputs)


def test_runs_are_named_by_id_label_latest_and_previous_and_forgotten_entirely(tmp_path: Path, evaluated) -> None:
    evaluator, result = evaluated
    path = tmp_path / "s.duckdb"
    with open_store(path, write=True) as store:
        ids = [save_run(store, evaluator, result, demo_path(), label=label) for label in ("q1", "q2", "q2")]
        assert [resolve(store, r) for r in ("1", "q1", "q2", "latest", "previous")] == [1, 1, 3, 3, 2]
        with pytest.raises(InputError, match="no run 'q20'") as error:
            resolve(store, "q20")
        assert "did you mean 'q2'" in error.value.render()
        forget(store, ids[1])
        assert [info.run_id for info in list_runs(store)] == [1, 3]
        for table in (*schema.RUN_TABLES, "portfolio_segmentation_pareto"):
            left = store.sql(f"SELECT count(*) FROM {table} WHERE run_id = 2").fetchone()[0]  # type: ignore[index]
            assert left == 0, table


def test_columns_grow_and_widen_across_runs_and_each_run_reads_its_own_types(tmp_path: Path, evaluated) -> None:
    evaluator, result = evaluated
    from dataclasses import replace

    changed = replace(result, customers=result.customers.with_columns(
        pl.col("roles_covered").cast(pl.Float64) + 0.5, pl.lit("x").alias("extra")))
    with open_store(tmp_path / "s.duckdb", write=True) as store:
        save_run(store, evaluator, result, demo_path())
        save_run(store, evaluator, changed, demo_path())
        types = {r[0]: r[1] for r in store.sql("DESCRIBE customers").fetchall()}  # the view follows the table
        first, second = (load_result(store, run_info(store, i)) for i in (1, 2))
    assert types["roles_covered"] == "DOUBLE" and types["extra"] == "VARCHAR"
    assert first.customers.equals(result.customers) and "extra" not in first.customers.columns
    assert second.customers.equals(changed.customers)


def test_the_store_lives_next_to_the_ruleset_or_where_it_is_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = tmp_path / "acme" / "acme.toml"
    ruleset.parent.mkdir()
    ruleset.write_text('extends = "default"\n')
    monkeypatch.chdir(tmp_path)
    assert store_path(None, str(ruleset), {}) == ruleset.parent / DEFAULT_NAME
    assert store_path(None, "default", {}) == Path(DEFAULT_NAME)
    assert store_path(None, "default", {"CLIENTWISE_STORE": "/x/y.duckdb"}) == Path("/x/y.duckdb")
    assert store_path(Path("z.duckdb"), str(ruleset), {"CLIENTWISE_STORE": "/x/y.duckdb"}) == Path("z.duckdb")
    monkeypatch.delenv("CLIENTWISE_STORE", raising=False)
    code, out = invoke("evaluate", str(ruleset), str(demo_path()), "--as-of", AS_OF, "-o", "r.csv", "--save")
    assert code == 0 and (ruleset.parent / DEFAULT_NAME).is_file(), out
    code, out = invoke("demo", "-o", "d.csv", "--save", "--label", "demo")
    assert code == 0 and (tmp_path / DEFAULT_NAME).is_file() and "saved run 1 (demo)" in out


def test_a_store_from_a_newer_clientwise_is_refused_before_evaluating(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path, write=True):
        pass
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO schema_version VALUES (99, 'from the future', now()::TIMESTAMP, '9.0')")
    for args in (["history", "--store", str(path)],
                 ["demo", "-o", str(tmp_path / "d.csv"), "--save", "--store", str(path)],
                 ["compare", "--store", str(path)]):
        code, out = invoke(*args)
        assert code == 2, out
        assert "written by a newer clientwise (store layout 99" in out and "upgrade clientwise" in out
    assert not (tmp_path / "d.csv").exists()  # refused before evaluating


def test_migrations_apply_once_in_order_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path, write=True) as store:
        assert store.version() == schema.CURRENT_VERSION
    newer = (*schema.MIGRATIONS, schema.Migration(schema.CURRENT_VERSION + 1, "a note per run",
                                                  ("ALTER TABLE runs ADD COLUMN note VARCHAR",)))
    for _ in range(2):  # the second open finds nothing to do
        with open_store(path, write=True, migrations=newer) as store:
            assert store.version() == schema.CURRENT_VERSION + 1
            assert "note" in [r[0] for r in store.sql("DESCRIBE runs").fetchall()]
    with open_store(path, write=False, migrations=newer) as store:
        steps = store.rows("SELECT version, description FROM schema_version ORDER BY version")
    assert [s["version"] for s in steps] == list(range(1, schema.CURRENT_VERSION + 2))
    with pytest.raises(InputError, match="newer clientwise"):  # and this clientwise now refuses it
        with open_store(path, write=False):
            pass


def test_a_store_newer_than_this_clientwise_is_refused_for_every_use(tmp_path: Path, evaluated) -> None:
    evaluator, result = evaluated
    path = tmp_path / "s.duckdb"
    with open_store(path, write=True) as store:
        save_run(store, evaluator, result, demo_path(), label="q")
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO schema_version VALUES (?, 'from the future', now()::TIMESTAMP, '9.0')",
                    [schema.CURRENT_VERSION + 1])
    for write in (False, True):
        with pytest.raises(InputError, match=f"store layout {schema.CURRENT_VERSION + 1}"):
            with open_store(path, write=write):
                pass
    code, out = invoke("evaluate", "default", str(demo_path()), "--as-of", AS_OF, "-o", str(tmp_path / "x.csv"),
                       "--store", str(path))  # trend functions read the store: refused the same way
    assert code == 2 and "newer clientwise" in out and not (tmp_path / "x.csv").exists()


def test_a_file_that_is_not_a_store_and_a_missing_store_say_what_to_do(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    code, out = invoke("history", "--store", str(other))
    assert code == 2 and "not a clientwise run store" in out
    text = tmp_path / "notes.duckdb"
    text.write_text("hello")
    code, out = invoke("history", "--store", str(text))
    assert code == 2 and "cannot open the run store" in out
    code, out = invoke("history", "--store", str(tmp_path / "none.duckdb"))
    assert code == 2 and "no run store here" in out and "--save" in out
    code, out = invoke("demo", "--label", "x")
    assert code == 2 and "--label only applies to a saved run" in out


def test_history_lists_shows_and_forgets_from_the_command_line(tmp_path: Path) -> None:
    path = str(tmp_path / "s.duckdb")
    for label in ("q1", "q2"):
        code, out = invoke("demo", "-o", str(tmp_path / "d.csv"), "--save", "--label", label, "--store", path)
        assert code == 0, out
    code, out = invoke("history", "--store", path)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:2] == ["run", "label"] and len(lines) == 3
    assert lines[1].split()[:2] == ["1", "q1"] and "2026-06-30" in lines[1] and "300" in lines[1]
    code, out = invoke("history", "--store", path, "--json")
    listed = json.loads(out)
    assert [r["label"] for r in listed] == ["q1", "q2"] and listed[0]["customers"] == 300
    code, out = invoke("history", "show", "q2", "--store", path)
    assert code == 0 and "run 2 (q2)" in out and "customers.csv" in out and "tiers      transactional 178" in out
    code, out = invoke("history", "--store", path, "show", "latest", "--json")
    shown = json.loads(out)
    assert shown["run_id"] == 2 and shown["portfolio"]["segmentation"]["figures"]["customers"] == 300
    code, out = invoke("history", "forget", "q1", "--store", path, "--yes")
    assert code == 0 and "forgot run 1 (q1)" in out
    assert [r["run_id"] for r in json.loads(invoke("history", "--store", path, "--json")[1])] == [2]

"""A saved run and its output file are published together: a failure in either writes neither."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path
from typing import BinaryIO

import duckdb
import pytest

from clientwise.history import tables
from clientwise.history.background import BackgroundSave
from clientwise.history.store import open_store
from clientwise.plugins.io.writers import CsvWriter


def _runs(store: Path) -> list[str]:
    with duckdb.connect(str(store), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT label FROM runs ORDER BY run_id").fetchall()]


def _saving_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "clientwise-save"]


@pytest.fixture
def store(tmp_path: Path, invoke) -> Path:
    path = tmp_path / "runs.duckdb"
    done = invoke("demo", "-o", str(tmp_path / "first.csv"), "--save", "--label", "first", "--store", str(path))
    assert done.code == 0, done.output
    return path


def test_a_saved_run_and_its_output_both_land(store: Path, invoke) -> None:
    output = store.parent / "q2.csv"
    done = invoke("demo", "-o", str(output), "--save", "--label", "q2", "--store", str(store))
    assert done.code == 0 and "saved run 2 (q2)" in done.stderr
    assert output.read_text().startswith("customer_id,") and _runs(store) == ["first", "q2"]
    assert not _saving_threads()


def test_a_save_that_fails_writes_no_output(store: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    append = tables.append

    def full_disk(store_: object, table: str, *args: object, **kwargs: object) -> None:
        if table == "action_rows":
            raise duckdb.IOException("Could not write file: No space left on device")
        append(store_, table, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "append", full_disk)
    output = store.parent / "q2.csv"
    done = invoke("demo", "-o", str(output), "--save", "--label", "q2", "--store", str(store))
    assert done.code == 2
    assert "could not save the run: Could not write file: No space left on device" in done.stderr
    assert str(store) in done.stderr and "nothing was saved and no output was written" in done.stderr
    assert not output.exists() and _runs(store) == ["first"]
    assert not [p for p in store.parent.iterdir() if p.name.startswith(".q2.csv")]  # no temporary file left


def test_an_output_that_fails_stores_no_run(store: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(self: CsvWriter, result: object, stream: BinaryIO) -> None:
        stream.write(b"customer_id,")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(CsvWriter, "write", full_disk)
    output = store.parent / "q2.csv"
    done = invoke("demo", "-o", str(output), "--save", "--label", "q2", "--store", str(store))
    assert done.code == 2 and "cannot write the output" in done.stderr and "saved run" not in done.stderr
    assert not output.exists() and _runs(store) == ["first"]
    assert not _saving_threads()


def test_ctrl_c_while_writing_stores_no_run(store: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: CsvWriter, result: object, stream: BinaryIO) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(CsvWriter, "write", interrupted)
    output = store.parent / "q2.csv"
    done = invoke("demo", "-o", str(output), "--save", "--label", "q2", "--store", str(store))
    assert done.code != 0 and not output.exists() and _runs(store) == ["first"]
    assert not _saving_threads()


def test_abandoning_interrupts_an_insert_that_is_still_running(tmp_path: Path) -> None:
    """The output failed while the store was still inserting: the insert stops, nothing stays."""
    path = tmp_path / "runs.duckdb"
    with open_store(path, write=True) as store:
        def slow_save(hold: object) -> int:
            with store.transaction():
                store.sql("CREATE TABLE scratch AS SELECT 1 AS x")
                store.sql("SELECT count(*) FROM range(100000000000) a, range(10) b WHERE a.range % 7 = b.range")
                return 1

        save = BackgroundSave(store, slow_save)
        save.start()
        time.sleep(0.3)
        started = time.monotonic()
        save.abandon()
        assert time.monotonic() - started < 10 and not _saving_threads()
        assert not store.has_table("scratch")

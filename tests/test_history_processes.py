"""The run store under real processes: killed mid-save, interrupted, two saving at once, a busy store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

#: A child that saves a large synthetic run (slow enough to be caught mid-save), saying when it starts.
BIG_SAVE = textwrap.dedent("""
    import sys, datetime as dt
    import polars as pl
    import clientwise
    from clientwise.history.save import save_run
    from clientwise.history.store import open_store
    from clientwise.sample import demo_path
    evaluator = clientwise.Evaluator("default")
    small = evaluator.evaluate(demo_path(), as_of="2026-06-30")
    n = 600_000
    big = small.customers.sample(n, with_replacement=True, seed=1).with_columns(
        pl.format("X{}", pl.int_range(n)).alias("customer_id"))
    small.customers = big
    small.actions = small.actions.sample(n * 3, with_replacement=True, seed=2)
    with open_store(sys.argv[1], write=True) as store:
        print("saving", flush=True)
        save_run(store, evaluator, small, None, label="big")
    print("saved", flush=True)
""")

#: A child that opens the store for writing and holds it until stdin closes.
HOLD = textwrap.dedent("""
    import sys
    from clientwise.history.store import open_store
    with open_store(sys.argv[1], write=True):
        print("holding", flush=True)
        sys.stdin.read()
""")


def _python(script: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)  # type: ignore[call-overload]


def _clientwise(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from clientwise.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _save_demo(store: Path, label: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return _clientwise("demo", "--save", "--label", label, "--store", str(store), "-o", str(store.parent / f"{label}.csv"),
                       env=env)


def _runs(store: Path) -> list[tuple[int, str]]:
    with duckdb.connect(str(store), read_only=True) as con:
        return [(int(r[0]), r[1]) for r in con.execute("SELECT run_id, label FROM runs ORDER BY run_id").fetchall()]


def _counts(store: Path) -> dict[str, int]:
    with duckdb.connect(str(store), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                for t in ("runs", "customers", "actions", "summaries", "portfolio_segmentation_pareto")}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding one saved demo run."""
    path = tmp_path / "runs.duckdb"
    done = _save_demo(path, "first")
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    return path


def _interrupt_mid_save(store: Path, sig: int) -> subprocess.CompletedProcess[str]:
    child = _python(BIG_SAVE, str(store))
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "saving", child.stderr.read() if child.stderr else ""
    time.sleep(0.5)  # inside the transaction: inserting 600,000 customers takes seconds
    assert child.poll() is None, "the save finished before it could be interrupted; make BIG_SAVE bigger"
    child.send_signal(sig)
    out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_a_save_killed_with_sigkill_stores_nothing_and_the_store_stays_readable(store: Path) -> None:
    before = _counts(store)
    done = _interrupt_mid_save(store, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL and "saved" not in done.stdout
    assert _counts(store) == before
    assert _runs(store) == [(1, "first")]
    again = _save_demo(store, "after")  # and the store still takes new runs
    assert again.wait(timeout=300) == 0
    assert [label for _, label in _runs(store)] == ["first", "after"]


def test_a_save_interrupted_with_ctrl_c_stores_nothing(store: Path) -> None:
    before = _counts(store)
    done = _interrupt_mid_save(store, signal.SIGINT)
    assert done.returncode != 0 and "saved" not in done.stdout
    assert _counts(store) == before


def test_two_processes_saving_at_once_both_land(store: Path) -> None:
    first, second = _save_demo(store, "a"), _save_demo(store, "b")
    outcomes = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outcomes
    assert sorted(label for _, label in _runs(store)) == ["a", "b", "first"]
    counts = _counts(store)
    assert counts["runs"] == 3 and counts["customers"] == 900


def test_a_store_held_by_another_process_fails_clearly_after_the_wait(store: Path) -> None:
    holder = _python(HOLD, str(store), stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        blocked = _save_demo(store, "blocked", env={"CLIENTWISE_STORE_WAIT": "1"})
        _, err = blocked.communicate(timeout=300)
        assert blocked.returncode == 2, err
        assert "in use by another process" in err and f"process {holder.pid}" in err and "nothing was saved" in err
        assert not (store.parent / "blocked.csv").exists()  # a run that could not be saved writes no output
        assert time.monotonic() - started >= 1
        waiting = _save_demo(store, "waited", env={"CLIENTWISE_STORE_WAIT": "120"})
        time.sleep(1.0)
        assert waiting.poll() is None  # it waits for the holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert [label for _, label in _runs(store)] == ["first", "waited"]

"""Saving a run while its output file is written, the two published together.

Why a thread: a million-customer save is mostly DuckDB compressing and writing
columns, and writing the output is mostly polars formatting them; both release the
interpreter while they work and neither keeps two cores busy, so side by side they
take little more than the longer of the two (``bench/README.md``, "Run history").

Why together: the output file is moved into place only after the run is committed,
and the run is committed only once the output is complete. A save that fails (a busy
store, a full disk) leaves no output, and an output that fails stores no run: a failed
run writes nothing, as everywhere else in clientwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from clientwise.errors import InputError, Problem
from clientwise.history.save import save_run
from clientwise.history.store import RunStore, open_store


class _Abandoned(Exception):
    """Raised inside the save's transaction when the output failed: the transaction rolls back."""


class BackgroundSave:
    """One run being saved by a worker thread; :meth:`commit` or :meth:`abandon` ends it.

    The worker inserts everything in one transaction, then waits inside it for the
    decision: :meth:`commit` (the output is complete) or :meth:`abandon` (it failed,
    or the user pressed Ctrl-C). Use :func:`saved_beside`, which abandons on any error.
    """

    def __init__(self, store: RunStore, save: Callable[[Callable[[], None]], int]):
        self._store = store
        self._save = save
        self._inserted = threading.Event()  # everything inserted, or the worker ended
        self._decided = threading.Event()
        self._go = False
        self._run_id: int | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="clientwise-save")

    def start(self) -> None:
        self._thread.start()

    def _work(self) -> None:
        try:
            self._run_id = self._save(self._hold)
        except _Abandoned:
            pass
        except BaseException as error:  # handed to the main thread by commit()
            self._error = error
        finally:
            self._inserted.set()

    def _hold(self) -> None:
        self._inserted.set()
        self._decided.wait()
        if not self._go:
            raise _Abandoned

    def commit(self) -> int:
        """Wait for the inserts, commit them and return the run id; raise what the save raised."""
        if self._decided.is_set():
            raise RuntimeError("this save was already committed or abandoned")
        self._inserted.wait()
        if self._error is None:
            self._go = True
        self._decided.set()
        self._thread.join()
        if isinstance(self._error, duckdb.Error):
            raise InputError(Problem(
                f"could not save the run: {self._error}", file=str(self._store.path),
                hint="free disk space, or pass another --store; nothing was saved and no output was written",
            )) from self._error
        if self._error is not None:
            raise self._error
        assert self._run_id is not None
        return self._run_id

    def abandon(self) -> None:
        """Stop the save (a running insert is interrupted) and roll it back; nothing is stored."""
        if not self._thread.is_alive():
            self._decided.set()
            return
        inserting = not self._inserted.is_set()
        self._decided.set()
        if inserting:
            self._store.connection.interrupt()
        self._thread.join()


@contextmanager
def saved_beside(path: Path, evaluator: Any, result: Any, data: Path | None,
                 label: str | None = None) -> Iterator[BackgroundSave]:
    """Open the store (waiting while another process writes it), start saving ``result``
    and yield the save. Call :meth:`BackgroundSave.commit` when the output is complete
    (:func:`clientwise.output.write.write_result`'s ``before_commit``); a block that
    ends without a commit, or with an error, stores nothing."""
    with open_store(path, write=True) as store:
        save = BackgroundSave(store, lambda hold: save_run(store, evaluator, result, data, label, before_commit=hold))
        save.start()
        try:
            yield save
        finally:
            save.abandon()

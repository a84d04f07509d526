"""Write files so that a reader sees the old content or the new, never half of it.

An analyst re-running last quarter's evaluation must not be left with a truncated
CSV because the run failed (or was interrupted) while writing. Each output is
written to a temporary file next to its destination (same directory, so the same
file system), flushed and fsynced, then moved over the destination with
:func:`os.replace`, which is atomic. If anything fails before that, the temporary
file is removed and the destination is untouched.

:class:`AtomicGroup` does this for several files as one unit: every file is written
completely before the first one is moved into place, so a failure while writing
any of them changes none of them.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

#: Longest part of the destination's name kept in the temporary file's name, so
#: the temporary name stays within the usual 255-byte limit.
_NAME_KEPT = 180


@dataclass
class _Pending:
    destination: Path
    temporary: Path
    stream: BinaryIO


class AtomicGroup:
    """Files written together and committed all at once (or not at all).

    Use :func:`atomic_writes` rather than calling :meth:`commit` and :meth:`abort`
    yourself, unless you need to tell the failure of opening, writing and
    committing apart (the report stage does).
    """

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._closed = False
        self._signals = _TerminationGuard()

    def open(self, destination: str | os.PathLike[str]) -> BinaryIO:
        """A binary stream whose content replaces ``destination`` on commit."""
        if self._closed:
            raise RuntimeError("this group of atomic writes is already committed or aborted")
        target = _real_target(Path(destination))
        if any(p.destination == target for p in self._pending):
            raise ValueError(f"{target} is already being written in this group")
        self._signals.arm()
        temporary, descriptor = _create_temporary(target)
        try:
            stream = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            _remove(temporary)
            raise
        self._pending.append(_Pending(target, temporary, stream))
        return stream

    def commit(self) -> None:
        """Flush, fsync and move every file into place; on failure, remove what is left."""
        if self._closed:
            raise RuntimeError("this group of atomic writes is already committed or aborted")
        try:
            for pending in self._pending:
                _finish(pending)
            directories: dict[Path, None] = {}
            while self._pending:
                pending = self._pending[0]
                os.replace(pending.temporary, pending.destination)
                self._pending.pop(0)
                directories[pending.destination.parent] = None
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._signals.disarm()
        for directory in directories:
            _sync_directory(directory)

    def abort(self) -> None:
        """Remove every temporary file; destinations not yet replaced stay as they were.

        Ctrl-C and SIGTERM wait until the cleanup is done (a second Ctrl-C while the
        first one is being handled must not leave a temporary file behind).
        """
        self._closed = True
        with _signals_held():
            while self._pending:
                pending = self._pending.pop()
                try:
                    pending.stream.close()
                except OSError:
                    pass
                _remove(pending.temporary)
        self._signals.disarm()


#: Exit status of a run stopped by SIGTERM (128 + the signal's number, as shells report it).
TERMINATED_EXIT = 128 + signal.SIGTERM


class _TerminationGuard:
    """While temporary files exist, SIGTERM raises :class:`SystemExit` like Ctrl-C raises
    ``KeyboardInterrupt``, so the group's cleanup runs instead of the process vanishing
    with the temporary file left behind. Only the main thread may handle signals."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._armed = False

    def arm(self) -> None:
        if self._armed or threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGTERM, _terminate)
        self._armed = True

    def disarm(self) -> None:
        if self._armed:
            signal.signal(signal.SIGTERM, self._previous)
            self._armed = False


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(TERMINATED_EXIT)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM arriving in the block are delivered after it, not in the middle.

    Python runs signal handlers in the main thread whichever thread the signal reaches
    (polars keeps threads of its own), so the handlers are swapped for ones that only
    note the signal, and the noted signals are raised again once the block is done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda signum, _frame: noted.append(signum)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(noted):
            signal.raise_signal(number)


@contextmanager
def atomic_writes() -> Iterator[AtomicGroup]:
    """Several files as one unit: all are replaced when the block ends normally, none otherwise."""
    group = AtomicGroup()
    try:
        yield group
    except BaseException:
        group.abort()
        raise
    group.commit()


@contextmanager
def atomic_write(destination: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """One file: ``with atomic_write(path) as stream: stream.write(...)``."""
    with atomic_writes() as group:
        yield group.open(destination)


def _real_target(destination: Path) -> Path:
    """Write through a symbolic link to its target instead of replacing the link."""
    return Path(os.path.realpath(destination)) if destination.is_symlink() else destination


def _create_temporary(target: Path) -> tuple[Path, int]:
    # os.open applies the umask, so the new file gets the permissions a plain
    # open() would give it (tempfile would make it private to the owner).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    stem = target.name[:_NAME_KEPT]
    while True:
        temporary = target.with_name(f".{stem}.{secrets.token_hex(6)}.tmp")
        try:
            descriptor = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        break
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        return temporary, descriptor
    except BaseException:
        os.close(descriptor)
        _remove(temporary)
        raise
    if hasattr(os, "fchmod"):
        try:
            os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))
        except OSError:
            pass  # keeping the old permissions is a courtesy, not a requirement
    return temporary, descriptor


def _finish(pending: _Pending) -> None:
    stream = pending.stream
    if not stream.closed:
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on every platform."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

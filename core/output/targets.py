"""Where an output may go: every refusal names the path the user gave, never a temporary file.

An output is written to a hidden temporary file next to its destination and renamed
into place (:mod:`clientwise.output.atomic`), so a system error while writing names
that temporary file. :func:`cannot_write` turns any such ``OSError`` into an
:class:`~clientwise.errors.InputError` naming the destination, with a fix for the
usual causes (read-only file system, name too long, full disk, no permission);
:func:`check_destination` refuses what can be known before writing, and
:func:`refuse_inputs` an output that would replace one of the run's own inputs.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from clientwise.errors import InputError, Problem

_UNCHANGED = "; the previous file, if any, is unchanged"
_WHY = {
    errno.EROFS: ("the file system is read-only", "write to a folder on a writable disk"),
    errno.ENAMETOOLONG: ("the name is longer than the system allows", "choose a shorter file name"),
    errno.ENOSPC: ("the disk is full", "free some disk space (or write somewhere else) and run again"),
    errno.EACCES: ("permission denied", "check that you may write to this folder; if the file is open in "
                   "another program (Excel locks the files it has open), close it and run again"),
    errno.EPERM: ("the operation is not permitted here", "write to an ordinary folder of yours"),
    errno.ENOENT: ("the folder does not exist", "create the folder first, or write somewhere else"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("the path is a folder", "give a file name"),
}
if hasattr(errno, "EDQUOT"):
    _WHY[errno.EDQUOT] = ("the disk quota is used up", "free some space (or write somewhere else) and run again")


def cannot_write(destination: Path, error: OSError) -> InputError:
    """The user's own path, why it cannot be written and what to do, whatever file failed."""
    why, hint = _WHY.get(error.errno or 0, (error.strerror or type(error).__name__,
                                            "write to an ordinary file in a folder of yours"))
    if error.errno == errno.ENOENT and _is_dir(destination.parent):
        why, hint = "this folder does not take new files (a system folder such as /proc)", \
            "write to an ordinary folder of yours"
    return InputError(Problem(f"cannot write the output: {why}", file=str(destination), location="-o",
                              hint=hint + _UNCHANGED))


def check_destination(destination: Path) -> Path:
    """The file to replace (a symbolic link's target), or an error saying why it cannot be.

    Checked before any work is written, so the message names what the user typed.
    """
    try:
        return _checked(destination)
    except OSError as error:  # a name too long to look up, a loop of links...
        raise cannot_write(destination, error) from None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _checked(destination: Path) -> Path:
    if destination.is_symlink():
        target = Path(os.path.realpath(destination))
        if not target.parent.is_dir():
            raise InputError(Problem(
                f"the output is a symbolic link to {target}, whose folder does not exist",
                file=str(destination), location="-o", hint="fix or remove the link, or write somewhere else"))
    else:
        target = destination
    if target.is_dir():
        raise InputError(Problem("the output path is a directory", file=str(destination), location="-o",
                                 hint=f"give a file name, e.g. {destination / 'result.csv'}"))
    folder = target.parent
    if not folder.is_dir():
        blocking = next((part for part in [folder, *folder.parents] if part.exists()), None)
        if blocking is not None and not blocking.is_dir():
            raise InputError(Problem(
                f"{blocking} is a file, so it cannot hold the output", file=str(destination), location="-o",
                hint=f"write somewhere else, or rename {blocking}"))
        raise InputError(Problem("the output's directory does not exist", file=str(destination), location="-o",
                                 hint=f"create {folder} first, or write somewhere else"))
    if target.exists() and not target.is_file():
        raise InputError(Problem("the output exists and is not a regular file (a device or a pipe)",
                                 file=str(destination), location="-o", hint="write to an ordinary file"))
    return target


def refuse_inputs(destination: Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output that is one of the run's inputs: it would be replaced by the result."""
    target = _identity(destination)
    for item in inputs:
        if target is not None and _identity(Path(item)) == target:
            raise InputError(Problem(
                "the output would replace one of this run's input files", file=str(destination), location="-o",
                value=str(item), hint="write the result to another file name"))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino

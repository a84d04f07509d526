"""A run's input, recorded precisely enough to tell later whether it is still on disk.

Each file the run read is kept as its absolute path, size and SHA-256. ``compare``
re-evaluates an older run's input under a newer ruleset only when every one of those
files is still there, byte for byte (:func:`changed` finds none); otherwise the effect
of the ruleset change cannot be told apart from the change in the data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from clientwise.host.manager import PluginHost
from clientwise.ruleset import Ruleset
from clientwise.runtime.load import input_files

_BLOCK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    path: str
    size: int
    sha256: str


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def read_files(data: Path, ruleset: Ruleset, host: PluginHost) -> list[Path]:
    """The files an evaluation of ``ruleset`` reads under ``data``, absolute."""
    return [p.resolve() for p in input_files(Path(data), ruleset.core.data, host.loaders())]


def fingerprint(data: Path, ruleset: Ruleset, host: PluginHost) -> list[InputFile]:
    return [InputFile(str(path), path.stat().st_size, sha256(path)) for path in read_files(data, ruleset, host)]


def changed(recorded: list[InputFile]) -> list[str]:
    """Why recorded input files no longer match the disk (empty: all unchanged)."""
    reasons = []
    for item in recorded:
        path = Path(item.path)
        if not path.is_file():
            reasons.append(f"{item.path} is gone")
        elif path.stat().st_size != item.size or sha256(path) != item.sha256:
            reasons.append(f"{item.path} has changed since the run")
    return reasons

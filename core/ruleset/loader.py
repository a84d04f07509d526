"""Reading rulesets: TOML files, ``extends`` chains, merging and the content hash (no validation)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from clientwise.errors import Problem, RulesetError, did_you_mean
from clientwise.ruleset.merge import merge, strip_removals
from clientwise.ruleset.origins import Origins
from clientwise.ruleset.shape import check_shape
from clientwise.ruleset.toml_file import parse_toml, read_toml_text

MAX_EXTENDS_DEPTH = 16


@dataclass(frozen=True)
class RawRuleset:
    """A merged ruleset document before validation, with where each part came from."""

    document: dict[str, Any]
    files: tuple[str, ...]
    origin: str
    section_files: dict[str, str]
    #: Where each id-keyed item of ``document`` was written (see clientwise.ruleset.origins).
    origins: Origins = field(default_factory=Origins)


def shipped_rulesets() -> list[str]:
    """Names usable in ``extends`` and ``clientwise evaluate NAME``."""
    folder = resources.files("clientwise.rulesets")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _shipped_text(name: str) -> str:
    return resources.files("clientwise.rulesets").joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _looks_like_path(reference: str) -> bool:
    return reference.endswith(".toml") or "/" in reference or "\\" in reference


@dataclass(frozen=True)
class _File:
    """One file of an ``extends`` chain, as written (``extends`` removed)."""

    name: str
    document: dict[str, Any]
    #: Its resolved path, to find cycles however a path is spelt (None: shipped).
    identity: str
    folder: Path | None
    extends: Any


def read_raw(source: str | Path, *, text: str | None = None, base_dir: Path | None = None) -> RawRuleset:
    """Read a ruleset and everything it extends, merged, without validating."""
    chain = [_first(source, text, base_dir)]
    while chain[-1].extends is not None:
        chain.append(_parent(chain))
    base = chain[-1]
    document = strip_removals(base.document, file=base.name, path="")
    section_files = {key: base.name for key in document}
    for child in reversed(chain[:-1]):
        document = merge(document, child.document, file=child.name)
        section_files.update({key: child.name for key in child.document})
    files = tuple(part.name for part in reversed(chain))
    origins = Origins.of(document, [(part.name, part.document) for part in reversed(chain)])
    return RawRuleset(document, files, chain[0].name, section_files, origins)


def _first(source: str | Path, text: str | None, base_dir: Path | None) -> _File:
    if text is not None:
        return _parsed(str(source), text, identity=str(source), folder=base_dir or Path.cwd())
    if isinstance(source, Path) or _looks_like_path(str(source)):
        path = Path(source)
        return _parsed(str(path), read_toml_text(path), identity=_identity(path), folder=path.parent)
    return _shipped(str(source), referrer=None)


def _parent(chain: list[_File]) -> _File:
    child = chain[-1]
    reference = child.extends
    here = (child.name, "extends")
    if not isinstance(reference, str):
        raise RulesetError(Problem("extends must be text", file=child.name, location="extends",
                                   value=repr(reference)[:80],
                                   hint='write extends = "default" or extends = "../base.toml"'))
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise RulesetError(Problem(f"the extends chain is longer than {MAX_EXTENDS_DEPTH} files",
                                   file=child.name, location="extends",
                                   value=" -> ".join(part.name for part in chain),
                                   hint="extend the shipped or client ruleset directly"))
    if not _looks_like_path(reference):
        parent = _shipped(reference, referrer=here)
    else:
        parent = _extended_file(child, reference)
    seen = [part.identity for part in chain]
    if parent.identity in seen:
        cycle = [part.name for part in chain[seen.index(parent.identity):]] + [parent.name]
        raise RulesetError(Problem("extends forms a cycle: " + " -> ".join(cycle), file=child.name,
                                   location="extends", hint="remove one of the extends keys"))
    return parent


def _extended_file(child: _File, reference: str) -> _File:
    here = (child.name, "extends")
    if child.folder is None:
        raise RulesetError(Problem("a shipped ruleset cannot extend a file", file=child.name, location="extends"))
    if "://" in reference:
        raise RulesetError(Problem("extends cannot name a URL; it reads a .toml file or a shipped ruleset",
                                   file=child.name, location="extends", value=reference[:200],
                                   hint="download the ruleset and give its path, e.g. extends = \"base.toml\""))
    if not reference.lower().endswith(".toml"):
        raise RulesetError(Problem("extends must name a .toml file or a shipped ruleset",
                                   file=child.name, location="extends", value=reference[:200],
                                   hint=f"give a path ending in .toml, or one of: {', '.join(shipped_rulesets())}"))
    path = child.folder / reference
    return _parsed(str(path), read_toml_text(path, referrer=here), identity=_identity(path), folder=path.parent)


def _shipped(name: str, referrer: tuple[str, str] | None) -> _File:
    if name not in shipped_rulesets():
        hint = did_you_mean(name, shipped_rulesets()) or f"shipped rulesets: {', '.join(shipped_rulesets())}"
        if referrer is not None:
            raise RulesetError(Problem(f"no shipped ruleset named '{name}'", file=referrer[0],
                                       location=referrer[1], hint=hint))
        raise RulesetError(Problem(f"no shipped ruleset named '{name}' (and no such .toml file)", hint=hint))
    file = f"{name}.toml (shipped)"
    return _parsed(file, _shipped_text(name), identity=file, folder=None)


def _parsed(file: str, text: str, *, identity: str, folder: Path | None) -> _File:
    document = parse_toml(text, file)
    check_shape(document, file)
    extends = document.pop("extends", None)
    return _File(file, document, identity, folder, extends)


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path.absolute())


def content_hash(document: dict[str, Any]) -> str:
    """sha256 of the merged ruleset in canonical JSON: same criteria, same hash."""

    def default(value: Any) -> str:
        if isinstance(value, (dt.date, dt.datetime, dt.time)):
            return value.isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=default, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""Reading rulesets: TOML files, ``extends`` chains, merging and the content hash (no validation)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from clientwise.errors import Problem, RulesetError, did_you_mean
from clientwise.ruleset.merge import merge, strip_removals

MAX_EXTENDS_DEPTH = 16


@dataclass(frozen=True)
class RawRuleset:
    """A merged ruleset document before validation, with where each part came from."""

    document: dict[str, Any]
    files: tuple[str, ...]
    origin: str
    section_files: dict[str, str]


def shipped_rulesets() -> list[str]:
    """Names usable in ``extends`` and ``clientwise evaluate NAME``."""
    folder = resources.files("clientwise.rulesets")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _shipped_text(name: str) -> str:
    return resources.files("clientwise.rulesets").joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesetError(
            Problem(
                f"not valid TOML: {error}",
                file=file,
                hint="check quotes, brackets and that each key appears once (TOML syntax: toml.io)",
            )
        ) from None


def _looks_like_path(reference: str) -> bool:
    return reference.endswith(".toml") or "/" in reference or "\\" in reference


def read_raw(
    source: str | Path,
    *,
    text: str | None = None,
    base_dir: Path | None = None,
    _chain: tuple[str, ...] = (),
) -> RawRuleset:
    """Read a ruleset and everything it extends, merged, without validating."""
    if text is not None:
        file = str(source)
        folder = base_dir or Path.cwd()
    elif isinstance(source, Path) or _looks_like_path(str(source)):
        path = Path(source)
        if not path.is_file():
            raise RulesetError(
                Problem(
                    f"ruleset file not found: {path}",
                    hint=f"give a path to a .toml file or a shipped ruleset name ({', '.join(shipped_rulesets())})",
                )
            )
        file, folder, text = str(path), path.parent, path.read_text(encoding="utf-8-sig")
    else:
        name = str(source)
        if name not in shipped_rulesets():
            hint = did_you_mean(name, shipped_rulesets()) or f"shipped rulesets: {', '.join(shipped_rulesets())}"
            raise RulesetError(Problem(f"no shipped ruleset named '{name}'", hint=hint))
        file, folder, text = f"{name}.toml (shipped)", None, _shipped_text(name)
    if file in _chain:
        raise RulesetError(
            Problem(
                "extends forms a cycle: " + " -> ".join((*_chain, file)),
                file=file,
                location="extends",
                hint="remove one of the extends keys",
            )
        )
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise RulesetError(Problem("extends chain too deep", file=file, location="extends"))
    document = _parse_toml(text, file)
    parent_ref = document.pop("extends", None)
    if parent_ref is None:
        document = strip_removals(document, file=file, path="")
        return RawRuleset(document, (file,), file, {key: file for key in document})
    if not isinstance(parent_ref, str):
        raise RulesetError(
            Problem("extends must be text", file=file, location="extends", value=repr(parent_ref),
                    hint='write extends = "default" or extends = "../base.toml"')
        )
    if _looks_like_path(parent_ref):
        if folder is None:
            raise RulesetError(Problem("a shipped ruleset cannot extend a file", file=file, location="extends"))
        parent = read_raw(folder / parent_ref, _chain=(*_chain, file))
    else:
        parent = read_raw(parent_ref, _chain=(*_chain, file))
    merged = merge(parent.document, document, file=file)
    section_files = dict(parent.section_files)
    section_files.update({key: file for key in document})
    return RawRuleset(merged, (*parent.files, file), file, section_files)


def content_hash(document: dict[str, Any]) -> str:
    """sha256 of the merged ruleset in canonical JSON: same criteria, same hash."""

    def default(value: Any) -> str:
        if isinstance(value, (dt.date, dt.datetime, dt.time)):
            return value.isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=default, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""Reading rulesets: TOML files, ``extends`` chains, validation and the content hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from clientwise.errors import Problem, ProblemList, RulesetError, did_you_mean
from clientwise.ruleset.merge import merge, strip_removals
from clientwise.ruleset.model import CORE_KEYS, CoreSections, validation_problems

if TYPE_CHECKING:
    from clientwise.host.manager import PluginHost

MAX_EXTENDS_DEPTH = 16


@dataclass(frozen=True)
class RawRuleset:
    """A merged ruleset document before validation, with where each part came from."""

    document: dict[str, Any]
    files: tuple[str, ...]
    origin: str
    section_files: dict[str, str]


@dataclass(frozen=True)
class Ruleset:
    """A fully merged, validated ruleset: the exact criteria of an evaluation."""

    core: CoreSections
    sections: dict[str, BaseModel]
    document: dict[str, Any] = field(repr=False)
    files: tuple[str, ...]
    origin: str
    section_files: dict[str, str] = field(repr=False)
    hash: str
    #: Validated ``[plugins.<name>]`` settings, by plugin name (see clientwise.host.settings).
    plugin_settings: dict[str, BaseModel] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.core.metadata.name

    @property
    def version(self) -> str:
        return self.core.metadata.version

    def file_of(self, section: str) -> str:
        """The file that last defined ``section`` (for error messages)."""
        return self.section_files.get(section, self.origin)


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


def validate(raw: RawRuleset, host: PluginHost) -> Ruleset:
    """Validate the core sections and every plugin section; report all problems at once."""
    problems = ProblemList()
    document = raw.document
    core_part = {k: v for k, v in document.items() if k in CORE_KEYS}
    core: CoreSections | None = None
    try:
        core = CoreSections.model_validate(core_part)
    except ValidationError as error:
        problems.extend(validation_problems(error, file=raw.origin, document=core_part, model=CoreSections))

    from clientwise.host import settings as plugin_config

    plugins_file = raw.section_files.get(plugin_config.KEY, raw.origin)
    plugin_config.apply_disable(document.get(plugin_config.KEY), file=plugins_file, host=host, problems=problems)
    handlers = host.sections()
    sections: dict[str, BaseModel] = {}
    for key, value in document.items():
        if key in CORE_KEYS or key == plugin_config.KEY:
            continue
        file = raw.section_files.get(key, raw.origin)
        handler = handlers.get(key)
        if handler is None:
            problems.add(_unhandled_section(key, value, file, host, list(handlers) + list(CORE_KEYS)))
            continue
        if not isinstance(value, dict):
            problems.add(Problem(f"[{key}] must be a table", file=file, location=key, hint=f"write [{key}] on its own line"))
            continue
        try:
            sections[key] = handler.model.model_validate(value)
        except ValidationError as error:
            problems.extend(validation_problems(error, file=file, document=value, model=handler.model, prefix=key))
    settings = plugin_config.validate_settings(
        document.get(plugin_config.KEY), file=plugins_file, host=host, problems=problems
    )
    if core is not None:
        problems.extend(host.missing_required(core.metadata.requires, file=raw.section_files.get("metadata", raw.origin)))
    problems.raise_if_any(RulesetError)
    assert core is not None
    return Ruleset(
        core=core,
        sections=sections,
        document=document,
        files=raw.files,
        origin=raw.origin,
        section_files=raw.section_files,
        hash=content_hash({k: v for k, v in document.items() if k != "tests"}),
        plugin_settings=settings,
    )


def _unhandled_section(key: str, value: Any, file: str, host: PluginHost, known: list[str]) -> Problem:
    failed = host.failed_plugin_for(key)
    if failed:
        return Problem(
            f"section [{key}] belongs to plugin '{failed[0]}', which failed to load: {failed[1]}",
            file=file,
            location=key,
            hint="reinstall or fix that plugin (clientwise plugins shows its status)",
        )
    suggestion = did_you_mean(key, known)
    if suggestion:
        return Problem(f"unknown section [{key}]", file=file, location=key, hint=suggestion)
    return Problem(
        f"section [{key}] is not handled by any installed plugin",
        file=file,
        location=key,
        hint="install the plugin that provides it (clientwise plugins lists what is installed), or remove the section",
    )

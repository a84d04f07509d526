"""Validating a merged ruleset against the installed plugins: the :class:`Ruleset` an evaluation runs.

Loading is pure: reading, merging and validating return data, including which plugins
the ruleset wants switched off, and never change the plugin host they are checked with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from clientwise.errors import Problem, ProblemList, RulesetError, collect, did_you_mean
from clientwise.host import settings as plugin_config
from clientwise.host.manager import PluginHost
from clientwise.ruleset.loader import RawRuleset, content_hash
from clientwise.ruleset.model import CORE_KEYS, CoreSections, validation_problems
from clientwise.ruleset.origins import Origins
from clientwise.ruleset.switch import SwitchedOff, enabled_switch, switched_off


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
    #: Plugins its ``[plugins] disable`` switches off: name -> where (see clientwise.host.settings).
    disabled: dict[str, str] = field(default_factory=dict, repr=False)
    #: Where each id-keyed item was written, for messages (see clientwise.ruleset.origins).
    origins: Origins = field(default_factory=Origins, repr=False)
    #: Sections switched off (``enabled = false``, or their plugin disabled by a ruleset
    #: that extends the one defining them); see clientwise.ruleset.switch.
    switched_off: dict[str, SwitchedOff] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.core.metadata.name

    @property
    def version(self) -> str:
        return self.core.metadata.version

    def file_of(self, section: str) -> str:
        """The file that last defined ``section`` (for error messages)."""
        return self.section_files.get(section, self.origin)


def validate(raw: RawRuleset, host: PluginHost) -> Ruleset:
    """Validate the core sections and every plugin section; report all problems at once.

    ``host`` is only read: the plugins the ruleset disables are left out of a view of
    it, and the result records them (``Ruleset.disabled``) for the evaluator to do the same.
    """
    problems = ProblemList()
    document = raw.document
    core_part = {k: v for k, v in document.items() if k in CORE_KEYS}
    core: CoreSections | None = None
    try:
        core = CoreSections.model_validate(core_part)
    except ValidationError as error:
        problems.extend(validation_problems(error, file=raw.origin, document=core_part, model=CoreSections))

    plugins_file = raw.section_files.get(plugin_config.KEY, raw.origin)
    disabled = plugin_config.disabled_plugins(document.get(plugin_config.KEY), file=plugins_file, problems=problems)
    full_host, host = host, host.without(disabled)
    handlers = host.sections()
    sections: dict[str, BaseModel] = {}
    off: dict[str, SwitchedOff] = {}
    data = core.data if core is not None else None
    for key, value in document.items():
        if key in CORE_KEYS or key == plugin_config.KEY:
            continue
        file = raw.section_files.get(key, raw.origin)
        if not isinstance(value, dict):
            problems.add(Problem(f"[{key}] must be a table", file=file, location=key, hint=f"write [{key}] on its own line"))
            continue
        enabled = enabled_switch(key, value, file, problems)
        if enabled is None:
            continue
        if not enabled:
            off[key] = switched_off(key, value, file=file, location=f"{key}.enabled",
                                    why=f"[{key}] enabled = false in {file}", host=full_host, data=data)
            continue
        value = {k: v for k, v in value.items() if k != "enabled"}
        handler = handlers.get(key)
        provider = host.switched_off_provider(key) if handler is None else None
        if provider is not None and provider[0] in disabled and file != plugins_file:
            # inherited from the ruleset this one extends, whose plugin this one disables
            off[key] = switched_off(key, value, file=plugins_file, location=f"{plugin_config.KEY}.disable",
                                    why=f"plugin '{provider[0]}' is {provider[1]}", host=full_host, data=data)
            continue
        if handler is None:
            problems.add(_unhandled_section(key, value, file, host, list(handlers) + list(CORE_KEYS)))
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
    collect([raw.origins.locate(problem) for problem in problems.problems], RulesetError)
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
        disabled=disabled,
        origins=raw.origins,
        switched_off=off,
    )


def _unhandled_section(key: str, value: Any, file: str, host: PluginHost, known: list[str]) -> Problem:
    switched_off = host.switched_off_provider(key)
    if switched_off is not None:
        plugin, why = switched_off
        return Problem(
            f"section [{key}] belongs to plugin '{plugin}', which is {why}",
            file=file,
            location=key,
            hint="enable the plugin again, or run a ruleset without this section",
        )
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


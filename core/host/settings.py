"""The ruleset's ``[plugins]`` table: per-plugin settings and plugins switched off.

```toml
[plugins]
disable = ["relationship"]     # plugins this ruleset runs without

[plugins.nps]                  # settings of the 'nps' plugin, checked by its own model
survey_weight = 0.5
```

A plugin declares its settings model with the ``clientwise_plugin_config`` hook. The
table is validated like every other part of a ruleset: each problem names the file,
the key path (``plugins.nps.survey_weight``), the bad value and what to write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from clientwise.errors import InputError, Problem, ProblemList, did_you_mean
from clientwise.host.selection import refuse_essential
from clientwise.ruleset.model import validation_problems

if TYPE_CHECKING:
    from clientwise.host.manager import PluginHost

#: The top-level ruleset key this module owns.
KEY = "plugins"
#: The one key of ``[plugins]`` that is not a plugin's name.
DISABLE = "disable"


def disabled_plugins(table: Any, *, file: str, problems: ProblemList) -> dict[str, str]:
    """The plugins ``[plugins] disable`` switches off: name -> where (for messages).

    Only read here; the evaluator applies it as a view of the host
    (:meth:`~clientwise.host.manager.PluginHost.without`), so no host changes.
    """
    if not isinstance(table, dict) or DISABLE not in table:
        return {}
    names = table[DISABLE]
    location = f"{KEY}.{DISABLE}"
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        problems.add(Problem("disable must be a list of plugin names", file=file, location=location,
                             value=repr(names), hint='write disable = ["plugin_name", ...]'))
        return {}
    try:
        refuse_essential(names, file=file, location=location)
    except InputError as error:
        problems.extend(error.problems)
        return {}
    return {name: f"disabled by {file}: {location}" for name in names}


def validate_settings(table: Any, *, file: str, host: PluginHost, problems: ProblemList) -> dict[str, BaseModel]:
    """Each ``[plugins.<name>]`` table validated by that plugin's model; every default filled in."""
    if table is None:
        table = {}
    if not isinstance(table, dict):
        problems.add(Problem(f"[{KEY}] must be a table", file=file, location=KEY, hint=f"write [{KEY}.<name>] tables"))
        return {}
    models = host.config_models()
    settings: dict[str, BaseModel] = {}
    for name, value in table.items():
        if name == DISABLE:
            continue
        location = f"{KEY}.{name}"
        if name not in models:
            problems.add(_unknown(name, location, file, host, models))
            continue
        if not isinstance(value, dict):
            problems.add(Problem(f"[{location}] must be a table", file=file, location=location,
                                 value=repr(value), hint=f"write [{location}] on its own line with key = value below"))
            continue
        try:
            settings[name] = models[name].model_validate(value)
        except ValidationError as error:
            problems.extend(validation_problems(error, file=file, document=value, model=models[name], prefix=location))
    for name, model in models.items():
        if name in settings:
            continue
        try:
            settings[name] = model.model_validate({})
        except ValidationError as error:
            problems.extend(validation_problems(error, file=file, document={}, model=model, prefix=f"{KEY}.{name}"))
    return dict(sorted(settings.items()))


def _unknown(name: str, location: str, file: str, host: PluginHost, models: dict[str, type[BaseModel]]) -> Problem:
    installed = {info.name: info for info in host.plugin_infos()}
    info = installed.get(name)
    if info is not None and info.status == "loaded":
        return Problem(f"the plugin '{name}' takes no settings", file=file, location=location,
                       hint=f"remove [{location}]; plugins with settings: {', '.join(sorted(models)) or 'none'}")
    if info is not None:
        return Problem(f"the plugin '{name}' is {info.status}: {info.error}", file=file, location=location,
                       hint=f"enable or reinstall it, or remove [{location}]")
    hint = did_you_mean(name, models) or f"plugins with settings: {', '.join(sorted(models)) or 'none'}"
    return Problem(f"no installed plugin is named '{name}'", file=file, location=location, hint=hint)


def config_schemas(host: PluginHost) -> dict[str, dict[str, Any]]:
    """JSON Schema of every plugin's ``[plugins.<name>]`` table, by plugin name."""
    return {name: model.model_json_schema() for name, model in sorted(host.config_models().items())}


def plugins_table_schema(host: PluginHost) -> dict[str, Any]:
    """JSON Schema of the whole ``[plugins]`` table, for ``clientwise schema`` (the ``plugins`` property)."""
    properties: dict[str, Any] = {
        DISABLE: {"type": "array", "items": {"type": "string"}, "title": "Disable",
                  "description": "Plugins (entry point names) this ruleset runs without."},
    }
    for name, schema in config_schemas(host).items():
        properties[name] = {**schema, "description": f"Settings of the '{name}' plugin."}
    return {"type": "object", "title": "Plugins", "description": "Plugin settings and plugins switched off.",
            "properties": properties, "additionalProperties": False}

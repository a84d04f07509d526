"""``clientwise schema``: a JSON Schema of the ruleset format, for editors.

Editors with the Even Better TOML extension (taplo) read a ``#:schema`` directive
at the top of a TOML file and then validate and complete keys as you type. The
schema is built from the same pydantic models that validate rulesets (the core's
:class:`~clientwise.ruleset.CoreSections` and every installed section handler's
``model``), so it cannot drift from what ``clientwise check`` accepts.

Two deliberate differences from ``check``: no key is *required* (a ruleset that
``extends`` another may override one key of one inherited item), and every item of
an id list may carry ``remove = true`` (the merge rule of ``extends``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from clientwise.host.factory import build_host
from clientwise.host.manager import PluginHost
from clientwise.host.settings import plugins_table_schema
from clientwise.ruleset import CoreSections
from clientwise.ruleset.switch import ENABLED

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "clientwise.schema.json"


def ruleset_schema(host: PluginHost | None = None) -> dict[str, Any]:
    """The schema of a ruleset file with the sections of every plugin ``host`` loads."""
    host = host or build_host()
    sections = host.sections()
    models = [(CoreSections, "validation"), *[(h.model, "validation") for h in sections.values()]]
    refs, bundle = models_json_schema(models, ref_template="#/$defs/{model}")  # type: ignore[arg-type]
    definitions = bundle.get("$defs", {})
    core_ref = refs[(CoreSections, "validation")]["$ref"].rsplit("/", 1)[1]
    core = definitions.pop(core_ref)
    properties = dict(core["properties"])
    properties["extends"] = {
        "type": "string",
        "title": "Extends",
        "description": 'A shipped ruleset name ("default") or a path relative to this file ("../base.toml").',
    }
    for name, handler in sorted(sections.items()):
        entry = dict(refs[(handler.model, "validation")])
        model = definitions.get(entry["$ref"].rsplit("/", 1)[1], {})
        model.setdefault("properties", {})[ENABLED] = {
            "type": "boolean", "title": "Enabled",
            "description": "false switches the section off, with the rules that read its outputs "
            "(see docs/ruleset.md, Switching a section off).", "default": True}
        entry["description"] = f"{getattr(handler, 'title', name)} (plugin section [{name}])"
        properties[name] = entry
    properties["plugins"] = plugins_table_schema(host)
    schema = {
        "$schema": SCHEMA_DIALECT,
        "title": "clientwise ruleset",
        "description": "A clientwise ruleset (TOML). Required keys are checked by `clientwise check`.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": definitions,
    }
    return _relax(schema)


def _relax(node: Any) -> Any:
    """Drop ``required`` everywhere and allow ``remove`` on items that have an ``id``."""
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _relax(value) for key, value in node.items() if not (key == "required" and isinstance(value, list))}
    props = out.get("properties")
    if isinstance(props, dict) and "id" in props and "remove" not in props:
        out["properties"] = {**props, "remove": {
            "type": "boolean", "title": "Remove",
            "description": "In a ruleset that extends another: drop the inherited item with this id."}}
    return out


def schema_text(host: PluginHost | None = None) -> str:
    """The schema as stable, indented JSON (same plugins, same bytes)."""
    return json.dumps(ruleset_schema(host), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

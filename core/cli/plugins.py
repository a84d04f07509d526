"""``clientwise plugins``: list the installed plugins, and show one in detail."""

from __future__ import annotations

import json
from typing import Any

import click

from clientwise.cli.options import CONTEXT, disable_option, plugin_host
from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.host.discovery import PluginInfo
from clientwise.host.manager import PluginHost

#: Hooks that register things, and the attribute naming each thing.
REGISTRATIONS = {
    "clientwise_sections": ("sections", "name"),
    "clientwise_functions": ("functions", "name"),
    "clientwise_loaders": ("loaders", "name"),
    "clientwise_writers": ("formats", "format"),
    "clientwise_engines": ("engines", "name"),
}


def _info_dict(info: PluginInfo) -> dict[str, Any]:
    return {"name": info.name, "distribution": info.distribution, "version": info.version,
            "status": info.status, "error": info.error, "hooks": list(info.hooks)}


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@click.option("--all", "show_all", is_flag=True, help="List every built-in plugin too (else they are one line).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@disable_option
@click.pass_context
def plugins(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List plugins: name, version, distribution, hooks and status (loaded, failed, disabled, incompatible)."""
    if ctx.invoked_subcommand is not None:
        return
    infos = plugin_host().plugin_infos()
    builtin = [i for i in infos if i.distribution == "clientwise" and i.status == "loaded"]
    shown = infos if show_all or as_json else [i for i in infos if i not in builtin]
    if as_json:
        click.echo(json.dumps([_info_dict(info) for info in shown], indent=2))
        return
    if builtin and not show_all:
        click.echo(f"{'(built-in)':<16} loaded  clientwise {builtin[0].version}: "
                   f"{', '.join(i.name for i in builtin)} (--all lists them)")
    for info in shown:
        version = f"{info.distribution} {info.version}" if info.distribution else "(registered in code)"
        click.echo(f"{info.name:<16} {info.status:<7} {version}")
        if info.status == "loaded":
            click.echo(f"{'':<16} hooks: {', '.join(h.removeprefix('clientwise_') for h in info.hooks)}")
        else:
            click.echo(f"{'':<16} {'error' if info.status == 'failed' else 'reason'}: {info.error}")


def describe(host: PluginHost, name: str) -> dict[str, Any]:
    """Everything one plugin contributes: hooks, sections (with schemas), functions, formats, config schema."""
    infos = {info.name: info for info in host.plugin_infos()}
    if name not in infos:
        raise InputError(Problem(f"no plugin named '{name}'", location="NAME",
                                 hint=did_you_mean(name, infos) or f"installed: {', '.join(sorted(infos))}"))
    described = _info_dict(infos[name])
    if infos[name].status != "loaded":
        return described
    for hook, (key, attribute) in REGISTRATIONS.items():
        items = [item for plugin, call in host.implementations(hook) if plugin == name for item in call() or []]
        described[key] = [_item(key, attribute, item) for item in items]
    model = host.config_models().get(name)
    described["config_schema"] = model.model_json_schema() if model is not None else None
    return described


def _item(key: str, attribute: str, item: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": getattr(item, attribute)}
    if key == "sections":
        found["title"] = item.title
        found["schema"] = item.model.model_json_schema()
    elif key == "functions":
        found["signature"] = item.signature or item.name
        found["doc"] = item.doc
    elif key in ("formats", "engines"):
        found["description"] = item.description
    elif key == "loaders":
        found["suffixes"] = list(item.suffixes)
    return found


@plugins.command(context_settings=CONTEXT)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(name: str, as_json: bool) -> None:
    """Show one plugin: hooks, sections, functions, formats, loaders, engines and config schema."""
    described = describe(plugin_host(), name)
    if as_json:
        click.echo(json.dumps(described, indent=2, sort_keys=False))
        return
    package = f"{described['distribution']} {described['version']}" if described["distribution"] else "(registered in code)"
    click.echo(f"{name} ({described['status']}) from {package}")
    if described["status"] != "loaded":
        click.echo(f"  {described['error']}")
        return
    click.echo(f"  hooks: {', '.join(described['hooks'])}")
    for key in ("sections", "functions", "formats", "loaders", "engines"):
        for item in described[key]:
            detail = item.get("title") or item.get("signature") or item.get("description") or ", ".join(item.get("suffixes", []))
            click.echo(f"  {key[:-1]}: {item['name']}" + (f" - {detail}" if detail else ""))
    schema = described["config_schema"]
    if schema is None:
        click.echo("  settings: none")
    else:
        click.echo(f"  settings [plugins.{name}]:")
        for key, prop in schema.get("properties", {}).items():
            default = f" (default {json.dumps(prop['default'])})" if "default" in prop else " (required)"
            click.echo(f"    {key}: {prop.get('type', 'value')}{default} {prop.get('description', '')}".rstrip())

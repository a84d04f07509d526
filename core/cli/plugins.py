"""``clientwise plugins`` (list, show) and the options every evaluating command shares.

``--disable-plugin NAME`` (repeatable) and ``--strict-plugins`` are stored on the
click context, so commands build their host with :func:`plugin_host` and their
evaluator with :func:`strict_plugins` without growing their own signatures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.host.faults import FAULT_EXIT_CODE
from clientwise.host.manager import PluginHost, PluginInfo

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: Hooks that register things, and the attribute naming each thing.
REGISTRATIONS = {
    "clientwise_sections": ("sections", "name"),
    "clientwise_functions": ("functions", "name"),
    "clientwise_loaders": ("loaders", "name"),
    "clientwise_writers": ("formats", "format"),
    "clientwise_engines": ("engines", "name"),
}


def remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """An option callback keeping the option's value on the root context under ``key``."""
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        root = ctx.find_root()
        root.obj = root.obj or {}
        if value:
            root.obj[key] = value
        return value
    return callback


def plugin_options(command: F) -> F:
    """Add ``--disable-plugin`` and ``--strict-plugins`` to an evaluating command."""
    command = click.option(
        "--strict-plugins", is_flag=True, expose_value=False, callback=remember("strict_plugins"),
        help=f"Stop at the first exception inside a plugin (otherwise the run goes on, marks the output "
             f"as an error and exits with {FAULT_EXIT_CODE}).",
    )(command)
    return disable_option(command)


def disable_option(command: F) -> F:
    """Add ``--disable-plugin NAME`` (repeatable)."""
    return click.option(
        "--disable-plugin", "disable_plugins", multiple=True, metavar="NAME", expose_value=False,
        callback=remember("disable_plugins"),
        help="Run without this plugin (repeatable; also CLIENTWISE_DISABLE_PLUGINS=a,b).",
    )(command)


def _options() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().obj or {}) if ctx else {}


def plugin_host() -> PluginHost:
    """The host for this command: entry points, minus disabled plugins, honouring the environment.

    ``clientwise.sdk.testing.run_cli`` passes its own isolated host as ``obj={"host": ...}``.
    """
    given = _options().get("host")
    if given is not None:
        given.disable(_options().get("disable_plugins", ()), location="--disable-plugin")
        return given  # type: ignore[no-any-return]
    return PluginHost(disabled=_options().get("disable_plugins", ()), environ=os.environ)


def strict_plugins() -> bool:
    return bool(_options().get("strict_plugins"))


def report_faults(result: Any, *, warned: bool = False) -> None:
    """Print every plugin fault of a finished run and exit non-zero: never a silent partial success.

    ``warned``: the run's warnings (which name each fault) were already printed on stderr.
    """
    if not result.faults:
        return
    for fault in [] if warned else result.faults:
        click.echo(f"error: plugin failed: {fault.render()}", err=True)
    click.echo(f"error: {len(result.faults)} plugin error(s); the affected sections are marked as errors in the "
               f"output. Fix or disable the plugin (--disable-plugin NAME).", err=True)
    click.get_current_context().exit(FAULT_EXIT_CODE)


# --------------------------------------------------------------------------- plugins


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

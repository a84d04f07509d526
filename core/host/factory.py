"""The one way a plugin host is built, for the CLI and the Python API alike.

Every command gets its host here, so the environment (``CLIENTWISE_DISABLE_PLUGINS``,
``CLIENTWISE_LOAD_PLUGINS``) and the command line's ``--disable-plugin`` apply the same
way everywhere; a ruleset's own ``[plugins] disable`` is applied later, as a view
(:meth:`PluginHost.without`), so loading a ruleset never changes a host.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import pluggy

from clientwise.host import spec
from clientwise.host.discovery import Inventory, load_entry_points
from clientwise.host.manager import PluginHost
from clientwise.host.selection import PluginSelection


def build_host(
    *,
    plugins: Iterable[object] = (),
    disable: Iterable[str] = (),
    allow: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
    entry_points: bool = True,
    builtin_only: bool = False,
) -> PluginHost:
    """A host with the installed plugins (``entry_points``) and ``plugins`` registered in code.

    ``disable`` are plugins switched off on the command line; ``allow`` (when given) the
    only entry points to load besides the essential built-ins; ``environ`` is where the
    ``CLIENTWISE_*_PLUGINS`` variables are read (default: this process's environment;
    pass ``{}`` to ignore it). Disabled plugins are blocked in pluggy, never imported.
    ``builtin_only`` loads only clientwise's own entry points (isolated tests).
    """
    selection = PluginSelection.build(disable, allow, environ=os.environ if environ is None else environ)
    manager = pluggy.PluginManager(spec.PROJECT)
    manager.add_hookspecs(spec)
    inventory = Inventory()
    if entry_points:
        load_entry_points(manager, selection, inventory, builtin_only=builtin_only)
    host = PluginHost(manager, inventory)
    for plugin in plugins:
        host.register(plugin)
    return host

"""Finding plugins: the ``clientwise`` entry point group, loaded into one pluggy manager.

A plugin that is disabled, built for another clientwise, fails to import or
implements a hook that does not exist is not registered; it is recorded with why,
so ``clientwise plugins`` can show it and a ruleset that needs it gets a clear
message instead of a crash.
"""

from __future__ import annotations

import importlib.metadata as metadata
from dataclasses import dataclass, field

import pluggy

from clientwise.host.selection import PluginSelection, incompatibility

ENTRY_POINT_GROUP = "clientwise"

#: How a distribution's extra is named in its error when an optional dependency is missing.
OPTIONAL_EXTRAS = {"durable_engine": "durable"}


@dataclass(frozen=True)
class PluginInfo:
    """What ``clientwise plugins`` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    #: "loaded", "failed", "disabled", "incompatible" or "not installed" (an optional
    #: built-in whose extra is not installed)
    status: str
    error: str | None = None
    hooks: tuple[str, ...] = ()


@dataclass
class Inventory:
    """Where each registered plugin came from, and every plugin that was not registered."""

    origins: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    failed: dict[str, PluginInfo] = field(default_factory=dict)
    skipped: dict[str, PluginInfo] = field(default_factory=dict)


def load_entry_points(manager: pluggy.PluginManager, selection: PluginSelection, inventory: Inventory,
                      *, builtin_only: bool = False) -> None:
    """Register every entry point of the group the selection allows, in name order
    (with ``builtin_only``, only clientwise's own)."""
    for point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist = point.dist.name if point.dist else None
        if builtin_only and dist != "clientwise":
            continue
        version = point.dist.version if point.dist else None
        if manager.has_plugin(point.name) or point.name in inventory.skipped:
            continue
        skipped = selection.reason_skipped(point.name)
        reason = incompatibility(point.dist) if skipped is None else None
        if skipped or reason:
            status = "disabled" if skipped else "incompatible"
            inventory.skipped[point.name] = PluginInfo(point.name, dist, version, status, skipped or reason)
            manager.set_blocked(point.name)
            continue
        try:
            plugin = point.load()
        except ImportError as error:
            missing = _missing_extra(point.name, dist)
            message = str(error) if missing else f"{type(error).__name__}: {error}"
            inventory.failed[point.name] = PluginInfo(point.name, dist, version,
                                                      "not installed" if missing else "failed", message)
            continue
        except Exception as error:  # a broken plugin must not take the run down
            inventory.failed[point.name] = PluginInfo(point.name, dist, version, "failed",
                                                      f"{type(error).__name__}: {error}")
            continue
        problem = register_checked(manager, plugin, point.name)
        if problem is not None:
            inventory.failed[point.name] = PluginInfo(point.name, dist, version, "failed", problem)
            continue
        inventory.origins[point.name] = (dist, version)


def register_checked(manager: pluggy.PluginManager, plugin: object, name: str | None) -> str | None:
    """Register ``plugin``; if pluggy finds a hook implementation without a spec, take it
    out again and return why (a misspelt hook would otherwise never be called)."""
    registered = manager.register(plugin, name=name)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        manager.unregister(plugin, name=registered)
        return f"{error}; the hooks are listed in docs/plugin-hooks.md"
    return None


def _missing_extra(name: str, distribution: str | None) -> bool:
    """A built-in plugin that needs an optional extra which is not installed."""
    return distribution == "clientwise" and name in OPTIONAL_EXTRAS

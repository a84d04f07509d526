"""Which plugins a host loads: disable lists, the allow-list, and core-version compatibility.

Kept apart from :mod:`clientwise.host.manager` so the host stays about discovery and
registries. The rules:

* ``--disable-plugin NAME``, ``CLIENTWISE_DISABLE_PLUGINS=a,b`` and a ruleset's
  ``[plugins] disable = [...]`` switch plugins off;
* ``CLIENTWISE_LOAD_PLUGINS=a,b`` loads only those entry points (plus the essential
  built-ins), like an allow-list;
* the essential built-ins (:data:`ESSENTIAL`) refuse to be disabled: the core cannot
  read data, evaluate or write without them;
* a plugin distribution whose ``Requires-Dist`` pins ``clientwise`` to versions that
  exclude the running core is skipped, with the versions it supports.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from clientwise._version import __version__
from clientwise.errors import InputError, Problem

#: Built-in plugins the core cannot run without.
ESSENTIAL = frozenset({"functions", "loaders", "writers", "polars_engine", "polars_backend"})

DISABLE_ENV = "CLIENTWISE_DISABLE_PLUGINS"
ALLOW_ENV = "CLIENTWISE_LOAD_PLUGINS"


def split_names(text: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@dataclass(frozen=True)
class PluginSelection:
    """Names to leave out and, optionally, the only names to load; each with where it came from."""

    disabled: Mapping[str, str]
    allowed: frozenset[str] | None = None

    @classmethod
    def build(
        cls,
        disable: Iterable[str] = (),
        allow: Iterable[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> PluginSelection:
        """Combine explicit names with the environment variables (``environ``; None reads nothing)."""
        disabled: dict[str, str] = {}
        env = environ or {}
        for name in split_names(env.get(DISABLE_ENV)):
            disabled[name] = DISABLE_ENV
        for name in disable:
            disabled[name] = "--disable-plugin"
        allowed = set(allow) if allow is not None else None
        if ALLOW_ENV in env:
            allowed = (allowed or set()) | set(split_names(env[ALLOW_ENV]))
        refuse_essential(disabled)
        return cls(disabled, frozenset(allowed) if allowed is not None else None)

    def reason_skipped(self, name: str) -> str | None:
        """Why entry point ``name`` is not loaded, or None when it is."""
        if name in self.disabled:
            return f"disabled by {self.disabled[name]}"
        if self.allowed is not None and name not in self.allowed and name not in ESSENTIAL:
            return f"not in {ALLOW_ENV}"
        return None


def refuse_essential(
    names: Mapping[str, str] | Iterable[str], *, file: str | None = None, location: str = "plugins.disable"
) -> None:
    """Raise a clear error when someone disables a plugin the core needs."""
    essential = sorted(set(names) & ESSENTIAL)
    if not essential:
        return
    sources = names if isinstance(names, Mapping) else {}
    raise InputError(
        [
            Problem(
                f"the built-in plugin '{name}' cannot be disabled: the core cannot run without it",
                file=file,
                location=sources.get(name, location),
                hint=f"remove '{name}' from the list; essential plugins are {', '.join(sorted(ESSENTIAL))}",
            )
            for name in essential
        ]
    )


def incompatibility(dist: metadata.Distribution | None, core_version: str = __version__) -> str | None:
    """Why ``dist`` cannot run on this core (it pins clientwise elsewhere), or None."""
    if dist is None or dist.metadata["Name"] == "clientwise":
        return None
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name.lower() != "clientwise" or not str(requirement.specifier):
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if not requirement.specifier.contains(Version(core_version), prereleases=True):
            return (
                f"built for clientwise {requirement.specifier}, but this is clientwise {core_version}; "
                f"install a version of {dist.metadata['Name']} made for clientwise {core_version}, "
                f"or clientwise{requirement.specifier}"
            )
    return None

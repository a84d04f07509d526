"""One plugin manager per evaluation context, and the registries built from it.

There is deliberately no module-level manager: the CLI makes a host per command and
the Python API one per call (or uses the host you pass), so tests and services can
run differently configured evaluations side by side.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pluggy

from clientwise.host import spec as hookspecs
from clientwise.errors import (
    ClientwiseError,
    InputError,
    PluginError,
    Problem,
    did_you_mean,
)
from clientwise.host.selection import PluginSelection, incompatibility, refuse_essential

if TYPE_CHECKING:
    from pydantic import BaseModel

    from clientwise.host.contracts import Engine, Loader, SectionHandler, Writer
    from clientwise.expr.functions import FunctionRegistry

ENTRY_POINT_GROUP = "clientwise"


@dataclass(frozen=True)
class PluginInfo:
    """What ``clientwise plugins`` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    status: str  # "loaded", "failed", "disabled" or "incompatible"
    error: str | None = None
    hooks: tuple[str, ...] = ()


@dataclass
class PluginHost:
    """Discovers plugins, holds the pluggy manager, and answers 'who provides X'."""

    load_entry_points: bool = True
    plugins: Iterable[object] = ()
    #: Entry point names to leave out, and (when not None) the only ones to load.
    disabled: Iterable[str] = ()
    allow: Iterable[str] | None = None
    #: Environment to read CLIENTWISE_DISABLE_PLUGINS / CLIENTWISE_LOAD_PLUGINS from (None: none).
    environ: Mapping[str, str] | None = None
    manager: pluggy.PluginManager = field(init=False)
    _failed: dict[str, PluginInfo] = field(init=False, default_factory=dict)
    _skipped: dict[str, PluginInfo] = field(init=False, default_factory=dict)
    _origins: dict[str, tuple[str | None, str | None]] = field(init=False, default_factory=dict)
    _owners: dict[str, dict[str, str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.selection = PluginSelection.build(self.disabled, self.allow, environ=self.environ)
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        if self.load_entry_points:
            self._load_entry_points()
        for plugin in self.plugins:
            self.register(plugin)

    def _load_entry_points(self) -> None:
        points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for point in points:
            dist = point.dist.name if point.dist else None
            version = point.dist.version if point.dist else None
            if self.manager.has_plugin(point.name):
                continue
            skipped = self.selection.reason_skipped(point.name)
            reason = incompatibility(point.dist) if skipped is None else None
            if skipped or reason:
                status = "disabled" if skipped else "incompatible"
                self._skipped[point.name] = PluginInfo(point.name, dist, version, status, skipped or reason)
                continue
            try:
                plugin = point.load()
            except Exception as error:  # a broken plugin must not take the run down
                self._failed[point.name] = PluginInfo(
                    point.name, dist, version, "failed", f"{type(error).__name__}: {error}"
                )
                continue
            self.manager.register(plugin, name=point.name)
            self._origins[point.name] = (dist, version)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (tests, notebooks, services)."""
        registered = self.manager.register(plugin, name=name)
        assert registered is not None
        self._origins.setdefault(registered, (None, None))
        self._forget()
        return registered

    def disable(self, names: Iterable[str], *, file: str | None = None, location: str = "plugins.disable") -> None:
        """Switch plugins off for this host (a ruleset's ``[plugins] disable``, or ``--disable-plugin``)."""
        wanted = list(names)
        refuse_essential(wanted, file=file, location=location)
        for name in wanted:
            plugin = self.manager.get_plugin(name)
            if plugin is None:
                continue
            self.manager.unregister(plugin, name=name)
            dist, version = self._origins.pop(name, (None, None))
            self._skipped[name] = PluginInfo(name, dist, version, "disabled",
                                             f"disabled by {file}: {location}" if file else f"disabled by {location}")
        self._forget()

    def _forget(self) -> None:
        for cached in ("_sections", "_functions", "_loaders", "_writers", "_engines"):
            self.__dict__.pop(cached, None)
        self._owners.clear()

    def origin(self, name: str) -> tuple[str | None, str | None]:
        """(distribution, version) of a registered plugin; (None, None) for one registered in code."""
        return self._origins.get(name, (None, None))

    def owner(self, what: str, key: str) -> str | None:
        """The plugin that provides ``key`` (``what``: "section", "engine", "output format", ...)."""
        self.sections(), self.engines(), self.writers()
        return self._owners.get(what, {}).get(key)

    def implementations(self, hook: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call taking the hook's keyword arguments) per implementation, by plugin name."""
        found = []
        for impl in getattr(self.manager.hook, hook).get_hookimpls():
            # through the manager's (monitored) executor, so clientwise.sdk.testing's hook_calls sees the call
            def call(impl: Any = impl, hook: str = hook, **kwargs: Any) -> Any:
                results: Any = self.manager._hookexec(hook, [impl], kwargs, False)
                return results[0] if results else None
            found.append((impl.plugin_name, call))
        return sorted(found, key=lambda pair: pair[0])

    def config_models(self) -> dict[str, type[BaseModel]]:
        """Plugin name -> the pydantic model of its ``[plugins.<name>]`` settings."""
        return {name: model for name, model in
                ((name, impl()) for name, impl in self.implementations("clientwise_plugin_config"))
                if model is not None}

    # -- what is installed -------------------------------------------------

    def plugin_infos(self) -> list[PluginInfo]:
        infos = [
            PluginInfo(
                name,
                *self._origins.get(name, (None, None)),
                status="loaded",
                hooks=tuple(sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or [])),
            )
            for name, plugin in self.manager.list_name_plugin()
            if name is not None
        ]
        infos.extend(self._failed.values())
        infos.extend(self._skipped.values())
        return sorted(infos, key=lambda info: info.name)

    def failed_plugin_for(self, section: str) -> tuple[str, str] | None:
        info = self._failed.get(section)
        return (info.name, info.error or "") if info else None

    def missing_required(self, required: Iterable[str], *, file: str) -> list[Problem]:
        """Problems for plugins a ruleset ``requires`` that are absent or broken."""
        problems = []
        for name in required:
            if self.manager.has_plugin(name):
                continue
            failed = self._failed.get(name)
            skipped = self._skipped.get(name)
            if skipped:
                problems.append(
                    Problem(
                        f"the ruleset requires plugin '{name}', which is {skipped.status}: {skipped.error}",
                        file=file,
                        location="metadata.requires",
                        hint=("enable it again (remove it from the disable list)" if skipped.status == "disabled"
                              else f"install a version of {skipped.distribution or name} made for this clientwise"),
                    )
                )
            elif failed:
                problems.append(
                    Problem(
                        f"the ruleset requires plugin '{name}', which failed to load: {failed.error}",
                        file=file,
                        location="metadata.requires",
                        hint=f"reinstall it: pip install --force-reinstall {failed.distribution or name}",
                    )
                )
            else:
                problems.append(
                    Problem(
                        f"the ruleset requires plugin '{name}', which is not installed",
                        file=file,
                        location="metadata.requires",
                        hint=f"install it (pip install {name}), or remove it from requires",
                    )
                )
        return problems

    # -- registries --------------------------------------------------------

    def _collect(self, hook: str) -> list[tuple[str, Any]]:
        """(plugin name, item) for every item every plugin returns, in plugin-name order."""
        found: list[tuple[str, Any]] = []
        for name, call in self.implementations(hook):
            try:
                items = list(call() or [])
            except ClientwiseError:
                raise
            except Exception as error:  # attribute it: a registration hook broke, not the core
                dist, version = self._origins.get(str(name), (None, None))
                raise PluginError(Problem(
                    f"plugin '{name}'{f' ({dist} {version})' if dist else ''} failed in {hook}: "
                    f"{type(error).__name__}: {error}",
                    hint=f"fix or upgrade the plugin, or run without it: --disable-plugin {name}",
                )) from error
            found.extend((str(name), item) for item in items)
        return found

    def _unique(self, hook: str, attribute: str, what: str) -> dict[str, Any]:
        by_name: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin, item in self._collect(hook):
            key = getattr(item, attribute)
            if key in by_name:
                raise PluginError(
                    Problem(
                        f"two plugins provide the {what} '{key}': '{owner[key]}' and '{plugin}'",
                        hint="uninstall one of them",
                    )
                )
            by_name[key], owner[key] = item, plugin
        self._owners[what] = owner
        return by_name

    @cached_property
    def _sections(self) -> dict[str, SectionHandler]:
        return self._unique("clientwise_sections", "name", "ruleset section")

    @cached_property
    def _loaders(self) -> list[Loader]:
        return list(self._unique("clientwise_loaders", "name", "loader").values())

    @cached_property
    def _writers(self) -> dict[str, Writer]:
        return self._unique("clientwise_writers", "format", "output format")

    @cached_property
    def _engines(self) -> dict[str, Engine]:
        return self._unique("clientwise_engines", "name", "engine")

    @cached_property
    def _functions(self) -> FunctionRegistry:
        from clientwise.expr.functions import FunctionRegistry

        providers: dict[str, list[Any]] = {}
        for plugin, spec in self._collect("clientwise_functions"):
            providers.setdefault(plugin, []).append(spec)
        return FunctionRegistry(providers)

    def sections(self) -> dict[str, SectionHandler]:
        return self._sections

    def loaders(self) -> list[Loader]:
        return self._loaders

    def writers(self) -> dict[str, Writer]:
        return self._writers

    def functions(self) -> FunctionRegistry:
        return self._functions

    def engines(self) -> dict[str, Engine]:
        return self._engines

    def engine(self, name: str) -> Engine:
        engines = self.engines()
        if name in engines:
            return engines[name]
        failed = self._failed.get(f"{name}_engine") or self._failed.get(name)
        if failed and "pip install" in (failed.error or ""):
            hint = (failed.error or "").split(": ", 1)[-1]
        elif failed:
            hint = f"the '{failed.name}' plugin failed to load ({failed.error}); reinstall it"
        else:
            hint = did_you_mean(name, engines) or f"available engines: {', '.join(sorted(engines))}"
        raise InputError(Problem(f"unknown engine '{name}'", location="--engine", hint=hint))

    @property
    def hook(self) -> Any:
        return self.manager.hook

"""The plugin host: one pluggy manager per context, and one typed method per hook.

There is deliberately no module-level manager: :func:`clientwise.host.build_host`
makes one per command (the CLI) or per call (the Python API, unless you pass yours),
so tests and services run differently configured evaluations side by side.

A ruleset's ``[plugins] disable`` never changes a host: :meth:`PluginHost.without`
gives a view of the same plugins minus those, and every hook call of the view goes
through pluggy's ``subset_hook_caller``. Two rulesets evaluated with one host (``diff``)
therefore each see exactly their own plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pluggy

from clientwise.errors import ClientwiseError, InputError, PluginError, Problem, did_you_mean
from clientwise.host.contracts import Backend, Engine, Loader, SectionHandler, Writer
from clientwise.host.discovery import Inventory, PluginInfo, register_checked

if TYPE_CHECKING:
    from pydantic import BaseModel

    from clientwise.expr.functions import FunctionRegistry

#: Registration hooks: what each returns, the attribute naming an item, and what it is called.
REGISTRIES: dict[str, tuple[type, str, str]] = {
    "clientwise_sections": (SectionHandler, "name", "ruleset section"),
    "clientwise_loaders": (Loader, "name", "loader"),
    "clientwise_writers": (Writer, "format", "output format"),
    "clientwise_engines": (Engine, "name", "engine"),
    "clientwise_backends": (Backend, "name", "backend"),
}


class PluginHost:
    """Plugins registered with one pluggy manager, and the registries built from them.

    Build one with :func:`clientwise.host.build_host`; ``excluded`` (plugin name ->
    why) is set on the views :meth:`without` returns.
    """

    def __init__(self, manager: pluggy.PluginManager, inventory: Inventory | None = None,
                 excluded: Mapping[str, str] | None = None):
        self.manager = manager
        self.inventory = inventory or Inventory()
        self.excluded: dict[str, str] = dict(excluded or {})
        self._owners: dict[str, dict[str, str]] = {}

    # -- building -----------------------------------------------------------

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (tests, notebooks, services); an unknown hook is refused."""
        try:
            hash(plugin)
        except TypeError:
            raise PluginError(Problem(
                f"plugin {name or plugin!r} cannot be registered: pluggy needs plugin objects it can hash",
                hint="use a module, a class or an instance of a class (clientwise.sdk.testing.make_plugin "
                     "makes one from hook functions)")) from None
        problem = register_checked(self.manager, plugin, name)
        if problem is not None:
            raise PluginError(Problem(f"plugin {name or plugin!r} cannot be registered: {problem}",
                                      hint="rename the function to one of the documented hooks"))
        registered = self.manager.get_name(plugin)
        assert registered is not None
        self.inventory.origins.setdefault(registered, (None, None))
        self._forget()
        return registered

    def without(self, names: Mapping[str, str]) -> PluginHost:
        """A view of this host without the named plugins (name -> why, for messages).

        The view shares the plugins; it only calls hooks around the excluded ones. Names
        of plugins that are not registered are ignored.
        """
        wanted = {name: why for name, why in names.items() if name not in self.excluded}
        if not wanted:
            return self
        return PluginHost(self.manager, self.inventory, {**self.excluded, **wanted})

    def _forget(self) -> None:
        for cached in ("_sections", "_functions", "_loaders", "_writers", "_engines", "_backends"):
            self.__dict__.pop(cached, None)
        self._owners.clear()

    # -- what is installed --------------------------------------------------

    def active(self, name: str) -> bool:
        """Whether plugin ``name`` is registered and not excluded from this view."""
        return self.manager.has_plugin(name) and name not in self.excluded

    def origin(self, name: str) -> tuple[str | None, str | None]:
        """(distribution, version) of a registered plugin; (None, None) for one registered in code."""
        return self.inventory.origins.get(name, (None, None))

    def owner(self, what: str, key: str) -> str | None:
        """The plugin that provides ``key`` (``what``: "ruleset section", "engine", "output format", ...)."""
        self.sections(), self.engines(), self.writers()
        return self._owners.get(what, {}).get(key)

    def plugin_infos(self) -> list[PluginInfo]:
        infos = []
        for name, plugin in self.manager.list_name_plugin():
            if name is None or self.manager.is_blocked(name):
                continue
            dist, version = self.origin(name)
            if name in self.excluded:
                infos.append(PluginInfo(name, dist, version, "disabled", self.excluded[name]))
                continue
            hooks = tuple(sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or []))
            infos.append(PluginInfo(name, dist, version, "loaded", hooks=hooks))
        infos.extend(self.inventory.failed.values())
        infos.extend(self.inventory.skipped.values())
        return sorted(infos, key=lambda info: info.name)

    def info(self, name: str) -> PluginInfo | None:
        return next((info for info in self.plugin_infos() if info.name == name), None)

    def switched_off_provider(self, section: str) -> tuple[str, str] | None:
        """(plugin, why) when the plugin providing ``section`` is disabled here: excluded
        from this view (its section is known), or blocked before loading (a built-in's
        section has the plugin's name)."""
        if self.excluded:
            owner = PluginHost(self.manager, self.inventory).owner("ruleset section", section)
            if owner in self.excluded:
                return owner, self.excluded[owner]
        skipped = self.inventory.skipped.get(section)
        if skipped is not None and skipped.status == "disabled":
            return section, skipped.error or "disabled"
        return None

    def failed_plugin_for(self, section: str) -> tuple[str, str] | None:
        info = self.inventory.failed.get(section)
        return (info.name, info.error or "") if info else None

    def missing_required(self, required: Iterable[str], *, file: str) -> list[Problem]:
        """Problems for plugins a ruleset ``requires`` that are absent, broken or switched off."""
        problems = []
        for name in required:
            if self.active(name):
                continue
            info = self.info(name)
            if info is not None and info.status == "disabled":
                problems.append(Problem(
                    f"the ruleset requires plugin '{name}', which is disabled: {info.error}",
                    file=file, location="metadata.requires",
                    hint="enable it again (remove it from the disable list)"))
            elif info is not None and info.status == "incompatible":
                problems.append(Problem(
                    f"the ruleset requires plugin '{name}', which is incompatible: {info.error}",
                    file=file, location="metadata.requires",
                    hint=f"install a version of {info.distribution or name} made for this clientwise"))
            elif info is not None:
                problems.append(Problem(
                    f"the ruleset requires plugin '{name}', which failed to load: {info.error}",
                    file=file, location="metadata.requires",
                    hint=f"reinstall it: pip install --force-reinstall {info.distribution or name}"))
            else:
                problems.append(Problem(
                    f"the ruleset requires plugin '{name}', which is not installed",
                    file=file, location="metadata.requires",
                    hint=f"install it (pip install {name}), or remove it from requires"))
        return problems

    # -- calling hooks ------------------------------------------------------

    def implementations(self, hook: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call taking the hook's keyword arguments) per active implementation,
        by plugin name; each call goes through the manager, so hook-call monitoring sees it."""
        caller: pluggy.HookCaller = getattr(self.manager.hook, hook)
        impls = [impl for impl in caller.get_hookimpls() if impl.plugin_name not in self.excluded]
        everyone = [impl.plugin for impl in caller.get_hookimpls()]
        found = []
        for impl in impls:
            single = self.manager.subset_hook_caller(hook, [p for p in everyone if p is not impl.plugin])

            def call(single: pluggy.HookCaller = single, **kwargs: Any) -> Any:
                results = single(**kwargs)
                return results[0] if results else None

            found.append((impl.plugin_name, call))
        return sorted(found, key=lambda pair: pair[0])

    def _collect(self, hook: str) -> list[tuple[str, Any]]:
        """(plugin name, item) for every item every plugin returns, in plugin-name order."""
        found: list[tuple[str, Any]] = []
        for name, call in self.implementations(hook):
            try:
                items = list(call() or [])
            except ClientwiseError:
                raise
            except Exception as error:  # attribute it: a registration hook broke, not the core
                raise PluginError(Problem(
                    f"plugin '{name}'{self._release(name)} failed in {hook}: {type(error).__name__}: {error}",
                    hint=f"fix or upgrade the plugin, or run without it: --disable-plugin {name}",
                )) from error
            found.extend((name, item) for item in items)
        return found

    def _release(self, name: str) -> str:
        dist, version = self.origin(name)
        return f" ({dist} {version})" if dist else ""

    def _unique(self, hook: str) -> dict[str, Any]:
        contract, attribute, what = REGISTRIES[hook]
        by_name: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin, item in self._collect(hook):
            if not isinstance(item, contract):
                raise PluginError(Problem(
                    f"plugin '{plugin}'{self._release(plugin)} returned {item!r} from {hook}, which is not a "
                    f"{contract.__name__}",
                    hint=f"make its class subclass clientwise.sdk.{contract.__name__}"))
            key = getattr(item, attribute)
            if key in by_name:
                raise PluginError(Problem(f"two plugins provide the {what} '{key}': '{owner[key]}' and '{plugin}'",
                                          hint="uninstall one of them"))
            by_name[key], owner[key] = item, plugin
        self._owners[what] = owner
        return by_name

    @cached_property
    def _sections(self) -> dict[str, SectionHandler]:
        return self._unique("clientwise_sections")

    @cached_property
    def _loaders(self) -> list[Loader]:
        return list(self._unique("clientwise_loaders").values())

    @cached_property
    def _writers(self) -> dict[str, Writer]:
        return self._unique("clientwise_writers")

    @cached_property
    def _engines(self) -> dict[str, Engine]:
        return self._unique("clientwise_engines")

    @cached_property
    def _backends(self) -> dict[str, Backend]:
        return self._unique("clientwise_backends")

    @cached_property
    def _functions(self) -> FunctionRegistry:
        from clientwise.expr.functions import FunctionRegistry

        providers: dict[str, list[Any]] = {}
        for plugin, spec in self._collect("clientwise_functions"):
            providers.setdefault(plugin, []).append(spec)
        return FunctionRegistry(providers)

    def sections(self) -> dict[str, SectionHandler]:
        """``clientwise_sections``: section name -> handler."""
        return self._sections

    def loaders(self) -> list[Loader]:
        """``clientwise_loaders``, in plugin-name order."""
        return self._loaders

    def writers(self) -> dict[str, Writer]:
        """``clientwise_writers``: format -> writer."""
        return self._writers

    def functions(self) -> FunctionRegistry:
        """``clientwise_functions``: every expression function, by name."""
        return self._functions

    def engines(self) -> dict[str, Engine]:
        """``clientwise_engines``: engine name -> engine."""
        return self._engines

    def backends(self) -> dict[str, Backend]:
        """``clientwise_backends``: backend name -> backend."""
        return self._backends

    def config_models(self) -> dict[str, type[BaseModel]]:
        """``clientwise_plugin_config``: plugin name -> the model of its ``[plugins.<name>]`` settings."""
        return {name: model for name, model in
                ((name, impl()) for name, impl in self.implementations("clientwise_plugin_config"))
                if model is not None}

    def engine(self, name: str) -> Engine:
        engines = self.engines()
        if name in engines:
            return engines[name]
        failed = self.inventory.failed.get(f"{name}_engine") or self.inventory.failed.get(name)
        if failed and "pip install" in (failed.error or ""):
            hint = (failed.error or "").split(": ", 1)[-1]
        elif failed:
            hint = f"the '{failed.name}' plugin failed to load ({failed.error}); reinstall it"
        else:
            hint = did_you_mean(name, engines) or f"available engines: {', '.join(sorted(engines))}"
        raise InputError(Problem(f"unknown engine '{name}'", location="--engine", hint=hint))

    def backend(self, name: str) -> Backend:
        """The backend called ``name`` (``--backend``), or an error listing the installed ones."""
        backends = self.backends()
        if name in backends:
            return backends[name]
        hint = did_you_mean(name, backends) or f"available backends: {', '.join(sorted(backends))}"
        raise InputError(Problem(f"unknown backend '{name}'", location="--backend", hint=hint))

    @property
    def hook(self) -> Any:
        return self.manager.hook

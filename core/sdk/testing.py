"""A pytest plugin for people writing clientwise plugins (registered via the ``pytest11`` entry point).

Installing clientwise makes these fixtures available in any test suite::

    def test_my_function(clientwise_host, register_plugin, evaluate_records):
        register_plugin(my_plugin)
        result = evaluate_records(RULESET, customers=[{"customer_id": "A", ...}])

* ``clientwise_host``: an isolated :class:`~clientwise.PluginHost` with only the
  built-in plugins (nothing else installed on the machine leaks in);
* ``evaluation_context(ruleset, customers=[...], ...)``: the loaded, validated
  :class:`~clientwise.runtime.context.EvaluationContext` that hooks receive;
* ``register_plugin(obj, name=None)``: register a plugin object with that host;
* ``write_ruleset(text, name="ruleset.toml")``: write TOML to a temporary file;
* ``evaluate_records(ruleset, customers=[...], contacts=[...], interactions=[...], as_of=...)``;
* ``run_cli(*args)``: run ``clientwise`` in-process with that host; returns click's result;
* ``hook_calls``: every hook call made through the host, in order.

:func:`assert_plugin_valid` checks a plugin object the way the core will use it.
The module imports nothing heavy at import time: pytest loads it in every run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from click.testing import Result as CliResult

    from clientwise.host.manager import PluginHost
    from clientwise.runtime.context import EvaluationContext
    from clientwise.runtime.result import Result

DEFAULT_AS_OF = "2026-06-30"


def builtin_plugins() -> list[object]:
    """The built-in plugin modules, loaded from the core's own entry points."""
    import importlib.metadata as metadata

    points = [ep for ep in metadata.entry_points(group="clientwise") if ep.value.startswith("clientwise.plugins.")]
    return [ep.load() for ep in sorted(points, key=lambda ep: ep.name)]


def isolated_host(*plugins: object) -> PluginHost:
    """A host with the built-ins and ``plugins`` only: nothing else installed on the
    machine, and no ``CLIENTWISE_*_PLUGINS`` setting of the environment, leaks in."""
    from clientwise.host.factory import build_host

    return build_host(builtin_only=True, environ={}, plugins=plugins)


def make_plugin(name: str = "plugin", **hooks: Any) -> ModuleType:
    """A plugin object from hook functions (``make_plugin(clientwise_functions=hookimpl(...))``).

    pluggy needs plugin objects it can hash; a module is what an installed plugin is too.
    """
    module = ModuleType(name)
    module.__dict__.update(hooks)
    return module


@dataclass
class HookCall:
    """One call of a hook: its name and keyword arguments."""

    hook: str
    kwargs: dict[str, Any]


@dataclass
class HookRecorder:
    """Records every hook call made through one host (pluggy's hook-call monitoring)."""

    calls: list[HookCall] = field(default_factory=list)

    def names(self) -> list[str]:
        return [call.hook for call in self.calls]

    def attach(self, host: PluginHost) -> Callable[[], None]:
        def before(hook_name: str, _impls: Sequence[Any], kwargs: dict[str, Any]) -> None:
            self.calls.append(HookCall(hook_name, dict(kwargs)))

        def after(*_args: Any) -> None:
            return None

        return host.manager.add_hookcall_monitoring(before, after)


@pytest.fixture
def clientwise_host() -> PluginHost:
    """An isolated plugin host: the built-ins only, plus what ``register_plugin`` adds."""
    return isolated_host()


@pytest.fixture
def register_plugin(clientwise_host: PluginHost) -> Callable[..., str]:
    """``register_plugin(obj, name=None)`` registers a plugin object with ``clientwise_host``."""
    return clientwise_host.register


@pytest.fixture
def hook_calls(clientwise_host: PluginHost) -> Iterator[HookRecorder]:
    """Every hook call through ``clientwise_host`` (``hook_calls.names()``, ``hook_calls.calls``)."""
    recorder = HookRecorder()
    undo = recorder.attach(clientwise_host)
    yield recorder
    undo()


@pytest.fixture
def write_ruleset(tmp_path: Path) -> Callable[..., Path]:
    """``write_ruleset(text, name="ruleset.toml")`` -> the path of the written file."""

    def write(text: str, name: str = "ruleset.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _load(host: PluginHost, ruleset: str | Path) -> Any:
    from clientwise.runtime.evaluator import load_ruleset, parse_ruleset

    if isinstance(ruleset, str) and "\n" in ruleset:
        return parse_ruleset(ruleset, origin="ruleset.toml", host=host)
    return load_ruleset(ruleset, host=host)


def _tables(ruleset: Any, customers: Sequence[dict[str, Any]], contacts: Sequence[dict[str, Any]] | None,
            interactions: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    tables = {"customers": customers, "contacts": contacts, "interactions": interactions}
    frames = {name: _frame(name, rows, ruleset) for name, rows in tables.items()}
    return {name: frame for name, frame in frames.items() if frame is not None}


@pytest.fixture
def evaluation_context(clientwise_host: PluginHost) -> Callable[..., EvaluationContext]:
    """``evaluation_context(ruleset, customers=[...], ..., as_of=...)``: the context hooks receive.

    The tables are loaded and validated as in a run, so a ``clientwise_before_evaluate``
    or ``clientwise_after_evaluate`` implementation can be called with it directly.
    """

    def build(
        ruleset: str | Path,
        *,
        customers: Sequence[dict[str, Any]],
        contacts: Sequence[dict[str, Any]] | None = None,
        interactions: Sequence[dict[str, Any]] | None = None,
        as_of: str = DEFAULT_AS_OF,
        engine: str = "polars",
    ) -> EvaluationContext:
        from clientwise.runtime.context import EvaluationContext
        from clientwise.runtime.evaluator import Evaluator, parse_as_of

        loaded = _load(clientwise_host, ruleset)
        evaluator = Evaluator(loaded, host=clientwise_host, engine=engine)
        context = EvaluationContext(clientwise_host, loaded, parse_as_of(as_of), evaluator.engine)
        context.tables = evaluator.load(_tables(loaded, customers, contacts, interactions))
        return context

    return build


@pytest.fixture
def evaluate_records(clientwise_host: PluginHost) -> Callable[..., Result]:
    """``evaluate_records(ruleset, customers=[{...}], contacts=..., interactions=..., as_of=..., engine=...)``.

    ``ruleset`` is TOML text, a path or a shipped name; records are dicts of column ->
    text (as they would come from a CSV), validated and typed by the ruleset's
    ``[data]`` section exactly as files are.
    """

    def evaluate(
        ruleset: str | Path,
        *,
        customers: Sequence[dict[str, Any]],
        contacts: Sequence[dict[str, Any]] | None = None,
        interactions: Sequence[dict[str, Any]] | None = None,
        as_of: str = DEFAULT_AS_OF,
        strict_plugins: bool = True,
        engine: str = "polars",
    ) -> Result:
        from clientwise.runtime.evaluator import Evaluator

        loaded = _load(clientwise_host, ruleset)
        evaluator = Evaluator(loaded, host=clientwise_host, engine=engine, strict_plugins=strict_plugins)
        return evaluator.evaluate(_tables(loaded, customers, contacts, interactions), as_of=as_of)

    return evaluate


def _frame(name: str, rows: Sequence[dict[str, Any]] | None, ruleset: Any) -> Any:
    import polars as pl

    spec = getattr(ruleset.core.data, name, None)
    if spec is None:
        return None
    columns = list(spec.fields) if rows is None else list(dict.fromkeys(k for row in rows for k in row))
    if rows is None or not rows:
        return pl.DataFrame(schema={column: pl.String for column in columns})
    text = [{c: None if row.get(c) is None else str(row[c]) for c in columns} for row in rows]
    return pl.DataFrame(text, schema={column: pl.String for column in columns})


@pytest.fixture
def run_cli(clientwise_host: PluginHost) -> Callable[..., CliResult]:
    """``run_cli("evaluate", "ruleset.toml", "data/")``: the CLI in-process, using ``clientwise_host``."""

    def run(*args: str) -> CliResult:
        from click.testing import CliRunner

        from clientwise.cli.app import cli

        return CliRunner().invoke(cli, list(args), obj={"host": clientwise_host})

    return run


# --------------------------------------------------------------------------- validity


def assert_plugin_valid(plugin: object) -> None:
    """Fail with every reason ``plugin`` would misbehave in the core.

    Checks that every ``@hookimpl`` names a hookspec and takes only its arguments,
    that no hook argument has a default (pluggy would silently never pass it), that
    registered items satisfy their contracts, that each function gives the same values
    on polars and in Python (its example, nulls included), that the config model
    round-trips, and that writers of spreadsheet-bound text (csv, tsv...) do not write
    formula-looking customer text raw.
    """
    from clientwise.host import spec as hookspecs

    problems: list[str] = []
    implemented = _hookimpls(plugin)
    if not implemented:
        problems.append("no function is marked @clientwise.hookimpl")
    for name, function in implemented.items():
        spec = getattr(hookspecs, name, None)
        if spec is None or not name.startswith("clientwise_"):
            known = [n for n in dir(hookspecs) if n.startswith("clientwise_")]
            problems.append(f"{name}: no such hook (hooks: {', '.join(sorted(known))})")
            continue
        allowed = list(inspect.signature(spec).parameters)
        for parameter in inspect.signature(function).parameters.values():
            if parameter.default is not inspect.Parameter.empty:
                problems.append(f"{name}: argument '{parameter.name}' has a default; pluggy never passes "
                                f"defaulted arguments, remove the default")
            elif parameter.name not in allowed:
                problems.append(f"{name}: unknown argument '{parameter.name}' (the hook passes {allowed or 'none'})")
    if not problems:
        problems.extend(_registration_problems(plugin, implemented))
    assert not problems, "plugin is not valid:\n  " + "\n  ".join(problems)


def _hookimpls(plugin: object) -> dict[str, Callable[..., Any]]:
    found = {}
    for name in dir(plugin):
        value = getattr(plugin, name, None)
        if callable(value) and hasattr(value, "clientwise_impl"):
            found[name] = value
    return found


def _function_problems(specs: list[Any], registry: Any) -> list[str]:
    """Functions whose polars and Python implementations disagree (see :mod:`clientwise.host.function_check`)."""
    from clientwise import expr
    from clientwise.host.function_check import disagreements
    from clientwise.runtime.evaluator import load_ruleset

    # the built-ins' default ruleset, whatever the author's environment switches off or installs
    scope = expr.Scope.from_data(load_ruleset("default", host=isolated_host()).core.data)
    return disagreements(specs, registry, scope)


def _registration_problems(plugin: object, implemented: dict[str, Callable[..., Any]]) -> list[str]:
    from pydantic import BaseModel, ValidationError

    from clientwise.host.contracts import Engine, Loader, SectionHandler, Writer

    problems: list[str] = []
    host = isolated_host()
    try:
        host.register(plugin, name="plugin-under-test")
        host.manager.check_pending()
    except Exception as error:  # pluggy's own validation
        return [f"pluggy refuses it: {error}"]
    contracts = {"clientwise_sections": SectionHandler, "clientwise_loaders": Loader,
                 "clientwise_writers": Writer, "clientwise_engines": Engine}
    for hook, contract in contracts.items():
        if hook in implemented:
            for item in implemented[hook]() or []:
                if not isinstance(item, contract):
                    problems.append(f"{hook}: {item!r} does not implement {contract.__name__}")
    if "clientwise_writers" in implemented and not problems:
        from clientwise.sdk.writer_check import writer_problems

        problems.extend(writer_problems(implemented["clientwise_writers"]() or [], isolated_host()))
    if "clientwise_functions" in implemented:
        try:
            registry = host.functions()
        except Exception as error:
            problems.append(f"clientwise_functions: {error}")
        else:
            problems.extend(f"clientwise_functions: {line}" for line in _function_problems(
                implemented["clientwise_functions"]() or [], registry))
    if "clientwise_plugin_config" in implemented:
        model = implemented["clientwise_plugin_config"]()
        if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            problems.append(f"clientwise_plugin_config must return a pydantic model class, not {model!r}")
        elif model is not None:
            try:
                default = model.model_validate({})
            except ValidationError as error:
                problems.append(f"clientwise_plugin_config: the settings need defaults so a ruleset may omit "
                                f"[plugins.<name>]: {error.errors()[0]['loc']} is required")
            else:
                again = model.model_validate(default.model_dump(by_alias=True))
                if again != default:
                    problems.append("clientwise_plugin_config: the settings do not round-trip through model_dump")
                model.model_json_schema()
    return problems

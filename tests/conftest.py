"""What clientwise's own tests share; a test's arguments say what it runs against.

**Every test runs against the built-in plugins only.** The test environment also has the
example plugins installed (``clientwise-nps`` and ``clientwise-rfm`` add the ``nps`` and
``rfm`` sections, a ``tsv`` writer and functions), and a developer's shell may set
``CLIENTWISE_DISABLE_PLUGINS``. So that neither changes what a test sees, the session-wide
autouse fixture :func:`builtin_plugins_only` does what a user would: it sets
``CLIENTWISE_LOAD_PLUGINS`` to clientwise's own entry points and clears
``CLIENTWISE_DISABLE_PLUGINS``. That reaches every way a test gets a host: ``build_host()``,
``Evaluator("default")``, ``load_ruleset(...)``, the CLI in-process and ``clientwise`` in a
subprocess. A test about the plugins installed on the machine (discovery, the example
plugins) says so with ``@pytest.mark.installed_plugins``: it sees everything installed,
still without the shell's ``CLIENTWISE_*_PLUGINS`` settings.

Fixtures defined here:

* ``invoke(*args, env=None, host=None)``: the ``clientwise`` command line in-process ->
  :class:`CliRun` ``code, stdout, stderr`` (and ``output``: both streams as a terminal shows them);
* ``host``: an isolated plugin host (built-ins only, the environment ignored), shared by
  a module's tests, so only to read from: register plugins with ``register_plugin``;
* ``builtin_functions`` and ``expr_context``: the built-in function library and the
  :class:`~clientwise.expr.EvalContext` (as of :data:`EXPR_AS_OF`) the expression tests
  check and evaluate with;
* ``demo_data``: the bundled sample portfolio (a folder of CSVs; its as-of date is
  ``clientwise.sample.DEMO_AS_OF``); ``docs``: the documentation folder.

From the SDK's pytest plugin (:mod:`clientwise.sdk.testing`, loaded through its
``pytest11`` entry point; the fixtures plugin authors get): ``clientwise_host`` (a fresh
isolated host per test), ``register_plugin``, ``write_ruleset(text, name=...)``,
``evaluate_records``, ``evaluation_context``, ``run_cli`` and ``hook_calls``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as metadata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from clientwise.expr import EvalContext, FunctionRegistry
from clientwise.host.discovery import ENTRY_POINT_GROUP
from clientwise.host.manager import PluginHost
from clientwise.host.selection import ALLOW_ENV, DISABLE_ENV
from clientwise.sample import demo_path
from clientwise.sdk.testing import isolated_host

ROOT = Path(__file__).resolve().parent.parent

#: The as-of date of the expression tests (``days_since`` and friends count to it).
EXPR_AS_OF = dt.date(2026, 1, 31)


def builtin_entry_points() -> list[str]:
    """The names of clientwise's own entry points (the built-in plugins)."""
    points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(point.name for point in points if point.dist is not None and point.dist.name == "clientwise")


def pytest_configure(config: pytest.Config) -> None:
    # no property test is timed: speed is measured by the benchmarks in bench/, and a
    # deadline only makes a test fail when the machine is busy
    settings.register_profile("clientwise", deadline=None)
    settings.load_profile("clientwise")
    config.addinivalue_line(
        "markers", "installed_plugins: the test is about the plugins installed on the machine (discovery, the "
                   "example plugins), so it sees all of them instead of the built-ins only")


@pytest.fixture(scope="session", autouse=True)
def builtin_plugins_only() -> Iterator[None]:
    """Hosts built during the session load the built-ins only (see the module docstring).

    Session-wide, so that module- and session-scoped fixtures, set up before any test's
    own fixtures, are isolated too.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DISABLE_ENV, raising=False)
        patch.setenv(ALLOW_ENV, ",".join(builtin_entry_points()))
        yield


@pytest.fixture(autouse=True)
def installed_plugins_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked ``installed_plugins`` sees every plugin installed on the machine."""
    if request.node.get_closest_marker("installed_plugins"):
        monkeypatch.delenv(ALLOW_ENV)


@dataclass(frozen=True)
class CliRun:
    """One run of the command line; unpacks as ``code, stdout, stderr = invoke(...)``."""

    code: int
    stdout: str
    stderr: str
    #: both streams, interleaved as a terminal shows them
    output: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.code, self.stdout, self.stderr))


@pytest.fixture(scope="session")
def invoke() -> Callable[..., CliRun]:
    """``invoke("check", "default")``: ``clientwise check default`` in-process.

    The command builds its host the way it does for a user (from the environment, so
    the built-ins only; ``env={...}`` sets variables for this run); ``host=`` hands it a
    host instead, as :func:`clientwise.sdk.testing.run_cli` does. An exception the CLI
    does not turn into an exit code fails the test with its traceback.
    """
    from click.testing import CliRunner

    from clientwise.cli.app import cli

    def run(*args: str, env: Mapping[str, str] | None = None, host: PluginHost | None = None) -> CliRun:
        result = CliRunner().invoke(cli, list(args), env=env, obj=None if host is None else {"host": host},
                                    catch_exceptions=False)
        return CliRun(result.exit_code, result.stdout, result.stderr, result.output)

    return run


@pytest.fixture(scope="module")
def host() -> PluginHost:
    """An isolated plugin host, shared by the module's tests (so never registered into)."""
    return isolated_host()


@pytest.fixture(scope="session")
def builtin_functions() -> FunctionRegistry:
    """The built-in function library, as the ``functions`` plugin provides it."""
    from clientwise.plugins.functions import clientwise_functions

    return FunctionRegistry({"functions": clientwise_functions()})


@pytest.fixture(scope="session")
def expr_context(builtin_functions: FunctionRegistry) -> EvalContext:
    """What evaluating an expression needs besides the rows: as-of date, functions, key."""
    return EvalContext(EXPR_AS_OF, builtin_functions, key="customer_id")


@pytest.fixture(scope="session")
def demo_data() -> Path:
    """The bundled sample portfolio: customers.csv, contacts.csv and interactions.csv."""
    return demo_path()


@pytest.fixture(scope="session")
def docs() -> Path:
    """The documentation folder (tests keep the examples and references there true)."""
    return ROOT / "docs"

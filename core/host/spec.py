"""Every hook a clientwise plugin can implement.

A plugin is a module or object with functions marked ``@clientwise.hookimpl`` and is
found through the ``clientwise`` entry point group. Registration hooks return lists so
one plugin can contribute several sections, functions, loaders, writers, engines or backends.
Each hook is documented with an example in ``docs/plugin-hooks.md``; a test keeps the
two in step, including the ``Added in`` version each docstring ends with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from clientwise.expr.functions import FunctionSpec
    from clientwise.host.contracts import Backend, Engine, Loader, SectionHandler, Writer
    from clientwise.runtime.context import EvaluationContext
    from clientwise.runtime.result import Result

PROJECT = "clientwise"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def clientwise_sections() -> list[SectionHandler]:
    """Ruleset sections this plugin handles, each with its pydantic model and compiler.

    A ruleset section that no installed plugin handles is an error naming the section.

    Added in 0.1.0.
    """


@hookspec
def clientwise_functions() -> list[FunctionSpec]:
    """Functions the expression language may call (scalar, population or aggregate).

    Added in 0.1.0.
    """


@hookspec
def clientwise_loaders() -> list[Loader]:
    """Readers for input files, chosen by file suffix.

    Added in 0.1.0.
    """


@hookspec
def clientwise_writers() -> list[Writer]:
    """Output formats, chosen with ``--format``.

    Added in 0.1.0.
    """


@hookspec
def clientwise_engines() -> list[Engine]:
    """Engines that evaluate decision rules, chosen with ``--engine``.

    Added in 0.1.0.
    """


@hookspec
def clientwise_backends() -> list[Backend]:
    """Backends that run a whole evaluation (derive, decide, actions), chosen with ``--backend``.

    Added in 0.1.0.
    """


@hookspec
def clientwise_before_evaluate(context: EvaluationContext) -> None:
    """Called once the data is loaded and validated, before anything is derived.

    ``context.tables`` may be inspected; raise :class:`clientwise.InputError` to stop
    the run with a message for the user.

    Added in 0.1.0.
    """


@hookspec
def clientwise_after_evaluate(context: EvaluationContext, result: Result) -> None:
    """Called with the finished result, before any output is written.

    A plugin may add warnings (``result.warnings.append``) or portfolio summaries.

    Added in 0.1.0.
    """


@hookspec
def clientwise_plugin_config() -> type[BaseModel] | None:
    """The pydantic model of this plugin's settings, read from ``[plugins.<name>]``.

    The core validates the table with the same messages as the rest of the ruleset;
    hooks read the validated settings from ``context.plugin_settings(name)``.

    Added in 0.1.0.
    """

"""clientwise: evaluate customer-portfolio rulesets.

>>> import clientwise
>>> result = clientwise.evaluate("default", clientwise.sample.demo_path(), as_of="2026-06-30")
>>> result.customers.select("customer_id", "tier", "value_class").head()  # doctest: +SKIP

The public names below are imported on first use, so ``import clientwise.errors``
(as plugins do) stays cheap and free of import cycles.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from clientwise._version import __version__

if TYPE_CHECKING:
    from clientwise.errors import (
        ClientwiseError,
        DataError,
        InputError,
        PluginError,
        Problem,
        RulesetError,
    )
    from clientwise.hookspecs import hookimpl
    from clientwise.pipeline import Evaluator, evaluate, load_ruleset, parse_ruleset
    from clientwise.plugins_host import PluginHost
    from clientwise.result import Result
    from clientwise.ruleset import Ruleset

_PUBLIC = {
    "ClientwiseError": "clientwise.errors",
    "DataError": "clientwise.errors",
    "InputError": "clientwise.errors",
    "PluginError": "clientwise.errors",
    "Problem": "clientwise.errors",
    "RulesetError": "clientwise.errors",
    "hookimpl": "clientwise.hookspecs",
    "Evaluator": "clientwise.pipeline",
    "evaluate": "clientwise.pipeline",
    "load_ruleset": "clientwise.pipeline",
    "parse_ruleset": "clientwise.pipeline",
    "PluginHost": "clientwise.plugins_host",
    "Result": "clientwise.result",
    "Ruleset": "clientwise.ruleset",
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name == "sample":
        return import_module("clientwise.sample")
    raise AttributeError(f"module 'clientwise' has no attribute '{name}'")

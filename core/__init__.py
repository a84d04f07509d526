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
    from clientwise.host.factory import build_host
    from clientwise.host.manager import PluginHost
    from clientwise.host.spec import hookimpl
    from clientwise.ruleset import Ruleset
    from clientwise.runtime.evaluator import Evaluator, evaluate, load_ruleset, parse_ruleset
    from clientwise.runtime.result import Result

_PUBLIC = {
    "ClientwiseError": "clientwise.errors",
    "DataError": "clientwise.errors",
    "InputError": "clientwise.errors",
    "PluginError": "clientwise.errors",
    "Problem": "clientwise.errors",
    "RulesetError": "clientwise.errors",
    "hookimpl": "clientwise.host.spec",
    "Evaluator": "clientwise.runtime.evaluator",
    "evaluate": "clientwise.runtime.evaluator",
    "load_ruleset": "clientwise.runtime.evaluator",
    "parse_ruleset": "clientwise.runtime.evaluator",
    "PluginHost": "clientwise.host.manager",
    "build_host": "clientwise.host.factory",
    "Result": "clientwise.runtime.result",
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

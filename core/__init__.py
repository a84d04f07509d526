"""clientwise: evaluate customer-portfolio rulesets.

>>> import clientwise
>>> result = clientwise.evaluate("default", clientwise.sample.demo_path(), as_of="2026-06-30")
>>> result.customers.select("customer_id", "tier", "value_class").head()  # doctest: +SKIP
"""

from clientwise._version import __version__
from clientwise.errors import ClientwiseError, DataError, InputError, PluginError, Problem, RulesetError
from clientwise.hookspecs import hookimpl
from clientwise.pipeline import Evaluator, evaluate, load_ruleset, parse_ruleset
from clientwise.plugins_host import PluginHost
from clientwise.result import Result
from clientwise.ruleset import Ruleset

__all__ = [
    "ClientwiseError",
    "DataError",
    "Evaluator",
    "InputError",
    "PluginError",
    "PluginHost",
    "Problem",
    "Result",
    "Ruleset",
    "RulesetError",
    "__version__",
    "evaluate",
    "hookimpl",
    "load_ruleset",
    "parse_ruleset",
]

"""The expression back ends, siblings over one typed IR: each turns a node into its own form.

* :mod:`~clientwise.expr.backends.polars`: polars expressions over the customers frame;
* :mod:`~clientwise.expr.backends.python`: the plain-Python reference evaluator;
* :mod:`~clientwise.expr.backends.text`: canonical expression text;
* :mod:`~clientwise.expr.backends.sql`: SQL expression text (DuckDB's dialect).

The checker (:mod:`clientwise.expr.checker`) and engines' lowerings (the durable-rules
engine's ``plugins/engines/durable/lower.py``) are back ends of the same
:class:`~clientwise.expr.backends.base.Backend` base. :func:`registered_backends`
lists every one imported so far; the tests hold each to handling every node type.
"""

from clientwise.expr.backends.base import Backend, UnhandledNode, handles, registered_backends
from clientwise.expr.backends.polars import PolarsCompiler
from clientwise.expr.backends.python import PythonEvaluator
from clientwise.expr.backends.sql import SqlCompiler
from clientwise.expr.backends.text import TextWriter

__all__ = ["Backend", "PolarsCompiler", "PythonEvaluator", "SqlCompiler", "TextWriter", "UnhandledNode", "handles",
           "registered_backends"]

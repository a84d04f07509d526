"""The DuckDB backend: a whole evaluation compiled to SQL and run out of core.

``backend.py`` is the plugin (options, refusals, the run), ``session.py`` the
connection (memory limit, spill directory, the overflow macros) and the chain of
tables one run builds, ``derive.py`` derived fields (aggregates over related tables,
population functions, expression levels, plugin-computed fields), ``decide.py`` rule
statuses and classifications, ``refuse.py`` what cannot be compiled. Expressions
become SQL through :mod:`clientwise.expr.backends.sql`.
"""

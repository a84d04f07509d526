"""The built-in backends: where a whole evaluation runs (``--backend``).

``polars`` (the default) runs the core's loop on polars frames with the chosen
engine; ``duckdb`` compiles the program to SQL and runs it in DuckDB, out of core
under a memory limit. Both keep the semantic contract of ``docs/engines.md``.
"""

"""Run history: a store of past evaluations (DuckDB), and comparing two runs.

``clientwise evaluate ... --save`` records a run (:mod:`clientwise.history.save`);
``clientwise history`` lists, shows and forgets runs (:mod:`clientwise.history.runs`);
``clientwise compare`` shows what changed between two runs
(:mod:`clientwise.history.compare`). docs/history.md documents the store's tables.
"""

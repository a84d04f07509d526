"""Tools for writing and tuning rulesets: init, test, lint, diff, explain, schema, fmt.

Each command's logic lives in its own module and works on the objects the
pipeline already produces (:class:`~clientwise.runtime.evaluator.Evaluator`, its compiled
program, :class:`~clientwise.runtime.result.Result` and its explanations); the click
commands are in :mod:`clientwise.cli.authoring`.
"""

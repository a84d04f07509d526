"""``clientwise check``: validate a ruleset (and data), then lint it."""

from __future__ import annotations

from pathlib import Path

import click

from clientwise.cli.options import (
    CONTEXT,
    backend_options,
    chosen_backend,
    engine_option,
    plugin_host,
    plugin_options,
    strict_data_option,
)
from clientwise.runtime.engine_notes import engine_notes
from clientwise.runtime.evaluator import Evaluator, load_ruleset
from clientwise.runtime.findings import findings_lines
from clientwise.runtime.trend import trend_users


@click.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@engine_option
@backend_options
@plugin_options
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors (exit 2).")
@strict_data_option
def check(ruleset: str, data: Path | None, engine: str, strict: bool, strict_data: bool) -> None:
    """Validate RULESET and report every problem at once; with DATA, validate the data too.
    Then lint it: rules that can never fire or are shadowed, tier gaps, odd thresholds."""
    host = plugin_host()
    backend, options = chosen_backend()
    evaluator = Evaluator(load_ruleset(ruleset, host=host), engine=engine, host=host, strict_data=strict_data,
                          backend=backend, backend_options=options)
    program = evaluator.program
    rules = sum(len(step.decision.rules) for step in program.decisions())
    derived = len(program.derived())
    identity = evaluator.identity
    click.echo(f"ok: {identity.name} {identity.version} (hash {identity.hash[:12]})")
    click.echo(f"  files: {', '.join(identity.files)}")
    click.echo(f"  sections: {', '.join(evaluator.ruleset.sections) or 'none'}")
    for note in program.notes:
        click.echo(f"  switched off: {note}")
    click.echo(f"  {derived} derived fields, {rules} rules, engine {evaluator.engine.name}, "
               f"backend {evaluator.backend.name}")
    for note in engine_notes(evaluator):
        click.echo(f"  {note}")
    users = trend_users(program.steps(), evaluator.host.functions())
    if users:
        click.echo(f"  trend: {len(users)} rules or fields read earlier saved runs of '{identity.name}' (previous, "
                   f"change, runs_since, days_since_review): {', '.join(users[:4])}"
                   + (f" and {len(users) - 4} more" if len(users) > 4 else ""))
        click.echo("    without a run store holding an earlier run (clientwise evaluate --save) they are unknown, "
                   "so these rules are not applicable and do not fire")
    if program.tables_needed:
        click.echo(f"  needs tables: customers, {', '.join(sorted(program.tables_needed))}")
    if data is not None:
        rows, findings = evaluator.check_data(data)
        sizes = ", ".join(f"{name} {count} rows" for name, count in rows.items())
        click.echo(f"  data ok: {sizes}")
        for line in findings_lines(findings):
            click.echo(f"    {line}")
    report_lint(evaluator, strict, ruleset)


def report_lint(evaluator: Evaluator, strict: bool, source: str | None = None) -> None:
    """Print the linter's findings after ``clientwise check``; with ``strict`` they fail it (exit 2).

    With the ruleset's ``source``, its test cases are checked too (code ``tests``): a case
    expecting a column the ruleset does not compute would only fail at ``clientwise test``.
    """
    from clientwise.authoring.cases_io import load_cases
    from clientwise.authoring.lint import Finding, lint
    from clientwise.authoring.runner import case_problems

    findings = lint(evaluator.program)
    if source is not None:
        for located in load_cases(evaluator.ruleset, source):
            findings += [Finding("tests", problem) for problem in case_problems(evaluator, located)]
    for finding in findings:
        click.echo(finding.render(), err=True)
    if findings:
        count = f"{len(findings)} warning{'s' if len(findings) != 1 else ''}"
        if strict:
            click.echo(f"error: {count} with --strict", err=True)
            raise click.exceptions.Exit(2)
        click.echo(f"  lint: {count} (see above; --strict makes them errors)")
    else:
        click.echo("  lint: no warnings")

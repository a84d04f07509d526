"""Commands for writing and tuning rulesets: init, test, diff, explain, schema, fmt.

:mod:`clientwise.cli.app` adds them to the ``clientwise`` group; the logic of each
lives in :mod:`clientwise.authoring`.
"""

from __future__ import annotations

from pathlib import Path

import click

from clientwise.cli.options import CONTEXT, as_of_option, backend_options, chosen_backend, disable_option, plugin_host
from clientwise.errors import InputError, Problem
from clientwise.runtime.evaluator import Evaluator, load_ruleset


@click.command("test", context_settings=CONTEXT)
@click.argument("rulesets", nargs=-1, required=True)
@click.option("-k", "keywords", multiple=True, metavar="EXPR",
              help="Run only cases whose id matches EXPR: words (contained in the id, any case) joined with "
                   "and / or / not and parentheses, as pytest -k; repeated, a case matching any EXPR runs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="N",
              help="Fail (exit 1) when rule coverage is below N percent.")
@backend_options
@disable_option
def test_command(rulesets: tuple[str, ...], keywords: tuple[str, ...], as_json: bool, min_coverage: float | None) -> None:
    """Run the test cases of each RULESET ([[tests]] and a sibling NAME.tests.toml)."""
    from clientwise.authoring.case_report import RulesetTests, render, render_json
    from clientwise.authoring.coverage import measure
    from clientwise.authoring.runner import run_cases

    reports, broken = [], []
    for source in rulesets:
        host = plugin_host()
        try:
            backend, options = chosen_backend()
            evaluator = Evaluator(load_ruleset(source, host=host), host=host, backend=backend, backend_options=options)
            outcomes = run_cases(evaluator, source, keywords)
        except InputError as error:  # this ruleset or its cases do not load; test the others
            broken.append(error)
            continue
        fired = set().union(*(o.fired for o in outcomes)) if outcomes else set()
        seen = set().union(*(o.outcomes for o in outcomes)) if outcomes else set()
        reports.append(RulesetTests(source, outcomes, measure(evaluator.program, fired, seen)))
    if reports:
        click.echo(render_json(reports) if as_json else render(reports))
    if broken:
        raise InputError([problem for error in broken for problem in error.problems])
    if not any(report.outcomes for report in reports):
        raise InputError(Problem("no test case ran", location="-k" if keywords else None,
                                 hint="add [[tests]] to the ruleset (clientwise init shows how)"
                                 if not keywords else "check the -k text against the case ids"))
    if any(o.status == "error" for report in reports for o in report.outcomes):
        raise click.exceptions.Exit(2)
    failed = any(o.status == "failed" for report in reports for o in report.outcomes)
    low = min_coverage is not None and any(report.coverage.percent < min_coverage for report in reports)
    if low and not as_json:
        click.echo(f"coverage below --min-coverage {min_coverage:g}%", err=True)
    if failed or low:
        raise click.exceptions.Exit(1)


@click.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.argument("key")
@as_of_option
@click.option("--why-not", "why_not", metavar="RULE_ID", help="Only why this rule did (not) fire: which part was false or null.")
@disable_option
def explain(ruleset: str, data: Path, key: str, as_of: str | None, why_not: str | None) -> None:
    """The full decision trace for the customer KEY: derived values, every rule, why it fired or not."""
    from clientwise.authoring.trace import render_trace, render_why_not
    from clientwise.runtime.evaluator import parse_as_of

    host = plugin_host()
    evaluator = Evaluator(load_ruleset(ruleset, host=host), host=host)
    result = evaluator.evaluate(data, as_of=parse_as_of(as_of))
    text = render_why_not(evaluator, result, key, why_not) if why_not else render_trace(evaluator, result, key)
    click.echo(text)


@click.command(context_settings=CONTEXT)
@click.argument("ruleset_a")
@click.argument("ruleset_b")
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--rules", "rules_only", is_flag=True, help="Compare the two merged rulesets, not their results.")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@backend_options
@disable_option
def diff(ruleset_a: str, ruleset_b: str, data: Path | None, rules_only: bool, as_of: str | None, as_json: bool) -> None:
    """Evaluate RULESET_A and RULESET_B over DATA and show what changes for whom
    (tier migrations, class and band changes, actions gained and lost, portfolio figures);
    with --rules, show how the two merged rulesets differ."""
    import json

    from clientwise.authoring.diff import diff_documents, diff_results
    from clientwise.authoring.diff_render import render_changes, render_portfolio
    from clientwise.compiler.steps import ClassificationStep
    from clientwise.runtime.evaluator import parse_as_of

    host = plugin_host()
    a, b = load_ruleset(ruleset_a, host=host), load_ruleset(ruleset_b, host=host)
    if rules_only:
        changes = diff_documents(a.document, b.document)
        if as_json:
            click.echo(json.dumps([c.__dict__ for c in changes], indent=2, default=str, ensure_ascii=False))
        else:
            click.echo(render_changes(changes, ruleset_a, ruleset_b))
        return
    if data is None:
        raise InputError(Problem("diff needs DATA to evaluate both rulesets over", location="DATA",
                                 hint="add the data path, or use --rules to compare the rulesets themselves"))
    date = parse_as_of(as_of)
    backend, options = chosen_backend()
    evaluators = [Evaluator(r, host=host, backend=backend, backend_options=options) for r in (a, b)]
    results = [e.evaluate(data, as_of=date) for e in evaluators]
    outputs = [s.output for e in evaluators for s in e.program.steps() if isinstance(s, ClassificationStep)]
    portfolio = diff_results(results[0], results[1], list(dict.fromkeys(outputs)))
    click.echo(json.dumps(portfolio.to_dict(), indent=2, default=str, ensure_ascii=False) if as_json
               else render_portfolio(portfolio))


@click.command(context_settings=CONTEXT)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@disable_option
def schema(output: Path | None) -> None:
    """Write the JSON Schema of the ruleset format (with every installed plugin's sections),
    for editors: start a ruleset with  #:schema ./clientwise.schema.json"""
    from clientwise.authoring.schema import schema_text
    from clientwise.output.atomic import atomic_write

    text = schema_text(plugin_host())
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_write(output) as stream:
        stream.write(text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)


@click.command(context_settings=CONTEXT)
@click.argument("client")
@click.option("--from", "base", default="default", show_default=True, metavar="RULESET",
              help="The ruleset to extend: a shipped name or a path to a .toml.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create the CLIENT folder (default: the current directory).")
@click.option("--from-export", "export", type=click.Path(exists=True, file_okay=False, path_type=Path),
              metavar="DIR", help="Propose the [data] section from the client's raw exports in DIR.")
def init(client: str, base: str, directory: Path | None, export: Path | None) -> None:
    """Create a folder CLIENT/ with a ruleset extending --from, starter tests, an editor
    schema and a README. Never overwrites a file. With --from-export, the ruleset starts
    with a [data] section guessed from the export's files: encodings, number format,
    which file is which table and which column is which field, each with its confidence."""
    from clientwise.authoring.init import init_client

    created = init_client(client, base, directory, export=export)
    for line in created.guesses:
        click.echo(line)
    for path in created.files:
        click.echo(f"created {path}")
    click.echo(f"next: clientwise test {created.ruleset}")


@click.command(context_settings=CONTEXT)
@click.argument("rulesets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
def fmt(rulesets: tuple[Path, ...], check: bool) -> None:
    """Normalise the layout of ruleset files in place, keeping every comment."""
    from clientwise.authoring.fmt import format_file

    results = [format_file(path, check=check) for path in rulesets]
    for result in results:
        verb = ("would reformat" if check else "reformatted") if result.changed else "unchanged"
        click.echo(f"{verb}: {result.path}")
    if check and any(r.changed for r in results):
        raise click.exceptions.Exit(1)

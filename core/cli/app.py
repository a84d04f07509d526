"""The ``clientwise`` command line.

Exit codes: 0 ok, 2 invalid input or ruleset (the message says what to fix), 1 an
unexpected failure (one line; the traceback only with ``--debug``), 3 a plugin failed
during the evaluation (see :mod:`clientwise.host.faults`).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from clientwise._version import __version__
from clientwise.cli.plugins import (
    plugin_host,
    plugin_options,
    report_faults,
    strict_plugins,
)
from clientwise.cli.plugins import plugins as plugins_command
from clientwise.runtime.engine_notes import engine_notes
from clientwise.errors import ClientwiseError, InputError
from clientwise.runtime.evaluator import Evaluator, load_ruleset, parse_as_of
from clientwise.cli.plugin_new import plugin as plugin_command
from clientwise.cli.history import compare as compare_command
from clientwise.cli.history import history as history_command
from clientwise.cli.history import planned_save, save_evaluation, save_options
from clientwise.output.write import choose_writer, write_result
from clientwise.compiler.steps import DerivedStep

#: Inputs at least this large (bytes) get a progress indicator on a terminal.
PROGRESS_THRESHOLD = 5_000_000

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _stderr_console(quiet: bool) -> Any:
    from rich.console import Console

    return Console(stderr=True, quiet=quiet, no_color="NO_COLOR" in os.environ or None)


def _input_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return 0


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str], None]]:
    """A transient progress bar on stderr naming the current stage; silent when not wanted."""
    if not show:
        yield lambda stage: None
        return
    from clientwise.cli.progress import progress_bar

    with progress_bar(_stderr_console(quiet=False)) as stage:
        yield stage


def _show_progress(quiet: bool, data: Path | None) -> bool:
    return not quiet and sys.stderr.isatty() and data is not None and _input_size(data) >= PROGRESS_THRESHOLD


class _Group(click.Group):
    """Turns errors into the documented exit codes and one readable message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error.render()}", err=True)
            ctx.exit(error.exit_code)
        except ClientwiseError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                click.echo(
                    f"clientwise: unexpected error: {type(error).__name__}: {error} (run with --debug for details)",
                    err=True,
                )
            ctx.exit(1)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="clientwise")
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Evaluate customer-portfolio rulesets: tiers, checklist scores, profitability
    classes, relationship health and recommended actions, with the reasons behind each."""
    ctx.obj = {**(ctx.obj or {}), "debug": debug}


_as_of = click.option("--as-of", "as_of", metavar="DATE", help="Reference date YYYY-MM-DD for 'days since' (default: today).")
_format = click.option("--format", "-f", "fmt", metavar="FORMAT", help="Output format: table, csv, json, jsonl, html, xlsx, md, or a plugin's (default: from -o's suffix, else table).")
_output = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically) instead of standard output.")
_engine = click.option("--engine", default="polars", show_default=True, help="Decision engine (clientwise plugins lists them).")
_quiet = click.option("--quiet", "-q", is_flag=True, help="No progress indicator.")


def _run(ruleset: str, data: Path, as_of: str | None, fmt: str | None, output: Path | None,
         explain: str | None, engine: str, quiet: bool) -> None:
    host = plugin_host()
    saving = planned_save(ruleset)
    with _progress(_show_progress(quiet, data)) as stage:
        stage("loading the ruleset")
        evaluator = Evaluator(load_ruleset(ruleset, host=host), engine=engine, host=host, strict_plugins=strict_plugins())
        writer = choose_writer(host.writers(), fmt, output) if explain is None or output else None
        stage("evaluating")
        with evaluator:  # the engine's workers (durable) stop here, not at interpreter exit
            result = evaluator.evaluate(data, as_of=parse_as_of(as_of), progress=stage)
        if writer is not None:
            stage("writing")
            write_result(result, writer, output)
        if saving is not None:
            stage("saving the run")
            save_evaluation(saving, evaluator, result, data)
    if explain is not None:
        from clientwise.authoring.trace import render_trace

        click.echo(render_trace(evaluator, result, explain, argument="--explain"))
    for warning in result.warnings:
        if output is not None or explain is not None:
            click.echo(f"warning: {warning}", err=True)
    report_faults(result, warned=output is not None or explain is not None)


@cli.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@_as_of
@_format
@_output
@click.option("--explain", metavar="KEY", help="Print the full decision trace for one customer.")
@_engine
@_quiet
@plugin_options
@save_options
def evaluate(ruleset: str, data: Path, as_of: str | None, fmt: str | None, output: Path | None,
             explain: str | None, engine: str, quiet: bool) -> None:
    """Evaluate RULESET (a .toml path or a shipped name such as 'default') over DATA
    (a file, or a directory holding customers.*, contacts.*, interactions.*)."""
    _run(ruleset, data, as_of, fmt, output, explain, engine, quiet)


@cli.command(context_settings=CONTEXT)
@_format
@_output
@click.option("--explain", metavar="KEY", help="Print the full decision trace for one sample customer.")
@_engine
@plugin_options
@save_options
def demo(fmt: str | None, output: Path | None, explain: str | None, engine: str) -> None:
    """Run the default ruleset over the bundled sample portfolio."""
    from clientwise.sample import DEMO_AS_OF, demo_path

    _run("default", demo_path(), DEMO_AS_OF.isoformat(), fmt, output, explain, engine, quiet=True)


@cli.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@_engine
@plugin_options
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors (exit 2).")
def check(ruleset: str, data: Path | None, engine: str, strict: bool) -> None:
    """Validate RULESET and report every problem at once; with DATA, validate the data too.
    Then lint it: rules that can never fire or are shadowed, tier gaps, odd thresholds."""
    host = plugin_host()
    evaluator = Evaluator(load_ruleset(ruleset, host=host), engine=engine, host=host)
    program = evaluator.program
    steps = program.steps()
    rules = sum(len(step.decision.rules) for step in steps if not isinstance(step, DerivedStep))
    derived = sum(1 for step in steps if isinstance(step, DerivedStep))
    identity = evaluator.identity
    click.echo(f"ok: {identity.name} {identity.version} (hash {identity.hash[:12]})")
    click.echo(f"  files: {', '.join(identity.files)}")
    click.echo(f"  sections: {', '.join(evaluator.ruleset.sections) or 'none'}")
    click.echo(f"  {derived} derived fields, {rules} rules, engine {evaluator.engine.name}")
    for note in engine_notes(evaluator):
        click.echo(f"  {note}")
    if program.tables_needed:
        click.echo(f"  needs tables: customers, {', '.join(sorted(program.tables_needed))}")
    if data is not None:
        tables = evaluator.load(data)
        sizes = ", ".join(f"{name} {frame.height} rows" for name, frame in tables.items())
        click.echo(f"  data ok: {sizes}")
    from clientwise.cli.authoring import report_lint

    report_lint(evaluator, strict, ruleset)


cli.add_command(plugins_command)
cli.add_command(plugin_command)
cli.add_command(history_command)
cli.add_command(compare_command)


import clientwise.cli.authoring  # noqa: E402,F401  (adds init, test, diff, explain, schema, fmt)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="clientwise")


if __name__ == "__main__":  # pragma: no cover
    main()

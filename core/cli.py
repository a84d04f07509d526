"""The ``clientwise`` command line.

Exit codes: 0 ok, 2 invalid input or ruleset (the message says what to fix), 1 an
unexpected failure (one line; the traceback only with ``--debug``).
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
from clientwise.compile import DerivedStep
from clientwise.engine_notes import engine_notes
from clientwise.errors import ClientwiseError, InputError
from clientwise.pipeline import Evaluator, load_ruleset, parse_as_of
from clientwise.plugins_host import PluginHost
from clientwise.report import choose_writer, write_result

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
    """A transient spinner on stderr naming the current stage; silent when not wanted."""
    if not show:
        yield lambda stage: None
        return
    console = _stderr_console(quiet=False)
    with console.status("starting") as status:
        yield lambda stage: status.update(stage)


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
    ctx.obj = {"debug": debug}


_as_of = click.option("--as-of", "as_of", metavar="DATE", help="Reference date YYYY-MM-DD for 'days since' (default: today).")
_format = click.option("--format", "-f", "fmt", metavar="FORMAT", help="Output format: table, csv, json, jsonl, or a plugin's (default: from -o's suffix, else table).")
_output = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically) instead of standard output.")
_engine = click.option("--engine", default="polars", show_default=True, help="Decision engine (clientwise plugins lists them).")
_quiet = click.option("--quiet", "-q", is_flag=True, help="No progress indicator.")


def _run(ruleset: str, data: Path, as_of: str | None, fmt: str | None, output: Path | None,
         explain: str | None, engine: str, quiet: bool) -> None:
    host = PluginHost()
    with _progress(_show_progress(quiet, data)) as stage:
        stage("loading the ruleset")
        evaluator = Evaluator(load_ruleset(ruleset, host=host), engine=engine, host=host)
        writer = choose_writer(host.writers(), fmt, output) if explain is None or output else None
        stage("evaluating")
        result = evaluator.evaluate(data, as_of=parse_as_of(as_of), progress=stage)
        if writer is not None:
            stage("writing")
            write_result(result, writer, output)
    if explain is not None:
        click.echo(result.explain(explain).render())
    for warning in result.warnings:
        if output is not None or explain is not None:
            click.echo(f"warning: {warning}", err=True)


@cli.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@_as_of
@_format
@_output
@click.option("--explain", metavar="KEY", help="Print the full decision trace for one customer.")
@_engine
@_quiet
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
def demo(fmt: str | None, output: Path | None, explain: str | None, engine: str) -> None:
    """Run the default ruleset over the bundled sample portfolio."""
    from clientwise.sample import DEMO_AS_OF, demo_path

    _run("default", demo_path(), DEMO_AS_OF.isoformat(), fmt, output, explain, engine, quiet=True)


@cli.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@_engine
def check(ruleset: str, data: Path | None, engine: str) -> None:
    """Validate RULESET and report every problem at once; with DATA, validate the data too."""
    host = PluginHost()
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


@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List installed plugins: name, version, hooks and status."""
    import json

    infos = PluginHost().plugin_infos()
    if as_json:
        click.echo(json.dumps([info.__dict__ | {"hooks": list(info.hooks)} for info in infos], indent=2))
        return
    for info in infos:
        version = f"{info.distribution} {info.version}" if info.distribution else "(registered in code)"
        click.echo(f"{info.name:<16} {info.status:<7} {version}")
        if info.status == "loaded":
            click.echo(f"{'':<16} hooks: {', '.join(h.removeprefix('clientwise_') for h in info.hooks)}")
        else:
            click.echo(f"{'':<16} error: {info.error}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="clientwise")


if __name__ == "__main__":  # pragma: no cover
    main()

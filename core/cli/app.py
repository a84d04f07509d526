"""The ``clientwise`` command line: the root group, its exit codes, and every command.

Exit codes: 0 ok, 2 invalid input or ruleset (the message says what to fix), 1 an
unexpected failure (one line; the traceback only with ``--debug``), 3 a plugin failed
during the evaluation (see :mod:`clientwise.host.faults`).

Each command group lives in its own module and imports only :mod:`clientwise.cli.options`;
this module adds them all to the group, so no command module imports another.
"""

from __future__ import annotations

import traceback
from typing import Any

import click

from clientwise._version import __version__
from clientwise.cli import authoring, check, evaluate, history, plugin_new, plugins
from clientwise.cli.options import CONTEXT
from clientwise.errors import ClientwiseError, InputError
from clientwise.output.escape import clean_lines


class _Group(click.Group):
    """Turns errors into the documented exit codes and one readable message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:  # messages quote the user's data: no control codes reach the terminal
            click.echo(f"error: {clean_lines(error.render().splitlines())}", err=True)
            ctx.exit(error.exit_code)
        except ClientwiseError as error:
            click.echo(f"error: {clean_lines(str(error).splitlines())}", err=True)
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


for command in (evaluate.evaluate, evaluate.demo, check.check, plugins.plugins, plugin_new.plugin,
                authoring.test_command, authoring.explain, authoring.diff, authoring.schema, authoring.init,
                authoring.fmt, history.history, history.compare):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="clientwise")


if __name__ == "__main__":  # pragma: no cover
    main()

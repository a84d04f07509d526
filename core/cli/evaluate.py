"""``clientwise evaluate`` and ``clientwise demo``: run a ruleset and write the result."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from clientwise.cli.history import planned_history, planned_review, planned_save, save_beside, save_options
from clientwise.cli.options import (
    CONTEXT,
    as_of_option,
    backend_options,
    chosen_backend,
    chosen_writer_options,
    engine_option,
    format_option,
    output_option,
    plugin_host,
    plugin_options,
    quiet_option,
    report_faults,
    strict_data_option,
    strict_plugins,
    writer_options,
)
from clientwise.output.targets import check_destination, refuse_inputs
from clientwise.output.write import choose_writer, configure_writer, write_result
from clientwise.runtime.evaluator import Evaluator, load_ruleset, parse_as_of
from clientwise.runtime.load import input_files

#: Inputs at least this large (bytes) get a progress indicator on a terminal.
PROGRESS_THRESHOLD = 5_000_000


def stderr_console(quiet: bool) -> Any:
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

    with progress_bar(stderr_console(quiet=False)) as stage:
        yield stage


def show_progress(quiet: bool, data: Path | None) -> bool:
    """A bar only for a large input, on a terminal, without ``--quiet``."""
    return not quiet and sys.stderr.isatty() and data is not None and _input_size(data) >= PROGRESS_THRESHOLD


def run(ruleset: str, data: Path, as_of: str | None, fmt: str | None, output: Path | None,
        explain: str | None, engine: str, quiet: bool, strict_data: bool = False) -> None:
    host = plugin_host()
    saving = planned_save(ruleset)
    with _progress(show_progress(quiet, data)) as stage:
        stage("loading the ruleset")
        backend, options = chosen_backend()
        evaluator = Evaluator(load_ruleset(ruleset, host=host), engine=engine, host=host, strict_plugins=strict_plugins(),
                              strict_data=strict_data, backend=backend, backend_options=options)
        writer = None
        if explain is None or output:
            writers = evaluator.host.writers()
            writer = configure_writer(choose_writer(writers, fmt, output), writers, chosen_writer_options())
        if output is not None:  # refused before the work, not after it
            check_destination(output)
            refuse_inputs(output, [*evaluator.ruleset.files, data,
                                   *input_files(data, evaluator.ruleset.core.data, evaluator.host.loaders())])
        day = parse_as_of(as_of)
        reviewed = writer is not None and writer.review
        history = planned_history(ruleset, evaluator, day, quiet, report=reviewed)
        stage("evaluating")
        streamed = (writer is not None and output is not None and saving is None and explain is None
                    and not reviewed)  # a review reads the customers' rows
        with evaluator:  # the engine's workers (durable) stop here, not at interpreter exit
            if streamed:  # an out-of-core backend writes the file itself, without collecting it
                assert writer is not None and output is not None
                result = evaluator.evaluate_into(data, writer, output, as_of=day, progress=stage,
                                                 history=history if evaluator.trend else None)
            else:
                result = evaluator.evaluate(data, as_of=day, progress=stage,
                                            history=history if evaluator.trend else None)
        if reviewed:
            result.review = planned_review(history, result, saving, quiet)
        with save_beside(saving, evaluator, result, data) as committed:
            if writer is not None and not streamed:
                stage("writing" if saving is None else "writing and saving the run")
                write_result(result, writer, output, before_commit=committed)
            elif saving is not None:
                stage("saving the run")
    if explain is not None:
        from clientwise.authoring.trace import render_trace

        click.echo(render_trace(evaluator, result, explain, argument="--explain"))
    for warning in result.warnings:
        if output is not None or explain is not None:
            click.echo(f"warning: {warning}", err=True)
    report_faults(result, warned=output is not None or explain is not None)




@click.command(context_settings=CONTEXT)
@click.argument("ruleset")
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@as_of_option
@format_option
@output_option
@click.option("--explain", metavar="KEY", help="Print the full decision trace for one customer.")
@writer_options
@engine_option
@backend_options
@quiet_option
@strict_data_option
@plugin_options
@save_options
def evaluate(ruleset: str, data: Path, as_of: str | None, fmt: str | None, output: Path | None,
             explain: str | None, engine: str, quiet: bool, strict_data: bool) -> None:
    """Evaluate RULESET (a .toml path or a shipped name such as 'default') over DATA
    (a file, or a directory holding customers.*, contacts.*, interactions.*)."""
    run(ruleset, data, as_of, fmt, output, explain, engine, quiet, strict_data)


@click.command(context_settings=CONTEXT)
@format_option
@output_option
@click.option("--explain", metavar="KEY", help="Print the full decision trace for one sample customer.")
@writer_options
@engine_option
@backend_options
@plugin_options
@save_options
def demo(fmt: str | None, output: Path | None, explain: str | None, engine: str) -> None:
    """Run the default ruleset over the bundled sample portfolio."""
    from clientwise.sample import DEMO_AS_OF, demo_path

    run("default", demo_path(), DEMO_AS_OF.isoformat(), fmt, output, explain, engine, quiet=True)

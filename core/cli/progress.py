"""A progress bar on stderr for long runs: one step per stage of the run.

Loading, validating, deriving and deciding each run as one vectorised pass, so there is
no row counter to show; what a person waiting on a large input wants to know is that
the run is alive, which stage it is in, how far along the stages it is and for how
long it has been going. The bar is transient (it disappears when the run ends) and
the caller decides whether to show it at all (not with ``--quiet``, not when stderr
is not a terminal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: The stages a run reports (through ``Evaluator.evaluate(progress=...)`` and the CLI), in order.
STAGES: tuple[str, ...] = (
    "loading the ruleset",
    "evaluating",
    "loading and validating the data",
    "deriving fields and deciding",
    "writing",
)


@contextmanager
def progress_bar(console: Any, stages: tuple[str, ...] = STAGES) -> Iterator[Callable[[str], None]]:
    """Yield ``stage(name)``: each call names the current stage and moves the bar to it.

    A stage not in ``stages`` (a plugin's own) updates the text without moving the bar.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=len(stages))

        def stage(name: str) -> None:
            if name in stages:
                bar.update(task, description=name, completed=stages.index(name))
            else:
                bar.update(task, description=name)
            bar.refresh()

        yield stage
        bar.update(task, completed=len(stages))

"""The progress bar: the stages a run reports are the stages the bar counts, and the bar
is shown on stderr, only for large inputs on a terminal, never with --quiet."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from clientwise import Evaluator
from clientwise.cli import evaluate as evaluate_command
from clientwise.cli import progress
from clientwise.cli.progress import STAGES, progress_bar
from clientwise.sample import DEMO_AS_OF


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every stage a CLI run reports to its progress bar, in order (the bar is forced on:
    the runner's stderr is no terminal; when the bar is shown is tested below)."""
    stages: list[str] = []

    @contextmanager
    def recording(console: Any, *args: Any) -> Iterator[Callable[[str], None]]:
        assert console.stderr, "the progress bar must go to stderr: stdout may carry the result"
        yield stages.append

    monkeypatch.setattr(evaluate_command, "show_progress", lambda quiet, data: True)
    monkeypatch.setattr(progress, "progress_bar", recording)
    return stages


def test_a_run_reports_every_stage_the_bar_counts_in_order(reported: list[str], invoke, demo_data: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    ran = invoke("evaluate", "default", str(demo_data), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(out))
    assert ran.code == 0, ran.output
    # both ways: a stage renamed or moved in the run, or one left in STAGES that no run reports, fails here
    assert reported == list(STAGES)


def test_the_evaluator_reports_its_own_stages_in_the_bars_order(demo_data: Path) -> None:
    stages: list[str] = []
    Evaluator("default").evaluate(demo_data, as_of=DEMO_AS_OF, progress=stages.append)
    assert stages, "Evaluator.evaluate reported no stage"
    assert set(stages) <= set(STAGES), f"stages the bar does not know: {set(stages) - set(STAGES)}"
    start = STAGES.index(stages[0])
    assert tuple(stages) == STAGES[start:start + len(stages)]


def test_the_bar_names_each_stage_and_counts_the_stages_done() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    total = len(STAGES)
    with progress_bar(console) as stage:
        stage(STAGES[0])
        stage(STAGES[-2])
        stage("a plugin's own stage")
    text = out.getvalue()
    assert STAGES[0] in text and f"0/{total}" in text
    assert STAGES[-2] in text and f"{total - 2}/{total}" in text
    assert "a plugin's own stage" in text  # named, without moving the bar
    assert text.index(f"0/{total}") < text.index(f"{total - 2}/{total}")


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_shown_only_on_a_terminal_for_large_inputs_and_never_with_quiet(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, layout: str) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    for folder, size in ((big, evaluate_command.PROGRESS_THRESHOLD), (small, 1)):
        folder.mkdir()
        (folder / "customers.csv").write_bytes(b"x" * size)
    big, small = (big, small) if layout == "folder" else (big / "customers.csv", small / "customers.csv")
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert evaluate_command.show_progress(quiet=False, data=big) is True
    assert evaluate_command.show_progress(quiet=True, data=big) is False
    assert evaluate_command.show_progress(quiet=False, data=small) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert evaluate_command.show_progress(quiet=False, data=big) is False


def test_a_run_writes_no_progress_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch, invoke,
                                                                 demo_data: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(evaluate_command, "PROGRESS_THRESHOLD", 1)
    ran = invoke("evaluate", "default", str(demo_data), "--as-of", DEMO_AS_OF.isoformat(), "-o", str(tmp_path / "r.md"))
    assert ran.code == 0, ran.output
    assert not any(stage in ran.output for stage in STAGES) and "\x1b" not in ran.output
    assert all(line.startswith("warning: ") for line in ran.stderr.splitlines())  # the run's warnings only
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Customer portfolio review\n")

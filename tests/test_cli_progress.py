"""The progress indicator: on stderr, only for large inputs on a terminal, never with --quiet."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from clientwise.cli import evaluate as cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def big_input(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "customers.csv").write_bytes(b"x" * (cli.PROGRESS_THRESHOLD + 1))
    return folder


def test_shown_for_a_large_input_on_a_terminal(monkeypatch: pytest.MonkeyPatch, big_input: Path) -> None:
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.show_progress(quiet=False, data=big_input) is True
    assert cli.show_progress(quiet=True, data=big_input) is False


def test_silent_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch, big_input: Path) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert cli.show_progress(quiet=False, data=big_input) is False


def test_silent_for_small_inputs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "stderr", Terminal())
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    assert cli.show_progress(quiet=False, data=tmp_path) is False


def test_the_status_names_each_stage_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    with cli._progress(True) as stage:
        stage("loading the ruleset")
        stage("evaluating")
        shown = terminal.getvalue()
    assert "evaluating" in shown or "loading the ruleset" in shown
    with cli._progress(False) as silent:
        silent("never shown")
    assert "never shown" not in terminal.getvalue()

"""The progress bar: shown on a terminal for large inputs, silent otherwise."""

from __future__ import annotations

import io
import sys

from click.testing import CliRunner
from rich.console import Console

from clientwise.cli import app
from clientwise.cli import evaluate as cli
from clientwise.cli.progress import STAGES, progress_bar
from clientwise.sample import demo_path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_names_each_stage_and_counts_the_stages_done():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with progress_bar(console) as stage:
        stage("loading the ruleset")
        stage("evaluating")
        stage("deriving fields and deciding")
        stage("a plugin's own stage")
    text = out.getvalue()
    assert "loading the ruleset" in text and "0/5" in text
    assert "deriving fields and deciding" in text and "3/5" in text
    assert "a plugin's own stage" in text
    assert text.index("0/5") < text.index("3/5")


def test_the_stages_are_the_ones_the_run_reports():
    assert STAGES[2:4] == ("loading and validating the data", "deriving fields and deciding")


def test_shown_only_on_a_terminal_for_large_inputs_and_never_with_quiet(monkeypatch, tmp_path):
    big = tmp_path / "customers.csv"
    big.write_bytes(b"x" * cli.PROGRESS_THRESHOLD)
    small = tmp_path / "small.csv"
    small.write_bytes(b"x")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert cli.show_progress(False, big) is True
    assert cli.show_progress(True, big) is False
    assert cli.show_progress(False, small) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert cli.show_progress(False, big) is False


def test_a_run_writes_no_progress_when_stderr_is_not_a_terminal(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "PROGRESS_THRESHOLD", 1)
    result = CliRunner().invoke(app.cli, ["evaluate", "default", str(demo_path()), "--as-of", "2026-06-30",
                                          "-o", str(tmp_path / "r.md")])
    assert result.exit_code == 0, result.output
    assert "deriving" not in result.output and "\x1b" not in result.output
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Customer portfolio: default 1.0.0")

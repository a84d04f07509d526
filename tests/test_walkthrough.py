"""docs/tuning-a-ruleset.md is executed: every command, every file, every shown line.

Fenced ``console`` blocks hold ``$ command`` lines followed by output; every output
line shown must appear, in order, in the real output (``...`` marks omitted lines).
A command ending in ``# exit code N`` must exit with N, any other with 0. Fenced
``toml file=PATH`` blocks are written to PATH before the commands after them run.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clientwise.sample.__main__ import main as sample_main

FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.M | re.S)


@dataclass
class Step:
    command: str = ""
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0
    file: str | None = None
    content: str = ""


def steps(text: str) -> list[Step]:
    found: list[Step] = []
    for match in FENCE.finditer(text):
        kind, info, body = match.group(1), match.group(2), match.group(3)
        if kind == "toml" and "file=" in info:
            found.append(Step(file=info.split("file=", 1)[1].strip(), content=body))
        elif kind == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    command, _, comment = line[2:].partition("#")
                    code = re.search(r"exit code (\d+)", comment)
                    found.append(Step(command=command.strip(), exit_code=int(code.group(1)) if code else 0))
                elif found and line.strip() and line.strip() != "...":
                    found[-1].expected.append(line.rstrip())
    return found


@pytest.fixture
def walkthrough(docs: Path) -> list[Step]:
    return steps((docs / "tuning-a-ruleset.md").read_text())


def run(command: str, invoke: Callable[..., Any]) -> tuple[int, str]:
    """Run one ``$`` line: ``clientwise ...`` in-process, or the sample generator."""
    args = shlex.split(command)
    if args[:3] == ["python", "-m", "clientwise.sample"]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = sample_main(args[3:])
        return code, out.getvalue()
    assert args[0] == "clientwise", f"the walkthrough may only run clientwise commands, not {command!r}"
    result = invoke(*args[1:])
    return result.code, result.output


def test_the_walkthrough_parses_into_init_test_diff_and_explain(walkthrough: list[Step]) -> None:
    commands = [s.command.split()[1] for s in walkthrough if s.command.startswith("clientwise")]
    assert {"init", "test", "diff", "explain", "check"} <= set(commands)
    assert len([s for s in walkthrough if s.file]) == 2


def test_every_command_of_the_walkthrough_runs_as_shown(walkthrough: list[Step], invoke, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    for step in walkthrough:
        if step.file:
            Path(step.file).parent.mkdir(parents=True, exist_ok=True)
            Path(step.file).write_text(step.content, encoding="utf-8")
            continue
        code, output = run(step.command, invoke)
        assert code == step.exit_code, f"$ {step.command}\nexit code {code}, expected {step.exit_code}\n{output}"
        lines = [line.rstrip() for line in output.splitlines()]
        position = 0
        for expected in step.expected:
            assert expected in lines[position:], (
                f"$ {step.command}\nexpected this line (in order):\n{expected}\nin the output:\n{output}")
            position = lines.index(expected, position) + 1

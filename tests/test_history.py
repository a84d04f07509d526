"""docs/history.md is executed: four quarters saved, compared, a ruleset change split,
and every SQL example run against the store the walkthrough leaves behind."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from test_walkthrough import run, steps

DOC = Path(__file__).resolve().parent.parent / "docs" / "history.md"
SQL = re.compile(r"^```sql\n(.*?)^```", re.M | re.S)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory, invoke) -> Path:
    """Runs every step of the walkthrough in an empty folder; returns the folder."""
    import os

    folder = tmp_path_factory.mktemp("history")
    before = Path.cwd()
    os.chdir(folder)
    saved = {name: os.environ.pop(name, None) for name in ("CLIENTWISE_STORE", "CLIENTWISE_STORE_WAIT")}
    os.environ["NO_COLOR"] = "1"
    try:
        for step in steps(DOC.read_text()):
            if step.file:
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
    finally:
        os.chdir(before)
        for name, value in saved.items():
            if value is not None:
                os.environ[name] = value
    return folder


def test_the_walkthrough_saves_four_quarters_and_compares_them(walked: Path) -> None:
    commands = [s.command for s in steps(DOC.read_text()) if s.command]
    assert sum("--save" in c for c in commands) == 4 and sum(c.startswith("clientwise compare") for c in commands) >= 3
    with duckdb.connect(str(walked / "clientwise-runs.duckdb"), read_only=True) as con:
        labels = [row[0] for row in con.execute("SELECT label FROM runs ORDER BY run_id").fetchall()]
        assert labels == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
    html = (walked / "review.html").read_text(encoding="utf-8")
    assert "Since the last review" in html and "run 1 (2026-Q2)" in html


EXCERPT = re.compile(r"^```markdown excerpt=(\S+)\n(.*?)^```", re.M | re.S)


def test_the_report_excerpts_are_what_the_walkthrough_wrote(walked: Path) -> None:
    """The report written with a previous run says what changed since it, as the page shows."""
    excerpts = EXCERPT.findall(DOC.read_text())
    assert len(excerpts) >= 2
    for name, body in excerpts:
        lines = (walked / name).read_text(encoding="utf-8").splitlines()
        position = 0
        for expected in (line for line in body.splitlines() if line.strip() and line.strip() != "..."):
            assert expected in lines[position:], f"{name}: expected (in order)\n{expected}"
            position = lines.index(expected, position) + 1
    report = (walked / "2026-Q4.md").read_text(encoding="utf-8")
    assert report.count("*(new)*") > 0 and "## Since the last review" in report


def test_every_sql_example_runs_on_the_walkthrough_store(walked: Path) -> None:
    blocks = SQL.findall(DOC.read_text())
    assert len(blocks) >= 6
    with duckdb.connect(str(walked / "clientwise-runs.duckdb"), read_only=True) as con:
        for block in blocks:
            for statement in (s.strip() for s in block.split(";")):
                if statement:
                    rows = con.execute(statement).fetchall()
                    assert rows, f"no rows from:\n{statement}"
        tiers = con.execute("SELECT r.label, c.tier, count(*) FROM customers c JOIN runs r USING (run_id) "
                            "WHERE r.label = '2027-Q1' GROUP BY ALL").fetchall()
        assert dict((t, n) for _, t, n in tiers) == {"strategic": 21, "core": 92, "transactional": 201}

"""The documented install works: a wheel built from a checkout holds the whole package.

clientwise is installed from a clone or a built wheel (README, "Install"); a package
folder or data file missing from pyproject.toml would only show on such an install,
never in the editable one the test suite runs from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_built_wheel_holds_everything_and_runs_the_demo(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("clientwise-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = [("clientwise", ROOT / "core"), ("clientwise/plugins", ROOT / "plugins"),
               ("clientwise/rulesets", ROOT / "rulesets")]
    expected = {f"{prefix}/{path.relative_to(folder).as_posix()}"
                for prefix, folder in sources for path in folder.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
                and (path.suffix in (".py", ".toml", ".j2", ".css", ".js") or "data" in path.parts)}
    assert len(expected) > 100
    assert expected - names == set()
    unpacked = tmp_path / "lib"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run([sys.executable, "-c", "import clientwise; print(clientwise.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(unpacked))
    report = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-m", "clientwise.cli.app", "demo", "-o", str(report)],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "<svg" in report.read_text()

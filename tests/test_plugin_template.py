"""`clientwise plugin new`: the scaffold installs into a fresh virtual environment and its tests pass."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest


def test_the_scaffold_has_the_entry_point_classifier_hook_test_and_readme(invoke, tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    outcome = invoke("plugin", "new", "churn_risk", "--directory", str(target))
    assert outcome.code == 0, outcome.output
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "README.md", "pyproject.toml", "src/clientwise_churn_risk/__init__.py", "tests/test_churn_risk.py"]
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["name"] == "clientwise-churn-risk"
    assert project["entry-points"]["clientwise"] == {"churn_risk": "clientwise_churn_risk"}
    assert "Framework :: clientwise" in project["classifiers"]
    assert project["dependencies"] == ["clientwise>=0.1,<0.2"]
    assert "@hookimpl" in (target / "src/clientwise_churn_risk/__init__.py").read_text()
    assert "from clientwise.sdk.testing import assert_plugin_valid" in (target / "tests/test_churn_risk.py").read_text()
    again = invoke("plugin", "new", "churn_risk", "--directory", str(target))
    assert again.code == 2 and "already exists" in again.stderr
    bad = invoke("plugin", "new", "Churn-Risk", "--directory", str(tmp_path / "x"))
    assert bad.code == 2 and "value: 'Churn-Risk'" in bad.stderr and not (tmp_path / "x").exists()


@pytest.mark.installed_plugins  # the generated plugin is found through its entry point, as a user's would be
def test_a_generated_plugin_installs_into_a_fresh_venv_and_its_tests_pass(invoke, tmp_path: Path) -> None:
    package = tmp_path / "clientwise-loyalty"
    assert invoke("plugin", "new", "loyalty", "--directory", str(package)).code == 0
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # the new venv sees this environment's packages (clientwise, pytest) the way a
    # --system-site-packages venv sees the system's; the plugin itself goes into the new venv only
    ours = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "_clientwise_parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", str(package)], check=True, env=env, capture_output=True)
    assert list(Path(purelib).glob("clientwise_loyalty-0.1.0.dist-info"))
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
                         cwd=package, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    listed = subprocess.run([str(python), "-m", "clientwise.cli.app", "plugins", "show", "loyalty"],
                            env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[:3] == ["loyalty (loaded) from clientwise-loyalty 0.1.0",
                                              "  hooks: clientwise_functions",
                                              "  function: loyalty_ratio - loyalty_ratio(a, b)"]
    # the plugin is installed in the new venv only
    assert subprocess.run([sys.executable, "-c", "import clientwise_loyalty"], capture_output=True).returncode != 0

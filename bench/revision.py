"""Another revision of clientwise, importable beside the installed one, for before/after runs.

On a shared machine the load changes by the minute, so a figure measured an hour ago
says little about a change. The benchmarks that take ``--against REV`` run that
revision's code in the same run, alternating with the current code: this module
extracts it (``git archive``) into ``bench/out/code-<commit>/`` laid out as the
installed package (``core/`` as ``clientwise``, ``plugins/`` as ``clientwise.plugins``,
``rulesets/`` as ``clientwise.rulesets``), and a child process put on ``PYTHONPATH``
imports it instead of the working tree. Plugins are found by the installed entry
points, whose module names then resolve to that revision's modules.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
LAYOUT = {"core": "clientwise", "plugins": "clientwise/plugins", "rulesets": "clientwise/rulesets"}


def code_tree(revision: str, out: Path = HERE / "out") -> tuple[Path, str]:
    """The directory to put on ``PYTHONPATH`` for ``revision``, and its short commit."""
    commit = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "--short=12", revision],
                            capture_output=True, text=True, check=True).stdout.strip()
    tree = out / f"code-{commit}"
    if (tree / "clientwise" / "__init__.py").exists():
        return tree, commit
    archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", commit, *LAYOUT],
                             capture_output=True, check=True).stdout
    staging = out / f"code-{commit}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(staging / "src", filter="data")
    for folder, package in LAYOUT.items():
        shutil.copytree(staging / "src" / folder, staging / "tree" / package)
    shutil.rmtree(tree, ignore_errors=True)
    (staging / "tree").rename(tree)
    shutil.rmtree(staging)
    return tree, commit

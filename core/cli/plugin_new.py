"""``clientwise plugin new NAME``: scaffold a plugin package that installs, tests and publishes as is.

The package has a pyproject with the ``clientwise`` entry point and the
``Framework :: clientwise`` classifier, a module implementing one hook (a function for
the expression language), a test using :mod:`clientwise.sdk.testing`, and a README.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from clientwise._version import __version__
from clientwise.cli.options import CONTEXT
from clientwise.errors import InputError, Problem
from clientwise.output.atomic import atomic_writes

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "clientwise-{dash}"
version = "0.1.0"
description = "A clientwise plugin: {name}."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["clientwise>={major_minor},<{next_major}"]
classifiers = ["Framework :: clientwise", "Programming Language :: Python :: 3"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.clientwise]
{name} = "clientwise_{name}"

[tool.setuptools]
packages = ["clientwise_{name}"]
package-dir = {{ "" = "src" }}
'''

MODULE = '''"""clientwise plugin '{name}': adds the function {name}_ratio(a, b) to the expression language."""

from __future__ import annotations

from typing import Any

import polars as pl

from clientwise.sdk import FunctionSpec, Type, hookimpl


def _python(values: list[Any], _call: Any) -> Any:
    a, b = values
    return None if a is None or b is None or b == 0 else a / b


def _polars(args: list[pl.Expr], _call: Any) -> pl.Expr:
    a, b = args
    return pl.when(b == 0).then(None).otherwise(a / b)


RATIO = FunctionSpec(
    name="{name}_ratio",
    kind="scalar",
    min_args=2,
    max_args=2,
    returns=lambda _types: Type("number"),
    polars=_polars,
    python=_python,
    doc="a / b; null when b is 0 or either is null.",
    example="{name}_ratio(discounts, revenue)",
    signature="{name}_ratio(a, b)",
)


@hookimpl
def clientwise_functions() -> list[FunctionSpec]:
    return [RATIO]
'''

TEST = '''"""Tests of the '{name}' plugin, using the fixtures of clientwise.sdk.testing."""

import clientwise_{name}
from clientwise.sdk.testing import assert_plugin_valid

RULESET = """
schema = 1

[metadata]
name = "test"

[data]
key = "customer_id"
name = "name"

[data.customers.fields]
customer_id = {{ type = "string", required = true }}
name = {{ type = "string" }}
revenue = {{ type = "number" }}
discounts = {{ type = "number" }}

[derive]
discount_rate = "{name}_ratio(discounts, revenue)"
"""


def test_the_plugin_is_valid():
    assert_plugin_valid(clientwise_{name})


def test_ratio_in_an_evaluation(register_plugin, evaluate_records):
    register_plugin(clientwise_{name}, name="{name}")
    result = evaluate_records(RULESET, customers=[
        {{"customer_id": "A", "name": "Alpha", "revenue": "200", "discounts": "50"}},
        {{"customer_id": "B", "name": "Beta", "revenue": "0", "discounts": "5"}},
    ])
    rates = {{step.name: step.value for step in result.explain("A").derived}}
    assert rates["discount_rate"] == 0.25
    rates = {{step.name: step.value for step in result.explain("B").derived}}
    assert rates["discount_rate"] is None
'''

README = '''# clientwise-{dash}

A [clientwise](https://pypi.org/project/clientwise/) plugin that adds `{name}_ratio(a, b)`
to the expression language: `a / b`, or null when `b` is 0.

```toml
[derive]
discount_rate = "{name}_ratio(discounts, revenue)"
```

## Develop

```
python -m venv .venv && .venv/bin/pip install -e ".[test]"
.venv/bin/python -m pytest
.venv/bin/clientwise plugins show {name}
```

## Publish

```
python -m pip install build twine
python -m build
python -m twine upload dist/*
```
'''


def scaffold(name: str, directory: Path) -> list[Path]:
    """Write the package for plugin ``name`` into ``directory`` (which must not exist); the files written."""
    if not NAME.match(name):
        raise InputError(Problem("a plugin name is lower-case letters, digits and '_', starting with a letter",
                                 location="NAME", value=repr(name), hint="for example: loyalty or churn_risk"))
    if directory.exists():
        raise InputError(Problem(f"{directory} already exists", location="--directory",
                                 hint="choose another --directory or remove it first"))
    major, minor = (int(part) for part in __version__.split(".")[:2])
    values = {"name": name, "dash": name.replace("_", "-"), "major_minor": f"{major}.{minor}",
              "next_major": f"{major + 1}" if major else f"0.{minor + 1}"}
    files = {
        "pyproject.toml": PYPROJECT,
        f"src/clientwise_{name}/__init__.py": MODULE,
        f"tests/test_{name}.py": TEST,
        "README.md": README,
    }
    written = []
    with atomic_writes() as group:
        for relative, template in files.items():
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            group.open(path).write(template.format(**values).encode("utf-8"))
            written.append(path)
    return written


@click.group(context_settings=CONTEXT)
def plugin() -> None:
    """Tools for plugin authors."""


@plugin.command(context_settings=CONTEXT)
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create the package (default: ./clientwise-NAME).")
def new(name: str, directory: Path | None) -> None:
    """Scaffold a plugin package NAME: pyproject with the entry point, one hook, a test, a README."""
    target = directory or Path(f"clientwise-{name.replace('_', '-')}")
    for path in scaffold(name, target):
        click.echo(f"created {path}")
    click.echo(f"next: cd {target} && pip install -e '.[test]' && python -m pytest")

"""Checks on each ruleset file as written, before it is merged with what it extends.

Merging trusts two things no TOML parser checks: an item's ``id`` is text (ids are
looked up and compared), and one file names each id once in a list (a second
``[[rules]]`` with the same id would silently merge onto the first). Checking every
file here, extending or not, makes both errors in the user's own file and index.
Deep nesting is refused too, so the recursive steps after it (merge, validation,
hashing) can never exhaust the stack.
"""

from __future__ import annotations

from typing import Any

from clientwise.errors import Problem, ProblemList, RulesetError
from clientwise.ruleset.toml_file import MAX_NESTING


def check_shape(document: dict[str, Any], file: str) -> None:
    """Raise one :class:`RulesetError` listing every id and nesting problem of ``document``."""
    problems = ProblemList()
    _walk(document, "", 0, file, problems)
    problems.raise_if_any(RulesetError)


def _walk(node: Any, path: str, depth: int, file: str, problems: ProblemList) -> None:
    if depth > MAX_NESTING:
        problems.add(Problem(f"tables or arrays are nested more than {MAX_NESTING} levels deep", file=file,
                             location=path, hint="a ruleset needs only a few levels; remove the extra nesting"))
        return
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else key, depth + 1, file, problems)
    elif isinstance(node, list):
        _check_ids(node, path, file, problems)
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]", depth + 1, file, problems)


def _check_ids(items: list[Any], path: str, file: str, problems: ProblemList) -> None:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            continue
        value = item["id"]
        if not isinstance(value, str):
            problems.add(Problem(
                f"an id must be text, not {_kind(value)}", file=file, location=f"{path}[{index}].id",
                value=repr(value)[:80], hint='write the id in quotes: id = "big_spender"'))
        elif value in first:
            problems.add(Problem(
                f"id '{value}' is used twice in this list (first at {path}[{first[value]}])",
                file=file, location=f"{path}[{index}].id", value=repr(value),
                hint="give each item its own id; to change an inherited item, write its id once"))
        else:
            first[value] = index


def _kind(value: Any) -> str:
    kinds = {bool: "true/false", int: "a number", float: "a number", list: "an array", dict: "a table"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a date or time")

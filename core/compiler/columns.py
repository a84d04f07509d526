"""The customer table's columns: the sections' outputs arranged by the ruleset's ``[output]``.

By default the table shows, after the key and name, the inputs sections mark as
context (segmentation's measure) and the customer's ``industry``, ``region`` and
``account_manager`` where ``[data]`` declares them, then every section's outputs.
``[output] columns`` replaces that front part with any data fields, derived fields or
section outputs in the order given (with a header each, if wanted), and ``hide``
leaves section outputs out. Every name is checked when the ruleset compiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from clientwise.compiler.plan import OutputColumn, ValueKind
from clientwise.errors import Problem, ProblemList, RulesetError, did_you_mean
from clientwise.expr.types import Type
from clientwise.ruleset import Ruleset
from clientwise.ruleset.output import DEFAULT_CONTEXT

_FIELD_KINDS: dict[str, ValueKind] = {"string": "text", "number": "number", "integer": "integer",
                                      "money": "money", "boolean": "boolean", "date": "date"}


def customer_columns(outputs: Sequence[OutputColumn], ruleset: Ruleset, types: Mapping[str, Type]) -> list[OutputColumn]:
    """The columns after the key and name, in order; raises :class:`RulesetError` for a
    name in ``[output]`` that no field or output has."""
    data = ruleset.core.data
    config = ruleset.core.output
    fields = data.customers.fields
    by_name = {column.name: column for column in outputs}
    file = ruleset.file_of("output")
    problems = ProblemList()
    known = sorted({*fields, *types, *by_name} - {data.key, data.name})

    def column(name: str, label: str | None, location: str) -> OutputColumn | None:
        if name in (data.key, data.name):
            problems.add(Problem(f"'{name}' is always the first column{'s' if data.name != data.key else ''}",
                                 file=file, location=location, hint="remove it from the list"))
            return None
        if name in by_name:
            found = replace(by_name[name], detail=False, context=False)
        elif name in fields:
            found = OutputColumn(name, _label(name), _FIELD_KINDS[fields[name].type])
        elif name in types:
            found = OutputColumn(name, _label(name), _kind(types[name]))
        else:
            problems.add(Problem(f"no field or output is called '{name}'", file=file, location=location,
                                 hint=did_you_mean(name, known) or f"use one of: {', '.join(known[:30])}"))
            return None
        return replace(found, label=label) if label else found

    entries = config.entries()
    if entries is None:
        front = [replace(c, context=False) for c in outputs if c.context]
        front += [OutputColumn(n, _label(n), _FIELD_KINDS[fields[n].type]) for n in DEFAULT_CONTEXT
                  if n in fields and n not in (data.key, data.name)]
    else:
        chosen = [column(e.field, e.label, f"output.columns[{i}]") for i, e in enumerate(entries)]
        front = [c for c in chosen if c is not None]
    for index, name in enumerate(config.hide):
        if name not in by_name:
            problems.add(Problem(f"'{name}' is not an output of any section", file=file,
                                 location=f"output.hide[{index}]",
                                 hint=did_you_mean(name, list(by_name)) or f"outputs: {', '.join(by_name)}"))
    problems.raise_if_any(RulesetError)
    shown = {c.name for c in front} | set(config.hide)
    unique = list({c.name: c for c in front}.values())
    return unique + [c for c in outputs if c.name not in shown and not c.context]


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _kind(type_: Type) -> ValueKind:
    if type_.kind == "number":
        return "integer" if type_.integer else "number"
    return {"string": "text", "boolean": "boolean", "date": "date", "list": "list"}.get(type_.kind, "text")

"""Pydantic models for the sections the core itself owns, and error translation.

Plugin sections are validated by the plugin's own model with the same error style:
every pydantic error becomes a :class:`~clientwise.errors.Problem` naming the file,
the key path (``rules[3].when``), the bad value and what is expected.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from clientwise.errors import Problem, did_you_mean
from clientwise.ruleset.cases import TestCase, check_unique_case_ids
from clientwise.ruleset.data import DataConfig, Strict
from clientwise.ruleset.output import OutputConfig
from clientwise.ruleset.report import ReportSettings

#: Ruleset format versions this core reads.
SUPPORTED_SCHEMAS = (1,)

#: Top-level keys the core handles; any other top-level table belongs to a plugin.
CORE_KEYS = ("schema", "extends", "metadata", "data", "derive", "rules", "output", "tests", "report")


class Metadata(Strict):
    name: str = Field(description="Short name shown in every result.")
    version: str = Field("0.0.0", description="Version of the criteria, shown in every result.")
    description: str = ""
    requires: list[str] = Field(
        default_factory=list, description="Plugins (entry point names) this ruleset cannot run without."
    )


class DerivedSpec(Strict):
    expr: str = Field(description="Expression computing the field.")
    description: str = ""


class ActionRuleSpec(Strict):
    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    when: str
    action: str
    priority: int = Field(5, ge=1, le=99, description="1 is the most urgent; actions are listed in this order.")
    because: str = Field("", description="Why the action is recommended; may show values: {days_since(x)}. "
                         "Leaving it out is allowed but clientwise check warns about it.")


class CoreSections(Strict):
    """The core's part of a merged ruleset."""

    schema_: int = Field(1, alias="schema")
    metadata: Metadata
    data: DataConfig = Field(description="The data the rules read: tables, fields, types and file formats.")
    derive: dict[str, str | DerivedSpec] = Field(default_factory=dict)
    rules: list[ActionRuleSpec] = Field(default_factory=list)
    output: OutputConfig = Field(default_factory=OutputConfig, description="The customer table's columns.")
    tests: list[TestCase] = Field(default_factory=list, description="Test cases run by clientwise test.")
    report: ReportSettings = Field(default_factory=ReportSettings,
                                   description="How the reports for people present the portfolio (see docs/reports.md).")

    @field_validator("schema_")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value not in SUPPORTED_SCHEMAS:
            raise ValueError(
                f"schema {value} is not supported by this clientwise; supported: "
                f"{', '.join(map(str, SUPPORTED_SCHEMAS))}. Upgrade clientwise or set schema = 1"
            )
        return value

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[ActionRuleSpec]) -> list[ActionRuleSpec]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"two rules have id '{rule.id}'; every rule needs its own id")
            seen.add(rule.id)
        return rules

    @field_validator("tests")
    @classmethod
    def _unique_case_ids(cls, tests: list[TestCase]) -> list[TestCase]:
        return check_unique_case_ids(tests)

    def derived(self) -> dict[str, DerivedSpec]:
        return {k: v if isinstance(v, DerivedSpec) else DerivedSpec(expr=v) for k, v in self.derive.items()}


def key_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """``('rules', 3, 'when')`` -> ``rules[3].when``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "DerivedSpec") or str(part).startswith("function-"):
            continue  # union branch names pydantic adds
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _value_at(document: Any, loc: tuple[Any, ...]) -> Any:
    node = document
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Names of the keys valid at ``loc`` (for 'did you mean' on unknown keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        current = _model_in(annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validation_problems(
    error: ValidationError, *, file: str, document: Any, model: type[BaseModel], prefix: str = ""
) -> list[Problem]:
    """Translate a pydantic error into problems a consultant can act on."""
    problems: list[Problem] = []
    for item in error.errors():
        loc = tuple(item["loc"])
        location = key_path(loc, prefix) or prefix or "(top level)"
        kind = item["type"]
        value = _value_at(document, loc)
        shown = None if value is None else _shown(value)
        if kind == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            hint = did_you_mean(str(loc[-1]), known) or (
                f"valid keys here: {', '.join(known)}" if known else "remove this key"
            )
            problems.append(Problem(f"unknown key '{loc[-1]}'", file=file, location=location, hint=hint))
        elif kind == "missing":
            table = _model_in(_field_annotation(model, loc)) is not None
            hint = f"add a [{location}] section" + (' (or extends = "default")' if location == "data" else "") \
                if table else f"add {loc[-1]} = ..."
            problems.append(Problem("required key is missing", file=file, location=location, hint=hint))
        else:
            message = item["msg"].removeprefix("Value error, ")
            problems.append(
                Problem(message, file=file, location=location, value=shown, hint=_expected(kind, item))
            )
    return problems


#: The longest value shown in a message: a whole section is not a value the user can read.
SHOWN_VALUE = 200


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 3] + "..."


def _field_annotation(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The annotation of the field at ``loc`` (None when it is not a model's field)."""
    names = [part for part in loc if not isinstance(part, int)]
    current: Any = model
    for name in names[:-1]:
        field = current.model_fields.get(name) if isinstance(current, type) and issubclass(current, BaseModel) else None
        current = _model_in(field.annotation) if field is not None else None
    if not (names and isinstance(current, type) and issubclass(current, BaseModel)):
        return None
    field = current.model_fields.get(names[-1])
    return field.annotation if field is not None else None


def _expected(kind: str, item: dict[str, Any]) -> str | None:
    ctx = item.get("ctx") or {}
    hints = {
        "int_parsing": "write a whole number, without quotes",
        "int_type": "write a whole number, without quotes",
        "float_parsing": "write a number, without quotes",
        "float_type": "write a number, without quotes",
        "string_type": "write text in quotes",
        "bool_type": "write true or false, without quotes",
        "bool_parsing": "write true or false, without quotes",
        "list_type": "write a list in square brackets: [...]",
        "dict_type": "write a table: [section] or { key = value }",
        "model_type": "write a table: [section] or { key = value }",
        "literal_error": f"use one of: {ctx.get('expected', '')}",
        "greater_than_equal": f"use a value >= {ctx.get('ge')}",
        "less_than_equal": f"use a value <= {ctx.get('le')}",
        "greater_than": f"use a value > {ctx.get('gt')}",
        "less_than": f"use a value < {ctx.get('lt')}",
        "string_pattern_mismatch": "use letters, digits, '_', '.', '-' and start with a letter",
    }
    return hints.get(kind)

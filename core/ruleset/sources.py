"""How a client's raw files are written and which files feed which table.

A consultant gets the client's exports as the source systems write them: named
``Accounts_Export_2025-12.csv``, in Windows-1252 with ``;`` and decimal commas,
job titles where rules expect buying roles. These models let the client's ruleset
say so in ``[data]`` instead of a conversion script: where a table's rows come
from (:class:`SourceSpec`), how its cells are written (:class:`FormatKeys`), and
how the client's words map onto the rules' vocabulary (:class:`ValueMap`).
"""

from __future__ import annotations

import codecs
import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue

#: A value a map or a constant may give: text, a number, yes/no, or a date.
Target = str | int | float | bool
#: A date: a TOML date, or the same date quoted as ISO text ("2026-03-31"), the one
#: text form strict models accept, because it cannot be misread.
IsoDate = Annotated[dt.date, Field(strict=False)]
Constant = str | int | float | bool | dt.date
#: ``number_format`` values that are not a locale: a point as decimal mark, no grouping.
PLAIN = "plain"


class Strict(BaseModel):
    """Base for ruleset models: unknown keys are errors, never silently ignored, and values
    are taken as written (strict): ``priority = "5"`` or ``required = "yes"`` is an error
    naming the key, not a number or a yes guessed from text."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FormatKeys(Strict):
    """How cells and files are written; set for all of ``[data]`` or per source.

    Every key left unset in a source falls back to ``[data]``, then to the default.
    """

    encoding: str | None = Field(
        None,
        description="Text encoding of CSV files, e.g. 'windows-1252', 'latin-1', 'utf-16'. "
        "Default: UTF-8 (with or without BOM), and UTF-16 when the file starts with its BOM.",
    )
    separator: str | None = Field(
        None, description="CSV field separator, e.g. ';'. Default: taken from the header line (',', ';' or tab)."
    )
    quote: str | None = Field(
        None, description="CSV quote character (default '\"'); '' for files that never quote cells."
    )
    number_format: str | None = Field(
        None,
        description="How numbers are written: 'plain' (1234.5, the default) or a locale such as 'de' "
        "(1.234,5), 'en' (1,234.5), 'fr' (1 234,5), 'de_CH' (1'234.5).",
    )
    decimal: str | None = Field(None, description="Decimal mark; overrides number_format's.")
    thousands: str | None = Field(
        None, description="Thousands separator; overrides number_format's ('' for none)."
    )
    date_formats: list[str] | None = Field(
        None,
        description="strftime formats tried, in order, for text dates, then ISO 8601 (always accepted); "
        "'excel' reads Excel serial day numbers (45657 = 2024-12-31).",
    )
    null_values: list[str] | None = Field(
        None,
        description="Cells that mean 'no value' (compared ignoring case and surrounding spaces). "
        "Default: '-', 'n/a', '#N/A'.",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding '{value}'; use a Python codec name such as 'utf-8', "
                "'windows-1252', 'latin-1' or 'utf-16'"
            ) from None
        return value

    @field_validator("separator")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) != 1:
            raise ValueError("the separator must be one character such as ',', ';' or '\\t'")
        return value

    @field_validator("quote")
    @classmethod
    def _quote_character(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) > 1:
            raise ValueError("the quote must be one character such as '\"', or '' for none")
        return value

    @field_validator("number_format")
    @classmethod
    def _known_number_format(cls, value: str | None) -> str | None:
        if value is None or value == PLAIN:
            return value
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise ValueError(
                f"unknown number format '{value}'; use 'plain' or a locale such as 'de', 'en', 'fr', 'de_CH'"
            ) from None
        return value


class ColumnFilter(Strict):
    """Which rows of a source to keep, by the text of one of its columns."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    in_: list[str] | None = Field(None, alias="in", description="Keep only rows whose cell is one of these.")
    not_in: list[str] | None = Field(None, description="Drop rows whose cell is one of these.")

    @model_validator(mode="before")
    @classmethod
    def _list_means_in(cls, value: object) -> object:
        return {"in": value} if isinstance(value, list) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """Editors accept the short form too: a list of values to keep."""
        table = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [{"type": "array", "items": {"type": "string"}}, table]}

    @model_validator(mode="after")
    def _one_condition(self) -> ColumnFilter:
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("give exactly one of in = [...] or not_in = [...]")
        return self


class SourceSpec(FormatKeys):
    """One export feeding a table; a table's sources are stacked into it."""

    files: list[str] = Field(
        min_length=1,
        description="File names or globs relative to DATA ('Accounts_Export*.csv'); each must match one file.",
    )
    rename: dict[str, str] = Field(
        default_factory=dict,
        description="Client column name -> field name, on top of the table's rename.",
    )
    constants: dict[str, Constant] = Field(
        default_factory=dict,
        description="Field -> the value every row of this source has (type = \"support_call\").",
    )
    filter: dict[str, ColumnFilter] = Field(
        default_factory=dict,
        description="Client column name -> the values to keep (a list, or { in = [...] }) or "
        "to drop ({ not_in = [...] }); cells are compared as written, without surrounding spaces.",
    )
    sheet: str | None = Field(None, description="Excel only: the sheet holding the table.")



class Pattern(Strict):
    """A map entry matching part of a value: a substring (any case) or a regular expression."""

    contains: str | None = Field(None, description="Matches values holding this text, in any case.")
    regex: str | None = Field(None, description="Matches values this regular expression finds (use (?i) for any case).")
    to: Target = Field(description="The value rules see.")

    @model_validator(mode="after")
    def _one_kind(self) -> Pattern:
        if (self.contains is None) == (self.regex is None):
            raise ValueError("give exactly one of contains = \"...\" or regex = \"...\"")
        if self.regex is not None:
            import polars as pl  # the regex runs in polars, whose syntax differs from Python's re

            try:
                pl.Series([""]).str.contains(self.regex)
            except pl.exceptions.PolarsError as error:
                lines = [line.strip() for line in str(error).splitlines()]
                detail = next((line[6:].strip() for line in lines if line.startswith("error:")), lines[0] if lines else "")
                raise ValueError(f"not a valid regular expression: {detail} (regex syntax: "
                                 "https://docs.rs/regex/latest/regex/#syntax)") from None
        return self


class ValueMap(Strict):
    """The client's values -> the rules' vocabulary. Tried in order: exact, ignore_case,
    then patterns (first match wins). A value equal to a target passes as it is."""

    exact: dict[str, Target] = Field(default_factory=dict, description="Value spelt exactly -> value rules see.")
    ignore_case: dict[str, Target] = Field(
        default_factory=dict, description="Value in any case -> value rules see."
    )
    patterns: list[Pattern] = Field(
        default_factory=list, description="Substring or regex entries, tried in order after the others."
    )
    unmapped: Literal["null", "keep", "error"] = Field(
        "null",
        description="A value no entry maps: 'null' (read as empty, reported as a warning), "
        "'keep' (used as written), 'error' (stop).",
    )

    def targets(self) -> list[Target]:
        found = [*self.exact.values(), *self.ignore_case.values(), *(p.to for p in self.patterns)]
        return list(dict.fromkeys(found))

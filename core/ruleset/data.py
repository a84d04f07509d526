"""The ruleset's ``[data]`` section: which columns exist, their types and client names.

Consultants get a different export from every client; this section maps that
export's column names onto the names rules use, declares field types, says how
yes/no answers, numbers and dates are written, and which files feed which table
(the models for files, formats and value maps are in :mod:`clientwise.ruleset.sources`).
Loading and validation read only this model.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from clientwise.ruleset.sources import Constant, FormatKeys, SourceSpec, Strict, ValueMap

FieldType = Literal["string", "number", "integer", "money", "boolean", "date"]
TableName = Literal["customers", "contacts", "interactions"]
RELATED_TABLES: tuple[TableName, ...] = ("contacts", "interactions")


#: Cells read as "no value" unless ``null_values`` says otherwise.
DEFAULT_NULL_VALUES = ("-", "n/a", "#N/A")

__all__ = ["DEFAULT_NULL_VALUES", "RELATED_TABLES", "DataConfig", "FieldSpec", "FieldType", "SourceSpec",
           "Strict", "TableName", "TableSpec", "ValueMap"]


class FieldSpec(Strict):
    """One column as rules see it."""

    type: FieldType = "string"
    required: bool = Field(False, description="The column must be present in the data.")
    nullable: bool = Field(True, description="Empty cells are allowed (read as null).")
    min: float | None = Field(None, description="Smallest allowed value (numbers, money).")
    max: float | None = Field(None, description="Largest allowed value (numbers, money).")
    allowed: list[str] | None = Field(None, description="The only values allowed (strings).")
    description: str = ""
    map: ValueMap | None = Field(None, description="The client's values -> the values rules compare with.")
    percent: Literal["fraction", "points"] = Field(
        "fraction",
        description="number fields: how a cell written with % is read: 'fraction' (8,8 % = 0.088) "
        "or 'points' (8,8 % = 8.8).",
    )
    currency: str | None = Field(
        None,
        description="money fields: the one currency cells may carry ('EUR'); without it, a column "
        "may hold any one currency but not two.",
    )

    @model_validator(mode="after")
    def _keys_fit_the_type(self) -> FieldSpec:
        if self.currency is not None and self.type != "money":
            raise ValueError("currency applies to money fields only; remove it or set type = \"money\"")
        if self.percent != "fraction" and self.type != "number":
            raise ValueError("percent applies to number fields only; remove it or set type = \"number\"")
        return self

    def accepts(self, value: Constant) -> str | None:
        """Why ``value`` (a constant in the ruleset) cannot be this field's value, or None."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        fits = {
            "string": isinstance(value, str),
            "number": number,
            "money": number,
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        }[self.type]
        if not fits:
            return f"a {self.type} field needs a {self.type} value, not {value!r}"
        if number and self.min is not None and value < self.min:
            return f"{value} is below the field's minimum of {self.min:g}"
        if number and self.max is not None and value > self.max:
            return f"{value} is above the field's maximum of {self.max:g}"
        if self.allowed is not None and isinstance(value, str) and value not in self.allowed:
            return f"'{value}' is not one of the allowed values: {', '.join(self.allowed)}"
        return None


class TableSpec(FormatKeys):
    """One input table: its fields, the client's column names for them, and where its
    rows come from. Its format keys apply to all its files (a source's own win)."""

    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    rename: dict[str, str] = Field(
        default_factory=dict, description="Client column name -> field name used by rules (every source)."
    )
    files: list[str] | None = Field(
        None,
        description="File names or globs relative to DATA holding this table ('Accounts_Export*.csv'); "
        "default: a file named after the table (customers.csv).",
    )
    sources: list[SourceSpec] | None = Field(
        None, description="Several exports stacked into this table, each with its own columns and format."
    )
    optional: bool = Field(
        False,
        description="contacts and interactions: the export may lack this table; what is computed from it "
        "is then unknown (not 0 or 'no') and reported as not computed.",
    )
    orphans: Literal["error", "warn", "drop"] = Field(
        "error",
        description="contacts and interactions: rows whose customer key is not in customers: "
        "'error' (stop), 'warn' (keep them, report them) or 'drop' (leave them out, report them).",
    )

    @model_validator(mode="after")
    def _sources_fit(self) -> TableSpec:
        if self.files is not None and self.sources is not None:
            raise ValueError("give either files = [...] or [[...sources]], not both; "
                             "put the files in a source")
        for index, source in enumerate(self.sources or ()):
            for name, value in source.constants.items():
                where = f"sources[{index}].constants.{name}"
                if name not in self.fields:
                    raise ValueError(f"{where}: '{name}' is not a declared field of this table; "
                                     f"declared: {', '.join(self.fields)}")
                why = self.fields[name].accepts(value)
                if why is not None:
                    raise ValueError(f"{where}: {why}")
        return self

    def source_columns(self, source: SourceSpec | None = None) -> dict[str, str]:
        """Field name -> the column name expected in the client's file (of ``source``)."""
        rename = {**self.rename, **(source.rename if source is not None else {})}
        by_field = {field: column for column, field in rename.items()}
        return {name: by_field.get(name, name) for name in self.fields}

    def format_keys(self, source: SourceSpec | None = None) -> FormatKeys:
        """The format keys a file of this table is read with: the source's, else the table's."""
        keys = FormatKeys.model_fields
        own = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if source is not None:
            own |= {k: getattr(source, k) for k in keys if getattr(source, k) is not None}
        return FormatKeys(**own)

    def source_list(self) -> list[SourceSpec] | None:
        """The sources declared for this table; None: found by the directory convention."""
        if self.sources is not None:
            return list(self.sources)
        if self.files is not None:
            return [SourceSpec(files=self.files)]
        return None


class DataConfig(FormatKeys):
    """The ``[data]`` section; its format keys apply to every source that does not set its own."""

    key: str = Field(
        "customer_id",
        description="Field that identifies a customer in every table; always required and never empty.",
    )
    name: str = Field("name", description="Field holding the customer's display name.")
    true_values: list[str] = Field(default_factory=lambda: ["yes", "y", "true", "1", "x"])
    false_values: list[str] = Field(default_factory=lambda: ["no", "n", "false", "0"])
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d"],
        description="strftime formats tried, in order, for text dates, then ISO 8601 (always accepted); "
        "'excel' reads Excel serial day numbers (45657 = 2024-12-31).",
    )
    customers: TableSpec = Field(default_factory=TableSpec)
    contacts: TableSpec | None = None
    interactions: TableSpec | None = None

    @model_validator(mode="after")
    def _key_and_name_declared(self) -> DataConfig:
        for table_name in ("customers", *RELATED_TABLES):
            table = getattr(self, table_name)
            if table is not None and self.key not in table.fields:
                raise ValueError(
                    f"data.{table_name}.fields must declare the key field '{self.key}' "
                    f"(add: {self.key} = {{ type = \"string\", required = true }})"
                )
        if self.customers.optional:
            raise ValueError("data.customers.optional: the customers table is always required; remove it here")
        if self.customers.orphans != "error":
            raise ValueError("data.customers.orphans: orphans apply to contacts and interactions "
                             "(rows whose customer is not in customers); remove it here")
        return self

    def table(self, name: str) -> TableSpec | None:
        return getattr(self, name, None) if name in ("customers", *RELATED_TABLES) else None

    def tables(self) -> dict[str, TableSpec]:
        found = {"customers": self.customers}
        for name in RELATED_TABLES:
            spec = getattr(self, name)
            if spec is not None:
                found[name] = spec
        return found

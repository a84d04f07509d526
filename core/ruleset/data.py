"""The ruleset's ``[data]`` section: which columns exist, their types and client names.

Consultants get a different export from every client; this section maps that
export's column names onto the names rules use, declares field types, and says how
yes/no answers are written. Loading and validation read only this model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["string", "number", "integer", "money", "boolean", "date"]
TableName = Literal["customers", "contacts", "interactions"]
RELATED_TABLES: tuple[TableName, ...] = ("contacts", "interactions")


class Strict(BaseModel):
    """Base for ruleset models: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(Strict):
    """One column as rules see it."""

    type: FieldType = "string"
    required: bool = Field(False, description="The column must be present in the data.")
    nullable: bool = Field(True, description="Empty cells are allowed (read as null).")
    min: float | None = Field(None, description="Smallest allowed value (numbers, money).")
    max: float | None = Field(None, description="Largest allowed value (numbers, money).")
    allowed: list[str] | None = Field(None, description="The only values allowed (strings).")
    description: str = ""


class TableSpec(Strict):
    """One input table: its fields and the client's column names for them."""

    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    rename: dict[str, str] = Field(
        default_factory=dict, description="Client column name -> field name used by rules."
    )

    def source_columns(self) -> dict[str, str]:
        """Field name -> the column name expected in the client's file."""
        by_field = {field: column for column, field in self.rename.items()}
        return {name: by_field.get(name, name) for name in self.fields}


class DataConfig(Strict):
    """The ``[data]`` section."""

    key: str = Field(
        "customer_id",
        description="Field that identifies a customer in every table; always required and never empty.",
    )
    name: str = Field("name", description="Field holding the customer's display name.")
    true_values: list[str] = Field(default_factory=lambda: ["yes", "y", "true", "1", "x"])
    false_values: list[str] = Field(default_factory=lambda: ["no", "n", "false", "0"])
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d"],
        description="strftime formats tried, in order, for text dates after ISO 8601 (always tried first).",
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

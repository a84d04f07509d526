"""The ruleset's ``[output]`` section: which columns the customer table shows, in what order.

A consultant hands the client a workbook sorted by revenue or pivoted by account
manager; the export's own fields belong beside the results, without a join back to
the export. ``columns`` lists the fields shown right after the key and name (data
fields, derived fields or section outputs, in that order, each optionally with the
header people-facing formats show); ``hide`` leaves section outputs out.
"""

from __future__ import annotations

from pydantic import Field

from clientwise.ruleset.sources import Strict

#: Customer fields shown after the name by default, where ``[data.customers]`` declares them.
DEFAULT_CONTEXT = ("industry", "region", "account_manager")


class OutputColumnSpec(Strict):
    """A column of the customer table with the header shown for it."""

    field: str = Field(description="A data field, derived field or section output.")
    label: str | None = Field(None, description="Header in the terminal, HTML, Markdown and xlsx tables.")


class OutputConfig(Strict):
    """The ``[output]`` section."""

    columns: list[str | OutputColumnSpec] | None = Field(
        None,
        description="Fields shown after the key and name, in this order: data fields (revenue, industry, ...), "
        "derived fields or section outputs. Default: the segmentation measure and industry, region and "
        "account_manager where declared.",
    )
    hide: list[str] = Field(default_factory=list, description="Section outputs left out of the customer table.")

    def entries(self) -> list[OutputColumnSpec] | None:
        """The listed columns as specs (None: the default)."""
        if self.columns is None:
            return None
        return [OutputColumnSpec(field=c) if isinstance(c, str) else c for c in self.columns]

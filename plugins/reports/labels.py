"""Labels for people: output columns, their values and group columns in tables, in the
report's language (each section's catalogue first, then clientwise's own)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from clientwise.compiler.plan import OutputColumn
from clientwise.output.blocks import Cell, SectionReport, Table
from clientwise.output.messages import Messages
from clientwise.plugins.reports.executive import value_label


def words(reports: list[SectionReport], tr: Messages) -> Callable[[str], str]:
    """Translates a label any section declares (an output column, a value's label):
    the first section catalogue that knows it, else clientwise's own."""
    catalogues = [r.messages for r in reports if r.messages is not None]

    def word(text: str) -> str:
        for catalogue in catalogues:
            translated = catalogue(text)
            if translated != text:
                return translated
        return tr(text)

    return word


def translated(column: OutputColumn, word: Callable[[str], str]) -> OutputColumn:
    """An output column with its label and its values' labels in the report's language."""
    labels = tuple((value, word(value_label(column, value))) for value, _ in column.tones) + tuple(
        (value, word(label)) for value, label in column.labels if value not in dict(column.tones))
    return dataclasses.replace(column, label=word(column.label), labels=labels)


def labelled(table: Table, named_values: dict[str, OutputColumn]) -> Table:
    """A table whose column holds an output column's values (the tier) shows their labels,
    keeping each value's tone."""
    at = [(i, named_values[c.name]) for i, c in enumerate(table.columns) if c.name in named_values and not c.marks]
    if not at:
        return table

    def cell(value: Any, column: OutputColumn, tones: dict[Any, Any]) -> Any:
        if value is None or isinstance(value, Cell) or not isinstance(value, str):
            return value
        return Cell(value_label(column, value), tones.get(value))

    tones = {i: dict(c.tones) | dict(table.columns[i].tones) for i, c in at}
    rows = [list(row) for row in table.rows]
    for row in rows:
        for i, column in at:
            row[i] = cell(row[i], column, tones[i])
    return dataclasses.replace(table, rows=rows)

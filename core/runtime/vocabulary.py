"""Does the data speak the rules' language? Findings from comparing the two.

A client's export can pass validation and still mean nothing to the rules: a
contacts export with job titles where the rules compare ``lower(role) == 'budget'``
gives every customer "no budget contact", an interactions export whose ticket
types are ``Incident`` and ``Problem`` gives every customer "no support calls".
Nothing is wrong with a single cell, so only the two side by side show it.

The rules' vocabulary is collected from the compiled program: every string literal
a declared text field is compared with (``==``, ``!=``, ``in [...]``, also through
``lower()``/``upper()``). Then, per field, over the validated tables:

* ``vocabulary`` (warning): no value of the field is one the rules use; for a
  related table's column the rules enumerate as categories of rows (``contacts.role``,
  ``interactions.type``: compared with :data:`ENUMERATED` texts or more), also when
  fewer than :data:`MIN_SHARE` of the rows are (``industry == 'automotive'`` or
  ``channel == 'in_person'`` pick out a few rows on purpose, so there only "none" is
  suspicious);
* ``values``: such an enumerated column's values that no rule reads (info) and
  values the rules read that never occur (warning: the rules reading them never hold);
* ``empty`` (warning): a field the rules read that is empty in every row, although
  the export has the column (an absent column is a ``not_computed`` finding already).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from clientwise import expr
from clientwise.compiler.program import Program
from clientwise.compiler.steps import DerivedStep
from clientwise.ruleset.data import DataConfig
from clientwise.runtime.absent import Absent
from clientwise.runtime.findings import Finding
from clientwise.runtime.loop import expressions

#: Below this share of rows with a value the rules use, a related column's values are suspect.
MIN_SHARE = 0.5
#: A related column the rules compare with at least this many texts is a category
#: they enumerate (``role``: budget, gatekeeper ...), not one value picked out
#: (``channel == 'in_person'``); only then are its other values worth a finding.
ENUMERATED = 2
#: Distinct values named in a finding before "and N more".
SHOWN = 5
#: Case folds the rules may apply to a field before comparing it.
FOLDS = {"lower": str.lower, "upper": str.upper}


@dataclass
class Vocabulary:
    """The literals the rules compare one field with, per case fold (``""``: as written)."""

    words: dict[str, set[str]] = field(default_factory=dict)

    def add(self, fold: str, word: str) -> None:
        self.words.setdefault(fold, set()).add(word)

    def all(self) -> list[str]:
        return sorted(set().union(*self.words.values()))

    def matches(self, column: pl.Expr) -> pl.Expr:
        """Whether a cell is a word of the vocabulary (under the fold the rule applied)."""
        found = [
            (column if not fold else column.str.to_lowercase() if fold == "lower" else column.str.to_uppercase())
            .is_in(sorted(words))
            for fold, words in self.words.items()
        ]
        return pl.any_horizontal(found).fill_null(False)

    def used(self, value: str) -> bool:
        return any(value in words if not fold else FOLDS[fold](value) in words for fold, words in self.words.items())

    def occurs(self, word: str, fold: str, values: Iterable[str]) -> bool:
        return any((FOLDS[fold](value) if fold else value) == word for value in values)


def _field_of(node: expr.Node) -> tuple[expr.Field, str] | None:
    """The field a compared operand reads, and the case fold around it (``lower(role)``)."""
    if isinstance(node, expr.Field):
        return node, ""
    if isinstance(node, expr.Call) and node.name in FOLDS and len(node.args) == 1 and isinstance(node.args[0], expr.Field):
        return node.args[0], node.name
    return None


def _compared(node: expr.Node) -> Iterable[tuple[expr.Field, str, str]]:
    """(field, fold, text literal) for every comparison of a field with text in ``node``."""
    for sub in expr.walk(node):
        if isinstance(sub, expr.Compare) and sub.op in ("==", "!="):
            for one, other in ((sub.left, sub.right), (sub.right, sub.left)):
                read = _field_of(one)
                if read is not None and isinstance(other, expr.Literal) and isinstance(other.value, str):
                    yield read[0], read[1], other.value
        elif isinstance(sub, expr.In):
            read = _field_of(sub.value)
            if read is not None:
                for item in sub.items.items:
                    if isinstance(item, expr.Literal) and isinstance(item.value, str):
                        yield read[0], read[1], item.value


@dataclass(frozen=True)
class RulesRead:
    """What the program reads of the data: fields (``table.field``) and their vocabularies."""

    fields: frozenset[str]
    vocabularies: Mapping[str, Vocabulary]


def rules_read(program: Program, data: DataConfig) -> RulesRead:
    """The declared fields the program's expressions read, and the text each is compared with."""
    declared = {f"{name}.{f}": spec for name, table in data.tables().items() for f, spec in table.fields.items()}
    read: set[str] = set()
    vocabularies: dict[str, Vocabulary] = {}
    for step in program.steps():
        if isinstance(step, DerivedStep):
            read.update(f"customers.{name}" for name in step.reads)
    for node, _ in expressions(program.steps()):
        for sub in expr.walk(node):
            if isinstance(sub, expr.Field) and not (sub.type is not None and sub.type.kind == "table"):
                read.add(f"{sub.table or 'customers'}.{sub.name}")
        for fld, fold, word in _compared(node):
            name = f"{fld.table or 'customers'}.{fld.name}"
            if name in declared and declared[name].type == "string" and fld.name != data.key:
                vocabularies.setdefault(name, Vocabulary()).add(fold, word)
    return RulesRead(frozenset(read & set(declared)), vocabularies)


class ColumnValues(Protocol):
    """What the findings read of the data, so that a backend holding the tables answers
    with a query per column (:class:`clientwise.host.backend_input.BackendInput` is one)."""

    def filled(self, table: str, column: str) -> tuple[int, int]:
        """The table's rows, and how many have a value in ``column``."""

    def value_counts(self, table: str, column: str) -> pl.DataFrame:
        """The distinct values of ``column`` (a column named so, no nulls) and how many rows
        have each (``count``)."""


@dataclass(frozen=True)
class FrameValues:
    """:class:`ColumnValues` of tables in memory."""

    tables: Mapping[str, pl.DataFrame]

    def filled(self, table: str, column: str) -> tuple[int, int]:
        values = self.tables[table].get_column(column)
        return values.len(), values.len() - values.null_count()

    def value_counts(self, table: str, column: str) -> pl.DataFrame:
        return self.tables[table].get_column(column).drop_nulls().value_counts(name="count")


def vocabulary_findings(program: Program, values: ColumnValues, present: Iterable[str], data: DataConfig,
                        absent: Absent, files: Mapping[str, str]) -> list[Finding]:
    """The findings of the module docstring, in table and field order; ``present``: the
    tables the data has, ``files``: table -> its file(s)."""
    reads = rules_read(program, data)
    tables = set(present)
    found: list[Finding] = []
    for name in sorted(reads.fields, key=lambda n: (n.split(".")[0] != "customers", n)):
        table, column = name.split(".", 1)
        if table not in tables or table in absent.tables or name in absent.causes:
            continue
        rows, filled = values.filled(table, column)
        file = files.get(table)
        if rows == 0:
            continue
        if filled == 0:
            found.append(Finding(
                "empty", "warning", table,
                f"empty in every one of the {rows} rows, so every rule that reads '{column}' sees it unknown",
                file=file, field=column, count=rows,
                hint=f"check that the export fills this column, or that [data.{table}] maps the right column "
                     f"onto '{column}' (rename)"))
            continue
        vocabulary = reads.vocabularies.get(name)
        if vocabulary is not None:
            found.extend(_against(table, column, values.value_counts(table, column), vocabulary, file))
    return found


def _counts(filled: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    """Distinct values with their counts, most frequent first (ties by value, so runs agree)."""
    frame = filled.select(column, "count").sort(["count", column], descending=[True, False])
    return [(str(value), int(count)) for value, count in frame.iter_rows()]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _listed(pairs: list[tuple[str, int]]) -> str:
    shown = ", ".join(f"{value} ({count})" for value, count in pairs[:SHOWN])
    return shown + (f" and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else "")


def _against(table: str, column: str, filled: pl.DataFrame, vocabulary: Vocabulary, file: str | None) -> list[Finding]:
    """The vocabulary and values findings of one compared field (``filled``: its
    non-empty values and their counts)."""
    related = table != "customers" and len(vocabulary.all()) >= ENUMERATED
    filled_rows = int(filled.get_column("count").sum())
    matched = int(filled.filter(vocabulary.matches(pl.col(column))).get_column("count").sum())
    counts = _counts(filled, column)
    words = ", ".join(vocabulary.all())
    rows = "customers" if table == "customers" else table
    if matched == 0 or (related and matched < MIN_SHARE * filled_rows):
        unused = [(value, count) for value, count in counts if not vocabulary.used(value)]
        return [Finding(
            "vocabulary", "warning", table,
            f"{matched} of {filled_rows} {rows} have {_article(column)} {column} the rules use ({words}); "
            f"values seen: {_listed(unused)} — map them with a value map "
            f"([data.{table}.fields.{column}] map = {{...}}, see docs/data.md)",
            file=file, field=column, count=filled_rows - matched, examples=tuple(v for v, _ in unused[:SHOWN]),
            hint=f"map the client's values onto {words} with [data.{table}.fields.{column}.map] (docs/data.md, "
                 f"\"Value maps\"), or change the rules to the client's words")]
    if not related:
        return []
    seen = [value for value, _ in counts]
    missing = sorted({word for fold, ws in vocabulary.words.items() for word in ws
                      if not vocabulary.occurs(word, fold, seen)})
    unread = [(value, count) for value, count in counts if not vocabulary.used(value)]
    found = []
    if missing:
        found.append(Finding(
            "values", "warning", table,
            f"the rules read {column} {', '.join(missing)}, which no row has: what reads them is never true "
            "(no such rows, counted as none)",
            file=file, field=column, count=len(missing), examples=tuple(missing[:SHOWN]),
            hint=f"if the export names them differently, map them with [data.{table}.fields.{column}.map]; "
                 "if the client has none, the rules reading them do not apply"))
    if unread:
        found.append(Finding(
            "values", "info", table, f"{column} values no rule reads: {_listed(unread)}",
            file=file, field=column, count=sum(count for _, count in unread),
            examples=tuple(v for v, _ in unread[:SHOWN])))
    return found

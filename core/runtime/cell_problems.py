"""Problems about cells, located the way the user finds them, and the report collecting them.

Validation checks whole columns at once; this module turns the few rows it shows
into messages naming the file, the row as the user's tool numbers it, the column
as the file names it, and the cell as written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from clientwise.errors import Problem
from clientwise.host.contracts import RawTable
from clientwise.runtime.casts import Check

#: Bad cells shown per check (per column and kind of problem); the rest are counted.
SHOWN_PER_CHECK = 5


@dataclass
class ProblemReport:
    """The problems to show and how many there are in all.

    Each check adds its first few cells; :meth:`ordered` puts the first cell of
    every check before the second of any, so even a shortened listing shows every
    kind of problem in the data.
    """

    shown: list[tuple[int, int, Problem]] = field(default_factory=list)
    total: int = 0
    checks: int = 0

    def add(self, count: int, problems: Sequence[Problem]) -> None:
        self.total += count
        self.shown.extend((rank, self.checks, problem) for rank, problem in enumerate(problems))
        self.checks += 1

    def ordered(self) -> list[Problem]:
        return [problem for _, _, problem in sorted(self.shown, key=lambda item: item[:2])]


def row_labels(rows: pl.Series, positions: pl.Series) -> list[str]:
    """How the user finds these rows: ``row 14`` or a loader's own label."""
    picked = rows.gather(positions).to_list()
    if rows.dtype == pl.String:
        return [str(label) for label in picked]
    return [f"row {n}" for n in picked]


def joined_rows(rows: pl.Series, positions: pl.Series) -> str:
    """``rows 2 and 4``, ``row 7`` (or the loader's labels joined the same way)."""
    labels = row_labels(rows, positions)
    if rows.dtype != pl.String and len(labels) > 1:
        numbers = [label.removeprefix("row ") for label in labels]
        return "rows " + (", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 else numbers[0])
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]


def cell_text(value: object) -> str | None:
    """A cell as the user typed or would read it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def cell_problems(
    table: RawTable, column: str, positions: pl.Series, check: Check, count: int
) -> list[Problem]:
    """One problem per shown cell; the first says how many cells share it."""
    labels = row_labels(table.rows, positions)
    values = [cell_text(v) for v in table.frame.get_column(column).gather(positions).to_list()]
    problems = []
    for n, (label, value) in enumerate(zip(labels, values)):
        message = check.message
        if n == 0 and count > 1:
            message += f" ({count} cells of column '{column}' have this problem)"
        problems.append(
            Problem(
                message,
                file=table.file,
                location=f"{label}, column '{column}'",
                value=value,
                hint=check.fix(value),
            )
        )
    return problems

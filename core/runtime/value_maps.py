"""A field's ``map``: the client's words onto the rules' vocabulary, over whole columns.

Job titles become buying roles, ``stark`` becomes 3, four ticket types become
``support_call``. The map runs on the cleaned text before the field's type is
cast, so a numeric target is then checked like any number (``min``/``max``). Values
no entry maps are counted, never dropped silently: :func:`unmapped_finding` says
which and how often, or, with ``unmapped = "error"``, validation stops on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from clientwise.errors import Problem
from clientwise.ruleset.sources import Target, ValueMap
from clientwise.runtime.findings import Finding

#: Distinct unmapped values named in a finding; the rest are counted.
SHOWN_VALUES = 5


def target_text(value: Target) -> str:
    """A map target as the text the field's cast reads (``true``, ``3``, ``0.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class MappedText:
    """The mapped text, and a flag for cells that no entry mapped."""

    text: pl.Expr
    unmapped: pl.Expr


def map_text(text: pl.Expr, value_map: ValueMap, allowed: list[str] | None) -> MappedText:
    """``text`` mapped: exact, then ignore_case, then values already in the vocabulary
    (a target or an ``allowed`` value) as they are, then patterns in order."""
    lower = text.str.to_lowercase()
    conditions: list[tuple[pl.Expr, pl.Expr]] = []
    if value_map.exact:
        exact = {key.strip(): target_text(to) for key, to in value_map.exact.items()}
        conditions.append((text.is_in(list(exact)), text.replace_strict(exact, default=None)))
    if value_map.ignore_case:
        folded = {key.strip().lower(): target_text(to) for key, to in reversed(value_map.ignore_case.items())}
        conditions.append((lower.is_in(list(folded)), lower.replace_strict(folded, default=None)))
    vocabulary = [target_text(t) for t in value_map.targets()] + list(allowed or ())
    if vocabulary:
        conditions.append((text.is_in(vocabulary), text))
    for pattern in value_map.patterns:
        if pattern.contains is not None:
            found = lower.str.contains(pattern.contains.lower(), literal=True)
        else:
            found = text.str.contains(str(pattern.regex))
        conditions.append((found, pl.lit(target_text(pattern.to))))
    if not conditions:
        unmapped = text.is_not_null()
        return MappedText(text if value_map.unmapped == "keep" else pl.lit(None, pl.String), unmapped)
    matched = pl.any_horizontal([condition for condition, _ in conditions]).fill_null(False)
    chain = pl.when(conditions[0][0]).then(conditions[0][1])
    for condition, value in conditions[1:]:
        chain = chain.when(condition).then(value)
    mapped = chain.otherwise(text if value_map.unmapped == "keep" else pl.lit(None, pl.String))
    return MappedText(mapped, text.is_not_null() & ~matched)


def unmapped_counts(frame: pl.DataFrame, text: str, flag: str) -> pl.DataFrame:
    """Unmapped value -> count, most frequent first (ties by value, so runs agree)."""
    return (
        frame.lazy()
        .filter(pl.col(flag))
        .group_by(pl.col(text).alias("value"))
        .agg(pl.len().alias("count"))
        .sort(["count", "value"], descending=[True, False])
        .collect()
    )


def unmapped_finding(table: str, field: str, counts: pl.DataFrame, mode: str, file: str | None,
                     located: Sequence[Problem] = ()) -> Finding:
    """The warning for values no map entry covered (``mode``: what happened to them);
    ``located``: the first such cells as problems, for ``--strict-data``."""
    total = int(counts.get_column("count").sum())
    listed = [f"{value} ({count})" for value, count in counts.head(SHOWN_VALUES).iter_rows()]
    more = counts.height - len(listed)
    seen = ", ".join(listed) + (f" and {more} more" if more > 0 else "")
    effect = "kept as written" if mode == "keep" else "read as empty (unknown)"
    cells = f"{total} cells hold" if total != 1 else "1 cell holds"
    message = (
        f"{cells} values no entry of the map covers, {effect}: {seen}; "
        f"add them to [data.{table}.fields.{field}.map]"
        + (" or set unmapped = \"keep\" or \"error\"" if mode == "null" else "")
    )
    return Finding("unmapped", "warning", table, message, file=file, field=field, count=total,
                   examples=tuple(str(v) for v in counts.get_column("value").head(SHOWN_VALUES).to_list()),
                   hint=unmapped_hint(table, field), located=tuple(located))


def unmapped_hint(table: str, field: str) -> str:
    """How to map a value no entry covers."""
    return (f"add the value to [data.{table}.fields.{field}.map] (exact, ignore_case or patterns), "
            f"or set unmapped = \"keep\" there to use it as written")

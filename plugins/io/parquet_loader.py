"""The Parquet loader: typed columns, reading only the declared ones."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import polars as pl

from clientwise.host.contracts import Loader, RawTable
from clientwise.host.read_options import ReadOptions
from clientwise.plugins.io.parquet_pages import Damaged, check_page_headers
from clientwise.plugins.io.raw import Columns, row_numbers, single_table_name, unreadable


class ParquetLoader(Loader):
    """Parquet files, reading only the columns the ruleset declares.

    A declared column that is absent is not an error here; the closest existing
    names are read too so validation can suggest them ("did you mean").
    """

    name: ClassVar[str] = "parquet"
    suffixes: ClassVar[tuple[str, ...]] = (".parquet",)

    def read(
        self, path: Path, columns: Columns, *, keys: Mapping[str, str],
        options: ReadOptions | None = None,
    ) -> dict[str, RawTable]:
        table = single_table_name(path, options)
        if table not in columns:
            return {}
        try:
            check_page_headers(path)
            present = list(pl.read_parquet_schema(path))
            selected = select_columns(present, columns[table])
            frame = pl.read_parquet(path, columns=selected)
        except (pl.exceptions.PolarsError, OSError, Damaged) as exc:
            hint = "check that the file is a complete Parquet file"
            raise unreadable(path, "Parquet", exc, hint) from exc
        return {table: RawTable(table, frame, str(path), row_numbers(frame.height, 1))}


def select_columns(present: list[str], wanted: Sequence[str] | None) -> list[str] | None:
    """The declared columns present, and the near misses of absent ones (for "did you mean")."""
    if wanted is None:
        return None
    folded = {name.strip().lower(): name for name in reversed(present)}
    chosen: dict[str, None] = {}
    for name in wanted:
        if name in present:
            chosen[name] = None
        else:  # the same near-miss search validation uses for its "did you mean"
            near = difflib.get_close_matches(name.strip().lower(), list(folded), n=3, cutoff=0.6)
            chosen.update(dict.fromkeys(folded[match] for match in near))
    return list(chosen) or None

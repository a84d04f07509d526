"""What a backend that reads DATA itself gives the evaluator (:meth:`Backend.open_input`).

The polars backend's input is read by the loaders into polars frames. A backend that
runs out of core (DuckDB) reads and validates DATA itself, so the input never has to
fit in memory; the evaluator then needs only what it reports about the data: which
files fed which table, the columns each has (to find the fields the export lacks),
what reading noticed, and, for the fields the rules compare with text, each column's
distinct values and their counts (:mod:`clientwise.runtime.vocabulary`). The backend's :meth:`Backend.run` gets the handle back as
``BackendJob.input``, with ``BackendJob.customers`` holding only the keys and the columns to
join to them; :meth:`BackendInput.close` releases it after the run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, BinaryIO

import polars as pl


class BackendInput(ABC):
    """Validated input tables held by a backend."""

    #: table name -> the file (or database table) that fed it
    files: dict[str, str]
    #: table name -> the columns its file has
    columns: dict[str, list[str]]
    #: what reading noticed without stopping (``clientwise.runtime.findings.Finding``)
    findings: list[Any]

    @abstractmethod
    def keys(self, key: str) -> pl.DataFrame:
        """Every customer's key (column ``key``), sorted: what columns computed outside the
        backend (the trend functions' values from earlier runs) are joined on."""

    @abstractmethod
    def filled(self, table: str, column: str) -> tuple[int, int]:
        """The table's rows, and how many have a value in ``column``."""

    @abstractmethod
    def value_counts(self, table: str, column: str) -> pl.DataFrame:
        """The distinct values of ``column`` (a column named so, no nulls) and how many rows
        have each (``count``): one grouped query, the rows stay in the backend."""

    def streams(self, writer: Any) -> bool:
        """Whether :meth:`write_run` writes this writer's format itself; default: no."""
        return False

    def write_run(self, job: Any, writer: Any, stream: BinaryIO) -> pl.DataFrame:
        """Run ``job`` (a ``BackendJob``) and write its customers table as ``writer`` would
        into ``stream``, without collecting it; returns every customer (in key order) with
        the columns the sections' summaries read."""
        raise NotImplementedError(f"{type(self).__name__} writes no format itself")

    @abstractmethod
    def close(self) -> None:
        """Release what the input holds (the backend's connection, spilled files)."""

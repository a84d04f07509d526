"""Built-in loaders: CSV, JSON, JSON Lines, Parquet and Excel (one module per format).

A loader only reads: it keeps the user's cells as they are (CSV as text, typed
formats with their own types) and numbers every row the way the user's own tool
shows it, so validation can point at the exact cell. Casting and checking belong
to :mod:`clientwise.runtime.validate`, which treats every format the same way.
Row numbering is described in :mod:`clientwise.plugins.io.raw`.
"""

from __future__ import annotations

from clientwise.host.contracts import Loader
from clientwise.host.spec import hookimpl
from clientwise.plugins.io.csv_loader import CsvLoader
from clientwise.plugins.io.excel_loader import ExcelLoader
from clientwise.plugins.io.json_loader import JsonLinesLoader, JsonLoader
from clientwise.plugins.io.parquet_loader import ParquetLoader
from clientwise.plugins.io.raw import single_table_name

__all__ = ["CsvLoader", "ExcelLoader", "JsonLinesLoader", "JsonLoader", "ParquetLoader", "clientwise_loaders",
           "single_table_name"]


@hookimpl
def clientwise_loaders() -> list[Loader]:
    return [CsvLoader(), JsonLoader(), JsonLinesLoader(), ParquetLoader(), ExcelLoader()]

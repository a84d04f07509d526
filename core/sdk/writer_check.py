"""The formula-escaping check of ``assert_plugin_valid``: a writer of spreadsheet-bound text
must not let customer text start a formula.

Writers get formula-escaped text from the core unless they opt out
(``Writer.escape_formulas = False``); this check writes a result whose customer name
is a formula through the core's own write path and fails when a text format meant
for spreadsheets (``.csv``, ``.tsv``, ``.txt``...) holds it raw at the start of a cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

#: Suffixes of text files a spreadsheet program opens as a table.
SPREADSHEET_TEXT = (".csv", ".tsv", ".tab", ".txt", ".psv", ".dsv")
FORMULA_NAME = '=HYPERLINK("http://example.invalid","click")'
#: The name at the start of a cell: after a line start or a separator, perhaps in quotes.
_RAW = re.compile(r'(^|[\t,;|])"?' + re.escape("=HYPERLINK("), re.MULTILINE)


def writer_problems(writers: Sequence[Any], host: Any) -> list[str]:
    """Why each of ``writers`` would write formula-looking customer text raw (empty: none);
    ``host`` (the built-in plugins) evaluates the default ruleset over the bundled sample,
    its first customer renamed to a formula."""
    import polars as pl

    from clientwise.output.write import write_result
    from clientwise.runtime.evaluator import Evaluator
    from clientwise.sample import demo_path

    chosen = [w for w in writers if any(s in SPREADSHEET_TEXT for s in w.all_suffixes())]
    if not chosen:
        return []
    tables = {name: pl.read_csv(demo_path() / f"{name}.csv", infer_schema=False)
              for name in ("customers", "contacts", "interactions")}
    first = pl.int_range(pl.len()) == 0
    tables["customers"] = tables["customers"].with_columns(
        pl.when(first).then(pl.lit(FORMULA_NAME)).otherwise(pl.col("name")).alias("name"))
    result = Evaluator("default", host=host).evaluate(tables, as_of="2026-01-31")  # every built-in section's output
    problems = []
    for writer in chosen:
        buffer = io.BytesIO()
        try:
            write_result(result, writer, None, stdout=buffer)
        except Exception as error:  # noqa: BLE001 - reported as the plugin's problem
            problems.append(f"clientwise_writers: {type(writer).__name__} fails on the default ruleset's sample "
                            f"result: {type(error).__name__}: {error}")
            continue
        text = buffer.getvalue().decode("utf-8", errors="replace")
        if _RAW.search(text):
            problems.append(
                f"clientwise_writers: {type(writer).__name__} ({writer.format}) writes the customer name "
                f"{FORMULA_NAME} raw, so a spreadsheet would run it; keep escape_formulas on (the default) "
                "or escape text with clientwise.sdk.escape_formula")
    return problems

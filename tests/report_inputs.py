"""The sample portfolio with hostile customer names, evaluated once per test process."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import polars as pl

import clientwise
from clientwise.runtime.result import Result
from clientwise.sample import DEMO_AS_OF, demo_path

#: Customer key -> name put into the sample: markup, formulas and Markdown specials.
HOSTILE = {
    "C00107": "<script>alert(1)</script>",        # the largest customer: strategic, checklist, matrix, actions
    "C00291": '=HYPERLINK("http://evil.example","x")',
    "C00257": "+cmd|' /C calc'!A0",
    "C00203": "-2+3",
    "C00258": "@SUM(A1) | **bold** [link](http://evil.example)",
}


@functools.lru_cache(maxsize=None)
def hostile_data() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="clientwise-report-"))
    atexit.register(shutil.rmtree, folder, True)
    for name in ("contacts.csv", "interactions.csv"):
        shutil.copy(demo_path() / name, folder / name)
    customers = pl.read_csv(demo_path() / "customers.csv", infer_schema=False)
    customers = customers.with_columns(
        pl.col("customer_id").replace_strict(HOSTILE, default=pl.col("name")).alias("name")
    )
    customers.write_csv(folder / "customers.csv")
    return folder


@functools.lru_cache(maxsize=None)
def hostile_result() -> Result:
    return clientwise.evaluate("default", hostile_data(), as_of=DEMO_AS_OF)


@functools.lru_cache(maxsize=None)
def sample_result() -> Result:
    return clientwise.evaluate("default", demo_path(), as_of=DEMO_AS_OF)


#: The default ruleset presented to a German client: every [report] key, with markup
#: and Markdown specials in the texts a consultant types.
GERMAN = """extends = "default"
[metadata]
name = "acme"
version = "2026.2"
[report]
client = "ACME <Industrial> GmbH"
title = "Kundenportfolio: Review Q2 2026"
prepared_by = "Dr. Jana Beispiel | **Nordlicht** Consulting"
confidentiality = "Vertraulich: nur für die Geschäftsleitung"
locale = "de-DE"
currency = "EUR"
"""


@functools.lru_cache(maxsize=None)
def german_result() -> Result:
    """The hostile sample evaluated with :data:`GERMAN`."""
    folder = Path(tempfile.mkdtemp(prefix="clientwise-de-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "acme.toml").write_text(GERMAN, encoding="utf-8")
    return clientwise.evaluate(str(folder / "acme.toml"), hostile_data(), as_of=DEMO_AS_OF)

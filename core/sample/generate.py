"""Generate and write a sample B2B portfolio shaped like the default ruleset's ``[data]``.

The demo data shipped with clientwise, the tests and the benchmark all come from
here, so a fixed seed must give byte-identical files on every machine: see
:mod:`clientwise.sample.draws` for how randomness stays reproducible.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl

from clientwise.output.atomic import atomic_writes
from clientwise.sample import contacts as contact_table
from clientwise.sample import customers as customer_table
from clientwise.sample import interactions as interaction_table
from clientwise.sample.draws import Draws

#: The date the bundled demo data is anchored on, so demo output never drifts with the clock.
DEMO_AS_OF = dt.date(2026, 6, 30)
DEMO_SEED = 7
DEMO_CUSTOMERS = 300

#: Columns and polars types of each table, in the order of the default ruleset's ``[data]``.
SCHEMA: dict[str, dict[str, pl.DataType]] = {
    "customers": {
        "customer_id": pl.String(),
        "name": pl.String(),
        "industry": pl.String(),
        "region": pl.String(),
        "account_manager": pl.String(),
        "revenue": pl.Float64(),
        "gross_margin": pl.Float64(),
        "discounts": pl.Float64(),
        "payment_terms_days": pl.Int64(),
        "executive_sponsor": pl.String(),
        "tier_override": pl.String(),
        "tier_override_reason": pl.String(),
        "tier_override_expires": pl.Date(),
        "relationship_map_reviewed": pl.Date(),
        "management_knows_top": pl.Boolean(),
        "marketing_knows_top": pl.Boolean(),
        "service_knows_top": pl.Boolean(),
        "competitor_pilot": pl.Boolean(),
        "renewal_process": pl.Boolean(),
        "competitive_response_process": pl.Boolean(),
        "requirements_list": pl.Boolean(),
        "newsletter_recipients": pl.Int64(),
        "news_preference_known": pl.Boolean(),
        "channels_available": pl.Boolean(),
        "execs_follow_channels": pl.Boolean(),
        "satisfaction_score": pl.Float64(),
        "satisfaction_tool": pl.Boolean(),
    },
    "contacts": {
        "customer_id": pl.String(),
        "contact_name": pl.String(),
        "role": pl.String(),
        "covered_by": pl.String(),
        "strength": pl.Int64(),
        "last_contact": pl.Date(),
    },
    "interactions": {
        "customer_id": pl.String(),
        "date": pl.Date(),
        "type": pl.String(),
        "amount": pl.Float64(),
        "channel": pl.String(),
        "by_sponsor": pl.Boolean(),
        "led_by": pl.String(),
        "listen_share": pl.Float64(),
    },
}

Format = Literal["csv", "parquet", "jsonl", "json"]
SUFFIXES: dict[str, str] = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl", "json": ".json"}


def generate(
    customers: int = DEMO_CUSTOMERS, *, seed: int = DEMO_SEED, as_of: dt.date | str = DEMO_AS_OF
) -> dict[str, pl.DataFrame]:
    """A portfolio of ``customers`` customers with their contacts and two years of interactions.

    Same ``customers``, ``seed`` and ``as_of`` -> identical frames. Dates lie on or
    before ``as_of`` (except tier-override expiries, some of which are in the future).
    Expect about 3 contacts and 6 interactions per customer.
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    draws = Draws(seed)
    people = customer_table.build(draws, customers, day)
    frames = {
        "customers": people,
        "contacts": contact_table.build(draws, people, day),
        "interactions": interaction_table.build(draws, people, day),
    }
    return {name: frames[name].select(_casts(columns)) for name, columns in SCHEMA.items()}


def _casts(columns: Mapping[str, pl.DataType]) -> list[pl.Expr]:
    return [pl.col(name).cast(dtype) for name, dtype in columns.items()]


def write(
    tables: Mapping[str, pl.DataFrame], directory: str | os.PathLike[str], format: Format = "csv"
) -> dict[str, Path]:
    """Write each table to ``directory/<name><suffix>``, all files replaced together.

    CSV is written the way CRM exports look: booleans as ``Yes``/``No``, unknowns as
    blank cells, dates as ISO 8601. Returns the path of each table's file.
    """
    if format not in SUFFIXES:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(SUFFIXES)}")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = {name: target / f"{name}{SUFFIXES[format]}" for name in tables}
    writer = _WRITERS[format]
    with atomic_writes() as group:
        for name, frame in tables.items():
            writer(frame, group.open(paths[name]))
    return paths


def demo_path() -> Path:
    """The directory of the bundled demo CSVs (customers, contacts, interactions).

    They are ``write(generate(), ..., "csv")`` with the demo seed and as-of date, so
    evaluating them with ``as_of=DEMO_AS_OF`` gives the same result on every machine.
    """
    resource = files("clientwise.sample").joinpath("data")
    if not isinstance(resource, Path):
        raise RuntimeError(
            "clientwise is installed inside an archive, so the demo files have no path; "
            "use clientwise.sample.generate() to get the same tables"
        )
    return resource


def _yes_no(frame: pl.DataFrame) -> pl.DataFrame:
    flags = [name for name, dtype in frame.schema.items() if dtype == pl.Boolean]
    return frame.with_columns(
        pl.when(pl.col(name)).then(pl.lit("Yes")).when(~pl.col(name)).then(pl.lit("No")).alias(name)
        for name in flags
    )


def _write_csv(frame: pl.DataFrame, stream: BinaryIO) -> None:
    _yes_no(frame).write_csv(stream, date_format="%Y-%m-%d")


def _write_parquet(frame: pl.DataFrame, stream: BinaryIO) -> None:
    frame.write_parquet(stream, compression="zstd", statistics=True)


def _write_jsonl(frame: pl.DataFrame, stream: BinaryIO) -> None:
    frame.write_ndjson(stream)


def _write_json(frame: pl.DataFrame, stream: BinaryIO) -> None:
    frame.write_json(stream)


_WRITERS: dict[str, Callable[[pl.DataFrame, BinaryIO], None]] = {
    "csv": _write_csv,
    "parquet": _write_parquet,
    "jsonl": _write_jsonl,
    "json": _write_json,
}

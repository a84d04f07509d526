"""A portfolio over several quarters, for the run history and ``clientwise compare``.

The first quarter is :func:`~clientwise.sample.generate`'s portfolio. Each later
quarter (three months on, at the end of the month) some customers leave and new ones
arrive with fresh ids (never reused), revenue drifts, and relationships move: about
one customer in six improves (contacts strengthened and reached recently, gaps in
the buying roles covered, the relationship map reviewed, more checklist answers
yes), one in six decays (contacts weaken or leave, nobody calls, answers turn no),
the rest carry on. Interactions repeat the same customer's pattern of a year before,
a decaying customer's without the meetings. Same arguments, same quarters, on every
machine (every draw comes from :class:`~clientwise.sample.draws.Draws`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import polars as pl

from clientwise.sample.customers import ANSWERS
from clientwise.sample.draws import Draws, cents, days_before, normal
from clientwise.sample.generate import DEMO_AS_OF, DEMO_CUSTOMERS, DEMO_SEED, SCHEMA, generate

#: Share of customers lost, and of new customers gained, per quarter.
LOSS_RATE, GAIN_RATE = 0.04, 0.05
#: Share of customers whose relationship improves, and decays, in a quarter.
IMPROVE_RATE, DECAY_RATE = 0.17, 0.17
#: Interaction types a decaying relationship no longer has.
MEETINGS = ["visit", "call", "pricing_discussion", "roadmap_meeting", "satisfaction_survey"]
STEADY, IMPROVING, DECAYING = 0, 1, 2


@dataclass(frozen=True)
class Quarter:
    """One quarter's portfolio: its as-of date, label (``2026-Q3``) and tables."""

    as_of: dt.date
    label: str
    tables: dict[str, pl.DataFrame]


def quarter_label(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_end(start: dt.date, quarters: int) -> dt.date:
    """The last day of the month ``3 * quarters`` months after ``start``'s month."""
    months = start.year * 12 + start.month - 1 + 3 * quarters
    year, month = divmod(months, 12)
    return dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def evolve(customers: int = DEMO_CUSTOMERS, quarters: int = 4, *, seed: int = DEMO_SEED,
           start: dt.date = DEMO_AS_OF) -> list[Quarter]:
    """``quarters`` consecutive quarters of one portfolio, the first as of ``start``."""
    if quarters < 1:
        raise ValueError(f"quarters must be at least 1, got {quarters}")
    tables = generate(customers, seed=seed, as_of=start)
    width = max(5, len(str(customers)))
    found = [Quarter(start, quarter_label(start), tables)]
    next_number = customers + 1
    for index in range(1, quarters):
        previous, day = found[-1].as_of, quarter_end(start, index)
        tables, next_number = _next_quarter(tables, Draws(seed), index, previous, day, width, next_number)
        found.append(Quarter(day, quarter_label(day), tables))
    return found


def _next_quarter(tables: dict[str, pl.DataFrame], draws: Draws, index: int, previous: dt.date, day: dt.date,
                  width: int, next_number: int) -> tuple[dict[str, pl.DataFrame], int]:
    people = tables["customers"]
    n = people.height
    u = draws.frame(f"evolve.{index}", n, ("lost", "trend", "revenue_1", "revenue_2", "map", *ANSWERS))
    people = pl.concat([people, u], how="horizontal").with_columns(
        _trend=pl.when(pl.col("u_trend") < IMPROVE_RATE).then(IMPROVING)
        .when(pl.col("u_trend") >= 1 - DECAY_RATE).then(DECAYING).otherwise(STEADY))
    kept = people.filter(pl.col("u_lost") >= LOSS_RATE)
    trend = pl.col("_trend")
    drift = (0.10 * normal(pl.col("u_revenue_1"), pl.col("u_revenue_2"))
             + pl.when(trend == IMPROVING).then(0.05).when(trend == DECAYING).then(-0.10).otherwise(0.0)).exp()
    kept = kept.with_columns(
        revenue=cents(pl.col("revenue") * drift),
        relationship_map_reviewed=pl.when(trend == IMPROVING)
        .then(days_before(pl.lit(day, pl.Date), (pl.col("u_map") * 30).floor()))
        .otherwise(pl.col("relationship_map_reviewed")),
        **{name: pl.when((trend == IMPROVING) & pl.col(name).is_null() & (pl.col(f"u_{name}") < 0.4)).then(True)
           .when((trend == DECAYING) & pl.col(name).fill_null(False) & (pl.col(f"u_{name}") < 0.3)).then(False)
           .otherwise(pl.col(name)) for name in ANSWERS},
    )
    trends = kept.select("customer_id", "_trend", "account_manager")
    contacts = _contacts(tables["contacts"], trends, draws, index, previous, day)
    interactions = _interactions(tables["interactions"], trends, previous, day)
    gained = max(1, round(n * GAIN_RATE))
    newcomers = generate(gained, seed=draws.seed * 1000 + index, as_of=day)
    ids = {f"C{str(i + 1).zfill(max(5, len(str(gained))))}": f"C{str(next_number + i).zfill(width)}"
           for i in range(gained)}
    renamed = {name: frame.with_columns(pl.col("customer_id").replace_strict(ids)) for name, frame in newcomers.items()}
    ordering = {"customers": ["customer_id"], "contacts": ["customer_id"], "interactions": ["customer_id", "date"]}
    result = {name: pl.concat([_schema(name, frame), _schema(name, renamed[name])]).sort(ordering[name],
                                                                                      maintain_order=True)
              for name, frame in (("customers", kept), ("contacts", contacts), ("interactions", interactions))}
    return result, next_number + gained


def _schema(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(column).cast(dtype) for column, dtype in SCHEMA[name].items())


def _contacts(contacts: pl.DataFrame, trends: pl.DataFrame, draws: Draws, index: int, previous: dt.date,
              day: dt.date) -> pl.DataFrame:
    rows = contacts.join(trends, on="customer_id", how="inner", maintain_order="left")
    u = draws.frame(f"evolve.{index}.contacts", rows.height, ("leave", "cover", "when"))
    rows = pl.concat([rows, u], how="horizontal").with_columns(
        _position=pl.int_range(pl.len()).over("customer_id"))
    trend, covered = pl.col("_trend"), pl.col("covered_by").is_not_null()
    recent = pl.col("last_contact") > pl.lit(previous, pl.Date) - pl.duration(days=90)
    reached = days_before(pl.lit(day, pl.Date), (pl.col("u_when") * 60).floor())
    rows = rows.filter(~((trend == DECAYING) & (pl.col("_position") > 0) & (pl.col("u_leave") < 0.3)))
    return rows.with_columns(
        covered_by=pl.when((trend == IMPROVING) & ~covered & (pl.col("u_cover") < 0.6))
        .then(pl.col("account_manager")).otherwise(pl.col("covered_by")),
        strength=pl.when(trend == IMPROVING).then(pl.max_horizontal(pl.col("strength") + 1, 2).clip(0, 4))
        .when((trend == DECAYING) & covered).then((pl.col("strength") - 1).clip(1, 4))
        .otherwise(pl.col("strength")),
        last_contact=pl.when(trend == IMPROVING).then(reached)
        .when((trend == STEADY) & recent & (pl.col("u_when") < 0.7)).then(reached)
        .otherwise(pl.col("last_contact")),
    )


def _interactions(interactions: pl.DataFrame, trends: pl.DataFrame, previous: dt.date, day: dt.date) -> pl.DataFrame:
    """The customers kept, a quarter of new interactions (last year's, a year on), the oldest dropped."""
    rows = interactions.join(trends.select("customer_id", "_trend"), on="customer_id", how="inner",
                             maintain_order="left")
    year = pl.duration(days=365)
    window = (pl.col("date") > pl.lit(previous, pl.Date) - year) & (pl.col("date") <= pl.lit(day, pl.Date) - year)
    repeated = rows.filter(window & ~((pl.col("_trend") == DECAYING) & pl.col("type").is_in(MEETINGS)))
    repeated = repeated.with_columns(pl.col("date") + year)
    oldest = pl.lit(day, pl.Date) - pl.duration(days=730)
    return pl.concat([rows, repeated]).filter(pl.col("date") > oldest).drop("_trend")

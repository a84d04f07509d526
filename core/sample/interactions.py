"""The interactions table: two years of dated orders, calls, visits, meetings and returns.

Big customers see more of everything and more senior contact (sponsor visits, roadmap
meetings); the tail mostly orders and calls support. On top of the routine, value
destroyers get a year of extra support calls and returns, and a few customers have a
support-call storm: 35 or more calls on a single day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from clientwise.sample.customers import BIG, MID, by_size
from clientwise.sample.draws import (
    Draws,
    cents,
    choose,
    choose_by,
    days_before,
    decimals,
    scaled_count,
    u,
)

TYPES = [
    "order", "support_call", "visit", "call", "pricing_discussion", "roadmap_meeting",
    "requirement_delivered", "satisfaction_survey", "return", "newsletter",
]
#: How often each type occurs, for big, mid and small customers.
TYPE_WEIGHTS = [
    [30, 14, 12, 12, 6, 7, 6, 4, 2, 7],
    [38, 16, 8, 12, 5, 4, 4, 4, 3, 6],
    [45, 20, 4, 10, 4, 1, 2, 4, 4, 6],
]
#: Routine orders a year for big, mid and small customers (from the counts and weights
#: above), so a customer's orders over a year add up to about its revenue.
ORDERS_PER_YEAR = (3.2, 1.6, 1.0)
CHANNELS = ["in_person", "phone", "video"]
#: Channel weights per type; types without a channel get a placeholder row and a null.
CHANNEL_WEIGHTS = {
    "support_call": [0, 90, 10],
    "visit": [75, 0, 25],
    "call": [0, 70, 30],
    "pricing_discussion": [40, 30, 30],
    "roadmap_meeting": [50, 0, 50],
}
#: Chance our executive sponsor (when there is one) joins each kind of meeting.
SPONSOR_JOINS = {"visit": 0.45, "call": 0.2, "pricing_discussion": 0.3, "roadmap_meeting": 0.35}

_UNIFORMS = ("type", "age", "amount", "channel", "sponsor", "blank", "lead", "listen")


def build(draws: Draws, customers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Routine interactions plus value destroyers' extra load and support storms, sorted by customer and date."""
    n = customers.height
    size = pl.col("_size")
    profile = customers.select(
        "_index", "customer_id", "_size", "_destroyer", "_potential",
        _sponsored=pl.col("executive_sponsor").is_not_null(),
        _dormant=pl.col("revenue") == 0,
    )
    count_u = draws.uniform("interactions.count", n)
    routine = _explode(
        profile.with_columns(
            count=pl.when(size == BIG)
            .then(12 + (count_u * 19).floor())
            .when(size == MID)
            .then(5 + (count_u * 8).floor())
            .otherwise((count_u * 4).floor())
        )
    )
    routine = pl.concat([routine, draws.frame("interactions", routine.height, _UNIFORMS)], how="horizontal")
    routine = routine.with_columns(
        type=choose_by(u("type"), size, TYPES, TYPE_WEIGHTS),
        _age=pl.when(pl.col("_dormant"))
        .then(365 + (u("age") * 365).floor())
        .otherwise((u("age") * 730).floor()),
    )
    parts = [_fill(routine), _destroyer_load(draws, profile), _storms(draws, profile, n)]
    columns = ["_index", "customer_id", "_age", "type", "amount", "channel", "by_sponsor", "led_by", "listen_share"]
    return (
        pl.concat([part.select(c for c in columns if c in part.columns) for part in parts], how="diagonal_relaxed")
        .sort("_index", pl.col("_age"), descending=[False, True], maintain_order=True)
        .select(pl.exclude("_age"), date=days_before(pl.lit(as_of, pl.Date), pl.col("_age")))
    )


def _explode(counts: pl.DataFrame) -> pl.DataFrame:
    """One row per unit of ``count`` (customers with 0 get no row)."""
    counts = counts.filter(pl.col("count") > 0)
    ranges = pl.int_ranges(0, pl.col("count").cast(pl.Int64)).alias("count")
    return counts.with_columns(ranges).explode("count").drop("count")


def _fill(rows: pl.DataFrame) -> pl.DataFrame:
    """Amounts, channels, sponsor presence and meeting details that fit each interaction's type."""
    kind = pl.col("type")
    channel_groups = pl.col("type").replace_strict(
        {t: i for i, t in enumerate(CHANNEL_WEIGHTS)}, default=0, return_dtype=pl.Int64
    )
    joins = kind.replace_strict(SPONSOR_JOINS, default=None, return_dtype=pl.Float64)
    amount_u = u("amount")
    lead = choose(u("lead"), ["product", "sales"], [55, 45])
    listen = pl.when(u("lead") < 0.55).then(0.35 + 0.45 * u("listen")).otherwise(0.1 + 0.4 * u("listen"))
    roadmap = kind == "roadmap_meeting"
    orders_per_year = by_size(pl.col("_size"), *ORDERS_PER_YEAR)
    return rows.with_columns(
        amount=pl.when(kind == "order")
        .then(cents(pl.col("_potential") * (0.5 + amount_u) / orders_per_year + 40.0))
        .when(kind == "return")
        .then(cents(pl.col("_potential") * 0.01 * amount_u + 25.0)),
        channel=pl.when(kind.is_in(list(CHANNEL_WEIGHTS))).then(
            choose_by(u("channel"), channel_groups, CHANNELS, list(CHANNEL_WEIGHTS.values()))
        ),
        by_sponsor=pl.when(joins.is_null() | (u("blank") < 0.03))
        .then(None)
        .otherwise(pl.col("_sponsored") & (u("sponsor") < joins)),
        led_by=pl.when(roadmap).then(lead),
        listen_share=pl.when(roadmap & (u("blank") >= 0.1)).then(decimals(listen, 2)),
    )


def _destroyer_load(draws: Draws, profile: pl.DataFrame) -> pl.DataFrame:
    """A year of extra support calls and returns for the customers that cost most to serve."""
    destroyers = profile.filter(pl.col("_destroyer"))
    count_u = draws.uniform("destroyers.count", destroyers.height)
    calls = _explode(destroyers.with_columns(count=8 + (count_u * 18).floor(), type=pl.lit("support_call")))
    returns = _explode(destroyers.with_columns(count=2 + (count_u * 5).floor(), type=pl.lit("return")))
    calls = calls.with_columns(
        _age=(draws.uniform("destroyers.call_age", calls.height) * 365).floor(),
        channel=pl.lit("phone"),
    )
    returns = returns.with_columns(
        _age=(draws.uniform("destroyers.return_age", returns.height) * 365).floor(),
        amount=cents(pl.col("_potential") * 0.02 * draws.uniform("destroyers.return_amount", returns.height) + 25.0),
    )
    return pl.concat([calls, returns], how="diagonal_relaxed")


def _storms(draws: Draws, profile: pl.DataFrame, n: int) -> pl.DataFrame:
    """Support-call storms: one bad day with 35-64 calls, usually within the last year.

    Stormy customers are drawn by position (a repeat is dropped), so a million
    customers cost a few thousand draws, not a million.
    """
    picks = draws.frame("storms", scaled_count(n, 0.005, 3), ("who", "size", "age"))
    stormy = (
        picks.with_columns(_index=(u("who") * n).floor().cast(pl.Int64))
        .unique("_index", keep="first", maintain_order=True)
        .join(profile, on="_index", how="inner", maintain_order="left")
    )
    return _explode(
        stormy.with_columns(
            count=35 + (u("size") * 30).floor(),
            _age=(u("age") * u("age") * 365).floor(),
            type=pl.lit("support_call"),
            channel=pl.lit("phone"),
        )
    )

"""The contacts table: who we know at each customer, in which role, and how well.

Bigger customers have more contacts (1-8). The first contact is usually the budget
holder; our coverage follows the roles (sponsors cover budget holders, service covers
users, product covers coaches), and about one contact in eight is covered by nobody,
so relationship maps have realistic holes.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import polars.selectors as cs

from clientwise.sample import vocab
from clientwise.sample.customers import BIG, MID
from clientwise.sample.draws import Draws, choose, choose_by, days_before, u

ROLES = ["budget", "gatekeeper", "user", "coach"]

_UNIFORMS = ("role", "covered", "cover_who", "helper", "strength", "dated", "age", "first", "last", "blank")


def build(draws: Draws, customers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per contact, sorted by customer; helper columns are dropped by the caller."""
    size = pl.col("_size")
    count_u = draws.uniform("contacts.count", customers.height)
    counts = customers.select(
        "_index", "customer_id", "_size", "executive_sponsor", "account_manager",
        count=pl.when(size == BIG)
        .then(4 + (count_u * 5).floor())
        .when(size == MID)
        .then(2 + (count_u * 4).floor())
        .otherwise(1 + (count_u * 4).floor())
        .cast(pl.Int64),
    )
    rows = counts.with_columns(position=pl.int_ranges(0, "count")).explode("position")
    rows = pl.concat([rows, draws.frame("contacts", rows.height, _UNIFORMS)], how="horizontal")
    role = choose_by(
        u("role"), pl.col("position").clip(0, 2), ROLES,
        [[85, 0, 15, 0], [10, 45, 35, 10], [10, 15, 50, 25]],
    )
    rows = rows.with_columns(role=role, _covered=u("covered") >= _uncovered_chance(size))
    role_col, covered, who = pl.col("role"), pl.col("_covered"), u("cover_who")
    service = choose(u("helper"), vocab.SERVICE_STAFF, [1] * len(vocab.SERVICE_STAFF))
    product = choose(u("helper"), vocab.PRODUCT_STAFF, [1] * len(vocab.PRODUCT_STAFF))
    covered_by = (
        pl.when(~covered)
        .then(None)
        .when((role_col == "budget") & pl.col("executive_sponsor").is_not_null() & (who < 0.6))
        .then(pl.col("executive_sponsor"))
        .when((role_col == "coach") & (who < 0.3))
        .then(product)
        .when((role_col == "user") & (who < 0.35))
        .then(service)
        .otherwise(pl.col("account_manager"))
    )
    # Big customers get stronger and more recent contact than the tail.
    strength = choose_by(
        u("strength"), pl.when(~covered).then(0).when(size == BIG).then(2).otherwise(1), [0, 1, 2, 3, 4],
        [[60, 40, 0, 0, 0], [0, 15, 35, 30, 20], [0, 8, 27, 38, 27]],
    )
    age = u("age")
    recency = pl.when(size == BIG).then(300.0).when(size == MID).then(540.0).otherwise(720.0)
    last_contact = (
        pl.when(covered)
        .then(days_before(pl.lit(as_of, pl.Date), (age * age * recency).floor()))
        .when(u("dated") >= 0.3)
        .then(days_before(pl.lit(as_of, pl.Date), 180 + (age * 700).floor()))
    )
    first = choose(u("first"), vocab.FIRST_NAMES, [1] * len(vocab.FIRST_NAMES))
    last = choose(u("last"), vocab.SURNAMES, [1] * len(vocab.SURNAMES))
    return rows.with_columns(
        contact_name=pl.when(u("blank") < 0.02).then(None).otherwise(pl.concat_str([first, last], separator=" ")),
        covered_by=covered_by,
        strength=strength.cast(pl.Int64),
        last_contact=last_contact,
    ).drop(cs.starts_with("u_"))


def _uncovered_chance(size: pl.Expr) -> pl.Expr:
    """Chance a contact is covered by nobody: tail customers are covered more thinly."""
    return pl.when(size == BIG).then(0.08).when(size == MID).then(0.12).otherwise(0.16)

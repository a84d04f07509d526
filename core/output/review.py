"""What changed since the last review, as the reports for people show it.

When a previous run of the portfolio is stored (``clientwise evaluate --save``),
``clientwise evaluate`` compares the new result with it before writing a report
(:func:`clientwise.history.since.since_last_review`, which reuses the comparison of
``clientwise compare``) and hands the reports a :class:`Review` on
``Result.review``: which run it compared with, per customer the tier, health and
checklist score then and the actions that are new, the tier migration matrix, the
health of the most important customers across the stored runs, and the counts the
executive summary's sentences need. It holds values, not text: each report writes
them in its own language and layout. A result without a previous run has no review,
and its reports are exactly what they were without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

#: How a customer's value moved since the last review.
UP, DOWN, SAME, NEW = "up", "down", "same", "new"
#: The outputs whose moves the reports show, when both runs have them.
TIER, HEALTH, CHECKLIST = "tier", "health_score", "checklist_pct"
TRENDS = (TIER, HEALTH, CHECKLIST)
#: Changes of a score smaller than this (in its own unit) read as "same": the reports
#: show scores with one decimal, so a change they would show as 0 is no move.
TOLERANCE = 0.05


@dataclass(frozen=True)
class ReviewRun:
    """A stored run as the reports name it."""

    source: str  # "run 3 (2026-Q4)"
    label: str | None
    as_of: dt.date
    ruleset: str = ""  # "default 1.0.0"

    @property
    def name(self) -> str:
        """The label when the run has one (what people called the review), else ``run N``."""
        return self.label or self.source


@dataclass
class Review:
    """This run against the previous review (see the module docstring)."""

    previous: ReviewRun
    #: The runs the health sparklines show, oldest first; this run is the last.
    runs: tuple[ReviewRun, ...]
    #: Tiers best first (the ruleset's order), for telling a move up from a move down.
    tiers: tuple[str, ...]
    #: The tiers whose customers get a sparkline (every tier but the last: strategic and core).
    reviewed_tiers: tuple[str, ...]
    #: Which of :data:`TRENDS` both runs have.
    compared: tuple[str, ...]
    #: One row per customer of this run, in key order: ``key`` and ``name`` (text), ``in_previous``;
    #: per compared output ``<output>_then``, ``<output>_now`` and ``<output>_move``
    #: (:data:`UP`, :data:`DOWN`, :data:`SAME`, :data:`NEW` for a customer gained since;
    #: null when either value is unknown); ``new_actions`` (rule ids not recommended
    #: for the customer at the previous review: all of them for a customer gained since)
    #: and ``health_runs`` (health per run of :attr:`runs`, for customers of the reviewed
    #: tiers; null for the others).
    customers: pl.DataFrame
    #: Tier migration over customers in both runs: ``from``, ``to``, ``customers`` (and
    #: ``measure``, the segmentation measure now, when known); classes in :attr:`order`.
    migration: pl.DataFrame | None
    order: tuple[str, ...] = ()
    #: The segmentation measure's name (``revenue``), when the runs have one.
    measure: str | None = None
    gained: int = 0
    gained_measure: float | None = None
    lost: int = 0
    lost_measure: float | None = None
    #: Customers in both runs whose health went up, down, stayed; mean health then and now.
    health_up: int = 0
    health_down: int = 0
    mean_health_then: float | None = None
    mean_health_now: float | None = None
    #: Recommended actions new since the last review (for customers in both runs, and for
    #: customers gained since), and resolved (no longer recommended to a customer in both).
    actions_new: int = 0
    actions_new_gained: int = 0
    actions_resolved: int = 0
    #: (ruleset then, ruleset now) when the rulesets differ, e.g. ("default 1.0.0", "acme 2027.1").
    ruleset_change: tuple[str, str] | None = None

    def rows(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The :attr:`customers` rows of ``keys`` (only those: a report looks up the few it
        shows, not a million), by key."""
        wanted = pl.Series(list(dict.fromkeys(str(k) for k in keys)), dtype=pl.String)
        chosen = self.customers.filter(pl.col("key").is_in(wanted.implode()))
        return {row["key"]: row for row in chosen.iter_rows(named=True)}

    def new_actions(self, keys: Iterable[str]) -> set[tuple[str, str]]:
        """(customer, rule) of the actions new since the last review, among ``keys``' customers."""
        wanted = pl.Series(list(dict.fromkeys(str(k) for k in keys)), dtype=pl.String)
        pairs = (self.customers.select("key", "new_actions").filter(pl.col("key").is_in(wanted.implode()))
                 .explode("new_actions").drop_nulls("new_actions"))
        return set(pairs.iter_rows())

    def reviewed(self) -> pl.DataFrame:
        """The customers of the reviewed tiers (those with a health sparkline)."""
        return self.customers.filter(pl.col("health_runs").is_not_null())

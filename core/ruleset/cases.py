"""The ``[[tests]]`` section: test cases a consultant keeps next to the criteria.

A case gives a few customer records (and their contacts and interactions), an
``as_of`` date and what the ruleset must decide for them. ``clientwise test`` runs
them (see :mod:`clientwise.authoring.runner`); the model lives here so the loader
validates cases like every other core key, ``extends`` merges them by ``id`` and
``clientwise schema`` describes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from clientwise.ruleset.data import Strict
from clientwise.ruleset.sources import IsoDate

Scalar = bool | int | float | str | dt.date | None
Record = dict[str, Any]


class Expectation(Strict):
    """What must come out for every customer of the case.

    Besides the action lists, any output or derived column may be given:
    ``tier = "strategic"``, ``value_class = "neutral"``, ``health_score = 70``. Numbers
    match within the case's ``tolerance``; TOML has no null, so ``column = "<null>"``
    expects an empty value.
    """

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    actions: list[str] = Field(default_factory=list, description="Action rule ids that must fire.")
    not_actions: list[str] = Field(default_factory=list, description="Action rule ids that must not fire.")
    only_actions: bool = Field(False, description="No action other than those in actions may fire.")

    def values(self) -> dict[str, Scalar]:
        """Expected column values (everything except the action lists)."""
        return dict(self.model_extra or {})


#: Written as an expected value, means "this column is empty (null)".
NULL_MARK = "<null>"


class PreviousRun(Strict):
    """An earlier run a case gives for the trend functions (``previous``, ``runs_since`` ...)."""

    as_of: dt.date | None = Field(None, description="The earlier run's as-of date (for days_since_review()).")
    customers: list[Record] = Field(
        default_factory=list,
        description="What the earlier run stored per customer: the key and output values, e.g. "
        '{ customer_id = "C1", health_score = 80, tier = "core" }. A customer left out was not in that run.',
    )


class TestCase(Strict):
    """One test case of ``[[tests]]``."""

    __test__ = False  # not a pytest class

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", description="Identifier (select cases with -k).")
    description: str = Field("", description="What the case is about, shown when it fails.")
    as_of: IsoDate = Field(description="Reference date of the case (YYYY-MM-DD, no quotes).")
    customers: list[Record] = Field(
        min_length=1, description="The customers checked: one table per customer, keys are data field names."
    )
    population: list[Record] = Field(
        default_factory=list,
        description="Other customers: part of the population (ranks, shares), not checked.",
    )
    contacts: list[Record] = Field(default_factory=list, description="Contact rows, with the customer key.")
    interactions: list[Record] = Field(default_factory=list, description="Interaction rows, with the customer key.")
    fixed: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Derived values fixed for every customer of the case instead of computed "
        "(e.g. segment_rank = 3 places a customer without listing a population).",
    )
    previous: list[PreviousRun] = Field(
        default_factory=list,
        description="Earlier saved runs, newest first, for trend functions: previous(x) reads the first; "
        "runs_since walks back through them. Without it, trend functions are unknown (null).",
    )
    tolerance: float = Field(1e-6, ge=0, description="Numbers match when within this distance.")
    expect: Expectation = Field(description="What the ruleset must decide for every customer in customers.")

    @model_validator(mode="after")
    def _keys_are_tables(self) -> TestCase:
        for name in ("customers", "population", "contacts", "interactions"):
            for index, record in enumerate(getattr(self, name)):
                if not isinstance(record, dict):
                    raise ValueError(f"{name}[{index}] must be a table: {{ customer_id = \"C1\", ... }}")
        for number, run in enumerate(self.previous):
            for index, record in enumerate(run.customers):
                if not isinstance(record, dict):
                    raise ValueError(f"previous[{number}].customers[{index}] must be a table: "
                                     "{ customer_id = \"C1\", health_score = 80 }")
        return self


def check_unique_case_ids(cases: list[TestCase]) -> list[TestCase]:
    seen: dict[str, int] = {}
    for index, case in enumerate(cases):
        if case.id in seen:
            raise ValueError(f"two test cases have id '{case.id}' (tests[{seen[case.id]}] and tests[{index}]); "
                             "give each case its own id")
        seen[case.id] = index
    return cases

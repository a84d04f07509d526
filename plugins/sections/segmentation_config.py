"""The settings of the ``[segmentation]`` section and the names of the fields it writes.

Shared by the compiler (:mod:`clientwise.plugins.sections.segmentation`) and the
portfolio views (:mod:`clientwise.plugins.sections.segmentation_report`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from clientwise.sdk import IsoDate, Strict
from clientwise.sdk.scorecard import IDENTIFIER, check_unique_ids

Method = Literal["rank", "cumshare", "conditions"]

#: Classification rule ids the plugin uses itself; tiers may not take these ids.
RESERVED_IDS = ("override",)
#: The tier key each method reads.
NEEDS = {"rank": "share", "cumshare": "up_to", "conditions": "when"}

#: Field names the section writes (documented in docs/plugins/segmentation.md).
OUTPUT = "tier"
MEASURE, RANK, COUNT = "segment_measure", "segment_rank", "segment_count"
SHARE, CUMSHARE, AHEAD = "segment_share", "segment_cumshare", "segment_share_ahead"
EXPIRED = "segment_override_expired"


class Tier(Strict):
    """One tier. Which of share / up_to / when is read depends on the method."""

    id: str = Field(pattern=IDENTIFIER.pattern, description="The tier's name: the value of the output column.")
    label: str = Field("", description="The tier's name in the reports for people (default: the id, capitalised).")
    share: float | None = Field(None, gt=0, le=1, description="rank: fraction of ranked customers in this tier.")
    up_to: float | None = Field(None, gt=0, le=1, description="cumshare: cumulative share of the measure covered.")
    when: str | None = Field(None, description="conditions: the condition putting a customer in this tier.")
    target: tuple[float, float] | None = Field(
        None, description="[min, max] fraction of customers expected in this tier; outside it is a warning."
    )
    because: str | None = Field(None, description="Replaces the generated reason (a template).")

    @field_validator("target", mode="before")
    @classmethod
    def _array_is_a_pair(cls, value: object) -> object:
        """TOML writes the pair as an array; strict models take only tuples as tuples."""
        return tuple(value) if isinstance(value, list) else value

    @field_validator("target")
    @classmethod
    def _target_range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 <= value[0] <= value[1] <= 1:
            raise ValueError(f"target must be [min, max] with 0 <= min <= max <= 1, got {list(value)}")
        return value


class Override(Strict):
    """A rule pinning a tier for the customers matching ``when``."""

    id: str = Field(pattern=IDENTIFIER.pattern, description="Identifier of the override.")
    when: str = Field(description="Which customers, e.g. customer_id in ['C042', 'C107'].")
    tier: str = Field(description="The tier they get.")
    reason: str = Field(description="Why (shown as the tier's reason; a template).")
    expires: IsoDate | None = Field(None, description="Last day the override applies; unset = no expiry.")


def default_tiers(method: Method) -> list[Tier]:
    """The tiers a method gets when the ruleset lists none (rank: also in default.toml)."""
    if method == "rank":
        return [
            Tier(id="strategic", share=0.10, target=(0.05, 0.10)),
            Tier(id="core", share=0.30, target=(0.15, 0.30)),
            Tier(id="transactional", target=(0.40, 0.60)),
        ]
    if method == "cumshare":
        return [Tier(id="A", up_to=0.80), Tier(id="B", up_to=0.95), Tier(id="C")]
    return []


class SegmentationConfig(Strict):
    """The ``[segmentation]`` section."""

    method: Method = Field("rank", description="rank (customer counts), cumshare (Pareto/ABC) or conditions.")
    measure: str = Field("revenue", description="Expression customers are ranked by (largest first).")
    tiers: list[Tier] | None = Field(
        None, description="Tiers in order, best first; the last one catches the rest. Default depends on method."
    )
    override_field: str = Field("tier_override", description="Data field forcing a tier; \"\" = none.")
    override_reason_field: str = Field("tier_override_reason", description="Data field with the reason; \"\" = none.")
    override_expires_field: str = Field(
        "tier_override_expires", description="Data field with the last day the override applies; \"\" = never expires."
    )
    overrides: list[Override] = Field(default_factory=list, description="Overrides written as rules.")
    top_share: float = Field(0.20, gt=0, le=1, description="Summary: share of the measure held by this top fraction of customers.")

    @field_validator("overrides")
    @classmethod
    def _unique_overrides(cls, overrides: list[Override]) -> list[Override]:
        check_unique_ids([o.id for o in overrides], "segmentation.overrides", "override")
        return overrides

    @model_validator(mode="after")
    def _consistent(self) -> SegmentationConfig:
        tiers = self.tier_list()
        prefix = "segmentation.tiers"
        if not tiers:
            raise ValueError(f"{prefix}: method '{self.method}' needs tiers: add [[segmentation.tiers]] with id and when")
        check_unique_ids([t.id for t in tiers], prefix, "tier")
        for index, tier in enumerate(tiers):
            if tier.id in RESERVED_IDS:
                raise ValueError(f"{prefix}[{index}].id: '{tier.id}' is reserved; choose another tier name")
        needs = NEEDS[self.method]
        for index, tier in enumerate(tiers[:-1]):
            if getattr(tier, needs) is None:
                raise ValueError(f"{prefix}[{index}] ('{tier.id}') needs {needs} for method '{self.method}' "
                                 f"(only the last tier may leave it out: it catches the rest)")
        if self.method in ("rank", "cumshare") and getattr(tiers[-1], needs) is not None:
            raise ValueError(f"{prefix}[{len(tiers) - 1}] ('{tiers[-1].id}') is the last tier and takes every "
                             f"remaining customer; remove its {needs}")
        if self.method == "cumshare":
            limits = [t.up_to for t in tiers[:-1]]
            if any(b <= a for a, b in zip(limits, limits[1:])):  # type: ignore[operator]
                raise ValueError(f"{prefix}: up_to must increase from tier to tier, got {limits}")
        ids = [t.id for t in tiers]
        for index, override in enumerate(self.overrides):
            if override.tier not in ids:
                raise ValueError(f"segmentation.overrides[{index}].tier: '{override.tier}' is not a tier; "
                                 f"tiers are {', '.join(ids)}")
        return self

    def tier_list(self) -> list[Tier]:
        """The tiers in effect: the configured ones or the method's defaults."""
        return list(self.tiers) if self.tiers is not None else default_tiers(self.method)


def matches(override: Override) -> str:
    """The derived field holding an override's ``when`` (only overrides with ``expires`` have one)."""
    return f"segment_override_{override.id}_matches"

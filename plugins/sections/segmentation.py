"""The ``[segmentation]`` section: which customers are strategic, core or transactional.

Customers are ranked by a measure (revenue by default) and cut into tiers, either by
customer counts (``rank``: the top 10%, the next 30%, the rest), by cumulative share
of the measure (``cumshare``: Pareto/ABC) or by explicit conditions
(``conditions``). Overrides (from a data field or from rules) come first, so a
consultant can pin a customer's tier with a reason. Everything compiles to derived
fields and one first-match classification, so every tier is explained.

See ``docs/plugins/segmentation.md`` for the keys, formulas and rounding rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from clientwise.sdk import (
    Classification,
    CompileContext,
    DerivedField,
    OutputColumn,
    Rule,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Source,
    Strict,
    SummaryContext,
    hookimpl,
    number_text,
    quote,
)
from clientwise.sdk.scorecard import IDENTIFIER, check_unique_ids

Method = Literal["rank", "cumshare", "conditions"]

#: Classification rule ids the plugin uses itself; tiers may not take these ids.
RESERVED_IDS = ("override",)
#: The tier key each method reads.
NEEDS = {"rank": "share", "cumshare": "up_to", "conditions": "when"}

Where = Callable[[str], Source]


class Tier(Strict):
    """One tier. Which of share / up_to / when is read depends on the method."""

    id: str = Field(pattern=IDENTIFIER.pattern, description="The tier's name: the value of the output column.")
    share: float | None = Field(None, gt=0, le=1, description="rank: fraction of ranked customers in this tier.")
    up_to: float | None = Field(None, gt=0, le=1, description="cumshare: cumulative share of the measure covered.")
    when: str | None = Field(None, description="conditions: the condition putting a customer in this tier.")
    target: tuple[float, float] | None = Field(
        None, description="[min, max] fraction of customers expected in this tier; outside it is a warning."
    )
    because: str | None = Field(None, description="Replaces the generated reason (a template).")

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
    expires: dt.date | None = Field(None, description="Last day the override applies; unset = no expiry.")


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


def _override_name(config: SegmentationConfig, context: CompileContext, key: str) -> str:
    """The override field named by ``key``; a default name the data does not declare means none.

    Rulesets with their own ``[data]`` need not mention overrides at all; a name set
    explicitly is always used (and type-checked) as written.
    """
    name: str = getattr(config, key)
    if name and key not in config.model_fields_set and name not in context.data.customers.fields:
        return ""
    return name


class SegmentationHandler(SectionHandler[SegmentationConfig]):
    """Compiles ``[segmentation]`` into ranking fields and the ``tier`` classification."""

    name = "segmentation"
    model = SegmentationConfig
    title = "Segmentation"

    #: Output and helper field names (documented in docs/plugins/segmentation.md).
    OUTPUT = "tier"
    MEASURE, RANK, COUNT = "segment_measure", "segment_rank", "segment_count"
    SHARE, CUMSHARE, AHEAD = "segment_share", "segment_cumshare", "segment_share_ahead"
    EXPIRED = "segment_override_expired"

    @staticmethod
    def matches(override: Override) -> str:
        """The derived field holding an override's ``when`` (only overrides with ``expires`` have one)."""
        return f"segment_override_{override.id}_matches"

    def compile(self, config: SegmentationConfig, context: CompileContext) -> SectionPlan:
        src = context.source
        tiers = config.tier_list()
        label = config.measure
        plan = SectionPlan(section=self.name)
        plan.derived += [
            DerivedField(self.MEASURE, config.measure, src("segmentation.measure"), "What customers are ranked by."),
            DerivedField(self.RANK, f"rank({self.MEASURE})", src("segmentation.measure"),
                         "Rank by the measure, 1 = largest; ties share the best rank; null measure = unranked."),
            DerivedField(self.COUNT, f"count({self.MEASURE})", src("segmentation.measure"),
                         "Customers with a measure (the ranked ones)."),
        ]
        rules = self._override_rules(config, context, plan)
        if config.method == "rank":
            rules += self._rank_rules(tiers, label, src, plan)
        elif config.method == "cumshare":
            rules += self._cumshare_rules(tiers, label, src, plan)
        else:
            rules += self._condition_rules(tiers, src)
        last = tiers[-1]
        plan.classifications.append(Classification(
            output=self.OUTPUT, rules=tuple(rules), source=src("segmentation"), default=quote(last.id),
            description=f"Customer tier ({config.method}); overrides first, then the tiers in order.",
        ))
        plan.outputs += [OutputColumn(self.OUTPUT, "Tier", "text"), OutputColumn(self.RANK, f"Rank by {label}", "integer", detail=True)]
        return plan

    def _override_rules(self, config: SegmentationConfig, context: CompileContext, plan: SectionPlan) -> list[Rule]:
        src = context.source
        ids = ", ".join(quote(t.id) for t in config.tier_list())
        rules: list[Rule] = []
        field = _override_name(config, context, "override_field")
        if field:
            conditions = [f"{field} is not null", f"{field} in [{ids}]"]
            expires = _override_name(config, context, "override_expires_field")
            if expires:
                plan.derived.append(DerivedField(
                    self.EXPIRED, f"{expires} is not null and days_since({expires}) > 0",
                    src("segmentation.override_expires_field"),
                    "The tier override's last day is before the as-of date, so it is ignored."))
                conditions.append(f"not {self.EXPIRED}")
            reason = _override_name(config, context, "override_reason_field")
            because = f"Override: {{coalesce({reason}, 'no reason recorded')}}" if reason else "Override from the data"
            rules.append(Rule("override", " and ".join(conditions), field, src("segmentation.override_field"), because))
        for index, override in enumerate(config.overrides):
            where = src(f"segmentation.overrides[{index}]")
            when = f"({override.when})"
            if override.expires is not None:
                when += f" and days_since(date('{override.expires.isoformat()}')) <= 0"
                plan.derived.append(DerivedField(
                    self.matches(override), override.when, where.child("when"),
                    f"Whether override '{override.id}' selects the customer, expired or not: once it has "
                    "expired, the summary counts the customers it no longer applies to."))
            rules.append(Rule(f"override.{override.id}", when, quote(override.tier), where,
                              f"Override {override.id}: {override.reason}"))
        return rules

    def _rank_rules(self, tiers: list[Tier], label: str, src: Where, plan: SectionPlan) -> list[Rule]:
        rules: list[Rule] = []
        previous: str | None = None
        for index, tier in enumerate(tiers[:-1]):
            cutoff = f"segment_cutoff_{tier.id}"
            where = src(f"segmentation.tiers[{index}]")
            size = f"max(1, ceil(round({number_text(tier.share)} * {self.COUNT}, 9)))"  # type: ignore[arg-type]
            plan.derived.append(DerivedField(
                cutoff, size if previous is None else f"{previous} + {size}", where.child("share"),
                f"Last rank in tier '{tier.id}': tier sizes are ceil(share x ranked customers), at least 1."))
            ranked = f"Ranked {{{self.RANK}}} of {{{self.COUNT}}} by {label}"
            if previous is None:
                because = f"{ranked}; the top {{{cutoff}:.0f}} are {tier.id}"
            else:
                because = f"{ranked}; ranks {{{previous} + 1:.0f}} to {{{cutoff}:.0f}} are {tier.id}"
            rules.append(Rule(tier.id, f"{self.RANK} <= {cutoff}", quote(tier.id), where, tier.because or because))
            previous = cutoff
        last, where = tiers[-1], src(f"segmentation.tiers[{len(tiers) - 1}]")
        if previous is None:  # a single tier: everyone ranked is in it
            rules.append(Rule(last.id, f"{self.RANK} >= 1", quote(last.id), where,
                              last.because or f"Ranked {{{self.RANK}}} of {{{self.COUNT}}} by {label}"))
        else:
            rules.append(Rule(last.id, f"{self.RANK} > {previous}", quote(last.id), where, last.because or
                              f"Ranked {{{self.RANK}}} of {{{self.COUNT}}} by {label}; below the top {{{previous}:.0f}}"))
        rules.append(self._unranked(last, label, where))
        return rules

    def _cumshare_rules(self, tiers: list[Tier], label: str, src: Where, plan: SectionPlan) -> list[Rule]:
        measure_src = src("segmentation.measure")
        plan.derived += [
            DerivedField(self.SHARE, f"share({self.MEASURE})", measure_src, "The customer's share of the measure."),
            DerivedField(self.CUMSHARE, f"cumshare({self.MEASURE})", measure_src,
                         "Share held by the customers ranked at or above this one (ties together)."),
            DerivedField(self.AHEAD, f"round({self.CUMSHARE} - {self.SHARE}, 9)", measure_src,
                         "Share held by the customers ahead of this one (and the others tied with it)."),
        ]
        rules: list[Rule] = []
        lower = 0.0
        ahead = f"Customers ahead of it hold {{{self.AHEAD}:.1%}} of {label}"
        for index, tier in enumerate(tiers[:-1]):
            limit = number_text(tier.up_to)  # type: ignore[arg-type]
            where = src(f"segmentation.tiers[{index}]")
            span = f"under {tier.up_to:.0%}" if index == 0 else f"from {lower:.0%} to under {tier.up_to:.0%}"
            rules.append(Rule(tier.id, f"{self.AHEAD} < {limit}", quote(tier.id), where,
                              tier.because or f"{ahead} ({tier.id}: {span})"))
            lower = tier.up_to  # type: ignore[assignment]
        last, where = tiers[-1], src(f"segmentation.tiers[{len(tiers) - 1}]")
        rules.append(Rule(last.id, f"{self.AHEAD} >= {number_text(lower)}", quote(last.id), where,
                          last.because or f"{ahead} ({last.id}: {lower:.0%} or more)"))
        rules.append(self._unranked(last, label, where))
        return rules

    def _condition_rules(self, tiers: list[Tier], src: Where) -> list[Rule]:
        rules: list[Rule] = []
        for index, tier in enumerate(tiers):
            where = src(f"segmentation.tiers[{index}]")
            if tier.when is None:  # only the last tier may omit it: it catches the rest
                rules.append(Rule(tier.id, "true", quote(tier.id), where,
                                  tier.because or f"No other tier's condition holds: {tier.id}"))
            else:
                rules.append(Rule(tier.id, tier.when, quote(tier.id), where,
                                  tier.because or f"Meets the {tier.id} condition: {tier.when}"))
        return rules

    def _unranked(self, last: Tier, label: str, where: Source) -> Rule:
        return Rule(f"{last.id}.unranked", f"{self.MEASURE} is null", quote(last.id), where,
                    f"No {label} value, so not ranked: {last.id}")

    def summarize(self, config: SegmentationConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        """Tier sizes against their targets, concentration figures and the Pareto table."""
        summary = SectionSummary(self.name, self.title)
        key = context.key
        measure = table.get_column(self.MEASURE).cast(pl.Float64)
        total = float(measure.sum() or 0.0)
        ranked = table.select(key, self.MEASURE).filter(pl.col(self.MEASURE).is_not_null()).sort(
            self.MEASURE, descending=True, maintain_order=True)
        summary.tables["tiers"] = _tier_table(config, table, total, summary.warnings)
        summary.tables["pareto"] = ranked.select(
            pl.int_range(1, ranked.height + 1, dtype=pl.Int64).alias("position"),
            pl.col(key),
            pl.col(self.MEASURE).cast(pl.Float64).alias("measure"),
            (pl.int_range(1, ranked.height + 1, dtype=pl.Int64) / max(ranked.height, 1)).alias("customer_share"),
            (pl.col(self.MEASURE).cast(pl.Float64).cum_sum() / total if total else pl.lit(None, pl.Float64))
            .alias("cumulative_share"),
        )
        top = math.ceil(round(config.top_share * ranked.height, 9))
        largest = ranked.row(0, named=True) if ranked.height else None
        summary.figures.update({
            "method": config.method,
            "measure": config.measure,
            "customers": table.height,
            "ranked": ranked.height,
            "measure_total": total,
            "top_share": config.top_share,
            "top_customers": top,
            "top_measure_share": _ratio(float(ranked.get_column(self.MEASURE).head(top).sum() or 0.0), total),
            "largest_customer": None if largest is None else largest[key],
            "largest_customer_share": None if largest is None else _ratio(float(largest[self.MEASURE]), total),
        })
        summary.warnings.extend(_override_warnings(config, table, key))
        summary.warnings.extend(_expired_rule_overrides(config, table, context.as_of))
        return summary


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _fix_hint(config: SegmentationConfig, index: int, tiers: list[Tier]) -> str:
    """Which key to change when a tier is off target."""
    path = f"segmentation.tiers[{index}]"
    last = index == len(tiers) - 1
    if config.method == "rank" and not last:
        return f"change {path}.share (now {tiers[index].share:.0%}) or {path}.target"
    if config.method == "cumshare" and not last:
        return f"change {path}.up_to (now {tiers[index].up_to:.0%}) or {path}.target"
    if config.method == "conditions" and tiers[index].when is not None:
        return f"change {path}.when or {path}.target"
    return f"change the other tiers' {NEEDS[config.method]} or {path}.target"


def _tier_table(config: SegmentationConfig, table: pl.DataFrame, total: float, warnings: list[str]) -> pl.DataFrame:
    tiers = config.tier_list()
    n = table.height
    table = table.select(c for c in (SegmentationHandler.OUTPUT, SegmentationHandler.MEASURE, "profit") if c in table.columns)
    profit = float(table.get_column("profit").sum() or 0.0) if "profit" in table.columns else None
    rows: list[dict[str, Any]] = []
    for index, tier in enumerate(tiers):
        members = table.filter(pl.col(SegmentationHandler.OUTPUT) == tier.id)
        share = members.height / n if n else None
        low, high = tier.target if tier.target is not None else (None, None)
        met = None if share is None or tier.target is None else bool(low <= round(share, 9) <= high)
        rows.append({
            "tier": tier.id,
            "customers": members.height,
            "customer_share": share,
            "measure_share": _ratio(float(members.get_column(SegmentationHandler.MEASURE).sum() or 0.0), total),
            "profit_share": _ratio(float(members.get_column("profit").sum() or 0.0), profit) if profit else None,
            "target_min": low,
            "target_max": high,
            "target_met": met,
        })
        if met is False:
            warnings.append(
                f"Tier '{tier.id}' has {share:.1%} of customers ({members.height} of {n}), outside its target "
                f"{low:.0%}-{high:.0%}: {_fix_hint(config, index, tiers)}")
    schema = {"tier": pl.String, "customers": pl.Int64, "customer_share": pl.Float64, "measure_share": pl.Float64,
              "profit_share": pl.Float64, "target_min": pl.Float64, "target_max": pl.Float64, "target_met": pl.Boolean}
    frame = pl.DataFrame(rows, schema=schema)
    return frame if profit is not None else frame.drop("profit_share")


def _override_warnings(config: SegmentationConfig, table: pl.DataFrame, key: str) -> list[str]:
    field, reason = config.override_field, config.override_reason_field
    if not field or field not in table.columns:
        return []
    warnings: list[str] = []
    ids = [t.id for t in config.tier_list()]
    expired = SegmentationHandler.EXPIRED
    narrow = [c for c in (key, field, reason, expired) if c and c in table.columns]
    given = table.select(narrow).filter(pl.col(field).is_not_null())
    invalid = given.filter(~pl.col(field).is_in(ids))
    if invalid.height:
        example = invalid.row(0, named=True)
        warnings.append(f"{invalid.height} customer(s) have a {field} that is not a tier (e.g. {example[key]}: "
                        f"{example[field]!r}); it was ignored: use one of {', '.join(ids)}")
    is_expired = pl.col(expired).fill_null(False) if expired in table.columns else pl.lit(False)
    count = given.filter(is_expired).height
    if count:
        warnings.append(f"{count} tier override(s) expired before the as-of date and were ignored: "
                        f"review {config.override_expires_field}")
    if reason and reason in table.columns:
        applied = given.filter(pl.col(field).is_in(ids) & ~is_expired)
        count = applied.filter(pl.col(reason).is_null()).height
        if count:
            warnings.append(f"{count} tier override(s) have no reason: fill in {reason}")
    return warnings


def _expired_rule_overrides(config: SegmentationConfig, table: pl.DataFrame, as_of: dt.date) -> list[str]:
    """One warning per ``[[segmentation.overrides]]`` whose ``expires`` is before the as-of date."""
    warnings: list[str] = []
    for index, override in enumerate(config.overrides):
        if override.expires is None or override.expires >= as_of:
            continue
        column = SegmentationHandler.matches(override)
        count = int(table.get_column(column).sum() or 0) if column in table.columns else None
        matched = ("" if count is None else " (its condition selects no customer)" if count == 0
                   else f" for the {count} customer(s) its condition selects")
        warnings.append(f"Ruleset override '{override.id}' expired on {override.expires.isoformat()}, before the "
                        f"as-of date {as_of.isoformat()}, and was ignored{matched}: remove it, or extend "
                        f"segmentation.overrides[{index}].expires")
    return warnings


@hookimpl
def clientwise_sections() -> list[SegmentationHandler]:
    return [SegmentationHandler()]

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

from collections.abc import Callable

import polars as pl

from clientwise.plugins.sections import CATALOGUES
from clientwise.plugins.sections import segmentation_config as names
from clientwise.plugins.sections.segmentation_config import SegmentationConfig, Tier
from clientwise.plugins.sections.segmentation_report import report, summarize
from clientwise.sdk import (
    Block,
    Classification,
    CompileContext,
    DerivedField,
    OutputColumn,
    Reason,
    ReportContext,
    Rule,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Source,
    SummaryContext,
    graded,
    hookimpl,
    number_text,
    quote,
)

Where = Callable[[str], Source]


def _override_name(config: SegmentationConfig, context: CompileContext, key: str) -> str:
    """The override field named by ``key``; a default name the data does not declare means none.

    Rulesets with their own ``[data]`` need not mention overrides at all; a name set
    explicitly is always used (and type-checked) as written.
    """
    name: str = getattr(config, key)
    if name and key not in config.model_fields_set and name not in context.data.customers.fields:
        return ""
    return name


def _whole_percent(fraction: float | None) -> str:
    """A tier's limit as a reason's placeholder: a whole percent, rounded here (halves to
    even) as the reasons have always shown it, so the text in the JSON stays the same."""
    return f"{number_text(round((fraction or 0.0) * 100) / 100)}:.0%"


class SegmentationHandler(SectionHandler[SegmentationConfig]):
    """Compiles ``[segmentation]`` into ranking fields and the ``tier`` classification."""

    name = "segmentation"
    model = SegmentationConfig
    title = "Segmentation"
    messages = CATALOGUES

    #: Output and helper field names (documented in docs/plugins/segmentation.md).
    OUTPUT, MEASURE, RANK, COUNT = names.OUTPUT, names.MEASURE, names.RANK, names.COUNT
    SHARE, CUMSHARE, AHEAD, EXPIRED = names.SHARE, names.CUMSHARE, names.AHEAD, names.EXPIRED
    matches = staticmethod(names.matches)

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
        tones = graded([t.id for t in tiers], ("strong", "medium", "light"))
        measured = context.data.customers.fields.get(config.measure.strip())
        if measured is not None and measured.type in ("number", "integer", "money"):
            # what customers are ranked by, shown beside their name (clientwise.compiler.columns)
            plan.outputs.append(OutputColumn(config.measure.strip(), label.replace("_", " ").capitalize(),
                                             "money" if measured.type == "money" else "number", context=True))
        labels = tuple((t.id, t.label or t.id.replace("_", " ").capitalize()) for t in tiers)
        plan.outputs += [OutputColumn(self.OUTPUT, "Tier", "text", group=True, tones=tuple(tones.items()), labels=labels),
                         OutputColumn(self.RANK, f"Rank by {label}", "integer", detail=True)]
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
                    "The tier override's last day is before the as-of date, so it is ignored.",
                    tolerates=(expires,)))  # an export without expiry dates has overrides that do not expire
                conditions.append(f"not {self.EXPIRED}")
            reason = _override_name(config, context, "override_reason_field")
            because = (Reason("Override: {reason}", reason=f"coalesce({reason}, 'no reason recorded')") if reason
                       else Reason("Override from the data"))
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
                              Reason("Override {override}: {reason}", texts={"override": override.id},
                                     templates={"reason": override.reason})))
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
            if previous is None:
                because = self._ranked("Ranked {rank} of {count} by {measure}; the top {cutoff} are {tier}",
                                       label, tier.id, cutoff=f"{cutoff}:.0f")
            else:
                because = self._ranked("Ranked {rank} of {count} by {measure}; ranks {first} to {cutoff} are {tier}",
                                       label, tier.id, first=f"{previous} + 1:.0f", cutoff=f"{cutoff}:.0f")
            rules.append(Rule(tier.id, f"{self.RANK} <= {cutoff}", quote(tier.id), where, tier.because or because))
            previous = cutoff
        last, where = tiers[-1], src(f"segmentation.tiers[{len(tiers) - 1}]")
        if previous is None:  # a single tier: everyone ranked is in it
            rules.append(Rule(last.id, f"{self.RANK} >= 1", quote(last.id), where,
                              last.because or self._ranked("Ranked {rank} of {count} by {measure}", label)))
        else:
            rules.append(Rule(last.id, f"{self.RANK} > {previous}", quote(last.id), where, last.because or
                              self._ranked("Ranked {rank} of {count} by {measure}; below the top {cutoff}", label,
                                           cutoff=f"{previous}:.0f")))
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
        for index, tier in enumerate(tiers[:-1]):
            limit = number_text(tier.up_to)  # type: ignore[arg-type]
            where = src(f"segmentation.tiers[{index}]")
            if index == 0:
                because = self._ahead("Customers ahead of it hold {ahead} of {measure} ({tier}: under {limit})",
                                      label, tier.id, limit=_whole_percent(tier.up_to))
            else:
                because = self._ahead("Customers ahead of it hold {ahead} of {measure} ({tier}: from {lower} to under "
                                      "{limit})", label, tier.id, lower=_whole_percent(lower),
                                      limit=_whole_percent(tier.up_to))
            rules.append(Rule(tier.id, f"{self.AHEAD} < {limit}", quote(tier.id), where, tier.because or because))
            lower = tier.up_to  # type: ignore[assignment]
        last, where = tiers[-1], src(f"segmentation.tiers[{len(tiers) - 1}]")
        rules.append(Rule(last.id, f"{self.AHEAD} >= {number_text(lower)}", quote(last.id), where, last.because or
                          self._ahead("Customers ahead of it hold {ahead} of {measure} ({tier}: {lower} or more)",
                                      label, last.id, lower=_whole_percent(lower))))
        rules.append(self._unranked(last, label, where))
        return rules

    def _condition_rules(self, tiers: list[Tier], src: Where) -> list[Rule]:
        rules: list[Rule] = []
        for index, tier in enumerate(tiers):
            where = src(f"segmentation.tiers[{index}]")
            if tier.when is None:  # only the last tier may omit it: it catches the rest
                rules.append(Rule(tier.id, "true", quote(tier.id), where, tier.because or
                                  Reason("No other tier's condition holds: {tier}", texts={"tier": tier.id})))
            else:
                rules.append(Rule(tier.id, tier.when, quote(tier.id), where, tier.because or
                                  Reason("Meets the {tier} condition: {condition}",
                                         texts={"tier": tier.id, "condition": tier.when})))
        return rules

    def _unranked(self, last: Tier, label: str, where: Source) -> Rule:
        return Rule(f"{last.id}.unranked", f"{self.MEASURE} is null", quote(last.id), where,
                    Reason("No {measure} value, so not ranked: {tier}", texts={"measure": label, "tier": last.id}))

    def _ranked(self, message: str, measure: str, tier: str | None = None, **values: str) -> Reason:
        """A rank rule's reason: ``message`` names the customer's {rank} of {count} by {measure}."""
        texts = {"measure": measure} | ({"tier": tier} if tier is not None else {})
        return Reason(message, texts=texts, rank=self.RANK, count=self.COUNT, **values)

    def _ahead(self, message: str, measure: str, tier: str, **values: str) -> Reason:
        """A cumulative-share rule's reason: ``message`` names the share {ahead} of the customer."""
        return Reason(message, texts={"measure": measure, "tier": tier}, ahead=f"{self.AHEAD}:.1%", **values)

    def summarize(self, config: SegmentationConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        """Tier sizes against their targets, concentration figures and the Pareto table."""
        return summarize(config, table, context, title=self.title)

    def report(self, config: SegmentationConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """The tier table with each tier's share of the measure and of other sections'
        headline amounts (profit), and the Pareto curve with the tier cut-offs."""
        return report(config, summary, context)


@hookimpl
def clientwise_sections() -> list[SegmentationHandler]:
    return [SegmentationHandler()]

"""RFM scoring for clientwise: an ``[rfm]`` section, an ``rfm_code`` function and a portfolio section.

Recency is the days since a customer's last purchase, frequency the number of
different days with a purchase, monetary the total value of purchases, all read
from the interactions table. Each becomes a score 1..bins by population rank
(``bins`` = 5 gives quintiles; 5 is best: most recent, most frequent, highest value),
and the first matching segment rule names the customer's segment. Everything is
compiled to expression text, so every engine, explanation and check works for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from pydantic import Field

from clientwise.sdk import (
    Classification,
    CompileContext,
    DerivedField,
    FunctionSpec,
    OutputColumn,
    Rule,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Strict,
    SummaryContext,
    Type,
    hookimpl,
)


class Segment(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Segment name shown in rfm_segment.")
    when: str = Field(description="Condition over rfm_r, rfm_f, rfm_m (scores 1..bins) and the raw figures.")


DEFAULT_SEGMENTS = [
    Segment(name="champions", when="rfm_r >= 4 and rfm_f >= 4 and rfm_m >= 4"),
    Segment(name="loyal", when="rfm_r >= 3 and rfm_f >= 4"),
    Segment(name="new", when="rfm_r >= 4 and rfm_f <= 2"),
    Segment(name="at_risk", when="rfm_r <= 2 and rfm_f >= 4"),
    Segment(name="lost", when="rfm_r == 1 and rfm_f <= 2"),
    Segment(name="hibernating", when="rfm_r <= 2"),
    Segment(name="potential", when="rfm_r >= 3"),
]


class RfmConfig(Strict):
    orders: str = Field("type == 'order'", description="Filter over interactions: which rows are purchases.")
    amount: str = Field("amount", description="Interactions column holding each purchase's value.")
    bins: int = Field(5, ge=2, le=10, description="Number of score groups (5 = quintiles).")
    segments: list[Segment] = Field(default_factory=lambda: list(DEFAULT_SEGMENTS),
                                     description="Segment rules, first match wins; customers without purchases are 'no_purchases'.")


def score(value: str, bins: int) -> str:
    """Score 1..bins, ``bins`` for the largest ``value`` (ntile gives 1 to the top group)."""
    return f"{bins} + 1 - ntile({value}, {bins})"


class RfmSection(SectionHandler[RfmConfig]):
    name: ClassVar[str] = "rfm"
    model: ClassVar[type[RfmConfig]] = RfmConfig
    title: ClassVar[str] = "RFM segments"

    def compile(self, config: RfmConfig, context: CompileContext) -> SectionPlan:
        source = context.source("rfm")
        orders, bins = config.orders, config.bins
        derived = [
            DerivedField("rfm_last_purchase", f"max_of(interactions, date, {orders})", source.child("orders"),
                         "Date of the latest purchase."),
            DerivedField("rfm_recency_days", "days_since(rfm_last_purchase)", source.child("orders"),
                         "Days since the latest purchase."),
            DerivedField("rfm_frequency", f"count_distinct_of(interactions, date, {orders})", source.child("orders"),
                         "Number of different days with a purchase."),
            DerivedField("rfm_monetary", f"sum_of(interactions, {config.amount}, {orders})", source.child("amount"),
                         "Total value of purchases."),
            DerivedField("rfm_r", score("0 - rfm_recency_days", bins), source.child("bins"), "Recency score."),
            DerivedField("rfm_f", score("if_else(rfm_frequency > 0, rfm_frequency, null)", bins), source.child("bins"),
                         "Frequency score."),
            DerivedField("rfm_m", score("if_else(rfm_frequency > 0, rfm_monetary, null)", bins), source.child("bins"),
                         "Monetary score."),
            DerivedField("rfm_code", "rfm_code(rfm_r, rfm_f, rfm_m)", source.child("bins"), "R, F and M scores as text."),
        ]
        rules = [Rule("no_purchases", "rfm_frequency == 0", "'no_purchases'", source.child("orders"),
                      because="No purchase matches rfm.orders")]
        for index, segment in enumerate(config.segments):
            rules.append(Rule(segment.name, segment.when, repr(segment.name), source.child("segments").child(index),
                              because=f"RFM scores {{rfm_code}} match {segment.when}"))
        return SectionPlan(
            "rfm",
            derived=list(derived),
            classifications=[Classification("rfm_segment", tuple(rules), source.child("segments"),
                                            default="'other'", description="RFM segment")],
            outputs=[
                OutputColumn("rfm_segment", "RFM segment"),
                OutputColumn("rfm_code", "RFM"),
                OutputColumn("rfm_recency_days", "Days since purchase", "integer", detail=True),
                OutputColumn("rfm_frequency", "Purchase days", "integer", detail=True),
                OutputColumn("rfm_monetary", "Purchases", "money", detail=True),
            ],
        )

    def summarize(self, config: RfmConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        counts = (table.group_by("rfm_segment").len("customers").rename({"rfm_segment": "segment"})
                  .sort(["customers", "segment"], descending=[True, False]))
        total = table.height
        buyers = table.filter(pl.col("rfm_frequency") > 0).height
        champions = table.filter(pl.col("rfm_segment") == "champions").height
        figures: dict[str, Any] = {
            "customers_with_purchases": buyers,
            "champions_share": round(champions / total, 4) if total else None,
            "at_risk": table.filter(pl.col("rfm_segment") == "at_risk").height,
        }
        warnings = [] if buyers else ["no customer has a purchase matching rfm.orders; check the filter"]
        return SectionSummary("rfm", self.title, figures=figures,
                              tables={"segments": counts.with_columns((pl.col("customers") / max(total, 1)).alias("share"))},
                              warnings=warnings)


def _code_python(values: list[Any], _call: Any) -> Any:
    if any(value is None for value in values):
        return None
    return "".join(str(int(value)) for value in values)


def _code_polars(args: list[pl.Expr], _call: Any) -> pl.Expr:
    return pl.concat_str([arg.cast(pl.Int64).cast(pl.String) for arg in args])


RFM_CODE = FunctionSpec(
    name="rfm_code",
    kind="scalar",
    min_args=3,
    max_args=3,
    returns=lambda _types: Type("string"),
    polars=_code_polars,
    python=_code_python,
    doc="The three scores as text: rfm_code(5, 4, 3) is '543'; null if any is null.",
    example="rfm_code(rfm_r, rfm_f, rfm_m) == '555'",
    signature="rfm_code(r, f, m)",
)


@hookimpl
def clientwise_sections() -> list[RfmSection]:
    return [RfmSection()]


@hookimpl
def clientwise_functions() -> list[FunctionSpec]:
    return [RFM_CODE]

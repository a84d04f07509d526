"""Net promoter groups for clientwise: a section (with its own report view), a function
and an output format.

Registered through the ``clientwise`` entry point group in this package's
pyproject.toml, exactly as any third-party plugin would be.
"""

from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO, ClassVar

import polars as pl
from pydantic import Field, model_validator

from clientwise.sdk import (
    Bar,
    BarChart,
    Block,
    Classification,
    CompileContext,
    Figure,
    Figures,
    FunctionSpec,
    OutputColumn,
    ReportContext,
    Result,
    Rule,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Strict,
    SummaryContext,
    Tone,
    Type,
    Writer,
    hookimpl,
)

GROUPS = ("promoter", "passive", "detractor")
#: How the reports colour each group.
TONES: dict[str, Tone] = {"promoter": "good", "passive": "neutral", "detractor": "bad"}


class NpsConfig(Strict):
    score: str = Field("satisfaction_score", description="Expression giving a 0-10 satisfaction score.")
    promoter_min: float = Field(9, ge=0, le=10, description="Scores at or above this are promoters.")
    detractor_max: float = Field(6, ge=0, le=10, description="Scores at or below this are detractors.")

    @model_validator(mode="after")
    def _ordered(self) -> NpsConfig:
        if self.detractor_max >= self.promoter_min:
            raise ValueError("detractor_max must be below promoter_min")
        return self


class NpsSection(SectionHandler[NpsConfig]):
    name: ClassVar[str] = "nps"
    model: ClassVar[type[NpsConfig]] = NpsConfig
    title: ClassVar[str] = "Net promoter score"

    def compile(self, config: NpsConfig, context: CompileContext) -> SectionPlan:
        source = context.source("nps")
        score = f"({config.score})"
        rules = (
            Rule("promoter", f"{score} >= {config.promoter_min}", "'promoter'", source.child("promoter_min"),
                 because=f"Satisfaction {{{config.score}}} is at least {config.promoter_min:g}"),
            Rule("detractor", f"{score} <= {config.detractor_max}", "'detractor'", source.child("detractor_max"),
                 because=f"Satisfaction {{{config.score}:number}} is at most {{{config.detractor_max:g}:number}}"),
            Rule("passive", f"{score} is not null", "'passive'", source.child("score"),
                 because=f"Satisfaction {{{config.score}}} is between the two thresholds"),
        )
        return SectionPlan(
            "nps",
            classifications=[Classification("nps_group", rules, source, description="Net promoter group")],
            outputs=[OutputColumn("nps_group", "NPS group", tones=tuple(TONES.items()))],
        )

    def summarize(self, config: NpsConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        counts = {group: table.filter(pl.col("nps_group") == group).height for group in GROUPS}
        answered = sum(counts.values())
        figures: dict[str, Any] = {f"{group}s": count for group, count in counts.items()}
        figures["answered"] = answered
        figures["nps"] = (
            round(100 * (counts["promoter"] - counts["detractor"]) / answered, 1) if answered else None
        )
        warnings = [] if answered else ["no customer has a satisfaction score, so there is no NPS"]
        return SectionSummary("nps", self.title, figures=figures, warnings=warnings)

    def report(self, config: NpsConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """The NPS among the overview's figures, and the customers per group as bars: every
        report format shows them (HTML draws the chart; Markdown and the workbook list its values)."""
        figures = summary.figures
        answered = figures["answered"]
        bars = [Bar(f"{group}s", figures[f"{group}s"], figures[f"{group}s"] / answered if answered else None,
                    TONES[group]) for group in GROUPS]
        return [
            Figures([Figure("Net promoter score", figures["nps"], "number", "nps")], headline=True),
            Figures([Figure("Customers with a score", answered, "integer", "answered")]),
            BarChart(id="nps-chart", title="Customers per promoter group", bars=bars, kind="integer",
                     summary="" if figures["nps"] is None else
                     f"NPS {figures['nps']:g}: {figures['promoters']} promoters and "
                     f"{figures['detractors']} detractors among {answered} customers with a score."),
        ]


def _number(_types: Any) -> Type:
    return Type("number")


def _clamp_python(values: list[Any], _call: Any) -> Any:
    value, low, high = values
    if value is None or low is None or high is None:
        return None
    return min(max(value, low), high)


def _clamp_polars(args: list[pl.Expr], _call: Any) -> pl.Expr:
    value, low, high = args
    # min/max_horizontal skip nulls, so every argument is tested: clamp(null, 0, 1) is null
    unknown = value.is_null() | low.is_null() | high.is_null()
    return pl.when(unknown).then(None).otherwise(pl.min_horizontal(pl.max_horizontal(value, low), high))


CLAMP = FunctionSpec(
    name="clamp",
    kind="scalar",
    min_args=3,
    max_args=3,
    returns=_number,
    polars=_clamp_polars,
    python=_clamp_python,
    doc="x limited to the range low..high (null if any argument is null).",
    example="clamp(gross_margin, 0, 1)",
    signature="clamp(x, low, high)",
)


class TsvWriter(Writer):
    format: ClassVar[str] = "tsv"
    suffix: ClassVar[str] = ".tsv"
    description: ClassVar[str] = "Tab-separated customers table (from the clientwise-nps example plugin)."

    def write(self, result: Result, stream: BinaryIO) -> None:
        text = io.StringIO()
        writer = csv.writer(text, delimiter="\t", lineterminator="\n")
        frame = result.customers.with_columns(pl.col("actions").list.join(","))
        writer.writerow(frame.columns)
        for row in frame.iter_rows():
            writer.writerow(["" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row])
        stream.write(text.getvalue().encode("utf-8"))


@hookimpl
def clientwise_sections() -> list[NpsSection]:
    return [NpsSection()]


@hookimpl
def clientwise_functions() -> list[FunctionSpec]:
    return [CLAMP]


@hookimpl
def clientwise_writers() -> list[TsvWriter]:
    return [TsvWriter()]

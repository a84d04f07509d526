"""The ``[checklist]`` section: a yes/no customer-focus checklist for the top customers.

Each question is answered per customer from a boolean data field or a condition:
yes = 1, no = 0, unanswered (null) = not applicable (left out of the denominator but
reported). The questions are a weighted scorecard (:mod:`clientwise.sdk.scorecard`), so
each customer's score is explained question by question. Only the customers in the
``assess`` set are scored (by default the top 10 by the segmentation measure); the
others get a null score.

See ``docs/plugins/checklist.md`` for the keys, the score formula and the defaults.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from clientwise.plugins.sections import CATALOGUES
from clientwise.sdk import (
    Bar,
    BarChart,
    Block,
    Cell,
    Column,
    CompileContext,
    DerivedField,
    Figure,
    Figures,
    Note,
    Notice,
    OutputColumn,
    Problem,
    ReportContext,
    RulesetError,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Strict,
    SummaryContext,
    Table,
    hookimpl,
    table_of,
)
from clientwise.sdk.scorecard import (
    IDENTIFIER,
    Band,
    Criterion,
    Scorecard,
    ScorecardNames,
    check_unique_ids,
    compile_scorecard,
)

#: The section's output fields (the per-question fields are ``checklist_<id>``).
NAMES = ScorecardNames.for_prefix("checklist", points="checklist_score", score="checklist_pct")
ASSESSED = "checklist_assessed"
#: Question ids whose answer column would clash with an output column.
RESERVED_IDS = ("assessed", "score", "pct", "possible", "answered", "applicable", "band")


class Question(Strict):
    """One yes/no question, answered from a boolean field or a condition."""

    id: str = Field(pattern=IDENTIFIER.pattern, description="Identifier; the answer column is checklist_<id>.")
    text: str = Field(description="The question as a consultant would ask it.")
    field: str | None = Field(None, description="A boolean data field holding the answer (null = unanswered).")
    when: str | None = Field(None, description="A condition giving the answer (null = not applicable).")
    weight: float = Field(1.0, ge=0, description="Points for a yes; 0 keeps the question in reports only.")

    @model_validator(mode="after")
    def _one_source(self) -> Question:
        if (self.field is None) == (self.when is None):
            raise ValueError(f"question '{self.id}' needs exactly one of field = \"...\" or when = \"...\"")
        return self

    @property
    def expression(self) -> str:
        return self.field if self.field is not None else self.when  # type: ignore[return-value]


class BandSpec(Strict):
    """A named range of the 0-100 score: scores up to ``up_to`` (the last band takes the rest)."""

    id: str = Field(description="The band's name: the value of checklist_band.")
    up_to: float | None = Field(None, ge=0, le=100, description="Highest score in the band; unset for the top band.")


class ChecklistConfig(Strict):
    """The ``[checklist]`` section."""

    assess: str = Field(
        "segment_rank <= 10",
        description="Which customers are assessed (a condition; may use rank() etc.); the others get a null score.",
    )
    unanswered: Literal["not_applicable", "no"] = Field(
        "not_applicable", description="What an unanswered question counts as: not_applicable or no (= 0)."
    )
    questions: list[Question] = Field(default_factory=list, description="The questions, in report order.")
    bands: list[BandSpec] = Field(default_factory=list, description="Optional named score ranges (none by default).")

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, questions: list[Question]) -> list[Question]:
        check_unique_ids([q.id for q in questions], "checklist.questions", "question")
        for index, question in enumerate(questions):
            if question.id in RESERVED_IDS:
                raise ValueError(f"checklist.questions[{index}].id: '{question.id}' is reserved (checklist_"
                                 f"{question.id} is an output); choose another id")
        return questions

    @field_validator("bands")
    @classmethod
    def _unique_bands(cls, bands: list[BandSpec]) -> list[BandSpec]:
        check_unique_ids([b.id for b in bands], "checklist.bands", "band")
        if sum(b.up_to is None for b in bands) > 1:
            raise ValueError("checklist.bands: only the top band may leave out up_to")
        return bands


def _check_answer_fields(config: ChecklistConfig, context: CompileContext) -> None:
    """A ``field`` answer must be yes/no; catch a declared non-boolean field at its key path."""
    problems = []
    for index, question in enumerate(config.questions):
        spec = context.data.customers.fields.get(question.field) if question.field else None
        if spec is not None and spec.type != "boolean":
            problems.append(Problem(
                f"question '{question.id}' reads '{question.field}', which is {spec.type}, not a yes/no field",
                file=context.file, location=f"checklist.questions[{index}].field", value=question.field,
                hint=f"use when = \"<condition on {question.field}>\" instead, e.g. {question.field} > 0"))
    if problems:
        raise RulesetError(problems)


class ChecklistHandler(SectionHandler[ChecklistConfig]):
    """Compiles ``[checklist]`` into a weighted scorecard over the assessed customers."""

    name = "checklist"
    model = ChecklistConfig
    title = "Customer-focus checklist"
    messages = CATALOGUES

    def scorecard(self, config: ChecklistConfig, context: CompileContext) -> Scorecard:
        """The checklist as a :class:`~clientwise.sdk.scorecard.Scorecard` (one criterion per question)."""
        src = context.source
        criteria = tuple(
            Criterion(q.id, q.expression, q.weight, src(f"checklist.questions[{i}]").child("field" if q.field else "when"),
                      description=q.text)
            for i, q in enumerate(config.questions)
        )
        bands = tuple(Band(b.id, b.up_to, src(f"checklist.bands[{i}]")) for i, b in enumerate(config.bands))
        return Scorecard(self.name, criteria, src("checklist.questions"), bands, config.unanswered, ASSESSED,
                         NAMES, title="Checklist")

    def compile(self, config: ChecklistConfig, context: CompileContext) -> SectionPlan:
        plan = SectionPlan(section=self.name)
        plan.derived.append(DerivedField(ASSESSED, config.assess, context.source("checklist.assess"),
                                         "The customer is assessed with the checklist."))
        if not config.questions:
            return plan
        _check_answer_fields(config, context)
        compiled = compile_scorecard(self.scorecard(config, context))
        plan.derived.extend(compiled.derived)
        if compiled.band is not None:
            plan.classifications.append(compiled.band)
        plan.outputs += [
            OutputColumn(NAMES.points, "Checklist points", "number", detail=True),
            OutputColumn(NAMES.score, "Checklist %", "number"),
            OutputColumn(NAMES.answered, "Checklist questions answered", "integer", detail=True),
        ]
        if compiled.band is not None:
            plan.outputs.append(OutputColumn(NAMES.band, "Checklist band", "text", tones=compiled.band_tones))
        plan.outputs += [OutputColumn(NAMES.value(q.id), q.text, "boolean", detail=True) for q in config.questions]
        return plan

    def summarize(self, config: ChecklistConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        """Per question: yes, no and unanswered counts over the assessed customers."""
        summary = SectionSummary(self.name, self.title)
        assessed = table.filter(pl.col(ASSESSED).fill_null(False)) if ASSESSED in table.columns else table.clear()
        rows: list[dict[str, Any]] = []
        for question in config.questions:
            column = pl.col(NAMES.value(question.id))
            counts = assessed.select(
                column.fill_null(False).sum().alias("yes"),
                (~column).fill_null(False).sum().alias("no"),
                column.is_not_null().sum().alias("answered"),
            ).row(0, named=True) if NAMES.value(question.id) in assessed.columns else {"yes": 0, "no": 0, "answered": 0}
            answered = int(counts["answered"])
            rows.append({
                "question": question.id,
                "text": question.text,
                "weight": question.weight,
                "yes": int(counts["yes"]),
                "no": int(counts["no"]),
                "answered": answered,
                "not_applicable": assessed.height - answered,
                "yes_share": int(counts["yes"]) / answered if answered else None,
            })
        summary.tables["questions"] = pl.DataFrame(rows, schema={
            "question": pl.String, "text": pl.String, "weight": pl.Float64, "yes": pl.Int64, "no": pl.Int64,
            "answered": pl.Int64, "not_applicable": pl.Int64, "yes_share": pl.Float64})
        pct = assessed.get_column(NAMES.score) if NAMES.score in assessed.columns else pl.Series([], dtype=pl.Float64)
        summary.figures.update({
            "assessed": assessed.height,
            "assess": config.assess,
            "questions": len(config.questions),
            "mean_pct": pct.mean() if pct.len() else None,
            "scored": int(pct.is_not_null().sum()),
        })
        if config.bands and NAMES.band in assessed.columns:
            summary.tables["bands"] = (
                assessed.group_by(NAMES.band).agg(pl.len().alias("customers")).rename({NAMES.band: "band"})
                .sort("band", nulls_last=True))
        if not config.questions:
            summary.warnings.append(Notice("The checklist has no questions: add [[checklist.questions]]",
                                           "The checklist has no questions.", key="checklist.questions"))
        elif assessed.height == 0:
            summary.warnings.append(Notice(
                f"No customer was assessed with the checklist: checklist.assess ({config.assess}) held for no one",
                "No customer was assessed with the checklist.", key="checklist.assess"))
        return summary

    def report(self, config: ChecklistConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """The answers per question, and the heatmap of assessed customers x questions."""
        f = summary.figures
        blocks: list[Block] = [
            Figures([Figure("Customers assessed", f.get("assessed"), "integer", "assessed"),
                     Figure("Assessed when", f.get("assess"), "text", "assess"),
                     Figure("Questions", f.get("questions"), "integer", "questions"),
                     Figure("Customers scored", f.get("scored"), "integer", "scored"),
                     Figure("Mean score (0-100)", f.get("mean_pct"), "number", "mean_pct")]),
            Note(context.messages("{assessed} customers assessed against {questions} questions.",
                                  assessed=context.style.integer(f.get("assessed") or 0),
                                  questions=context.style.integer(f.get("questions") or 0))),
        ]
        questions = summary.tables.get("questions")
        if questions is not None and questions.height:
            blocks.append(Table("Answers per question", [
                Column("question", "Id", detail=True), Column("text", "Question"), Column("weight", "Weight", "number", detail=True),
                Column("yes", "Yes", "integer"), Column("no", "No", "integer"),
                Column("not_applicable", "n/a", "integer"), Column("yes_share", "% yes", "percent"),
            ], questions.select("question", "text", "weight", "yes", "no", "not_applicable", "yes_share").rows(),
                id="question-table"))
            blocks.append(BarChart(
                title="% yes per question", id="checklist-yes-chart", kind="percent", detail=True,
                summary="Share of the assessed customers answering yes, per question (not applicable left out).",
                bars=[Bar(text, share if share is not None else 0.0, tone="good" if (share or 0) >= 0.5 else "bad")
                      for text, share in questions.select("text", "yes_share").iter_rows()]))
            blocks.append(_heatmap(questions, context))
        if "bands" in summary.tables:
            blocks.append(table_of(summary.tables["bands"], "Customers per band", id="checklist-band-table"))
        return blocks


def _heatmap(questions: pl.DataFrame, context: ReportContext) -> Table:
    """Assessed customers x questions (yes, no, not applicable), with % yes per customer and question."""
    table, key = context.table, context.key
    ids = questions.get_column("question").to_list()
    answers = [NAMES.value(q) for q in ids]
    present = [pl.col(c) if c in table.columns else pl.lit(None, pl.Boolean).alias(c) for c in answers]
    assessed = table.filter(pl.col(NAMES.score).is_not_null()) if NAMES.score in table.columns else table.clear()
    answered = pl.sum_horizontal(pl.col(c).is_not_null() for c in answers)
    yes = pl.sum_horizontal(pl.col(c).cast(pl.Int64) for c in answers)
    rows = assessed.sort(key).select(pl.col(key), *present).select(
        pl.all(), pl.when(answered > 0).then(yes / answered).alias("yes_share"))
    texts = dict(questions.select("question", "text").iter_rows())
    columns = [Column(key, "Customer", "customer"),
               *(Column(c, texts[q], "boolean", marks=True, description=q) for q, c in zip(ids, answers)),
               Column("yes_share", "% yes", "percent")]
    footer = ["% yes", *(Cell(share, kind="percent") for share in questions.get_column("yes_share").to_list()), None]
    return Table("Answers of the assessed customers", columns, rows.rows(), id="checklist-heatmap",
                 note="✓ yes, ✗ no, – not applicable.", footer=footer, sheet="Checklist", detail=True)


@hookimpl
def clientwise_sections() -> list[ChecklistHandler]:
    return [ChecklistHandler()]

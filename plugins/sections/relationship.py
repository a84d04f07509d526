"""The ``[relationship]`` section: who we know at each customer, how well, and how recently.

An account that hangs on one friendly user is one resignation away from being lost.
This section maps each customer's contacts onto buying roles (budget holder,
gatekeeper, user, coach), checks that every required role is covered by someone on
our side with a working relationship, that several threads are active, that the
budget holder was contacted recently and that the relationship map is kept up to
date. The measures form a weighted scorecard (:mod:`clientwise.sdk.scorecard`), so each
customer's health score is explained criterion by criterion.

See ``docs/plugins/relationship.md`` for the keys, formulas and defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import polars as pl
from pydantic import Field, model_validator

from clientwise.plugins.sections import CATALOGUES
from clientwise.plugins.sections.relationship_breakdown import breakdown
from clientwise.plugins.sections.relationship_report import report
from clientwise.sdk import (
    Block,
    CompileContext,
    ComputedField,
    DerivedField,
    Messages,
    Notice,
    OutputColumn,
    ReportContext,
    SectionHandler,
    SectionPlan,
    SectionSummary,
    Source,
    Strict,
    SummaryContext,
    hookimpl,
    quote,
)
from clientwise.sdk.scorecard import Band, Criterion, Scorecard, ScorecardNames, compile_scorecard

#: The scorecard's field names: ``health_score``, ``health_band``, ``health_<criterion>``.
NAMES = ScorecardNames.for_prefix("health")
MAX_STRENGTH = 4


class Role(Strict):
    """A buying role we want a relationship with at every customer."""

    id: str = Field(pattern=r"^[a-z_][a-z0-9_]*$", description="Identifier; columns role_<id>_strength and role_<id>_covered.")
    label: str = Field("", description="Name shown in reports (defaults to the id).")
    value: str = Field("", description="The value of contacts.role for this role, matched ignoring case (defaults to the id).")
    required: bool = Field(True, description="A missing required role is a gap in the health score and in missing_roles.")

    def shown(self) -> str:
        return self.label or self.id

    def matched(self) -> str:
        return (self.value or self.id).lower()


class BandSpec(Strict):
    """A named range of the 0-100 health score: scores up to ``up_to`` (the last band takes the rest)."""

    id: str = Field(description="The band's name: the value of health_band.")
    up_to: float | None = Field(None, ge=0, le=100, description="Highest score in the band; unset for the top band.")


class Weights(Strict):
    """Points each measure is worth; the score is 100 x points earned / points possible."""

    roles_covered: float = Field(30, ge=0, description="Every required role is covered.")
    active_threads: float = Field(20, ge=0, description="At least min_active_threads active threads.")
    budget_contact: float = Field(20, ge=0, description="The budget holder was contacted recently.")
    map_reviewed: float = Field(10, ge=0, description="The relationship map was reviewed recently.")
    average_strength: float = Field(20, ge=0, description="Average contact strength / 4 (partial points).")


def default_roles() -> list[Role]:
    return [
        Role(id="budget", label="Budget holder", required=True),
        Role(id="gatekeeper", label="Gatekeeper", required=True),
        Role(id="user", label="User", required=True),
        Role(id="coach", label="Coach", required=False),
    ]


def default_bands() -> list[BandSpec]:
    return [BandSpec(id="red", up_to=50), BandSpec(id="yellow", up_to=75), BandSpec(id="green")]


class RelationshipConfig(Strict):
    """The ``[relationship]`` section."""

    roles: list[Role] = Field(default_factory=default_roles, description="The buying roles, in report order.")
    min_strength: int = Field(2, ge=0, le=MAX_STRENGTH, description="Strength a contact needs to cover a role or count as a thread.")
    active_days: int = Field(90, ge=0, description="A thread is active if its contact was reached within this many days.")
    min_active_threads: int = Field(2, ge=0, description="Active threads needed for the active_threads criterion.")
    budget_role: str = Field("budget", description="Role id of the budget holder; \"\" drops the budget_contact criterion.")
    budget_contact_days: int = Field(90, ge=0, description="The budget holder must have been contacted within this many days.")
    map_review_field: str = Field(
        "relationship_map_reviewed", description="Date field of the last map review; \"\" drops the criterion."
    )
    map_review_days: int = Field(92, ge=0, description="The map counts as reviewed if reviewed within this many days.")
    weights: Weights = Field(default_factory=Weights, description="Points per measure.")
    unanswered: Literal["no", "not_applicable"] = Field(
        "no", description="What a measure that cannot be computed counts as (no = 0 points: a missing contact is a gap)."
    )
    bands: list[BandSpec] = Field(default_factory=default_bands, description="Named score ranges for health_band.")
    tier_field: str = Field("tier", description="Field the coverage matrix selects customers by.")
    matrix_tiers: list[str] = Field(
        default_factory=lambda: ["strategic", "core"], description="Tiers shown in the role coverage matrix."
    )

    @model_validator(mode="after")
    def _consistent(self) -> RelationshipConfig:
        ids = [role.id for role in self.roles]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"role id '{duplicates[0]}' appears twice; every role needs its own id")
        if self.budget_role and self.budget_role not in ids:
            raise ValueError(f"budget_role '{self.budget_role}' is not one of the roles ({', '.join(ids)})")
        band_ids = [band.id for band in self.bands]
        if len(set(band_ids)) != len(band_ids):
            raise ValueError("two bands have the same id; every band needs its own id")
        if sum(band.up_to is None for band in self.bands) > 1:
            raise ValueError("only the top band may leave out up_to")
        return self

    def required(self) -> list[Role]:
        return [role for role in self.roles if role.required]


def strength_field(role: Role) -> str:
    return f"role_{role.id}_strength"


def covered_field(role: Role) -> str:
    return f"role_{role.id}_covered"


#: Separator of ``missing_roles_text``; role ids cannot contain it.
ROLE_SEPARATOR = ", "


def missing_roles_text_builder(roles: list[Role]) -> pl.Expr:
    """Ids of the required roles not covered, in role order, as ``"budget, user"``.

    The expression language has no way to build a list element by element, hence
    plugin code; the inputs are the ``role_<id>_covered`` fields, which are explained.
    ``concat_str`` skipping nulls is ~30x faster than building a list and dropping nulls.
    """
    if not roles:
        return pl.lit("")
    parts = [
        pl.when(pl.col(covered_field(role)).fill_null(False)).then(pl.lit(None, pl.String)).otherwise(pl.lit(role.id))
        for role in roles
    ]
    return pl.concat_str(parts, separator=ROLE_SEPARATOR, ignore_nulls=True)


def missing_roles_builder() -> pl.Expr:
    """The same roles as a list column, split from ``missing_roles_text``."""
    text = pl.col("missing_roles_text")
    return pl.when(text == "").then(pl.lit([], dtype=pl.List(pl.String))).otherwise(text.str.split(ROLE_SEPARATOR))


def _role_fields(config: RelationshipConfig, src: Callable[[str], Source]) -> list[DerivedField | ComputedField]:
    """Per role its strength and coverage; then the required roles covered and missing."""
    m = config.min_strength
    fields: list[DerivedField | ComputedField] = []
    for index, role in enumerate(config.roles):
        where = src(f"relationship.roles[{index}]")
        fields.append(DerivedField(
            strength_field(role),
            f"max_of(contacts, strength, lower(role) == {quote(role.matched())} and covered_by is not null)",
            where, f"{role.shown()}: strongest contact covered by someone on our side (null: none)."))
        fields.append(DerivedField(
            covered_field(role), f"coalesce({strength_field(role)}, 0) >= {m}", where,
            f"{role.shown()}: covered by a contact of strength {m} or more."))
    required = config.required()
    inputs = tuple(covered_field(r) for r in required)
    roles = src("relationship.roles")
    fields += [
        DerivedField("roles_covered", " + ".join(f"if_else({covered_field(r)}, 1, 0)" for r in required) or "0",
                     roles, "How many required roles are covered."),
        DerivedField("missing_role_count", f"{len(required)} - roles_covered", roles,
                     "How many required roles are not covered."),
        ComputedField("missing_roles_text", lambda: missing_roles_text_builder(required), inputs, roles,
                      "The missing roles as text, for because templates and flat files.", "string", row_local=True),
        ComputedField("missing_roles", missing_roles_builder, ("missing_roles_text",), roles,
                      "Required roles not covered by a contact of enough strength.", "list", row_local=True),
    ]
    return fields


def _contact_fields(config: RelationshipConfig, src: Callable[[str], Source]) -> list[DerivedField]:
    """Active threads, average strength and the budget holder's last contact."""
    m = config.min_strength
    fields = [
        DerivedField(
            "active_threads",
            f"count_of(contacts, strength >= {m} and covered_by is not null "
            f"and days_since(last_contact) <= {config.active_days})",
            src("relationship.active_days"),
            f"Contacts of strength {m}+ reached in the last {config.active_days} days."),
        DerivedField("average_strength", "mean_of(contacts, strength)", src("relationship.weights.average_strength"),
                     "Average strength of all contacts, 0-4 (null: no contacts)."),
    ]
    if config.budget_role:
        budget = next(r for r in config.roles if r.id == config.budget_role)
        fields.append(DerivedField(
            "budget_last_contact", f"max_of(contacts, last_contact, lower(role) == {quote(budget.matched())})",
            src("relationship.budget_role"), "Latest contact with the budget holder."))
    return fields


class RelationshipHandler(SectionHandler[RelationshipConfig]):
    """Compiles ``[relationship]`` into role coverage fields and the health scorecard."""

    name = "relationship"
    model = RelationshipConfig
    title = "Relationship health"
    messages = CATALOGUES

    def compile(self, config: RelationshipConfig, context: CompileContext) -> SectionPlan:
        plan = SectionPlan(section=self.name)
        plan.derived.extend(_role_fields(config, context.source))
        plan.derived.extend(_contact_fields(config, context.source))
        compiled = compile_scorecard(self.scorecard(config, context))
        plan.derived.extend(compiled.derived)
        if compiled.band is not None:
            plan.classifications.append(compiled.band)
        plan.outputs += [
            OutputColumn(NAMES.score, "Health", "number"),
            *([OutputColumn(NAMES.band, "Health band", "text", tones=compiled.band_tones)]
              if compiled.band is not None else []),
            OutputColumn("missing_roles", "Missing roles", "list"),
            OutputColumn("roles_covered", "Required roles covered", "integer", detail=True),
            OutputColumn("active_threads", "Active threads", "integer", detail=True),
        ]
        return plan

    def scorecard(self, config: RelationshipConfig, context: CompileContext) -> Scorecard:
        """The health measures as a scorecard; measures that cannot apply are left out."""
        return health_scorecard(config, context.source, self.name, Messages())  # compiled: in English

    def summarize(self, config: RelationshipConfig, table: pl.DataFrame, context: SummaryContext) -> SectionSummary:
        return summarize_relationship(config, table, context.key, title=self.title)

    def report(self, config: RelationshipConfig, summary: SectionSummary, context: ReportContext) -> list[Block]:
        """Health bands, what lowers health, missing roles and the role coverage matrix."""
        matrix = summary.tables.get("coverage_matrix")
        tiered = matrix is not None and config.tier_field in matrix.columns
        band = next((column for column in context.columns if column.name == NAMES.band), None)
        tones = dict(band.tones) if band else {}
        criteria = health_scorecard(config, lambda path: Source("", path), self.name, context.messages).criteria
        blocks = report(summary, config.matrix_tiers if tiered else [], tones, context.messages)
        return blocks + list(breakdown(criteria, NAMES, tones, context))


def health_scorecard(config: RelationshipConfig, src: Callable[[str], Source], name: str, tr: Messages) -> Scorecard:
    """The health measures as a scorecard (``src`` locates each setting; ``tr`` writes their descriptions)."""
    w = config.weights
    weights = src("relationship.weights")
    criteria: list[Criterion] = []
    required = config.required()
    if required:
        criteria.append(Criterion(
            "roles_covered", f"roles_covered == {len(required)}", w.roles_covered, weights.child("roles_covered"),
            description=tr("Every required role is covered by a contact of strength {strength}+.", strength=config.min_strength)))
    criteria.append(Criterion(
        "active_threads", f"active_threads >= {config.min_active_threads}", w.active_threads,
        weights.child("active_threads"),
        description=tr("At least {count} active threads.", count=config.min_active_threads)))
    if config.budget_role:
        criteria.append(Criterion(
            "budget_contact", f"days_since(budget_last_contact) <= {config.budget_contact_days}",
            w.budget_contact, weights.child("budget_contact"),
            description=tr("The budget holder was contacted in the last {days} days.", days=config.budget_contact_days)))
    if config.map_review_field:
        criteria.append(Criterion(
            "map_reviewed", f"days_since({config.map_review_field}) <= {config.map_review_days}",
            w.map_reviewed, src("relationship.map_review_field"),
            description=tr("The relationship map was reviewed in the last {days} days.", days=config.map_review_days)))
    criteria.append(Criterion(
        "average_strength", f"average_strength / {MAX_STRENGTH}", w.average_strength,
        weights.child("average_strength"), kind="number",
        description=tr("Average contact strength as a share of the maximum ({maximum}).", maximum=MAX_STRENGTH)))
    bands = tuple(Band(b.id, b.up_to, src(f"relationship.bands[{i}]")) for i, b in enumerate(config.bands))
    return Scorecard(name, tuple(criteria), src("relationship.weights"), bands, config.unanswered,
                     None, NAMES, title="Relationship health")


def summarize_relationship(
    config: RelationshipConfig, table: pl.DataFrame, key: str, *, title: str = "Relationship health"
) -> SectionSummary:
    """Band distribution, customers missing each role and the role coverage matrix."""
    summary = SectionSummary(section="relationship", title=title)
    scores = table.get_column(NAMES.score)
    threads = table.get_column("active_threads")
    # roles_covered is unknown only where the export has no contacts (clientwise.runtime.absent):
    # then nothing is "missing", it is not known
    no_data = table.height > 0 and table.get_column("roles_covered").null_count() == table.height
    summary.figures.update({
        "customers": table.height,
        "mean_health_score": scores.mean() if scores.null_count() < scores.len() else None,
        "single_threaded": None if no_data else int((threads < config.min_active_threads).fill_null(True).sum()),
        "fully_covered": None if no_data else
        int((table.get_column("roles_covered") == len(config.required())).fill_null(False).sum()),
    })
    if no_data:
        summary.warnings.append(Notice(
            "No contact data: relationship health not computed (roles, threads and health scores are unknown, "
            "not missing).",
            "There is no contact data, so relationship health is unknown for every customer.", key="relationship"))
    summary.tables["bands"] = _band_table(config, table)

    in_matrix = _matrix_customers(config, table, key)
    rows: list[dict[str, Any]] = []
    for role in config.roles:
        covered = table.get_column(covered_field(role))
        top_covered = in_matrix.get_column(covered_field(role))
        rows.append({
            "role": role.id,
            "label": role.shown(),
            "required": role.required,
            "customers_missing": int((~covered).fill_null(False).sum()),
            "matrix_customers_missing": int((~top_covered).fill_null(False).sum()),
        })
    summary.tables["missing_roles"] = pl.DataFrame(rows, schema={
        "role": pl.String, "label": pl.String, "required": pl.Boolean,
        "customers_missing": pl.Int64, "matrix_customers_missing": pl.Int64})
    summary.tables["coverage_matrix"] = in_matrix.select(
        pl.col(key),
        *([pl.col(config.tier_field)] if config.tier_field in in_matrix.columns else []),
        *(pl.col(strength_field(role)).alias(f"{role.id}_strength") for role in config.roles),
        *(pl.col(covered_field(role)).fill_null(False).alias(f"{role.id}_covered") for role in config.roles),
        *([pl.col(NAMES.score)] if NAMES.score in in_matrix.columns else []),
    )
    tiered = config.tier_field in table.columns
    scope = f"{'/'.join(config.matrix_tiers)} customers" if tiered else "customers"
    for row in rows:
        if row["required"] and row["matrix_customers_missing"] and not no_data:
            summary.warnings.append(Notice(
                f"{row['matrix_customers_missing']} {scope} have no {row['label'].lower()} of strength "
                f"{config.min_strength}+ ({row['customers_missing']} customers in all).",
                "{count} customers in the coverage matrix have no contact of strength {strength} or more in the "
                "role “{role}” ({all} customers in all).", key="relationship.min_strength",
                values={"count": row["matrix_customers_missing"], "role": row["label"],
                        "strength": config.min_strength, "all": row["customers_missing"]}))
    if not tiered:
        summary.warnings.append(Notice(
            f"No '{config.tier_field}' field: the role coverage matrix shows every customer "
            "(set relationship.tier_field or add a [segmentation] section).",
            "Customers have no tier, so the role coverage matrix shows every customer.",
            key="relationship.tier_field"))
    return summary


def _matrix_customers(config: RelationshipConfig, table: pl.DataFrame, key: str) -> pl.DataFrame:
    """The customers the coverage matrix shows, with only the columns it needs."""
    wanted = [key, config.tier_field, NAMES.score,
              *(strength_field(role) for role in config.roles), *(covered_field(role) for role in config.roles)]
    narrow = table.select(list(dict.fromkeys(c for c in wanted if c in table.columns)))
    if config.tier_field not in narrow.columns:
        return narrow
    return narrow.filter(pl.col(config.tier_field).is_in(config.matrix_tiers).fill_null(False))


def _band_table(config: RelationshipConfig, table: pl.DataFrame) -> pl.DataFrame:
    """Customers per band, in band order (the last row counts customers without a band)."""
    bands = (table.get_column(NAMES.band) if NAMES.band in table.columns
             else pl.Series([None] * table.height, dtype=pl.String))
    names = _band_order(config)
    counts = [int((bands == name).fill_null(False).sum()) for name in names]
    total = table.height
    return pl.DataFrame({
        "band": [*names, None],
        "up_to": [*(_up_to(config, n) for n in names), None],
        "customers": [*counts, int(bands.null_count())],
        "share": [*(c / total if total else None for c in counts), bands.null_count() / total if total else None],
    }, schema={"band": pl.String, "up_to": pl.Float64, "customers": pl.Int64, "share": pl.Float64})


def _band_order(config: RelationshipConfig) -> list[str]:
    """Band ids from the lowest scores to the highest."""
    return [band.id for band in sorted(config.bands, key=lambda b: (b.up_to is None, b.up_to or 0.0))]


def _up_to(config: RelationshipConfig, name: str) -> float | None:
    return next(b.up_to for b in config.bands if b.id == name)


@hookimpl
def clientwise_sections() -> list[RelationshipHandler]:
    return [RelationshipHandler()]

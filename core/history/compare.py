"""``clientwise compare``: what changed between two runs, as a quarterly review needs it.

The comparison holds frames (a million customers stay columnar) and is rendered for
the terminal, JSON, HTML, Excel and Markdown by :mod:`clientwise.history.render`,
:mod:`clientwise.history.report` and :mod:`clientwise.history.workbook`. Run A is
"then", run B "now". Revenue moved is the segmentation measure (revenue with the
default ruleset) in run B, taken from the Pareto table of the segmentation summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compare import NONE, action_changes, figures_side_by_side, matrix, paired, tier_order
from clientwise.compare.migration import IN_A, IN_B, A, B, both
from clientwise.history.runs import RunInfo
from clientwise.history.split import Reevaluation
from clientwise.runtime.result import Result

#: Value classes best first (the profitability section's classes).
VALUE_CLASSES = ("value_creator", "neutral", "value_destroyer")
#: The class outputs whose migrations are shown (when a run has them).
CLASSES = ("tier", "value_class", "health_band")
HEALTH = "health_score"
#: Customers per list in the terminal view (``--json`` and the reports list all).
LIST_LIMIT = 15
MEASURE = "measure"
#: Output kinds whose per-customer change is a "score delta".
NUMERIC_KINDS = ("number", "integer", "percent", "money")
#: Portfolio figures shown side by side at the top: (section, figure, label, how to show it).
HEADLINE = (
    ("segmentation", "top_measure_share", "concentration: share of the top 20% of customers", "percent"),
    ("segmentation", "largest_customer", "largest customer", "text"),
    ("segmentation", "largest_customer_share", "largest customer's share", "percent"),
    ("profitability", "whale_peak_profit_share", "whale curve peak (share of total profit)", "percent"),
    ("profitability", "whale_peak_customer_share", "whale curve peak at (share of customers)", "percent"),
    ("profitability", "value_destroyer_share", "value destroyers (share of customers)", "percent"),
    ("profitability", "total_profit", "total profit", "money"),
    ("relationship", "mean_health_score", "mean health score", "number"),
)


@dataclass
class Migration:
    """One class output (tier, value class, health band) from A to B."""

    output: str
    order: list[str]
    matrix: pl.DataFrame  # from, to, customers[, measure]
    moved: int
    #: With a ruleset change and the split possible: the same matrix for each effect.
    criteria: pl.DataFrame | None = None
    data: pl.DataFrame | None = None
    #: Moved customers by cause: criteria, data, both.
    causes: dict[str, int] = field(default_factory=dict)


@dataclass
class RulesetChange:
    a: str
    b: str
    split: bool
    reason: str | None


@dataclass
class Comparison:
    a: RunInfo
    b: RunInfo
    key: str
    name: str | None
    measure_label: str | None
    migrations: list[Migration]
    gained: pl.DataFrame
    lost: pl.DataFrame
    health_drops: pl.DataFrame
    scores: pl.DataFrame
    score_columns: list[str]
    checklist: pl.DataFrame | None
    actions: pl.DataFrame
    action_customers: pl.DataFrame
    tier_mix: pl.DataFrame | None
    headline: list[tuple[str, str, Any, Any]]
    figures: list[tuple[str, str, Any, Any]]
    ruleset_change: RulesetChange | None
    notes: list[str] = field(default_factory=list)
    #: Per score column: how many customers (in both runs) went up, down, stayed; the mean change.
    score_summary: pl.DataFrame | None = None
    #: Both runs' customers joined by key (:func:`clientwise.compare.paired`), when compared in
    #: memory: what ``Result.review`` reads its per-customer moves from.
    pairs: pl.DataFrame | None = None
    #: False when the per-customer lists (``scores``, ``action_customers``) were left out
    #: and ``health_drops`` holds only the largest :data:`LIST_LIMIT` (the terminal view
    #: shows only summaries and counts).
    detailed: bool = True

    @property
    def health_drop_count(self) -> int:
        """How many customers (in both runs) lost health, whether or not all are listed."""
        if self.score_summary is not None and HEALTH in self.score_summary["score"].to_list():
            return int(self.score_summary.filter(pl.col("score") == HEALTH)["down"][0])
        return self.health_drops.height


def measure_of(result: Result) -> tuple[pl.DataFrame | None, str | None]:
    """Key -> segmentation measure per customer (from the Pareto table), and the measure's name."""
    summary = result.summary("segmentation")
    if summary is None or "pareto" not in summary.tables:
        return None, None
    pareto = summary.tables["pareto"]
    key = next((c for c in pareto.columns if c not in ("position", MEASURE, "customer_share", "cumulative_share")),
               None)
    if key is None:
        return None, None
    frame = pareto.select(pl.col(key).cast(pl.String).alias(result.key), pl.col(MEASURE).cast(pl.Float64))
    return frame, str(summary.figures.get("measure") or "measure")


def _with_measure(result: Result) -> pl.DataFrame:
    found, _ = measure_of(result)
    customers = result.customers.with_columns(pl.col(result.key).cast(pl.String))
    if found is None:
        return customers.with_columns(pl.lit(None, pl.Float64).alias(MEASURE))
    return customers.join(found, on=result.key, how="left", maintain_order="left")


def score_columns(a: Result, b: Result) -> list[str]:
    kinds = {c.name: c for c in b.columns}
    older = {c.name for c in a.columns}
    return [name for name, column in kinds.items()
            if name in older and column.kind in NUMERIC_KINDS and not column.detail
            and name in a.customers.columns and name in b.customers.columns]


def compare(a_info: RunInfo, a: Result, b_info: RunInfo, b: Result,
            action_texts: dict[str, tuple[str, int]] | None = None,
            reevaluated: Reevaluation | None = None) -> Comparison:
    """Everything that changed from run A to run B."""
    key, name = b.key, (b.name if b.name != b.key else None)
    scores = score_columns(a, b)
    classes = [c for c in CLASSES if c in a.customers.columns and c in b.customers.columns]
    columns = list(dict.fromkeys([*classes, *scores, "actions", MEASURE]))
    a_frame, b_frame = _with_measure(a).rename({a.key: key}), _with_measure(b)
    if a.name != a.key and name and a.name != name and a.name in a_frame.columns:
        a_frame = a_frame.rename({a.name: name})
    pairs = paired(a_frame, b_frame, key, name, columns)
    _, measure_label = measure_of(b)
    ids = [key, *([name] if name else [])]
    tier = classes[0] if classes and classes[0] == "tier" else None
    gained = (pairs.filter(pl.col(IN_B) & ~pl.col(IN_A))
              .select(*ids, *([pl.col(f"{tier}{B}").alias(tier)] if tier else []), pl.col(f"{MEASURE}{B}").alias(MEASURE))
              .sort(MEASURE, key, descending=[True, False], nulls_last=True))
    lost = (pairs.filter(pl.col(IN_A) & ~pl.col(IN_B))
            .select(*ids, *([pl.col(f"{tier}{A}").alias(tier)] if tier else []), pl.col(f"{MEASURE}{A}").alias(MEASURE))
            .sort(MEASURE, key, descending=[True, False], nulls_last=True))
    common = both(pairs, [*ids, *(f"{c}{side}" for c in [*scores, *([tier] if tier else [])] for side in (A, B))])
    deltas = common.select(*ids, *(expr for s in scores for expr in (
        pl.col(f"{s}{A}").alias(f"{s}_then"), pl.col(f"{s}{B}").alias(f"{s}_now"),
        (pl.col(f"{s}{B}") - pl.col(f"{s}{A}")).alias(f"{s}_change"))))
    drops = pl.DataFrame()
    if HEALTH in scores:
        drops = (deltas.filter(pl.col(f"{HEALTH}_change") < 0)
                 .join(common.select(key, *([pl.col(f"{tier}{B}").alias(tier)] if tier else [])), on=key, how="left")
                 .select(*ids, *([tier] if tier else []), f"{HEALTH}_then", f"{HEALTH}_now", f"{HEALTH}_change")
                 .sort(f"{HEALTH}_change", key))
    split = ruleset_change(a_info, b_info, reevaluated)
    migrations = [_migration(pairs, output, class_order(output, [a, b]), measure_label is not None)
                  for output in classes]
    if split and split.split and reevaluated is not None and reevaluated.result is not None:
        _attribute(migrations, a_frame, _with_measure(reevaluated.result).rename({reevaluated.result.key: key}),
                   b_frame, key, name)
    changes = action_changes(pairs, key, name)
    return Comparison(
        a=a_info, b=b_info, key=key, name=name, measure_label=measure_label, migrations=migrations,
        gained=gained, lost=lost, health_drops=drops, scores=deltas, score_columns=scores,
        checklist=checklist_changes(a, b), actions=action_table(changes, action_texts or {}),
        action_customers=changes.filter((pl.col("gained").list.len() + pl.col("lost").list.len()) > 0),
        tier_mix=tier_mix(a, b), headline=headline(a, b), figures=figures_side_by_side(a.summaries, b.summaries),
        ruleset_change=split, notes=notes(a_info, b_info), score_summary=summarize_scores(deltas, scores), pairs=pairs)


def summarize_scores(deltas: pl.DataFrame, scores: list[str]) -> pl.DataFrame:
    """Per score: customers up, down, the same (a known change only), and the mean change."""
    rows = []
    for score in scores:
        known = deltas[f"{score}_change"].drop_nulls()
        rows.append({"score": score, "up": int((known > 0).sum()), "down": int((known < 0).sum()),
                     "same": int((known == 0).sum()), "mean_change": float(known.mean()) if known.len() else None})
    return pl.DataFrame(rows, schema=SCORE_SUMMARY)


#: The columns of :attr:`Comparison.score_summary`.
SCORE_SUMMARY = {"score": pl.String, "up": pl.Int64, "down": pl.Int64, "same": pl.Int64, "mean_change": pl.Float64}


def class_order(output: str, results: list[Result]) -> list[str]:
    """How a class's values are listed: tiers best first (by rank), health bands and value
    classes in their section's order, anything else alphabetically."""
    if output == "tier":
        return tier_order([r.customers for r in results], output)
    if output == "health_band":
        bands = [r.summary("relationship").tables.get("bands") for r in results if r.summary("relationship")]
        return list(dict.fromkeys(str(b) for t in bands if t is not None and "band" in t.columns
                                  for b in t["band"].drop_nulls()))
    if output == "value_class":
        return list(VALUE_CLASSES)
    return []


def _migration(pairs: pl.DataFrame, output: str, order: list[str], weighted: bool) -> Migration:
    return migration_of(output, order, matrix(pairs.rename({f"{MEASURE}{B}": MEASURE}), output,
                                              MEASURE if weighted else None))


def migration_of(output: str, order: list[str], found: pl.DataFrame) -> Migration:
    """A migration from its matrix (from, to, customers[, measure]): classes in ``order``, then
    any others alphabetically, then (none); how many customers moved."""
    seen = list(dict.fromkeys([*found["from"], *found["to"]]))
    order = [c for c in order if c in seen] + sorted(c for c in seen if c not in order and c != NONE) + \
        ([NONE] if NONE in seen else [])
    moved = int(found.filter(pl.col("from") != pl.col("to"))["customers"].sum() or 0)
    return Migration(output, order, found, moved)


def _attribute(migrations: list[Migration], a: pl.DataFrame, again: pl.DataFrame, b: pl.DataFrame,
               key: str, name: str | None) -> None:
    """Split each migration: A -> re-evaluated (criteria) and re-evaluated -> B (data)."""
    outputs = [m.output for m in migrations]
    criteria = paired(a, again, key, name, [*outputs, MEASURE])
    data = paired(again, b, key, name, [*outputs, MEASURE])
    overall = paired(a, b, key, name, outputs)
    for migration in migrations:
        column = migration.output
        migration.criteria = _migration(criteria, column, migration.order, True).matrix
        migration.data = _migration(data, column, migration.order, True).matrix
        steps = (both(overall).select(key, pl.col(f"{column}{A}").alias("then"), pl.col(f"{column}{B}").alias("now"))
                 .join(again.select(pl.col(key).cast(pl.String), pl.col(column).alias("again")), on=key, how="left")
                 .filter(pl.col("then").ne_missing(pl.col("now"))))
        by_criteria = pl.col("then").ne_missing(pl.col("again"))
        by_data = pl.col("again").ne_missing(pl.col("now"))
        counts = steps.select(
            (by_criteria & ~by_data).sum().alias("criteria"),
            (by_data & ~by_criteria).sum().alias("data"),
            (by_criteria & by_data).sum().alias("both"),
        ).row(0, named=True)
        migration.causes = {cause: int(count or 0) for cause, count in counts.items()}


def ruleset_change(a: RunInfo, b: RunInfo, reevaluated: Reevaluation | None) -> RulesetChange | None:
    if a.ruleset.hash == b.ruleset.hash:
        return None
    names = [f"{r.name} {r.version} (hash {r.hash[:12]})" for r in (a.ruleset, b.ruleset)]
    if reevaluated is None:
        return RulesetChange(names[0], names[1], False, "the split was not asked for")
    return RulesetChange(names[0], names[1], reevaluated.result is not None, reevaluated.reason)


def checklist_changes(a: Result, b: Result) -> pl.DataFrame | None:
    tables = [r.summary("checklist").tables.get("questions") if r.summary("checklist") else None for r in (a, b)]
    if tables[0] is None or tables[1] is None:
        return None
    then = tables[0].select("question", pl.col("text").alias("text_then"), pl.col("yes_share").alias("yes_then"))
    now = tables[1].select("question", "text", pl.col("yes_share").alias("yes_now"))
    joined = now.join(then, on="question", how="full", coalesce=True, maintain_order="left_right")
    return joined.select("question", pl.coalesce("text", "text_then").alias("text"), "yes_then", "yes_now",
                         (pl.col("yes_now") - pl.col("yes_then")).alias("change"))


def action_table(changes: pl.DataFrame, texts: dict[str, tuple[str, int]]) -> pl.DataFrame:
    """Per action rule: customers for whom it is new, resolved, persisting (customers in both runs)."""
    counted = [changes.select(pl.col(kind).explode().alias("rule")).drop_nulls()
               .group_by("rule").agg(pl.len().cast(pl.Int64).alias(label))
               for kind, label in (("gained", "new"), ("lost", "resolved"), ("kept", "persisting"))]
    table = counted[0].join(counted[1], on="rule", how="full", coalesce=True).join(
        counted[2], on="rule", how="full", coalesce=True).with_columns(pl.col("new", "resolved", "persisting").fill_null(0))
    return labelled_actions(table, texts)


def labelled_actions(table: pl.DataFrame, texts: dict[str, tuple[str, int]]) -> pl.DataFrame:
    """Counts per rule (rule, new, resolved, persisting) with each rule's action and priority, most urgent first."""
    return table.with_columns(
        pl.col("rule").replace_strict({r: t[0] for r, t in texts.items()}, default=None,
                                      return_dtype=pl.String).alias("action"),
        pl.col("rule").replace_strict({r: t[1] for r, t in texts.items()}, default=None,
                                      return_dtype=pl.Int64).alias("priority"),
    ).select("rule", "action", "priority", "new", "resolved", "persisting").sort("priority", "rule", nulls_last=True)


def tier_mix(a: Result, b: Result) -> pl.DataFrame | None:
    found = [r.summary("segmentation").tables.get("tiers") if r.summary("segmentation") else None for r in (a, b)]
    if found[0] is None or found[1] is None:
        return None
    then = found[0].select("tier", pl.col("customers").alias("customers_then"),
                           pl.col("customer_share").alias("share_then"), pl.col("target_met").alias("met_then"))
    now = found[1].select("tier", pl.col("customers").alias("customers_now"), pl.col("customer_share").alias("share_now"),
                          "target_min", "target_max", pl.col("target_met").alias("met_now"))
    return now.join(then, on="tier", how="full", coalesce=True, maintain_order="left_right").select(
        "tier", "customers_then", "share_then", "met_then", "customers_now", "share_now", "met_now",
        "target_min", "target_max")


def headline(a: Result, b: Result) -> list[tuple[str, str, Any, Any]]:
    rows = []
    for section, figure, label, kind in HEADLINE:
        sa, sb = a.summary(section), b.summary(section)
        if (sa and figure in sa.figures) or (sb and figure in sb.figures):
            rows.append((label, kind, sa.figures.get(figure) if sa else None, sb.figures.get(figure) if sb else None))
    return rows


def notes(a: RunInfo, b: RunInfo) -> list[str]:
    notes = []
    if a.as_of > b.as_of:
        notes.append(f"{a.source} is as of {a.as_of}, after {b.source} ({b.as_of}): 'then' is the later date")
    for part in sorted(set(a.provenance) | set(b.provenance)):
        va, vb = (a.provenance.get(part) or {}).get("version"), (b.provenance.get(part) or {}).get("version")
        if va != vb:
            notes.append(f"{part} ran on different code: version {va or 'unknown'} then, {vb or 'unknown'} now")
    return notes


def matrix_rows(migration: Migration, table: pl.DataFrame) -> list[list[Any]]:
    """Rows of a migration matrix: the class then, then customers per class now."""
    cells = {(r["from"], r["to"]): r["customers"] for r in table.iter_rows(named=True)}
    return [[before, *(cells.get((before, after), 0) for after in migration.order)] for before in migration.order]


def moved_measure(table: pl.DataFrame) -> float | None:
    if "measure" not in table.columns:
        return None
    moved = table.filter(pl.col("from") != pl.col("to"))
    return float(moved["measure"].sum()) if moved.height else 0.0

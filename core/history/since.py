""""Since the last review" for the reports: a new result against the previous stored run.

The previous review is the run the trend functions read (:class:`StoredHistory`):
``--compare-with RUN`` when given, else the latest saved run of the same ruleset name
with an earlier as-of date, so a report and the ruleset's trend rules always speak
of the same review, and re-running a quarter never compares it with itself. The new
result is not in the store yet (it is saved after the report is written), so it is
compared in memory with :func:`clientwise.history.compare.compare`, the comparison
``clientwise compare`` makes of a results file: the migration matrix, the customers
gained and lost, the score and action changes all come from there, and this module
only turns them into the :class:`Review` the report writers read.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from clientwise._version import __version__
from clientwise.compare.migration import IN_A, IN_B, A, B
from clientwise.history.compare import MEASURE, Comparison, compare
from clientwise.history.runs import RunInfo, action_texts, load_result, run_info
from clientwise.history.store import open_store
from clientwise.history.trend import StoredHistory
from clientwise.output.review import DOWN, HEALTH, NEW, SAME, TIER, TOLERANCE, TRENDS, UP, Review, ReviewRun
from clientwise.runtime.result import Result

#: Points of a health sparkline: this run and up to this many minus one earlier runs
#: (two years of quarterly reviews).
SPARK_RUNS = 8
#: The previous run's portfolio tables the comparison reads (revenue per customer from
#: the Pareto table; the tier, band and checklist tables for their order and answers).
_TABLES = {("segmentation", "pareto"), ("segmentation", "tiers"), ("checklist", "questions"),
           ("relationship", "bands")}


def since_last_review(result: Result, history: StoredHistory | None, label: str | None = None) -> Review | None:
    """``result`` against the previous run of ``history`` (None without one).

    ``history`` is what :meth:`StoredHistory.find` gives for this evaluation; ``label``
    is what this run will be saved as, if it is (the sparklines' last point).
    """
    if history is None or not history.earlier:
        return None
    previous = history.earlier[0]
    with open_store(history.path, write=False) as store:
        a_info = run_info(store, previous.run_id)
        a = load_result(store, a_info, summary_tables=_TABLES, actions=False)
        texts = action_texts(store, previous.run_id)
    comparison = compare(a_info, a, this_run(result, label), result, texts)
    assert comparison.pairs is not None
    tiers = _tiers(result, comparison)
    paired = set(comparison.pairs.columns)
    compared = tuple(c for c in TRENDS if f"{c}{A}" in paired and f"{c}{B}" in paired)
    customers = _customers(comparison, compared, tiers)
    declared = _declared(result)
    reviewed = tuple(declared[:-1] if len(declared) > 1 else declared)
    chain = tuple(reversed(history.earlier[:SPARK_RUNS - 1]))
    runs = (*(ReviewRun(f"run {run.run_id}" + (f" ({run.label})" if run.label else ""), run.label, run.as_of)
              for run in chain),
            ReviewRun("this run", label, result.as_of, _ruleset(result.ruleset.name, result.ruleset.version)))
    if HEALTH in result.customers.columns and TIER in result.customers.columns:
        customers = customers.join(_health_runs(result, dataclasses.replace(history, earlier=chain), reviewed),
                                   on="key", how="left", maintain_order="left")
    else:
        customers = customers.with_columns(pl.lit(None, pl.List(pl.Float64)).alias("health_runs"))
    return _review(comparison, a, result, customers, a_info, runs, tiers, reviewed, compared)


def this_run(result: Result, label: str | None) -> RunInfo:
    """The new result as a run of the comparison (not stored yet: it has no id)."""
    return RunInfo(run_id=None, label=label, ran_at=None, as_of=result.as_of, ruleset=result.ruleset,
                   engine=result.engine, clientwise_version=__version__, provenance=result.provenance,
                   key_field=result.key, name_field=result.name if result.name != result.key else None,
                   customer_count=result.customers.height, action_count=result.actions.height, source="this run")


def _ruleset(name: str, version: str) -> str:
    return f"{name} {version}".strip()


def _declared(result: Result) -> list[str]:
    """The tiers in the ruleset's order (best first), as the tier column declares them."""
    column = next((c for c in result.columns if c.name == TIER), None)
    return [str(value) for value, _ in column.tones] if column is not None else []


def _tiers(result: Result, comparison: Comparison) -> tuple[str, ...]:
    migration = next((m for m in comparison.migrations if m.output == TIER), None)
    return tuple(dict.fromkeys([*_declared(result), *(migration.order if migration else [])]))


def _customers(comparison: Comparison, compared: tuple[str, ...], tiers: tuple[str, ...]) -> pl.DataFrame:
    """Per customer of the new run: each compared output then, now and its move; the new actions."""
    pairs = comparison.pairs
    assert pairs is not None
    key = comparison.key
    present = pl.col(IN_A)
    moves = []
    for output in compared:
        then, now = pl.col(f"{output}{A}"), pl.col(f"{output}{B}")
        if output == TIER:
            rank = {tier: i for i, tier in enumerate(tiers)}
            r_then, r_now = (c.cast(pl.String).replace_strict(rank, default=None, return_dtype=pl.Int64)
                             for c in (then, now))
            move = (pl.when(~present).then(pl.lit(NEW)).when(r_then.is_null() | r_now.is_null()).then(None)
                    .when(r_then == r_now).then(pl.lit(SAME)).when(r_now < r_then).then(pl.lit(UP))
                    .otherwise(pl.lit(DOWN)))
        else:
            change = now.cast(pl.Float64) - then.cast(pl.Float64)
            move = (pl.when(~present).then(pl.lit(NEW)).when(change.is_null()).then(None)
                    .when(change.abs() < TOLERANCE).then(pl.lit(SAME)).when(change > 0).then(pl.lit(UP))
                    .otherwise(pl.lit(DOWN)))
        moves += [then.alias(f"{output}_then"), now.alias(f"{output}_now"), move.alias(f"{output}_move")]
    gained = comparison.action_customers.select(pl.col(key).cast(pl.String).alias("key"), "gained") \
        if comparison.action_customers.height else pl.DataFrame(schema={"key": pl.String,
                                                                        "gained": pl.List(pl.String)})
    frame = (pairs.filter(pl.col(IN_B))
             .select(pl.col(key).cast(pl.String).alias("key"),
                     (pl.col(comparison.name).cast(pl.String) if comparison.name
                      else pl.lit(None, pl.String)).alias("name"),
                     present.alias("in_previous"), *moves,
                     pl.col(f"actions{B}").alias("actions_now"))
             .join(gained, on="key", how="left", maintain_order="left"))
    empty = pl.lit([], pl.List(pl.String))
    return frame.with_columns(
        pl.when(pl.col("in_previous")).then(pl.col("gained").fill_null(empty))
        .otherwise(pl.col("actions_now").fill_null(empty)).alias("new_actions")).drop("gained", "actions_now")


def _health_runs(result: Result, chain: StoredHistory, reviewed: tuple[str, ...]) -> pl.DataFrame:
    """key -> health per run of ``chain`` (its runs oldest first) and now, for customers of the reviewed tiers."""
    key = result.key
    chosen = (result.customers.filter(pl.col(TIER).cast(pl.String).is_in(list(reviewed)))
              .select(pl.col(key).cast(pl.String).alias("key"), pl.col(HEALTH).cast(pl.Float64).alias("now")))
    points = []
    for index, run in enumerate(dataclasses.replace(chain, key="key").runs({HEALTH})):  # oldest first
        frame = run.customers
        values = (frame.select(pl.col("key").cast(pl.String), pl.col(HEALTH).cast(pl.Float64).alias(f"h{index}"))
                  if HEALTH in frame.columns else frame.select(pl.col("key").cast(pl.String),
                                                              pl.lit(None, pl.Float64).alias(f"h{index}")))
        chosen = chosen.join(values, on="key", how="left", maintain_order="left")
        points.append(f"h{index}")
    return chosen.select("key", pl.concat_list([*points, "now"]).alias("health_runs"))


def _figure(result: Result, section: str, name: str) -> float | None:
    summary = result.summary(section)
    value = summary.figures.get(name) if summary is not None and summary.error is None else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _review(comparison: Comparison, a: Result, b: Result, customers: pl.DataFrame, a_info: RunInfo,
            runs: tuple[ReviewRun, ...], tiers: tuple[str, ...], reviewed: tuple[str, ...],
            compared: tuple[str, ...]) -> Review:
    migration = next((m for m in comparison.migrations if m.output == TIER), None)
    moves = customers[f"{HEALTH}_move"] if f"{HEALTH}_move" in customers.columns else pl.Series([], dtype=pl.String)
    new_for_gained = customers.filter(~pl.col("in_previous"))["new_actions"].list.len().sum()
    change = None
    if a.ruleset.hash != b.ruleset.hash:
        change = (_ruleset(a.ruleset.name, a.ruleset.version), _ruleset(b.ruleset.name, b.ruleset.version))

    def total(frame: pl.DataFrame) -> float | None:
        known = frame[MEASURE].drop_nulls() if MEASURE in frame.columns else pl.Series([], dtype=pl.Float64)
        return float(known.sum()) if known.len() else None

    return Review(
        previous=ReviewRun(a_info.source, a_info.label, a_info.as_of, _ruleset(a.ruleset.name, a.ruleset.version)),
        runs=runs, tiers=tiers, reviewed_tiers=reviewed, compared=compared, customers=customers,
        migration=migration.matrix if migration is not None else None,
        order=tuple(migration.order) if migration is not None else (), measure=comparison.measure_label,
        gained=comparison.gained.height, gained_measure=total(comparison.gained),
        lost=comparison.lost.height, lost_measure=total(comparison.lost),
        health_up=int((moves == UP).sum()), health_down=int((moves == DOWN).sum()),
        mean_health_then=_figure(a, "relationship", "mean_health_score"),
        mean_health_now=_figure(b, "relationship", "mean_health_score"),
        actions_new=int(comparison.actions["new"].sum() or 0) + int(new_for_gained or 0),
        actions_new_gained=int(new_for_gained or 0),
        actions_resolved=int(comparison.actions["resolved"].sum() or 0),
        ruleset_change=change,
    )

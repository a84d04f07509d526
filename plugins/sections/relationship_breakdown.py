"""What makes the reds red: relationship health broken down by measure and by tier.

A band says how healthy a relationship is, not why. For the customers of each band
that is not the best, and for the whole portfolio, this shows per measure of the
health scorecard how many customers miss it and how many points it costs them on
average (a measure that cannot be computed counts as missed, as the score counts it
with ``unanswered = "no"``). The band mix per tier (the first group column another
section declares) shows whether the reds are the strategic customers or the long tail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from clientwise.sdk import Cell, Column, MixChart, ReportContext, Series, Stack, Table, Tone
from clientwise.sdk.scorecard import Criterion, ScorecardNames


def breakdown(criteria: Sequence[Criterion], names: ScorecardNames, band_tones: Mapping[str, Tone],
              context: ReportContext) -> list[Table | MixChart]:
    table = context.table
    if names.band not in table.columns or not criteria:
        return []
    measured = [c for c in criteria if names.value(c.id) in table.columns]
    if not measured:
        return []
    bands = [band for band, tone in band_tones.items() if tone != "good"] or list(band_tones)[:1]
    tr = context.messages
    columns = [Column("measure", tr("Measure")), Column("points", tr("Points"), "number", detail=True)]
    for band in bands:
        columns += [Column(f"{band}_missing", tr("% of {band} customers missing it", band=tr(band)),
                           "percent"),
                    Column(f"{band}_lost", tr("Points lost per {band} customer", band=tr(band)),
                           "number")]
    columns += [Column("all_missing", tr("% of all customers missing it"), "percent"),
                Column("all_lost", tr("Points lost per customer"), "number")]
    scored = table.filter(pl.col(names.band).is_not_null())
    groups = [scored.filter(pl.col(names.band) == band) for band in bands] + [scored]
    rows = []
    for criterion in measured:
        value = pl.col(names.value(criterion.id)).cast(pl.Float64).fill_null(0.0)
        row: list[object] = [criterion.description or criterion.id, criterion.weight]
        for group in groups:
            if not group.height:
                row += [None, None]
                continue
            missing, lost = group.select((value < 1).mean(), ((1 - value) * criterion.weight).mean()).row(0)
            row += [missing if criterion.kind == "boolean" else None, Cell(lost, "bad" if lost else None)]
        rows.append(row)
    blocks: list[Table | MixChart] = [Table(
        tr("What lowers relationship health"), columns, rows, id="health-breakdown",
        note=tr("Per measure of the health score: the share of customers missing it and the points it costs them "
                "on average, for each band below the best and for all customers."))]
    group = next((g for g in context.groups if g.name in scored.columns), None)
    if group is not None:
        counts = scored.group_by(group.name, names.band).len()
        order = [value for value, _ in group.tones] or sorted(counts.get_column(group.name).drop_nulls().unique())
        labels = dict(group.labels)
        stacks = []
        for value in order:
            mine = dict(counts.filter(pl.col(group.name) == value).select(names.band, "len").iter_rows())
            stacks.append(Stack(tr(labels.get(value, str(value).replace("_", " ").capitalize())),
                                [(band, float(mine.get(band, 0))) for band in band_tones]))
        blocks.append(MixChart(
            title=tr("Relationship health by {group}", group=tr(group.label)), id="health-by-tier",
            detail=True, stacks=stacks,
            series=[Series(band, tr(band.capitalize()), tone) for band, tone in band_tones.items()],
            summary=tr("The mix of health bands within each {group}, as shares of its customers.",
                       group=tr(group.label))))
    return blocks

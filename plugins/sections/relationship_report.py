"""What the reports show of ``[relationship]``: customers per health band (bars and
table), the required roles customers miss, and the role coverage matrix of the
customers in ``relationship.matrix_tiers``.

Everything is read from the section's summary; the matrix's customers were chosen
by ``relationship.tier_field``, a field the ruleset names in this section's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from clientwise.sdk import (
    Bar,
    BarChart,
    Block,
    Cell,
    Column,
    Figure,
    Figures,
    SectionSummary,
    Table,
    Tone,
)

NO_BAND = "(no score)"


def report(summary: SectionSummary, matrix_tiers: Sequence[str], band_tones: Mapping[str, Tone],
           tr: Callable[[str], str] = str) -> list[Block]:
    """``band_tones``: the colours the section declared for its band column; ``tr``
    translates the band of customers without a score."""
    f = summary.figures
    blocks: list[Block] = [Figures([
        Figure("Customers", f.get("customers"), "integer", "customers"),
        Figure("Mean health score (0-100)", f.get("mean_health_score"), "number", "mean_health_score"),
        Figure("Single-threaded customers", f.get("single_threaded"), "integer", "single_threaded"),
        Figure("Customers with every required role covered", f.get("fully_covered"), "integer", "fully_covered"),
    ])]
    bands = summary.tables.get("bands")
    if bands is not None:
        blocks += _bands(bands, band_tones, tr(NO_BAND))
    roles = summary.tables.get("missing_roles")
    if roles is not None:
        blocks.append(Table("Customers missing each role", [
            Column("label", "Role"), Column("required", "Required", "boolean"),
            Column("customers_missing", "Customers missing it", "integer"),
            Column("matrix_customers_missing", "In the coverage matrix", "integer"),
        ], roles.select("label", "required", "customers_missing", "matrix_customers_missing").rows(), id="role-table"))
        matrix = summary.tables.get("coverage_matrix")
        if matrix is not None:
            blocks.append(_matrix(matrix, roles, matrix_tiers))
    return blocks


def _bands(bands: pl.DataFrame, tones: Mapping[str, Tone], no_band: str) -> list[Block]:
    """Customers per band, in band order; the last row counts customers without a score."""
    rows = [(no_band if band is None else band, up_to, customers, share)
            for band, up_to, customers, share in bands.select("band", "up_to", "customers", "share").iter_rows()]
    return [
        BarChart(id="bands-chart", title="Customers per relationship health band", kind="integer", detail=True,
                 bars=[Bar(band, float(customers or 0), share, tones.get(band, "neutral"))
                       for band, _, customers, share in rows],
                 caption="Customers per health band."),
        Table("Health bands", [
            Column("band", "Band", tones={**tones, no_band: "neutral"}),
            Column("up_to", "Up to score", "number", detail=True),
            Column("customers", "Customers", "integer"), Column("share", "Share", "percent"),
        ], rows, id="band-table"),
    ]


def _matrix(matrix: pl.DataFrame, roles: pl.DataFrame, matrix_tiers: Sequence[str]) -> Table:
    """Per customer the strongest contact's strength in each role: green when covered,
    red for a required role that is not, yellow for an optional one."""
    key = matrix.columns[0]
    tiered = len(matrix_tiers) > 0
    scope = f"{'/'.join(matrix_tiers)} customers" if tiered else "customers"
    listed = list(roles.select("role", "label", "required").iter_rows())
    columns = [Column(key, "Customer", "customer"),
               *(Column(f"{role}_strength", label + ("*" if required else ""), "integer") for role, label, required in listed),
               Column("health_score", "Health", "number")]
    # each role's tone worked out by polars: tens of thousands of rows in a large portfolio
    tones = [pl.when(pl.col(f"{role}_covered")).then(pl.lit("good")).otherwise(pl.lit("bad" if required else "warn"))
             .alias(f"{role}_tone") for role, _, required in listed]
    score = pl.col("health_score") if "health_score" in matrix.columns else pl.lit(None, pl.Float64).alias("health_score")
    frame = matrix.select(pl.col(key), *(pl.col(f"{role}_strength") for role, _, _ in listed), *tones, score)
    n = len(listed)
    values = [column.to_list() for column in frame.get_columns()]  # column by column: 40,000 rows at 100,000 customers
    cells = [list(map(Cell, strengths, tones)) for strengths, tones in zip(values[1:n + 1], values[n + 1:2 * n + 1])]
    rows = list(zip(values[0], *cells, values[-1]))
    return Table(f"Role coverage of {scope}", columns, rows, id="coverage-matrix", detail=True,
                 note="Each cell shows the strongest contact's strength in that role: green when the role is "
                      "covered, red for a required role (*) that is not, yellow for an optional one.")

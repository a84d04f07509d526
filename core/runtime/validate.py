"""The validate stage: cast every declared field and report every bad cell at once.

All checks are polars expressions over whole columns, evaluated in one query per
source; Python only formats the few problems that are shown. Each check reports
its first :data:`SHOWN_PER_CHECK` cells and counts the rest, so a file with a
million bad dates gives five precise messages and an honest total, and the user
sees every kind of problem in one run instead of fixing them one at a time. A table
of a few rows whose cells are all plainly readable (a test case, one customer) is
read in plain Python instead (:mod:`clientwise.runtime.validate_small`): planning the
query cost more than the rows.

A table may come from several sources (files, each with its own column names,
constants, format and filter); each is validated with its own format and located
in its own file, then the typed rows are stacked. What is noticed without stopping
(values no map covers, orphans kept or left out, rows filtered out) is added to
the caller's list of :class:`~clientwise.runtime.findings.Finding`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import DataConfig, TableSpec
from clientwise.runtime.casts import Check
from clientwise.runtime.cell_format import cell_format
from clientwise.runtime.cell_problems import SHOWN_PER_CHECK, ProblemReport, cell_problems
from clientwise.runtime.findings import Finding
from clientwise.runtime.related_rows import CustomerRows
from clientwise.runtime.sources import SourceTable
from clientwise.runtime.validate_checks import FIELD_DTYPES, FieldPlan, as_text, plan_field
from clientwise.runtime.validate_keys import KeyedPart, check_keys
from clientwise.runtime.validate_small import read_small
from clientwise.runtime.value_maps import unmapped_counts, unmapped_finding, unmapped_hint

__all__ = ["FIELD_DTYPES", "SHOWN_PER_CHECK", "SourceTable", "validate_tables"]


def validate_tables(
    raw: Mapping[str, RawTable | Sequence[SourceTable]],
    data: DataConfig,
    findings: list[Finding] | None = None,
    *,
    small: bool = True,
    customer_rows: dict[str, CustomerRows] | None = None,
) -> dict[str, pl.DataFrame]:
    """Typed frames of the declared fields (rule names, declaration order) per table.

    Raises :class:`DataError` with every problem of every table when anything is
    wrong; nothing is returned half-checked. ``findings`` receives what was noticed
    without stopping. ``small=False`` reads even a table of a few rows with polars
    (the tests compare the two readings). ``customer_rows`` receives, per related
    table, each row's customer as the key check found it (see
    :func:`clientwise.runtime.validate_keys.check_keys`), where it did.
    """
    findings = findings if findings is not None else []
    report = ProblemReport()
    typed: dict[str, pl.DataFrame] = {}
    keyed: dict[str, list[KeyedPart]] = {}
    for name, spec in data.tables().items():
        if name not in raw:
            continue
        given = raw[name]
        parts = [SourceTable(given)] if isinstance(given, RawTable) else list(given)
        frames = []
        keyed[name] = []
        for part in parts:
            frame, kept, key_column = _validate_part(name, part, spec, data, report, findings, small)
            frames.append(frame)
            keyed[name].append(KeyedPart(kept, key_column))
        typed[name] = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
    check_keys(keyed, typed, data, report, findings, customer_rows)
    if report.shown:
        raise DataError(report.ordered(), total=report.total)
    return typed


def _validate_part(
    name: str, part: SourceTable, spec: TableSpec, data: DataConfig, report: ProblemReport,
    findings: list[Finding], small: bool,
) -> tuple[pl.DataFrame, RawTable, str | None]:
    """One source's typed rows, its rows after the filter, and its key column (if present);
    ``small``: a table of a few rows may be read in plain Python (:mod:`.validate_small`)."""
    source = part.source
    table = _filtered(name, part, report, findings)
    fmt = cell_format(data, spec.format_keys(source))
    constants = source.constants if source is not None else {}
    schema = table.frame.schema
    columns = spec.source_columns(source)
    if small and not constants:
        read = read_small(table, spec, columns, fmt, data.key)
        if read is not None:
            return read, table, columns[data.key]
    plans: list[FieldPlan] = []
    fixed: dict[str, pl.Expr] = {}
    for field_name, column in columns.items():
        field_spec = spec.fields[field_name]
        dtype = FIELD_DTYPES[field_spec.type]
        if field_name in constants:
            fixed[field_name] = pl.lit(constants[field_name], dtype).alias(field_name)
            continue
        if column in schema:
            sample = _first_cell(table.frame, column) if field_spec.type == "date" else None
            plans.append(plan_field(name, field_name, field_spec, column, schema[column], data, len(plans), fmt,
                                    sample))
            continue
        if field_spec.required or field_name == data.key:
            report.add(1, [_missing_column(name, table, field_name, column, source is not None)])
        fixed[field_name] = pl.lit(None, dtype).alias(field_name)

    key_column = columns[data.key] if columns[data.key] in schema else None
    if not plans:
        frame = pl.DataFrame(schema={f: FIELD_DTYPES[s.type] for f, s in spec.fields.items()})
        return frame.clear(table.frame.height).with_columns(list(fixed.values())), table, key_column
    out = _read_values(table, plans, report)
    for plan in plans:
        if plan.mapping is not None and plan.mapping.mode != "error":
            counts = unmapped_counts(out, plan.mapping.original, plan.mapping.flag)
            if counts.height:
                positions = out.get_column(plan.mapping.flag).fill_null(False).arg_true()
                check = Check(pl.lit(True), "no entry of the value map covers this value",
                              unmapped_hint(name, plan.field))
                located = cell_problems(table, plan.column, positions.head(SHOWN_PER_CHECK), check, positions.len())
                findings.append(unmapped_finding(name, plan.field, counts, plan.mapping.mode, table.file, located))
    values = {plan.field: pl.col(plan.value_name).alias(plan.field) for plan in plans}
    return out.select([(fixed | values)[f] for f in spec.fields]), table, key_column


def _first_cell(frame: pl.DataFrame, column: str) -> str | None:
    """The first non-empty text cell of a column (None for typed columns)."""
    if frame.schema[column] != pl.String:
        return None
    cells = (cell.strip() for cell in frame.get_column(column).drop_nulls().head(20).to_list())
    return next((cell for cell in cells if cell), None)


def _read_values(table: RawTable, plans: list[FieldPlan], report: ProblemReport) -> pl.DataFrame:
    """Prepared text and typed values of every plan, with every check counted and reported.

    Cells the first reading left empty although they hold text get a second reading
    (:attr:`FieldPlan.repair`), computed for those rows only, before any check runs.
    """
    kept = list(dict.fromkeys(name for plan in plans for name in plan.needed()))
    out = (
        table.frame.lazy()
        .with_columns([expr for plan in plans for expr in plan.prepare])
        .with_columns([plan.value for plan in plans] + [expr for plan in plans for expr in plan.aux])
        .select(kept)  # only what repairs and checks read: the source's other columns are not copied
        .collect()
    )
    for plan in plans:
        if not plan.repair or plan.text_name is None:
            continue
        rows = out.select((pl.col(plan.text_name).is_not_null() & pl.col(plan.value_name).is_null()).arg_true())
        positions = rows.to_series()
        if positions.len():
            rows_to_repair = out.select(plan.text_name).gather(positions).lazy()
            repaired = rows_to_repair.with_columns(plan.repair_first).select(plan.repair).collect()
            out = out.with_columns(out.get_column(c).scatter(positions, repaired.get_column(c))
                                   for c in repaired.columns)
    checks = [(plan, check) for plan in plans for check in plan.checks]
    flag_names = [f"__check_{i}" for i in range(len(checks))]
    flags = [check.flag.fill_null(False).alias(flag) for (_, check), flag in zip(checks, flag_names)]
    if flags:
        out = out.with_columns(flags)
        counts = out.select(pl.col(flag_names).sum()).row(0)
        for (plan, check), flag, count in zip(checks, flag_names, counts):
            if count:
                positions = out.get_column(flag).arg_true().head(SHOWN_PER_CHECK)
                report.add(count, cell_problems(table, plan.column, positions, check, count))
    return out


def _filtered(name: str, part: SourceTable, report: ProblemReport, findings: list[Finding]) -> RawTable:
    """The source's rows its ``filter`` keeps (all rows without one)."""
    table, source = part.raw, part.source
    if source is None or not source.filter:
        return table
    schema = table.frame.schema
    keep = pl.lit(True)
    for column in source.filter:
        if column not in schema:
            report.add(1, [_missing_filter_column(name, table, column)])
            continue
        rule = source.filter[column]
        text = as_text(pl.col(column), schema[column])
        wanted = [value.strip() for value in (rule.in_ if rule.in_ is not None else rule.not_in or [])]
        matches = text.is_in(wanted).fill_null(False)
        keep = keep & (matches if rule.in_ is not None else ~matches)
    mask = table.frame.select(keep.alias("keep")).to_series()
    kept = int(mask.sum())
    total = table.frame.height
    if kept == total:
        return table
    conditions = ", ".join(f"'{c}'" for c in source.filter)
    findings.append(Finding("filtered", "info", name, f"the filter on {conditions} kept {kept} of {total} rows",
                            file=table.file, count=total - kept))
    return RawTable(table.name, table.frame.filter(mask), table.file, table.rows.filter(mask))


def _missing_filter_column(table_name: str, table: RawTable, column: str) -> Problem:
    match = _closest(column, table.frame.columns)
    found = ", ".join(f"'{c}'" for c in table.frame.columns[:20])
    return Problem(
        f"the filter names column '{column}', which the file does not have",
        file=table.file,
        location=f"column '{column}'",
        value=f"columns in the file: {found or 'none'}",
        hint=(f"did you mean '{match}'? " if match else "")
        + f"name a column of this file in the filter of its source in [data.{table_name}.sources]",
    )


def _missing_column(table_name: str, table: RawTable, field_name: str, column: str, in_source: bool) -> Problem:
    columns = table.frame.columns
    named = f"'{column}'" + (f" (field '{field_name}')" if column != field_name else "")
    match = _closest(column, columns)

    def mapping(client: str) -> str:
        if in_source:
            return f'in this file\'s source in [[data.{table_name}.sources]]: rename = {{ "{client}" = "{field_name}" }}'
        return f'in the ruleset: [data.{table_name}.rename] "{client}" = "{field_name}"'

    if match is not None:
        hint = f"did you mean '{match}'? Rename that column to '{column}' in the file, or map it {mapping(match)}"
    else:
        hint = (f"add a column '{column}' to the file; if the file names it differently, map it "
                f"{mapping('<column in the file>')}")
    found = ", ".join(f"'{c}'" for c in columns[:20]) + (", ..." if len(columns) > 20 else "")
    return Problem(
        f"required column {named} is missing",
        file=table.file,
        location=f"column '{column}'",
        value=f"columns in the file: {found or 'none'}",
        hint=hint,
    )


def _closest(name: str, candidates: Sequence[str]) -> str | None:
    """The column the user most likely meant, ignoring case and surrounding spaces."""
    folded = {c.strip().lower(): c for c in reversed(candidates)}
    matches = difflib.get_close_matches(name.strip().lower(), list(folded), n=1, cutoff=0.6)
    return folded[matches[0]] if matches else None

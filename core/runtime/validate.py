"""The validate stage: cast every declared field and report every bad cell at once.

All checks are polars expressions over whole columns, evaluated in one query per
table; Python only formats the few problems that are shown. Each check reports
its first :data:`SHOWN_PER_CHECK` cells and counts the rest, so a file with a
million bad dates gives five precise messages and an honest total, and the user
sees every kind of problem in one run instead of fixing them one at a time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from clientwise.errors import DataError, Problem
from clientwise.host.contracts import RawTable
from clientwise.ruleset.data import RELATED_TABLES, DataConfig, TableSpec
from clientwise.runtime.validate_checks import FIELD_DTYPES, Check, FieldPlan, plan_field

__all__ = ["FIELD_DTYPES", "SHOWN_PER_CHECK", "validate_tables"]

#: Bad cells shown per check (per column and kind of problem); the rest are counted.
SHOWN_PER_CHECK = 5


@dataclass
class _Report:
    """The problems to show and how many there are in all.

    Each check adds its first few cells; :meth:`ordered` puts the first cell of
    every check before the second of any, so even a shortened listing shows every
    kind of problem in the data.
    """

    shown: list[tuple[int, int, Problem]] = field(default_factory=list)
    total: int = 0
    checks: int = 0

    def add(self, count: int, problems: Sequence[Problem]) -> None:
        self.total += count
        self.shown.extend((rank, self.checks, problem) for rank, problem in enumerate(problems))
        self.checks += 1

    def ordered(self) -> list[Problem]:
        return [problem for _, _, problem in sorted(self.shown, key=lambda item: item[:2])]


def validate_tables(raw: Mapping[str, RawTable], data: DataConfig) -> dict[str, pl.DataFrame]:
    """Typed frames of the declared fields (rule names, declaration order) per table.

    Raises :class:`DataError` with every problem of every table when anything is
    wrong; nothing is returned half-checked.
    """
    report = _Report()
    typed: dict[str, pl.DataFrame] = {}
    for name, spec in data.tables().items():
        if name in raw:
            typed[name] = _validate_table(name, raw[name], spec, data, report)
    _check_keys(raw, typed, data, report)
    if report.shown:
        raise DataError(report.ordered(), total=report.total)
    return typed


def _validate_table(
    name: str, table: RawTable, spec: TableSpec, data: DataConfig, report: _Report
) -> pl.DataFrame:
    schema = table.frame.schema
    plans: list[FieldPlan] = []
    absent: dict[str, pl.Expr] = {}
    for field_name, column in spec.source_columns().items():
        field_spec = spec.fields[field_name]
        if column in schema:
            plans.append(plan_field(name, field_name, field_spec, column, schema[column], data, len(plans)))
            continue
        if field_spec.required or field_name == data.key:
            report.add(1, [_missing_column(name, table, field_name, column)])
        absent[field_name] = pl.lit(None, FIELD_DTYPES[field_spec.type]).alias(field_name)

    checks = [(plan, check) for plan in plans for check in plan.checks]
    flag_names = [f"__check_{i}" for i in range(len(checks))]
    flags = [check.flag.fill_null(False).alias(flag) for (_, check), flag in zip(checks, flag_names)]
    values = [pl.col(plan.value_name) for plan in plans]
    # Three steps so cleaned text and typed values are computed once and shared.
    out = (
        table.frame.lazy()
        .with_columns([expr for plan in plans for expr in plan.prepare])
        .with_columns([plan.value for plan in plans])
        .select(values + flags)
        .collect()
    )
    counts = out.select(pl.col(flag_names).sum()).row(0) if flags else ()
    for (plan, check), flag, count in zip(checks, flag_names, counts):
        if count:
            rows = out.get_column(flag).arg_true().head(SHOWN_PER_CHECK)
            report.add(count, _cell_problems(table, plan.column, rows, check, count))

    if not plans:
        return pl.DataFrame(schema={f: FIELD_DTYPES[s.type] for f, s in spec.fields.items()})
    columns = absent | {plan.field: pl.col(plan.value_name).alias(plan.field) for plan in plans}
    return out.select([columns[f] for f in spec.fields])


def _missing_column(table_name: str, table: RawTable, field_name: str, column: str) -> Problem:
    columns = table.frame.columns
    named = f"'{column}'" + (f" (field '{field_name}')" if column != field_name else "")
    match = _closest(column, columns)
    if match is not None:
        hint = (
            f"did you mean '{match}'? Rename that column to '{column}' in the file, or map it in "
            f'the ruleset: [data.{table_name}.rename] "{match}" = "{field_name}"'
        )
    else:
        hint = (
            f"add a column '{column}' to the file; if the file names it differently, map it in "
            f'the ruleset: [data.{table_name}.rename] "<column in the file>" = "{field_name}"'
        )
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


def row_labels(rows: pl.Series, positions: pl.Series) -> list[str]:
    """How the user finds these rows: ``row 14`` or a loader's own label."""
    picked = rows.gather(positions).to_list()
    if rows.dtype == pl.String:
        return [str(label) for label in picked]
    return [f"row {n}" for n in picked]


def _joined_rows(rows: pl.Series, positions: pl.Series) -> str:
    labels = row_labels(rows, positions)
    if rows.dtype != pl.String:
        numbers = [label.removeprefix("row ") for label in labels]
        return "rows " + (", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 else numbers[0])
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]


def cell_text(value: object) -> str | None:
    """A cell as the user typed or would read it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _cell_problems(
    table: RawTable, column: str, positions: pl.Series, check: Check, count: int
) -> list[Problem]:
    labels = row_labels(table.rows, positions)
    values = [cell_text(v) for v in table.frame.get_column(column).gather(positions).to_list()]
    problems = []
    for n, (label, value) in enumerate(zip(labels, values)):
        message = check.message
        if n == 0 and count > 1:
            message += f" ({count} cells of column '{column}' have this problem)"
        problems.append(
            Problem(
                message,
                file=table.file,
                location=f"{label}, column '{column}'",
                value=value,
                hint=check.fix(value),
            )
        )
    return problems


def _key_column(raw: Mapping[str, RawTable], data: DataConfig, name: str) -> str | None:
    spec = data.table(name)
    if spec is None or name not in raw:
        return None
    column = spec.source_columns()[data.key]
    return column if column in raw[name].frame.columns else None


def _check_keys(
    raw: Mapping[str, RawTable], typed: Mapping[str, pl.DataFrame], data: DataConfig, report: _Report
) -> None:
    """Each customer once; every contact and interaction belongs to a known customer.

    Both checks work on 64-bit hashes of the keys, several times faster than on
    strings. Duplicates found by hash are confirmed on the keys themselves, so a
    collision never reports two different keys; for orphans a collision could only
    hide one, with a chance of about 1e-13 per orphan key.
    """
    column = _key_column(raw, data, "customers")
    if column is None or "customers" not in typed:
        return
    customers = raw["customers"]
    keys = typed["customers"].get_column(data.key)
    hashes = keys.hash()
    _check_duplicates(customers, column, keys, hashes, report)
    known = hashes.filter(keys.is_not_null()).unique().to_frame("h")
    for name in RELATED_TABLES:
        child_column = _key_column(raw, data, name)
        if child_column is None or name not in typed:
            continue
        child = typed[name].get_column(data.key)
        child_known = known
        if child.dtype != keys.dtype:  # e.g. integer keys in customers, text in contacts
            child = child.cast(pl.String)
            child_known = keys.cast(pl.String).drop_nulls().hash().unique().to_frame("h")
        _check_orphans(raw[name], child_column, child, child_known, customers.file, report)


def _check_duplicates(
    table: RawTable, column: str, keys: pl.Series, hashes: pl.Series, report: _Report
) -> None:
    candidates = hashes.is_duplicated() & keys.is_not_null()
    if not candidates.any():
        return
    groups = (
        pl.DataFrame({"key": keys, "at": pl.int_range(keys.len(), dtype=pl.UInt32, eager=True)})
        .filter(candidates)
        .group_by("key", maintain_order=True)
        .agg("at")
        .filter(pl.col("at").list.len() > 1)
    )
    shown = []
    for key, at in groups.head(SHOWN_PER_CHECK).iter_rows():
        positions = pl.Series(at[:SHOWN_PER_CHECK], dtype=pl.UInt32)
        more = f" (shown: first {SHOWN_PER_CHECK})" if len(at) > SHOWN_PER_CHECK else ""
        shown.append(
            Problem(
                f"customer key '{cell_text(key)}' appears {len(at)} times{more}",
                file=table.file,
                location=f"{_joined_rows(table.rows, positions)}, column '{column}'",
                value=cell_text(key),
                hint="each customer must have exactly one row: merge or remove the duplicates, "
                "or give them distinct keys",
            )
        )
    report.add(groups.height, shown)


def _check_orphans(
    table: RawTable,
    column: str,
    child: pl.Series,
    known: pl.DataFrame,
    customers_file: str,
    report: _Report,
) -> None:
    orphans = (
        pl.DataFrame({"h": child.hash(), "at": pl.int_range(child.len(), dtype=pl.UInt32, eager=True)})
        .filter(child.is_not_null())
        .join(known, on="h", how="anti")
        .get_column("at")
    )
    if orphans.len() == 0:
        return
    check = Check(
        pl.lit(True),
        "no customer has this key",
        f"add the customer to the customers table ({customers_file}), correct the key, or remove this row",
    )
    positions = orphans.bottom_k(SHOWN_PER_CHECK).sort()
    report.add(orphans.len(), _cell_problems(table, column, positions, check, orphans.len()))

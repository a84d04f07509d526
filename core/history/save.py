"""Saving one evaluation into the run store, in one transaction.

What a run keeps (docs/history.md shows the tables): who ran what when (run id,
time, as-of date, label), the exact criteria (ruleset name, version, hash and the
merged ruleset as TOML, which can be evaluated again), the input's fingerprint, the
engine and the version of clientwise and of each plugin, the customers table, the
recommended actions, every section's portfolio figures and tables, and the warnings.
Large tables go in as Arrow, without a row-by-row copy.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import polars as pl
import tomlkit

from clientwise._version import __version__
from clientwise.compiler.steps import ActionsStep
from clientwise.errors import InputError, Problem
from clientwise.history import keys, tables
from clientwise.history.fingerprint import InputFile, fingerprint
from clientwise.history.store import RunStore
from clientwise.runtime.evaluator import Evaluator
from clientwise.runtime.result import Result

#: Columns of the stored customers table that every run has; output columns follow.
KEY, NAME, RUN_ID = "key", "name", "run_id"
#: Row order within a stored portfolio table (tables are read back in this order).
SEQ = "seq"


def plain_json(value: Any) -> str:
    """JSON text for figures and provenance: dates as ISO text, NaN and infinity as null."""
    return json.dumps(_jsonable(value), ensure_ascii=False, allow_nan=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    item = getattr(value, "item", None)  # numpy and similar scalars
    return _jsonable(item()) if callable(item) else str(value)


def customers_frame(result: Result) -> pl.DataFrame:
    """The customers table as stored: ``key`` and ``name`` first, whatever the ruleset calls them."""
    frame = result.customers
    has_name = result.name in frame.columns and result.name != result.key
    for own in (RUN_ID, keys.KEY_ID):
        if own in frame.columns and own != result.key:
            raise InputError(Problem(f"the output column '{own}' clashes with the run store's own column",
                                     hint="rename that output in the ruleset or the plugin to save runs"))
    outputs = [c for c in frame.columns if c not in (result.key, result.name)]
    named = [pl.col(result.name).cast(pl.String).alias(NAME)] if has_name else [pl.lit(None, pl.String).alias(NAME)]
    return tables.storable(frame.select(pl.col(result.key).cast(pl.String).alias(KEY), *named, *outputs))


def action_rules(evaluator: Evaluator) -> pl.DataFrame:
    rules = [rule for step in evaluator.program.steps() if isinstance(step, ActionsStep) for rule in step.rules]
    return pl.DataFrame({
        "position": list(range(len(rules))),
        "rule": [r.id for r in rules],
        "section": [r.section for r in rules],
        "action": [r.action for r in rules],
        "priority": [r.priority for r in rules],
        "condition": [r.when for r in rules],
    }, schema={"position": pl.Int32, "rule": pl.String, "section": pl.String, "action": pl.String,
               "priority": pl.Int64, "condition": pl.String})


def save_run(store: RunStore, evaluator: Evaluator, result: Result, data: Path | None,
             label: str | None = None, inputs: list[InputFile] | None = None,
             before_commit: Callable[[], None] | None = None) -> int:
    """Record ``result`` (of ``evaluator`` over ``data``) as a new run; returns its run id.

    ``data`` None (tables given as frames) records no input, so the run's input can never
    be re-evaluated. All or nothing: on any error or interrupt the store is unchanged.
    ``before_commit`` runs inside the transaction once everything is inserted; if it
    raises, nothing is stored (:class:`clientwise.history.background.BackgroundSave`
    waits there for the output file).
    """
    if inputs is None:
        inputs = fingerprint(Path(data), evaluator.ruleset, evaluator.host) if data is not None else []
    customers = customers_frame(result)
    customer_types = tables.column_types(store, customers)
    kinds = {column.name: column for column in result.columns}
    columns = [{"name": name, "type": dtype, **({k: v for k, v in asdict(kinds[name]).items() if k != "name"}
                                                   if name in kinds else {})}
               for name, dtype in customer_types]
    identity = result.ruleset
    with store.transaction():
        ids = keys.number(store.connection, customers[KEY])
        numbers = pl.DataFrame([customers[KEY], ids])
        run_id = int(store.value("SELECT nextval('run_ids')"))
        store.sql("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            run_id, label, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), result.as_of,
            identity.name, identity.version, identity.hash, list(identity.files),
            tomlkit.dumps(evaluator.ruleset.document), result.engine, __version__,
            plain_json(result.provenance), result.key, result.name if result.name != result.key else None,
            str(Path(data).resolve()) if data is not None else None,
            result.customers.height, result.actions.height, json.dumps(columns),
        ])
        for position, item in enumerate(inputs):
            store.sql("INSERT INTO inputs VALUES (?, ?, ?, ?, ?)", [run_id, position, item.path, item.size, item.sha256])
        tables.append(store, keys.CUSTOMER_ROWS, run_id, customers.drop(KEY).with_columns(ids),
                      [(keys.KEY_ID, "BIGINT"), *(t for t in customer_types if t[0] != KEY)], plain=frozenset({NAME}))
        tables.append(store, "action_rules", run_id, action_rules(evaluator))
        fired = customers["actions"] if "actions" in customers.columns else None
        tables.append(store, keys.ACTION_ROWS, run_id, result.actions.select(
            keys.action_ids(result.actions[result.key], customers[KEY], ids, fired), "rule", "because"))
        _save_summaries(store, run_id, result, numbers)
        tables.append(store, "findings", run_id, findings_frame(result))
        tables.append(store, "warnings", run_id, pl.DataFrame(
            {"position": list(range(len(result.warnings))), "message": list(result.warnings)},
            schema={"position": pl.Int32, "message": pl.String}))
        if before_commit is not None:
            before_commit()
    return run_id


def findings_frame(result: Result) -> pl.DataFrame:
    """The run's data-quality findings (:mod:`clientwise.runtime.findings`), one row each."""
    found = result.findings
    return pl.DataFrame({
        "position": list(range(len(found))),
        "kind": [f.kind for f in found],
        "severity": [f.severity for f in found],
        "table_name": [f.table for f in found],
        "field": [f.field for f in found],
        "file": [f.file for f in found],
        "message": [f.message for f in found],
        "count": [f.count for f in found],
        "examples": [list(f.examples) for f in found],
    }, schema={"position": pl.Int32, "kind": pl.String, "severity": pl.String, "table_name": pl.String,
               "field": pl.String, "file": pl.String, "message": pl.String, "count": pl.Int64,
               "examples": pl.List(pl.String)})


def _save_summaries(store: RunStore, run_id: int, result: Result, numbers: pl.DataFrame) -> None:
    """Each section's figures and tables; the tables ``compare`` joins with the customers
    (:data:`clientwise.history.keys.NUMBERED`) also get their ``key_id`` (stored beside the
    table's columns, not one of them: it reads back as it was)."""
    for position, summary in enumerate(result.summaries):
        store.sql("INSERT INTO summaries VALUES (?, ?, ?, ?, ?, ?, ?)", [
            run_id, position, summary.section, summary.title, plain_json(summary.figures),
            [str(w) for w in summary.warnings], summary.error])
        for index, (name, frame) in enumerate(summary.tables.items()):
            stored = tables.storable(frame)
            target = tables.table_name("portfolio", summary.section, name)
            types = tables.column_types(store, stored)
            in_order = stored.with_row_index(SEQ).with_columns(pl.col(SEQ).cast(pl.Int64))
            numbered = ((summary.section, name) in keys.NUMBERED and result.key in stored.columns
                        and keys.KEY_ID not in stored.columns)
            if numbered:
                in_order = keys.with_key_id(in_order, result.key, numbers)
            tables.append(store, target, run_id, in_order,
                          [(SEQ, "BIGINT"), *types, *([(keys.KEY_ID, "BIGINT")] if numbered else [])],
                          plain=frozenset({result.key, result.name}))
            store.sql("INSERT INTO summary_tables VALUES (?, ?, ?, ?, ?, ?)", [
                run_id, summary.section, name, index, target, json.dumps([{"name": n, "type": t} for n, t in types])])

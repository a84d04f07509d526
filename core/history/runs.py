"""Reading runs back: the list, one run's record, a run as a :class:`Result` again.

A run is named by its id (``3``), its label (``2026-Q2``: the latest run with that
label) or ``latest`` / ``previous``. Reading takes only what is asked for, so comparing
two runs of a million customers reads the columns the comparison needs, not every
stored table.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn, SectionSummary
from clientwise.errors import InputError, Problem, did_you_mean
from clientwise.history import keys, tables
from clientwise.history.fingerprint import InputFile
from clientwise.history.save import KEY, NAME, SEQ
from clientwise.history.store import RunStore
from clientwise.runtime.findings import Finding
from clientwise.runtime.result import Result, RulesetIdentity

_OUTPUT_FIELDS = {"label", "kind", "detail"}


@dataclass
class RunInfo:
    """Everything about a run except its tables."""

    run_id: int | None
    label: str | None
    ran_at: dt.datetime | None
    as_of: dt.date
    ruleset: RulesetIdentity
    engine: str
    clientwise_version: str | None
    provenance: dict[str, dict[str, str | None]]
    key_field: str
    name_field: str | None
    customer_count: int
    action_count: int
    columns: list[dict[str, Any]] = field(default_factory=list)
    ruleset_text: str | None = None
    input_path: str | None = None
    inputs: list[InputFile] = field(default_factory=list)
    #: Where the run came from, for people: "run 3 (2026-Q2)" or "results file q2.json".
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "label": self.label,
            "ran_at": self.ran_at.isoformat(timespec="seconds") + "Z" if self.ran_at else None,
            "as_of": self.as_of.isoformat(),
            "ruleset": self.ruleset.to_dict(),
            "engine": self.engine,
            "clientwise_version": self.clientwise_version,
            "provenance": self.provenance,
            "customers": self.customer_count,
            "actions": self.action_count,
            "input": {"path": self.input_path, "files": [vars(f) for f in self.inputs]} if self.input_path else None,
        }


def _info(row: dict[str, Any], inputs: list[InputFile]) -> RunInfo:
    text = row["ruleset_text"]
    description = str(tomllib.loads(text).get("metadata", {}).get("description", "")) if text else ""
    identity = RulesetIdentity(row["ruleset_name"], row["ruleset_version"], row["ruleset_hash"],
                               tuple(row["ruleset_files"]), description)
    run_id, label = int(row["run_id"]), row["label"]
    return RunInfo(
        run_id=run_id, label=label, ran_at=row["ran_at"], as_of=row["as_of"], ruleset=identity,
        engine=row["engine"], clientwise_version=row["clientwise_version"], provenance=json.loads(row["provenance"]),
        key_field=row["key_field"], name_field=row["name_field"], customer_count=int(row["customer_count"]),
        action_count=int(row["action_count"]), columns=json.loads(row["columns"]), ruleset_text=row["ruleset_text"],
        input_path=row["input_path"], inputs=inputs,
        source=f"run {run_id}" + (f" ({label})" if label else ""),
    )


def list_runs(store: RunStore) -> list[RunInfo]:
    """Every run, oldest first (by when it ran, then id)."""
    rows = store.rows("SELECT * EXCLUDE (ruleset_text) , NULL AS ruleset_text FROM runs ORDER BY ran_at, run_id")
    return [_info(row, []) for row in rows]


def resolve(store: RunStore, reference: str) -> int:
    """The run id ``reference`` names: an id, a label (its latest run), ``latest`` or ``previous``."""
    text = reference.strip()
    ordered = [int(r["run_id"]) for r in store.rows("SELECT run_id FROM runs ORDER BY ran_at, run_id")]
    if text in ("latest", "previous"):
        wanted = 1 if text == "latest" else 2
        if len(ordered) < wanted:
            raise InputError(Problem(f"the store has {len(ordered)} run(s), so there is no '{text}' run",
                                     file=str(store.path), hint="save more runs with --save"))
        return ordered[-wanted]
    if text.isdigit() and int(text) in ordered:
        return int(text)
    labelled = store.rows("SELECT run_id FROM runs WHERE label = ? ORDER BY ran_at DESC, run_id DESC LIMIT 1", [text])
    if labelled:
        return int(labelled[0]["run_id"])
    labels = [r["label"] for r in store.rows("SELECT DISTINCT label FROM runs WHERE label IS NOT NULL")]
    raise InputError(Problem(f"no run '{reference}' in the store", file=str(store.path), location="RUN",
                             hint=did_you_mean(text, labels) or "name a run by its id or label (clientwise history "
                                                                 "lists them), or give a results file (.json)"))


def run_info(store: RunStore, run_id: int) -> RunInfo:
    rows = store.rows("SELECT * FROM runs WHERE run_id = ?", [run_id])
    if not rows:
        raise InputError(Problem(f"no run {run_id} in the store", file=str(store.path),
                                 hint="clientwise history lists the runs"))
    inputs = [InputFile(r["path"], int(r["size"]), r["sha256"])
              for r in store.rows("SELECT path, size, sha256 FROM inputs WHERE run_id = ? ORDER BY position", [run_id])]
    return _info(rows[0], inputs)


def load_result(store: RunStore, info: RunInfo, *, columns: list[str] | None = None,
                summary_tables: set[tuple[str, str]] | None = None, actions: bool = True,
                customers: bool = True) -> Result:
    """The run as a :class:`Result` (without explanations).

    ``columns``: only these output columns (besides key and name); ``summary_tables``:
    only these (section, table) pairs; ``actions=False`` leaves the actions table empty
    (the ids stay in the customers' ``actions`` column); ``customers=False`` reads no
    customer at all (the portfolio figures and tables only).
    """
    assert info.run_id is not None
    types = [(c["name"], c["type"]) for c in info.columns]
    wanted = None if columns is None else [KEY, NAME, *columns]
    customers_frame = tables.read(store, "customers", info.run_id, types, order=[KEY], wanted=wanted) if customers \
        else pl.DataFrame({KEY: [], NAME: []}, {KEY: pl.String, NAME: pl.String})
    renames = {KEY: info.key_field}
    if info.name_field:
        renames[NAME] = info.name_field
    else:
        customers_frame = customers_frame.drop(NAME)
    customers_frame = customers_frame.rename(renames)
    name = info.name_field or info.key_field
    result_actions = _actions(store, info, customers_frame) if actions else _no_actions(info, customers_frame)
    outputs = [OutputColumn(c["name"], c["label"], c["kind"], c["detail"], group=bool(c.get("group", False)),
                            tones=tuple((value, tone) for value, tone in c.get("tones", ())),
                            labels=tuple((value, label) for value, label in c.get("labels", ())))
               for c in info.columns
               if _OUTPUT_FIELDS <= set(c) and c["name"] in customers_frame.columns]
    warnings = [r["message"] for r in store.rows(
        "SELECT message FROM warnings WHERE run_id = ? ORDER BY position", [info.run_id])]
    findings = [Finding(r["kind"], r["severity"], r["table_name"], r["message"], file=r["file"], field=r["field"],
                        count=int(r["count"]), examples=tuple(r["examples"]))
                for r in store.rows("SELECT * FROM findings WHERE run_id = ? ORDER BY position", [info.run_id])]
    return Result(ruleset=info.ruleset, as_of=info.as_of, engine=info.engine, key=info.key_field, name=name,
                  customers=customers_frame, actions=result_actions, columns=outputs,
                  summaries=_summaries(store, info.run_id, summary_tables), warnings=warnings,
                  provenance=info.provenance, findings=findings)


def _actions(store: RunStore, info: RunInfo, customers: pl.DataFrame) -> pl.DataFrame:
    relation = store.connection.sql(
        "SELECT a.key, a.rule, r.action, r.priority, a.because FROM actions a JOIN action_rules r "
        f"ON a.run_id = r.run_id AND a.rule = r.rule WHERE a.run_id = {int(info.run_id or 0)} "
        "ORDER BY a.key, r.priority, r.position")
    frame = pl.DataFrame(relation).rename({KEY: info.key_field})
    if info.name_field:
        names = customers.select(info.key_field, info.name_field)
        frame = frame.join(names, on=info.key_field, how="left", maintain_order="left")
        frame = frame.select(info.key_field, info.name_field, "rule", "action", "priority", "because")
    return frame


def _no_actions(info: RunInfo, customers: pl.DataFrame) -> pl.DataFrame:
    ids = [info.key_field, *([info.name_field] if info.name_field else [])]
    return customers.select(ids).head(0).with_columns(
        rule=pl.lit(None, pl.String), action=pl.lit(None, pl.String), priority=pl.lit(None, pl.Int64),
        because=pl.lit(None, pl.String))


def action_texts(store: RunStore, run_id: int) -> dict[str, tuple[str, int]]:
    """Rule id -> (action, priority) of every action rule the run's ruleset had."""
    return {r["rule"]: (r["action"], int(r["priority"])) for r in store.rows(
        "SELECT rule, action, priority FROM action_rules WHERE run_id = ? ORDER BY position", [run_id])}


def _summaries(store: RunStore, run_id: int, wanted: set[tuple[str, str]] | None) -> list[SectionSummary]:
    found = []
    stored = store.rows("SELECT * FROM summary_tables WHERE run_id = ? ORDER BY section, position", [run_id])
    for row in store.rows("SELECT * FROM summaries WHERE run_id = ? ORDER BY position", [run_id]):
        summary = SectionSummary(row["section"], row["title"], figures=json.loads(row["figures"]),
                                 warnings=list(row["warnings"]), error=row["error"])
        for table in (t for t in stored if t["section"] == row["section"]):
            if wanted is not None and (row["section"], table["name"]) not in wanted:
                continue
            types = [(c["name"], c["type"]) for c in json.loads(table["columns"])]
            summary.tables[table["name"]] = tables.read(store, table["stored_in"], run_id, types, order=[SEQ])
        found.append(summary)
    return found


def forget(store: RunStore, run_id: int) -> None:
    """Remove a run from every table, in one transaction."""
    stored_in = [r["stored_in"] for r in store.rows("SELECT DISTINCT stored_in FROM summary_tables WHERE run_id = ?",
                                                       [run_id])]
    from clientwise.history.schema import RUN_TABLES

    with store.transaction():
        for table in (*RUN_TABLES, *stored_in):
            store.sql(f"DELETE FROM {tables.quote(table)} WHERE run_id = ?", [run_id])
        keys.forget_unused(store.connection)

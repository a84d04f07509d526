"""A results file (``-o q2.json`` or ``.jsonl``) as a run, for ``clientwise compare``.

The file holds the run's header, portfolio views and customers with their actions
(docs/output-schema.md), enough to compare it with another run. It does not hold the
merged ruleset or the input's fingerprint, so a ruleset change against it cannot be
split into criteria and data. Column kinds are not in the file either: they are
taken from the values (numbers are numbers).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn, SectionSummary
from clientwise.errors import InputError, Problem
from clientwise.history.runs import RunInfo
from clientwise.runtime.result import Result, RulesetIdentity

SUFFIXES = (".json", ".jsonl", ".ndjson")
_KIND = {pl.Boolean: "boolean", pl.Date: "date"}


def looks_like_results_file(reference: str) -> bool:
    return reference.lower().endswith(SUFFIXES) or Path(reference).is_file()


def _document(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)  # type: ignore[no-any-return]
    document: dict[str, Any] = {"customers": [], "portfolio": {}}
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        kind = record.pop("record", None)
        if kind == "header":
            document.update(record)
        elif kind == "customer":
            document["customers"].append(record)
        elif kind == "portfolio":
            document["portfolio"][record.pop("section")] = record
    return document


def load_results_file(path: Path) -> tuple[RunInfo, Result, dict[str, tuple[str, int]]]:
    """The run in a results file, its result and its action texts (rule -> action, priority)."""
    if not path.is_file():
        raise InputError(Problem("no such results file", file=str(path),
                                 hint="give a run id or label from clientwise history, or a file written with -o x.json"))
    try:
        document = _document(path)
        header = {k: document[k] for k in ("ruleset", "as_of", "engine")}
        records = list(document["customers"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise InputError(Problem("not a clientwise results file (JSON or JSON Lines written with -o)", file=str(path),
                                 value=f"{type(error).__name__}: {error}",
                                 hint="write one with clientwise evaluate ... -o results.json")) from None
    texts: dict[str, tuple[str, int]] = {}
    action_rows = []
    for record in records:
        record.pop("explanation", None)
        fired = record.get("actions") or []
        for item in fired:
            texts.setdefault(item["id"], (item["action"], int(item["priority"])))
            action_rows.append({"key": str(record["key"]), "name": record.get("name"), "rule": item["id"],
                                "action": item["action"], "priority": int(item["priority"]),
                                "because": item.get("because")})
        record["actions"] = [item["id"] for item in fired]
    customers = pl.from_dicts(records, infer_schema_length=None) if records else pl.DataFrame({"key": [], "name": []})
    customers = customers.with_columns(pl.col("key").cast(pl.String), pl.col("actions").cast(pl.List(pl.String)))
    actions = pl.DataFrame(action_rows, schema={"key": pl.String, "name": pl.String, "rule": pl.String,
                                                "action": pl.String, "priority": pl.Int64, "because": pl.String})
    ruleset = header["ruleset"]
    identity = RulesetIdentity(ruleset["name"], ruleset["version"], ruleset["hash"], tuple(ruleset.get("files", ())))
    columns = [OutputColumn(name, name, _kind(dtype)) for name, dtype in customers.schema.items()
               if name not in ("key", "name", "actions")]
    summaries = [SectionSummary(section, entry.get("title", section), figures=dict(entry.get("figures", {})),
                                tables={n: pl.from_dicts(rows, infer_schema_length=None) if rows else pl.DataFrame()
                                        for n, rows in entry.get("tables", {}).items()},
                                warnings=list(entry.get("warnings", [])), error=entry.get("error"))
                 for section, entry in document.get("portfolio", {}).items()]
    as_of = dt.date.fromisoformat(header["as_of"])
    provenance = document.get("provenance") or {}
    info = RunInfo(run_id=None, label=None, ran_at=None, as_of=as_of, ruleset=identity, engine=header["engine"],
                   clientwise_version=(provenance.get("derive") or {}).get("version"), provenance=provenance,
                   key_field="key", name_field="name", customer_count=customers.height, action_count=actions.height,
                   source=f"results file {path.name}")
    result = Result(ruleset=identity, as_of=as_of, engine=header["engine"], key="key", name="name",
                    customers=customers, actions=actions, columns=columns, summaries=summaries,
                    warnings=list(document.get("warnings", [])), provenance=provenance)
    return info, result, texts


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_numeric():
        return "number"
    if isinstance(dtype, pl.List):
        return "list"
    return _KIND.get(type(dtype), "text")  # type: ignore[arg-type]

"""``clientwise init CLIENT``: a client folder ready to tune, test and run.

The new ruleset extends a base and holds only commented example overrides, so the
client's file shows exactly what differs. Its starter test cases are computed by
evaluating the base on three made-up customers, so they pass on day one and start
failing the moment a change moves those customers: the consultant then edits the
expectation or the change, deliberately.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import tomlkit

from clientwise.authoring.cases_io import with_empty_fields
from clientwise.authoring.schema import SCHEMA_FILE, schema_text
from clientwise.compiler.steps import ActionsStep, ClassificationStep
from clientwise.errors import InputError, Problem
from clientwise.host.factory import build_host
from clientwise.host.manager import PluginHost
from clientwise.output.atomic import atomic_writes
from clientwise.ruleset import Ruleset
from clientwise.ruleset.cases import NULL_MARK
from clientwise.runtime.evaluator import Evaluator, load_ruleset

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: The date starter cases are evaluated at (fixed, so the files are reproducible).
STARTER_AS_OF = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class Created:
    folder: Path
    ruleset: Path
    files: tuple[Path, ...]
    #: with --from-export: the guesses made, one line each
    guesses: tuple[str, ...] = ()


def init_client(client: str, base: str = "default", directory: Path | None = None,
                host: PluginHost | None = None, export: Path | None = None) -> Created:
    """Create ``CLIENT/`` with the ruleset, the editor schema and a README; never overwrite.

    With ``export`` (a folder of the client's raw files), the ruleset starts with a
    ``[data]`` section proposed from them (see :mod:`clientwise.authoring.export_proposal`).
    """
    if not NAME.match(client):
        raise InputError(Problem("the client name must be letters, digits, '-', '_' or '.'", location="CLIENT",
                                 value=repr(client), hint="e.g. clientwise init acme"))
    host = host or build_host()
    folder = (directory if directory is not None else Path(".")) / client
    ruleset_path = folder / f"{client}.toml"
    targets = (ruleset_path, folder / SCHEMA_FILE, folder / "README.md")
    existing = [path for path in targets if path.exists()]
    if existing:
        raise InputError([Problem("already exists; clientwise init never overwrites", file=str(path),
                                  hint="choose another client name or --dir, or move the file away")
                          for path in existing])
    base_ruleset = load_ruleset(base, host=host)
    extends = _extends(base, folder)
    proposal = export_proposal(export, base_ruleset) if export is not None else None
    texts = {
        ruleset_path: ruleset_text(client, extends, base_ruleset, host, proposal.section if proposal else ()),
        folder / SCHEMA_FILE: schema_text(host),
        folder / "README.md": readme_text(client, extends),
    }
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_writes() as group:
        for path, text in texts.items():
            group.open(path).write(text.encode("utf-8"))
    return Created(folder, ruleset_path, targets, proposal.report if proposal else ())


@dataclass(frozen=True)
class ExportProposal:
    """The ``[data]`` lines proposed from a raw export, and the guesses in words."""

    section: tuple[str, ...]
    report: tuple[str, ...]


def export_proposal(export: Path, base: Ruleset) -> ExportProposal:
    """Survey ``export`` and propose the base's ``[data]`` mapped onto it."""
    from clientwise.authoring.export_proposal import data_section, propose, report_lines
    from clientwise.authoring.export_survey import survey

    if not export.is_dir():
        raise InputError(Problem("not a folder", file=str(export), location="--from-export",
                                 hint="pass the folder holding the client's exported files"))
    files = survey(export)
    if not files:
        raise InputError(Problem("no CSV or text export in this folder", file=str(export), location="--from-export",
                                 hint="put the client's .csv / .txt / .tsv exports in it (Excel files: save them as CSV)"))
    fmt, evidence, proposals = propose(files, base.core.data)
    skipped = [f for f in files if f.problem is not None or not f.columns]
    section = data_section(fmt, evidence, proposals, export.name, base.core.data)
    return ExportProposal(tuple(section), tuple(report_lines(fmt, evidence, proposals, skipped)))


def _extends(base: str, folder: Path) -> str:
    if base.endswith(".toml") or "/" in base or "\\" in base:
        relative = os.path.relpath(Path(base).resolve(), folder.resolve())
        return Path(relative).as_posix()
    return base


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table.as_string()
    return tomlkit.item(value).as_string()


def ruleset_text(client: str, extends: str, base: Ruleset, host: PluginHost,
                 data_lines: tuple[str, ...] | list[str] = ()) -> str:
    lines = [
        f"#:schema ./{SCHEMA_FILE}",
        f"# Ruleset for {client}. It extends {extends!r} and holds only what differs:",
        "# a table merges key by key, an item of [[...]] merges by its id (remove = true drops it).",
        f"# Check it:  clientwise check {client}/{client}.toml",
        f"# Test it:   clientwise test {client}/{client}.toml",
        "",
        "schema = 1",
        f"extends = {_toml(extends)}",
        "",
        "[metadata]",
        f"name = {_toml(client)}",
        'version = "0.1.0"',
        f"description = {_toml(f'Criteria for {client}, based on {extends}')}",
        "",
        *[*data_lines, ""] * bool(data_lines),
        "# --- Example overrides: uncomment and adapt -----------------------------------------",
        "#",
        "# The client's column names -> the names the rules use:",
        "# [data.customers.rename]",
        '# "Account ID" = "customer_id"',
        '# "Revenue TTM" = "revenue"',
        "#",
        "# Only the top 5% of customers are strategic (merged by id: the rest of the tier stays):",
        "# [[segmentation.tiers]]",
        '# id = "strategic"',
        "# share = 0.05",
        "#",
        "# A rule of the base this client does not want:",
        "# [[rules]]",
        '# id = "annual_review"',
        "# remove = true",
        "#",
        "# A rule of this client's own:",
        "# [[rules]]",
        '# id = "key_account_review"',
        "# when = \"tier == 'strategic' and profit < 0\"",
        '# action = "Review the key account plan with the account manager"',
        "# priority = 2",
        '# because = "Strategic customer losing {abs(profit):.0f}"',
        "",
        "# --- Tests: what these criteria must decide for made-up customers -----------------------",
        "# Each case lists customers (and contacts, interactions, population), an as_of date and",
        "# the expected results. Change an expectation only when the change is intended.",
        "",
    ]
    for case in starter_cases(base, host):
        lines.extend(case)
        lines.append("")
    return "\n".join(lines)


def _filler(kind: str) -> Any:
    return {"string": "x", "number": 0.0, "integer": 0, "money": 0.0, "boolean": False,
            "date": STARTER_AS_OF}[kind]


def _records(base: Ruleset) -> list[dict[str, Any]]:
    """Three customers using the base's own field names: large, mid-sized, small and loss-making."""
    data = base.core.data
    fields = data.customers.fields
    wishes = [
        {data.key: "C1", data.name: "Large customer", "revenue": 2_000_000.0, "gross_margin": 0.35,
         "executive_sponsor": "Alex Doe"},
        {data.key: "C2", data.name: "Mid-sized customer", "revenue": 300_000.0, "gross_margin": 0.25,
         "executive_sponsor": "Sam Roe", "satisfaction_score": 8.0},
        {data.key: "C3", data.name: "Small loss-making customer", "revenue": 20_000.0, "gross_margin": 0.05,
         "discounts": 3_000.0, "satisfaction_score": 6.0},
    ]
    records = []
    for wish in wishes:
        record = {k: v for k, v in wish.items() if k in fields}
        for name, spec in fields.items():
            if spec.required and name not in record:
                record[name] = _filler(spec.type)
        records.append(record)
    return records


def starter_cases(base: Ruleset, host: PluginHost) -> list[list[str]]:
    """Three [[tests]] cases whose expectations are what ``base`` decides for them today."""
    evaluator = Evaluator(base, host=host)
    records = _records(base)
    key = base.core.data.key
    tables = {name: pl.DataFrame(schema={f: pl.String for f in spec.source_columns().values()})
              for name, spec in base.core.data.tables().items()}
    tables["customers"] = with_empty_fields(pl.DataFrame(records, strict=False), base.core.data.customers)
    result = evaluator.evaluate(tables, as_of=STARTER_AS_OF)
    outputs = [s.output for s in evaluator.program.steps() if isinstance(s, ClassificationStep)]
    actions = [r.id for s in evaluator.program.steps() if isinstance(s, ActionsStep) for r in s.rules]
    about = ["The largest customer of a three-customer portfolio", "The middle customer of three",
             "The smallest customer of three, losing money on discounts"]
    ids = ["large_customer", "mid_customer", "small_loss_maker"]
    cases = []
    for index, (record, description) in enumerate(zip(records, about, strict=True)):
        row = result.customers.filter(pl.col(key) == record[key]).row(0, named=True)
        fired = list(row["actions"])
        expect = {name: (NULL_MARK if row[name] is None else row[name]) for name in outputs if name in row}
        not_fired = [a for a in actions if a not in fired][:3]
        others = [r for r in records if r is not record]
        cases.append([
            "[[tests]]",
            f"id = {_toml(ids[index])}",
            f"description = {_toml(description)}",
            f"as_of = {STARTER_AS_OF.isoformat()}",
            f"customers = [{_toml(record)}]",
            f"population = [{', '.join(_toml(r) for r in others)}]",
            "",
            "[tests.expect]",
            *[f"{name} = {_toml(value)}" for name, value in expect.items()],
            f"actions = {_toml(fired)}",
            f"not_actions = {_toml(not_fired)}",
        ])
    return cases


def readme_text(client: str, extends: str) -> str:
    return (
        f"# {client}\n\n"
        f"Criteria for {client}, extending `{extends}`. From the folder above this one:\n\n"
        f"    clientwise check {client}/{client}.toml --strict      # validate and lint\n"
        f"    clientwise test {client}/{client}.toml                # run the [[tests]] cases\n"
        f"    clientwise evaluate {client}/{client}.toml EXPORT/ -o {client}.csv\n\n"
        f"`{SCHEMA_FILE}` lets editors (Even Better TOML) validate and complete the ruleset;\n"
        "regenerate it after installing plugins with `clientwise schema -o "
        f"{client}/{SCHEMA_FILE}`.\n"
    )

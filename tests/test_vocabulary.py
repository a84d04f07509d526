"""Does the data speak the rules' language? (``clientwise.runtime.vocabulary``)

A contacts export with job titles where the default ruleset compares
``lower(role) == 'budget'`` is valid cell by cell, and would give every customer
"no budget contact"; these tests check that such an export is reported with counts,
stops a ``--strict-data`` run, and that the shipped demo data is not reported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

import clientwise
from clientwise.runtime.findings import Finding

AS_OF = "2026-01-15"
KINDS = ("vocabulary", "values", "empty")
#: Job titles as a CRM exports them, in place of the buying roles the default ruleset uses.
TITLES = {"budget": "CFO", "gatekeeper": "Head of Procurement", "user": "Werksleiter", "coach": "Projektleiter"}


def _copy(demo: Path, into: Path) -> Path:
    into.mkdir()
    for name in ("customers.csv", "contacts.csv", "interactions.csv"):
        shutil.copy(demo / name, into / name)
    return into


def _rewrite(path: Path, change: pl.Expr | None = None, keep: pl.Expr | None = None) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    if keep is not None:
        frame = frame.filter(keep)
    if change is not None:
        frame = frame.with_columns(change)
    frame.write_csv(path)
    return frame


def _found(data: Path, ruleset: str | Path = "default") -> list[Finding]:
    with clientwise.Evaluator(ruleset) as evaluator:
        return [f for f in evaluator.load_data(data).findings if f.kind in KINDS]


@pytest.fixture
def titles_export(demo_data: Path, tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    """The demo portfolio, with job titles in contacts.role."""
    data = _copy(demo_data, tmp_path / "export")
    contacts = _rewrite(data / "contacts.csv", pl.col("role").replace_strict(TITLES, default=pl.col("role")))
    return data, contacts


def test_job_titles_as_roles_are_reported_with_counts(titles_export: tuple[Path, pl.DataFrame]) -> None:
    data, contacts = titles_export
    found = [f for f in _found(data) if f.field == "role"]
    assert len(found) == 1
    finding = found[0]
    assert (finding.kind, finding.severity, finding.table) == ("vocabulary", "warning", "contacts")
    total = contacts.height
    counts = contacts.get_column("role").value_counts(sort=True)
    top_title, top_count = counts.row(0)
    assert finding.message.startswith(
        f"0 of {total} contacts have a role the rules use (budget, coach, gatekeeper, user); "
        f"values seen: {top_title} ({top_count}), ")
    assert "[data.contacts.fields.role] map = {...}, see docs/data.md" in finding.message
    assert finding.count == total and finding.file == str(data / "contacts.csv")
    assert set(finding.examples) == set(TITLES.values())


def test_the_cli_shows_it_and_strict_data_stops_with_nothing_written(
        invoke, titles_export: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    data, contacts = titles_export
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    code, _, err = invoke("evaluate", "default", str(data), "--as-of", AS_OF, "-o", str(out))
    assert code == 0
    assert f"0 of {contacts.height} contacts have a role the rules use" in err
    header = [f for f in json.loads(out.read_text())["data_findings"] if f["kind"] == "vocabulary"]
    assert [(f["table"], f["field"], f["count"]) for f in header] == [("contacts", "role", contacts.height)]
    out.unlink()
    code, _, err = invoke("evaluate", "default", str(data), "--as-of", AS_OF, "-o", str(out), "--strict-data")
    assert code == 2 and list(out.parent.iterdir()) == []
    assert "contacts.role: 0 of" in err and "fix: map the client's values onto budget, coach, gatekeeper, user" in err
    code, _, err = invoke("check", "default", str(data), "--strict-data")
    assert code == 2 and "have a role the rules use" in err


def test_a_few_matching_rows_of_an_enumerated_column_are_still_reported(demo_data: Path, tmp_path: Path) -> None:
    """Under half the contacts with a role the rules use: the titles outweigh the roles."""
    data = _copy(demo_data, tmp_path / "export")
    contacts = _rewrite(data / "contacts.csv", pl.when(pl.int_range(pl.len()) % 5 == 0).then(pl.col("role"))
                        .otherwise(pl.lit("Einkaufsleiter")).alias("role"))
    kept = contacts.filter(pl.col("role") != "Einkaufsleiter").height
    [finding] = [f for f in _found(data) if f.field == "role" and f.kind == "vocabulary"]
    assert finding.message.startswith(f"{kept} of {contacts.height} contacts have a role the rules use")
    assert f"values seen: Einkaufsleiter ({contacts.height - kept})" in finding.message


def test_case_is_ignored_where_the_rules_lower_the_field(demo_data: Path, tmp_path: Path) -> None:
    """The relationship section compares lower(role): 'Budget' is a role the rules use."""
    data = _copy(demo_data, tmp_path / "export")
    _rewrite(data / "contacts.csv", pl.col("role").str.to_titlecase())
    assert [f for f in _found(data) if f.field == "role"] == []


def test_types_no_row_has_and_types_no_rule_reads(demo_data: Path, tmp_path: Path) -> None:
    data = _copy(demo_data, tmp_path / "export")
    _rewrite(data / "interactions.csv", keep=pl.col("type") != "pricing_discussion")
    found = {(f.kind, f.severity): f for f in _found(data) if f.field == "type"}
    missing = found[("values", "warning")]
    assert missing.message.startswith("the rules read type pricing_discussion, which no row has")
    assert missing.examples == ("pricing_discussion",)
    unread = found[("values", "info")]
    assert unread.message.startswith("type values no rule reads: call (")
    assert set(unread.examples) == {"call", "newsletter", "satisfaction_survey"}


def test_a_column_empty_in_every_row(demo_data: Path, tmp_path: Path) -> None:
    data = _copy(demo_data, tmp_path / "export")
    _rewrite(data / "customers.csv", pl.lit(None, pl.String).alias("satisfaction_score"))
    [finding] = [f for f in _found(data) if f.kind == "empty"]
    assert (finding.table, finding.field, finding.severity) == ("customers", "satisfaction_score", "warning")
    assert finding.message == ("empty in every one of the 300 rows, so every rule that reads "
                               "'satisfaction_score' sees it unknown")


def test_an_absent_column_is_not_reported_twice(demo_data: Path, tmp_path: Path) -> None:
    """A column the export lacks is a not_computed finding, not also an empty one."""
    data = _copy(demo_data, tmp_path / "export")
    frame = pl.read_csv(data / "customers.csv", infer_schema=False).drop("satisfaction_score")
    frame.write_csv(data / "customers.csv")
    with clientwise.Evaluator("default") as evaluator:
        findings = evaluator.load_data(data).findings
    assert [f for f in findings if f.kind in KINDS and f.severity == "warning"] == []
    assert any(f.kind == "not_computed" and "satisfaction_score" in f.message for f in findings)


def test_a_customer_field_is_reported_only_when_no_value_matches(demo_data: Path, tmp_path: Path,
                                                                  write_ruleset) -> None:
    """``industry == 'Software'`` picks out some customers on purpose; 'Aerospace' picks none."""
    def ruleset(industry: str) -> Path:
        return write_ruleset(f'extends = "default"\n[derive]\nin_focus = "industry == \'{industry}\'"\n')
    assert [f for f in _found(demo_data, ruleset("Software")) if f.field == "industry"] == []
    [finding] = [f for f in _found(demo_data, ruleset("Aerospace")) if f.field == "industry"]
    assert finding.message.startswith("0 of 300 customers have an industry the rules use (Aerospace)")


def test_the_demo_data_speaks_the_default_rules_language(demo_data: Path) -> None:
    """Only the information that the demo exports three interaction types no default
    rule reads (call, newsletter, satisfaction_survey: true, and what a consultant
    wants to know); no warnings."""
    found = _found(demo_data)
    assert [(f.kind, f.severity, f.field) for f in found] == [("values", "info", "type")]
    assert set(found[0].examples) == {"call", "newsletter", "satisfaction_survey"}

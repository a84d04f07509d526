"""``[output]``: the customer table's columns, with the export's own fields beside the results."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

import clientwise
from clientwise.errors import RulesetError

AS_OF = "2026-06-30"

CHOSEN = """
extends = "default"
[derive]
revenue_k = "revenue / 1000"

[output]
columns = ["revenue_k", { field = "account_manager", label = "KAM" }, "tier", "payment_terms_days"]
hide = ["segment_rank", "checklist_answered"]
"""


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_by_default_the_measure_and_the_customers_context_follow_the_name(invoke, demo_data: Path,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(out)).code == 0
    assert header(out)[:8] == ["customer_id", "name", "revenue", "industry", "region", "account_manager",
                               "tier", "segment_rank"]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    source = {row["customer_id"]: row for row in csv.DictReader((demo_data / "customers.csv").open(encoding="utf-8"))}
    assert all(float(row["revenue"]) == float(source[row["customer_id"]]["revenue"]) for row in rows)
    assert all(row["account_manager"] == source[row["customer_id"]]["account_manager"] for row in rows)


def test_chosen_columns_in_every_format(write_ruleset, demo_data: Path, tmp_path: Path, invoke) -> None:
    ruleset = write_ruleset(CHOSEN)
    outputs = {suffix: tmp_path / f"result.{suffix}" for suffix in ("csv", "json", "xlsx", "html")}
    for path in outputs.values():
        run = invoke("evaluate", str(ruleset), str(demo_data), "--as-of", AS_OF, "-o", str(path))
        assert run.code == 0, run.output
    columns = header(outputs["csv"])
    assert columns[:6] == ["customer_id", "name", "revenue_k", "account_manager", "tier", "payment_terms_days"]
    assert "segment_rank" not in columns and "checklist_answered" not in columns and "checklist_pct" in columns
    assert "industry" not in columns  # the list replaces the default context
    record = json.loads(outputs["json"].read_text(encoding="utf-8"))["customers"][0]
    assert list(record)[:6] == ["key", "name", "revenue_k", "account_manager", "tier", "payment_terms_days"]
    sheet = openpyxl.load_workbook(outputs["xlsx"])["Customers"]  # labels shown, field names in the comments
    assert [cell.value for cell in sheet[1]][:4] == ["Customer", "Name", "Revenue k", "KAM"]
    assert [cell.comment.text for cell in sheet[1]][:4] == ["customer_id", "name", "revenue_k", "account_manager"]
    terminal = invoke("evaluate", str(ruleset), str(demo_data), "--as-of", AS_OF).stdout
    assert "KAM" in terminal.splitlines()[8] and "Revenue k" in terminal.splitlines()[8]
    result = clientwise.evaluate(ruleset, demo_data, as_of=AS_OF)
    assert [c.label for c in result.columns[:2]] == ["Revenue k", "KAM"]
    assert result.customers["revenue_k"].to_list() == pytest.approx(
        [r / 1000 for r in clientwise.evaluate("default", demo_data, as_of=AS_OF).customers["revenue"]])


def test_an_empty_list_shows_only_the_sections_outputs(write_ruleset, demo_data: Path) -> None:
    result = clientwise.evaluate(write_ruleset('extends = "default"\n[output]\ncolumns = []\n'), demo_data, as_of=AS_OF)
    assert result.customers.columns[:4] == ["customer_id", "name", "tier", "segment_rank"]


def test_unknown_names_are_errors_with_their_key_path(write_ruleset) -> None:
    path = write_ruleset('extends = "default"\n[output]\ncolumns = ["revenue", "acount_manager"]\nhide = ["tierr"]\n')
    with pytest.raises(RulesetError) as raised:
        clientwise.Evaluator(path)
    problems = {p.location: p for p in raised.value.problems}
    assert set(problems) == {"output.columns[1]", "output.hide[0]"}
    assert problems["output.columns[1]"].message == "no field or output is called 'acount_manager'"
    assert "account_manager" in (problems["output.columns[1]"].hint or "")
    assert "tier" in (problems["output.hide[0]"].hint or "")


def test_the_key_cannot_be_listed(write_ruleset, invoke) -> None:
    run = invoke("check", str(write_ruleset('extends = "default"\n[output]\ncolumns = ["customer_id"]\n')))
    assert run.code == 2 and "output.columns[0]: 'customer_id' is always the first column" in run.stderr


def test_json_lines_records_follow_the_chosen_order(write_ruleset, demo_data: Path, invoke) -> None:
    run = invoke("evaluate", str(write_ruleset(CHOSEN)), str(demo_data), "--as-of", AS_OF, "--format", "jsonl")
    lines = [json.loads(line) for line in io.StringIO(run.stdout)]
    assert list(lines[1])[:5] == ["record", "key", "name", "revenue_k", "account_manager"]

"""``--strict-data``: the data warnings become errors, located in the client's files.

Without it, values no map covers, rows of unknown customers kept or left out, and
tables or columns the export lacks are warnings the run goes on with; with it, each
is an error with the file, the row as the spreadsheet numbers it, the client's column
name, the value and the fix; exit 2 and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import clientwise
from clientwise.errors import DataError

DATA = Path(__file__).resolve().parent / "data"
RAW, RULESET = DATA / "mueller_raw", DATA / "mueller.toml"
AS_OF = "2026-01-15"


def test_strict_data_stops_on_the_findings_with_their_cells(invoke, tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    code, _, err = invoke("evaluate", str(RULESET), str(RAW), "--as-of", AS_OF, "-o", str(out), "--strict-data")
    assert code == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []
    contacts = RAW / "Contacts_Export_2025-12-31.txt"
    tickets = RAW / "helpdesk_tickets_2025Q4.csv"
    # the unmapped job title: its row, the client's column, the value, how to map it
    assert (f"{contacts}: row 8, column 'Position': no entry of the value map covers this value\n"
            "  value: Technische Leiterin\n"
            "  fix: add the value to [data.contacts.fields.role.map] (exact, ignore_case or patterns), "
            "or set unmapped = \"keep\" there to use it as written") in err
    # the orphans kept (contacts, orphans = "warn") and left out (tickets, orphans = "drop")
    assert f"{contacts}: row 11, column 'Account-ID': no customer has this key (row kept)\n  value: ACC-0999" in err
    assert f"{tickets}: row 7, column 'Account': no customer has this key (row left out)\n  value: ACC-7777" in err
    # what the export lacks
    assert "[checklist]: not computed (no data: " in err and "fix: add what is missing to the export" in err


def test_without_strict_data_the_same_export_runs(invoke, tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    code, _, err = invoke("evaluate", str(RULESET), str(RAW), "--as-of", AS_OF, "-o", str(out))
    assert code == 0 and out.exists()
    assert "warning: " in err and "Technische Leiterin (1)" in err


def test_check_strict_data(invoke) -> None:
    code, _, err = invoke("check", str(RULESET), str(RAW), "--strict-data")
    assert code == 2 and "no entry of the value map covers this value" in err


def test_clean_data_passes_strict_data(demo_data: Path, tmp_path: Path) -> None:
    """The sample portfolio has every table and column the default reads: nothing to stop on."""
    with clientwise.Evaluator("default", strict_data=True) as evaluator:
        result = evaluator.evaluate(demo_data, as_of=AS_OF)
    assert result.customers.height > 0
    assert not [f for f in result.findings if f.severity == "warning"]


def test_strict_data_from_python() -> None:
    with clientwise.Evaluator(RULESET, strict_data=True) as evaluator, pytest.raises(DataError) as raised:
        evaluator.evaluate(RAW, as_of=AS_OF)
    assert any(problem.value == "ACC-0999" for problem in raised.value.problems)

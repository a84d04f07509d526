"""``clientwise init CLIENT --from-export DIR``: a [data] section proposed from a raw export."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from clientwise.cli.app import cli
from clientwise.runtime.evaluator import load_ruleset

RAW = Path(__file__).resolve().parent / "data" / "mueller_raw"


def init(tmp_path: Path, export: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["init", "mueller", "--dir", str(tmp_path), "--from-export", str(export)])
    return result.exit_code, result.stdout, result.stderr


def test_the_proposal_names_tables_files_encodings_formats_and_columns_with_confidence(tmp_path):
    code, out, err = init(tmp_path, RAW)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "number format: de (27 cells like 1.250.000,00 EUR)"
    assert 'Accounts_Export_2025-12-31.csv -> customers (0.87), windows-1252, files = ["Accounts_Export_*.csv"]' in lines
    assert 'Contacts_Export_2025-12-31.txt -> contacts (0.81), UTF-16 (BOM), files = ["Contacts_Export_*.txt"]' in lines
    assert "  Umsatz -> revenue (0.90, known name for it)" in lines
    assert "  Region -> region (1.00, same name)" in lines
    assert "  Beziehung -> strength (0.72, known name for it; its cells fit an integer only 80%)" in lines
    assert "  not matched: Belegnummer, Belegart" in lines
    assert sum(" -> interactions " in line for line in lines) == 3
    assert 'helpdesk_tickets_2025Q4.csv -> interactions (0.82), UTF-8 (BOM), files = ["helpdesk_tickets_*.csv"]' in lines


def test_the_proposed_ruleset_is_valid_and_declares_what_was_found(tmp_path):
    assert init(tmp_path, RAW)[0] == 0
    path = tmp_path / "mueller" / "mueller.toml"
    text = path.read_text(encoding="utf-8")
    assert '"Umsatz"                   = "revenue"   # 0.90 known name for it' in text
    assert '# "Beziehung" matched no field' not in text
    assert '# ignore_case = { "vertraut" = "?", "mittel" = "?", "schwach" = "?", "stark" = "?", "keine" = "?" }' in text
    data = load_ruleset(str(path)).core.data
    assert (data.number_format, data.true_values[0], data.false_values[0]) == ("de", "ja", "nein")
    assert (data.customers.files, data.customers.encoding) == (["Accounts_Export_*.csv"], "windows-1252")
    assert data.customers.rename["Newsletter-Empfänger"] == "newsletter_recipients"
    assert data.contacts is not None and data.contacts.files == ["Contacts_Export_*.txt"]
    assert data.interactions is not None and data.interactions.sources is not None
    by_file = {source.files[0]: source for source in data.interactions.sources}
    assert set(by_file) == {"CRM_Aktivitaeten_*.csv", "OP_Liste_Rechnungen.csv", "helpdesk_tickets_*.csv"}
    assert by_file["OP_Liste_Rechnungen.csv"].date_formats == ["excel"]
    assert by_file["helpdesk_tickets_*.csv"].date_formats == ["%m/%d/%Y %H:%M"]
    assert by_file["CRM_Aktivitaeten_*.csv"].encoding == "windows-1252"
    assert by_file["OP_Liste_Rechnungen.csv"].rename == {"Kundennummer": "customer_id", "Belegdatum": "date",
                                                         "Betrag": "amount"}


def test_a_folder_without_text_exports_is_an_input_error(tmp_path):
    export = tmp_path / "empty"
    export.mkdir()
    (export / "notes.md").write_text("x")
    code, _, err = init(tmp_path, export)
    assert code == 2
    assert err == (f"error: {export}: --from-export: no CSV or text export in this folder\n"
                   "  fix: put the client's .csv / .txt / .tsv exports in it (Excel files: save them as CSV)\n")
    assert not (tmp_path / "mueller").exists()

"""Reports for a client's leadership: [report] settings, locale formatting, the message
catalogues, the executive summary, actions ranked by stake and per owner."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from babel.dates import format_date
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from report_inputs import german_result, hostile_data

import clientwise
from clientwise.output.locale import locale_style
from clientwise.output.messages import CATALOGUES, Messages, messages
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import md as report_md
from clientwise.plugins.reports import xlsx as report_xlsx
from clientwise.plugins.reports.model import build
from clientwise.sample import DEMO_AS_OF, demo_path

ROOT = Path(__file__).resolve().parents[1]
# -- the locale's formats are CLDR's (Babel) -------------------------------------------
VALUES = [0, 7, -3, 1234.4, -98765.25, 6500000, 0.1234, 1234567.891]


@pytest.mark.parametrize("tag", ["de-DE", "en-GB", "en-US", "fr-FR", "de-AT", "it-IT", "es-ES", "nl-NL"])
def test_numbers_money_percents_and_dates_read_as_babel_writes_them(tag: str) -> None:
    style, babel = locale_style(tag, "EUR"), tag.replace("-", "_")
    for value in VALUES:
        assert style.number(value) == format_decimal(value, format="#,##0.##", locale=babel)
        whole = locale_style(tag).money(value)  # no currency: a grouped whole number
        assert whole == format_decimal(round(value), format="#,##0", locale=babel)
        pattern = re.sub(r"\.0+", "", _currency_pattern(babel))
        assert style.money(value) == format_currency(round(value), "EUR", format=pattern, locale=babel,
                                                     currency_digits=False)
        assert style.percent(value / 10) == format_percent(value / 10, format=_percent_pattern(babel),
                                                           locale=babel, decimal_quantization=True)
    day = dt.date(2026, 6, 3)
    assert style.date(day) == format_date(day, _long_year(babel), locale=babel)


def _currency_pattern(babel: str) -> str:
    from babel import Locale

    return Locale.parse(babel).currency_formats["standard"].pattern.split(";")[0]


def _percent_pattern(babel: str) -> str:
    from babel import Locale

    return Locale.parse(babel).percent_formats[None].pattern.split(";")[0].replace("#,##0", "#,##0.0", 1)


def _long_year(babel: str) -> str:
    from babel import Locale

    return re.sub(r"y+", "yyyy", Locale.parse(babel).date_formats["short"].pattern)


def test_the_workbook_gets_the_locales_currency_and_date_order() -> None:
    formats = locale_style("de-DE", "EUR").xlsx_formats()
    assert formats["money"] == '#,##0"\u00a0€"' and formats["date"] == "dd.mm.yyyy"
    assert formats["percent"] == '0.0"\u00a0"%'
    assert locale_style("en-US", "USD").xlsx_formats()["money"] == '"$"#,##0'
    assert locale_style("en-US").xlsx_formats()["date"] == "m/d/yyyy"


# -- [report] settings ------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "message"), [
    ("locale", "xx-QQ", "unknown locale 'xx-QQ'"),
    ("currency", "EURO", "unknown currency 'EURO'"),
    ("title", "[1]", "Input should be a valid string"),
    ("colour", "'red'", "unknown key 'colour'"),
])
def test_bad_report_settings_are_located_errors(invoke, tmp_path: Path, key: str, value: str, message: str) -> None:
    shown = value if value.startswith(("'", "[")) else f'"{value}"'
    ruleset = tmp_path / "acme.toml"
    ruleset.write_text(f'extends = "default"\n[metadata]\nname = "acme"\n[report]\n{key} = {shown}\n', encoding="utf-8")
    outcome = invoke("check", str(ruleset))
    assert outcome.code == 2
    assert f"acme.toml: report.{key}: {message}" in outcome.output


def test_report_keys_are_in_the_json_schema(invoke) -> None:
    outcome = invoke("schema")
    assert outcome.code == 0
    for key in ("client", "title", "prepared_by", "confidentiality", "locale", "currency", "owner", "stake"):
        assert f'"{key}"' in outcome.stdout


# -- because texts in the report's locale ---------------------------------------------
def test_because_texts_use_the_locales_money_percent_and_no_data() -> None:
    result = german_result()
    because = dict(zip(result.actions["rule"], result.actions["because"]))
    assert re.search(r"revenue \d{1,3}(\.\d{3})*\u00a0€\)$", because["retention_plan"])
    assert re.search(r"\(-?\d+,\d\u00a0%\); cost to serve \d{1,3}(\.\d{3})*\u00a0€$", because["reprice"])
    assert any("(last: keine Angabe)" in text for text in result.actions["because"])
    assert not any("n/a" in text for text in result.actions["because"])
    explained = result.explain(result.actions["customer_id"][0]).to_dict()  # the Python twin agrees
    fired = {r["rule"]: r.get("because") for r in explained["rules"] if r.get("status") == "fired"}
    first = result.actions.filter(pl.col("customer_id") == result.actions["customer_id"][0])
    for rule, text in zip(first["rule"], first["because"]):
        assert fired.get(rule, text) == text


def test_band_because_shows_the_score_as_the_tables_do() -> None:
    result = clientwise.evaluate("default", demo_path(), as_of=DEMO_AS_OF)
    row = result.customers.filter(pl.col("health_score") % 1 != 0).row(0, named=True)
    explained = result.explain(row["customer_id"]).to_dict()
    band = next(r for r in explained["rules"] if r.get("status") == "fired" and r["decision"] == "health_band")
    shown = f"{row['health_score']:.2f}".rstrip("0").rstrip(".")
    assert band["because"].startswith(f"Score {shown} is ")


# -- the report's own text --------------------------------------------------------------
@pytest.mark.parametrize(("sources", "catalogue"), [
    (("core", "plugins/reports"), CATALOGUES / "de.po"),  # the report's own sentences (make messages)
    (("plugins/sections",), ROOT / "plugins/sections/locales/de.po"),  # the built-in sections', kept by hand
])
def test_every_sentence_of_the_reports_has_a_german_translation(tmp_path: Path, sources, catalogue) -> None:
    pot = tmp_path / "clientwise.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "core/output/locales/babel.cfg"),
                                "-k", "tr", "-k", "messages", "-k", "Notice:2", "--no-default-keywords", "-o", str(pot),
                                *(str(ROOT / source) for source in sources)])
    with pot.open("rb") as stream:
        wanted = {m.id for m in read_po(stream) if m.id}
    german = Path(str(catalogue)).read_text(encoding="utf-8")
    with Path(str(catalogue)).open("rb") as stream:
        translated = {m.id: m.string for m in read_po(stream) if m.id}
    assert len(wanted) > 5 and "#~" not in german  # no obsolete entries left behind
    missing = sorted(m for m in wanted if not translated.get(m))
    assert not missing, f"translate these in {catalogue} (make messages adds the report's own): {missing}"
    for message in wanted:  # a translation names the same placeholders as the English text
        assert set(re.findall(r"{(\w+)}", translated[message])) == set(re.findall(r"{(\w+)}", message)), message


def test_catalogues_ship_with_the_package() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"clientwise.output" = ["locales/*.po"' in text and '"clientwise.plugins.sections" = ["locales/*.po"]' in text
    assert messages("de-DE")("Executive summary") == "Zusammenfassung für die Geschäftsleitung"
    assert messages("fr-FR")("Executive summary") == "Executive summary"  # no French catalogue: English


def test_a_plugin_extends_the_catalogue_with_its_own(tmp_path: Path) -> None:
    (tmp_path / "de.po").write_text('msgid "Net promoter score"\nmsgstr "Weiterempfehlungsrate"\n\n'
                                    'msgid "Customers"\nmsgstr "Kundschaft"\n', encoding="utf-8")
    tr = messages("de-DE").extended(tmp_path)
    assert tr("Net promoter score") == "Weiterempfehlungsrate"
    assert tr("Customers") == "Kundschaft"  # the plugin's own wins for its texts
    assert tr("Executive summary") == "Zusammenfassung für die Geschäftsleitung"
    assert Messages("en-GB").extended(tmp_path)("Customers") == "Customers"  # no en.po: as written


# -- the German report ------------------------------------------------------------------
def test_the_german_report_opens_with_its_title_page_and_executive_summary() -> None:
    result = german_result()
    document = report_html.render(result)
    assert '<html lang="de">' in document
    head = document[:document.index('id="summary"')]
    assert "ACME &lt;Industrial&gt; GmbH" in head and "<h1>Kundenportfolio: Review Q2 2026</h1>" in head
    assert "30.06.2026" in head and "Dr. Jana Beispiel | **Nordlicht** Consulting" in head
    assert "Vertraulich: nur für die Geschäftsleitung" in head
    assert result.ruleset.hash not in head and "plugin" not in head.lower()
    summary = document[document.index('id="summary"'):document.index('id="segmentation"')]
    assert "<h2>Zusammenfassung für die Geschäftsleitung</h2>" in summary
    assert '<b id="fig-revenue">46.474.299\u00a0€</b>' in summary
    destroyers = result.customers.filter(pl.col("value_class") == "value_destroyer").height
    assert f"{destroyers} von 300 Kunden" in summary and "Wertvernichter (Wertklasse)" in summary
    assert summary.count("<li>", summary.index('id="top-actions"')) == 5
    appendix = document[document.index('id="appendix"'):]
    assert result.ruleset.hash in appendix and 'id="provenance"' in appendix
    assert "<h2>Segmentierung</h2>" in document and "<th>Segment</th>" in document


def test_the_german_markdown_and_workbook() -> None:
    result = german_result()
    text = report_md.render(result)
    assert text.startswith("# Kundenportfolio: Review Q2 2026\n\nMandant: **ACME \\<Industrial\\> GmbH** · "
                           "Stichtag: **30.06.2026** · Erstellt von: **Dr. Jana Beispiel \\| \\*\\*Nordlicht\\*\\* "
                           "Consulting**")
    assert "| Umsatz | 46.474.299\u00a0€ |" in text and "## Empfohlene Maßnahmen" in text
    book = openpyxl.load_workbook(io.BytesIO(_xlsx(result)))
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    assert summary[0][0] == "ACME <Industrial> GmbH" and summary[1][0] == "Kundenportfolio: Review Q2 2026"
    customers = book["Customers"]
    profit = next(c for c in customers[1] if c.comment is not None and c.comment.text == "profit")
    assert profit.value == "Gewinn"
    assert customers.cell(2, profit.column).number_format == '#,##0"\u00a0€"'


def _xlsx(result: clientwise.Result) -> bytes:
    stream = io.BytesIO()
    report_xlsx.XlsxWriter().write(result, stream)
    return stream.getvalue()


def test_reports_in_a_locale_are_byte_identical_on_every_run() -> None:
    result = german_result()
    assert report_html.render(result) == report_html.render(result)
    assert report_md.render(result) == report_md.render(result)
    assert _xlsx(result) == _xlsx(result)


# -- what is at stake, and who acts -----------------------------------------------------
def test_actions_are_ranked_by_revenue_within_each_priority() -> None:
    result = german_result()
    report = build(result)
    revenue = dict(pl.read_csv(hostile_data() / "customers.csv", infer_schema=False)
                   .select("customer_id", pl.col("revenue").cast(pl.Float64)).iter_rows())
    previous = None
    for action in report.actions:
        assert action["stake"] == pytest.approx(revenue[action["customer"]])
        if previous is not None and previous["priority"] == action["priority"]:
            assert (previous["stake"] or 0) >= (action["stake"] or 0)
        previous = action
    assert report.executive.top_actions == report.actions[:5]


def test_each_account_manager_gets_their_own_list() -> None:
    result = german_result()
    report = build(result)
    managers = dict(pl.read_csv(hostile_data() / "customers.csv", infer_schema=False)
                    .select("customer_id", "account_manager").iter_rows())
    expected: dict[str | None, int] = {}
    for key in result.actions["customer_id"].to_list():
        expected[managers.get(key)] = expected.get(managers.get(key), 0) + 1
    owners = report.owners()
    assert {owner: len(items) for owner, items in owners} == expected
    assert all(managers[a["customer"]] == owner for owner, items in owners for a in items)
    document = report_html.render(result)
    assert document.count('<section class="owner"') == len(owners)
    text = report_md.render(result)
    assert "## Maßnahmen nach Verantwortlichen" in text
    book = openpyxl.load_workbook(io.BytesIO(_xlsx(result)))
    for owner, items in owners:
        if owner is not None:
            assert book[owner].max_row == len(items) + 1


def test_without_an_owner_field_there_are_no_owner_lists(tmp_path: Path) -> None:
    ruleset = tmp_path / "plain.toml"
    ruleset.write_text('extends = "default"\n[metadata]\nname = "plain"\n[report]\nowner = ""\nstake = ""\n',
                       encoding="utf-8")
    result = clientwise.evaluate(str(ruleset), demo_path(), as_of=DEMO_AS_OF)
    report = build(result)
    assert report.owners() == [] and report.stake_label == ""
    assert 'id="owners"' not in report_html.render(result)
    assert openpyxl.load_workbook(io.BytesIO(_xlsx(result))).sheetnames == [
        "Summary", "Customers", "Actions", "Checklist", "Ruleset"]


def test_the_health_breakdown_says_what_makes_the_reds_red() -> None:
    result = german_result()
    frame = result.tracer.frame
    red = frame.filter(pl.col("health_band") == "red")
    report = build(result)
    table = next(b for view in report.sections for b in view.blocks if getattr(b, "id", "") == "health-breakdown")
    labels = [c.label for c in table.columns]
    assert labels[:4] == ["Kriterium", "Punkte", "% der Kunden (rot), die es verfehlen", "Verlorene Punkte je Kunde (rot)"]
    roles = next(row for row in table.rows if row[0].startswith("Jede Pflichtrolle"))  # measures described in German
    missing = red.select((~pl.col("health_roles_covered").fill_null(False)).mean()).item()
    assert roles[2] == pytest.approx(missing)
    assert roles[3].value == pytest.approx(missing * 30)  # weight 30: the points they lose on average
    chart = next(b for view in report.sections for b in view.blocks if getattr(b, "id", "") == "health-by-tier")
    assert [stack.label for stack in chart.stacks] == ["Strategisch", "Kern", "Transaktional"]
    strategic = frame.filter(pl.col("tier") == "strategic")
    assert [(s.name, s.label, s.tone) for s in chart.series] == [
        ("red", "Rot", "bad"), ("yellow", "Gelb", "warn"), ("green", "Grün", "good")]
    assert dict(chart.stacks[0].parts)["red"] == strategic.filter(pl.col("health_band") == "red").height

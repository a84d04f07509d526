"""The report reads in its reader's language: no English sentence of the catalogues is left
in a German report, and warnings are sentences for a reader (the key stays in the JSON)."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

from babel.messages.pofile import read_po
from report_inputs import german_result, hostile_result

from clientwise.host.factory import build_host
from clientwise.output.locale import locale_style
from clientwise.output.messages import CATALOGUES, Messages
from clientwise.output.notice import Notice, for_reader
from clientwise.output.write import choose_writer
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import md as report_md
from clientwise.plugins.reports.format import Formatter
from clientwise.plugins.reports.model import build

ROOT = Path(__file__).resolve().parents[1]


def _catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as stream:
        return {str(m.id): str(m.string) for m in read_po(stream) if m.id}


def _english_fragments() -> set[str]:
    """The English parts of every translated catalogue sentence (the text between its
    ``{fields}``) of two words or more that no German translation also contains: any of
    them in a German report is a sentence the report did not translate. Parts the shipped
    ruleset also writes are left out: its own texts (action reasons, conditions) are in
    the ruleset's language and stay as written."""
    table = {**_catalogue(Path(str(CATALOGUES / "de.po"))), **_catalogue(ROOT / "plugins/sections/locales/de.po")}
    german = " ".join(table.values())
    ruleset = (ROOT / "rulesets/default.toml").read_text(encoding="utf-8")
    fragments = set()
    for english, translation in table.items():
        if english == translation:
            continue
        for part in re.split(r"\{\w+\}", english):
            part = part.strip(" .,:;()")
            if " " in part and len(part) >= 8 and part not in german and part not in ruleset:
                fragments.add(part)
    return fragments


def _body(document: str) -> str:
    """The report's text as a reader sees it, the rule traces of the customer detail blocks included."""
    document = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", document, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", document))


def test_a_german_report_has_no_english_sentence_of_the_catalogues_left() -> None:
    fragments = _english_fragments()
    assert len(fragments) > 100
    english = _body(report_html.render(hostile_result()))
    assert len([f for f in fragments if f in english]) > 100  # the check finds them where they are
    german = _body(report_html.render(german_result()))
    assert sorted(f for f in fragments if f in german) == []
    markdown = report_md.render(german_result())
    assert sorted(f for f in fragments if f in markdown) == []


def test_warnings_are_sentences_for_a_reader_in_the_reports_language() -> None:
    result = german_result()
    analyst = [w for w in result.warnings if "tier_override_reason" in w]
    assert analyst == ["1 tier override(s) have no reason: fill in tier_override_reason"]
    assert isinstance(analyst[0], Notice) and analyst[0].key == "segmentation.override_reason_field"
    german = build(result).warnings
    assert "Kunden, deren Segment ohne Begründung von Hand gesetzt wurde: 1." in german
    assert any(w.startswith("Das Segment Strategisch umfasst 10,7\u00a0% der Kunden (32 von 300)") for w in german)
    english = build(hostile_result()).warnings
    assert "Customers whose tier was set by hand without a reason: 1." in english
    for text in (*german, *english):  # no ruleset key, no field name
        assert not re.search(r"\b[a-z]+[._][a-z_]+\b", text), text


def test_the_json_output_keeps_the_analysts_text_with_the_key() -> None:
    writer = choose_writer(build_host().writers(), "json", None)
    stream = io.BytesIO()
    writer.write(hostile_result(), stream)
    document = json.loads(stream.getvalue())
    assert "1 tier override(s) have no reason: fill in tier_override_reason" in document["warnings"]


def test_a_notice_formats_its_values_by_kind_and_translates_texts() -> None:
    notice = Notice("12 of 40 customers (30%) are value destroyers, more than profitability.max_destroyer_share (25%).",
                    "{count} of {total} customers ({share}) destroy value: more than the {limit} this review accepts.",
                    key="profitability.max_destroyer_share",
                    values={"count": 1200, "total": 4000, "share": 0.3, "limit": 0.25},
                    kinds={"share": "percent", "limit": "percent"})
    assert str(notice).endswith("more than profitability.max_destroyer_share (25%).")
    german = Messages("de-DE", {notice.message: "{count} von {total} Kunden ({share}): mehr als {limit}."})
    fmt = Formatter(locale_style("de-DE", "EUR"))
    assert for_reader(notice, german, fmt.show) == "1.200 von 4.000 Kunden (30,0\u00a0%): mehr als 25,0\u00a0%."
    assert for_reader("a plugin's own warning", german, fmt.show) == "a plugin's own warning"
    tier = Notice("x", "The {tier} tier.", values={"tier": "Strategic"})
    assert tier.reader_text(Messages("de-DE", {"The {tier} tier.": "Segment {tier}.", "Strategic": "Strategisch"}),
                            fmt.show) == "Segment Strategisch."

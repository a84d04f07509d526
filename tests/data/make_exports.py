"""Writes the raw client export in ``mueller_raw/`` and its hand conversion in ``mueller_canonical/``.

Müller Maschinenbau's exports as the source systems write them: a German Salesforce
accounts export (Windows-1252, ``;``, decimal commas, percents, ``€``, accounting
negatives, ``n/a``, date-times), a contacts export saved by Excel as "Unicode text"
(UTF-16 with BOM, tabs, job titles and strength words), a helpdesk ticket export
(UTF-8 with BOM, US dates, ticket types, a spam row, a ticket of an unknown
account), the ERP's open-items list ``OP_Liste_Rechnungen.csv`` (Excel serial
dates, amounts with ``€``, SAP credit notes ``1.234,00-``), and CRM activities
in the client's words. Names carry date stamps.

The canonical files hold the same facts written the way the default ruleset reads
them, converted here with plain Python formatting (not clientwise), so a test can
check that evaluating the raw files with only ``mueller.toml`` gives the same
per-customer results as evaluating the canonical files with ``default``.

Run ``python tests/data/make_exports.py`` to write both; a test checks the stored
files equal what this script writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXCEL_EPOCH = dt.date(1899, 12, 30)

# Accounts: key, name, industry, region, owner, revenue, margin, terms, sponsor, reviewed, knows, satisfaction, newsletter
ACCOUNTS = [
    ("ACC-1001", "Bäckerei Groß KG", "Lebensmittel", "Süd", "K. Weiß", 1250000.00, 0.088, 30, "Dr. Vogel",
     dt.datetime(2025, 12, 31, 14, 5), True, 8.5, 1200),
    ("ACC-1002", "Öl & Söhne GmbH", "Chemie", "Nord", "J. Krämer", 132507.11, 0.35, 60, None,
     dt.datetime(2025, 6, 15, 9, 30), False, 7.0, 4),
    ("ACC-1003", "Stahlwerk Müller AG", "Metall", "West", "K. Weiß", 987654.32, -0.031, None, "Dr. Vogel",
     None, True, None, 2),
    ("ACC-1004", "Hofmann Präzision", "Maschinenbau", "Süd", "S. Özdemir", 45200.50, None, 45, None,
     dt.datetime(2025, 3, 1, 8, 0), None, 9.0, 0),
    ("ACC-1005", "Franke Logistik", "Logistik", "Ost", "J. Krämer", 1234.50, 0.12, 14, None,
     None, False, 5.5, None),
    ("ACC-1006", "Zeller Automotive", "Automotive", "Süd", "S. Özdemir", 2400000.00, 0.21, 90, "M. Braun",
     dt.datetime(2025, 11, 20, 16, 45), True, 6.0, 15),
    ("ACC-1007", "Nordlicht Energie", "Energie", "Nord", "K. Weiß", 310000.00, 0.155, 30, None,
     None, None, None, 3),
    ("ACC-1008", "Weber & Co. Verpackung", "Verpackung", "West", "J. Krämer", 78000.00, 0.4, 30, None,
     dt.datetime(2024, 12, 2, 10, 0), False, 8.0, 1),
]

# Contacts: key, name, job title, covered by, strength word (in any case), last contact (one has an unknown account)
CONTACTS = [
    ("ACC-1001", "Anna Groß", "Geschäftsführer", "K. Weiß", "vertraut", dt.date(2025, 12, 1)),
    ("ACC-1001", "Peter Lang", "Head of Procurement", "K. Weiß", "mittel", dt.date(2025, 10, 14)),
    ("ACC-1001", "Jens Ott", "Werksleiter", None, "schwach", None),
    ("ACC-1002", "Eva Sommer", "CFO", "J. Krämer", "stark", dt.date(2025, 11, 3)),
    ("ACC-1002", "Ute Brandt", "Leiterin Einkauf", "J. Krämer", "keine", None),
    ("ACC-1003", "Karl Stein", "Kaufmännischer Geschäftsführer", "K. Weiß", "STARK", dt.date(2025, 9, 30)),
    ("ACC-1003", "Lena Wolf", "Technische Leiterin", "K. Weiß", "mittel", dt.date(2025, 8, 1)),
    ("ACC-1006", "Mia Roth", "Einkaufsleiter", "S. Özdemir", "Stark", dt.date(2025, 12, 10)),
    ("ACC-1006", "Tom Berg", "head of purchasing", "M. Braun", "vertraut", dt.date(2025, 12, 12)),
    ("ACC-0999", "Olaf Alt", "CFO", "J. Krämer", "schwach", dt.date(2024, 1, 9)),
]
ROLES = {"Geschäftsführer": "budget", "Head of Procurement": "gatekeeper", "Werksleiter": "user", "CFO": "budget",
         "Leiterin Einkauf": "gatekeeper", "Kaufmännischer Geschäftsführer": "budget", "Technische Leiterin": None,
         "Einkaufsleiter": "gatekeeper", "head of purchasing": "gatekeeper"}
STRENGTH = {"keine": 0, "schwach": 1, "mittel": 2, "stark": 3, "vertraut": 4}

# Helpdesk tickets: id, account, type, created, status (a spam row and an unknown account)
TICKETS = [
    ("T-501", "ACC-1001", "Incident", dt.datetime(2025, 11, 3, 9, 15), "Closed"),
    ("T-502", "ACC-1001", "Question", dt.datetime(2025, 12, 19, 17, 2), "Open"),
    ("T-503", "ACC-1002", "Problem", dt.datetime(2025, 10, 7, 11, 40), "Closed"),
    ("T-504", "ACC-1006", "Task", dt.datetime(2025, 12, 30, 8, 5), "Open"),
    ("T-505", "ACC-1006", "Spam", dt.datetime(2025, 12, 30, 8, 6), "Closed"),
    ("T-506", "ACC-7777", "Incident", dt.datetime(2025, 9, 1, 13, 0), "Closed"),
]
# Open items: account, document, kind, date, amount (credit notes are left out by the ruleset's filter)
OPEN_ITEMS = [
    ("ACC-1001", "RE-2025-0811", "Rechnung", dt.date(2025, 11, 28), 48250.00),
    ("ACC-1001", "RE-2025-0902", "Rechnung", dt.date(2025, 12, 15), 1234.50),
    ("ACC-1002", "GS-2025-0040", "Gutschrift", dt.date(2025, 12, 1), 1234.00),
    ("ACC-1003", "RE-2025-0870", "Rechnung", dt.date(2025, 12, 5), 250000.00),
    ("ACC-1006", "RE-2025-0899", "Rechnung", dt.date(2025, 12, 12), 99.90),
]
# CRM activities: account, date, activity type, channel, with sponsor
ACTIVITIES = [
    ("ACC-1001", dt.date(2025, 11, 12), "Besuch", "vor Ort", True),
    ("ACC-1001", dt.date(2025, 9, 2), "Preisgespräch", "Telefon", False),
    ("ACC-1002", dt.date(2025, 12, 3), "Roadmap-Termin", "Video", False),
    ("ACC-1003", dt.date(2025, 10, 20), "Besuch", "vor Ort", False),
    ("ACC-1006", dt.date(2025, 12, 1), "Besuch", "Video", True),
    ("ACC-1006", dt.date(2025, 7, 15), "Telefonat", "Telefon", None),
]
TYPES = {"Besuch": "visit", "Preisgespräch": "pricing_discussion", "Roadmap-Termin": "roadmap_meeting",
         "Telefonat": "call"}
CHANNELS = {"vor Ort": "in_person", "Telefon": "phone", "Video": "video"}


def german(x: float, decimals: int = 2) -> str:
    """1234567.5 -> '1.234.567,50' as German Excel writes it."""
    return f"{x:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def plain(x: float | int | None) -> str:
    return "" if x is None else repr(x) if isinstance(x, float) else str(x)


def _rows(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def raw_files() -> dict[str, bytes]:
    """File name -> bytes, as the client's systems write them."""
    accounts = []
    for i, (key, name, industry, region, owner, revenue, margin, terms, sponsor, reviewed, knows, sat,
            news) in enumerate(ACCOUNTS):
        amount = german(revenue)
        amount = ("€ " + amount) if i == 4 else (amount + " EUR") if i == 0 else amount
        margin_text = "n/a" if margin is None else (
            f"({german(-margin * 100, 1)} %)" if margin < 0 else f"{german(margin * 100, 1)} %")
        accounts.append([
            key, name, industry, region, owner, amount, margin_text, "-" if terms is None else str(terms),
            sponsor or "", reviewed.strftime("%d.%m.%Y %H:%M") if reviewed else "",
            {True: "ja", False: "nein", None: ""}[knows], "n/a" if sat is None else german(sat, 1),
            "" if news is None else german(news, 0),
        ])
    header = ["Account-ID", "Accountname", "Branche", "Region", "Accountinhaber", "Umsatz", "Marge",
              "Zahlungsziel", "Sponsor", "Letzte Beziehungsanalyse", "GF kennt Kunde", "Zufriedenheit",
              "Newsletter-Empfänger"]
    contacts = [[key, name, title, by or "", word, last.strftime("%d.%m.%Y") if last else ""]
                for key, name, title, by, word, last in CONTACTS]
    tickets = [[tid, account, kind, created.strftime("%m/%d/%Y %H:%M"), status]
               for tid, account, kind, created, status in TICKETS]
    items = []
    for account, document, kind, day, amount in OPEN_ITEMS:
        written = f"{german(amount)}-" if kind == "Gutschrift" else f"{german(amount)} €"
        items.append([account, document, kind, str((day - EXCEL_EPOCH).days), written])
    activities = [[account, day.strftime("%d.%m.%Y"), kind, channel, {True: "ja", False: "nein", None: "-"}[sponsor]]
                  for account, day, kind, channel, sponsor in ACTIVITIES]
    return {
        "Accounts_Export_2025-12-31.csv": _rows(header, accounts, ";").encode("cp1252"),
        "Contacts_Export_2025-12-31.txt": _rows(
            ["Account-ID", "Vollständiger Name", "Position", "Betreut von", "Beziehung", "Letzter Kontakt"],
            contacts, "\t").encode("utf-16"),
        "helpdesk_tickets_2025Q4.csv": b"\xef\xbb\xbf" + _rows(
            ["Ticket ID", "Account", "Type", "Created", "Status"], tickets, ",").encode("utf-8"),
        "OP_Liste_Rechnungen.csv": _rows(
            ["Kundennummer", "Belegnummer", "Belegart", "Belegdatum", "Betrag"], items, ";").encode("utf-8"),
        "CRM_Aktivitaeten_2025-12.csv": _rows(
            ["Account-ID", "Datum", "Aktivitätstyp", "Kanal", "Mit Sponsor"], activities, ";").encode("cp1252"),
    }


def canonical_files() -> dict[str, bytes]:
    """The same facts as a careful hand conversion writes them for the default ruleset."""
    customers = [[key, name, industry, region, owner, plain(revenue), plain(margin), plain(terms), sponsor or "",
                  reviewed.date().isoformat() if reviewed else "", {True: "yes", False: "no", None: ""}[knows],
                  plain(sat), plain(news)]
                 for key, name, industry, region, owner, revenue, margin, terms, sponsor, reviewed, knows, sat, news
                 in ACCOUNTS]
    known = {account[0] for account in ACCOUNTS}
    contacts = [[key, name, ROLES[title] or "", by or "", str(STRENGTH[word.lower()]), last.isoformat() if last else ""]
                for key, name, title, by, word, last in CONTACTS if key in known]
    interactions = [[account, created.date().isoformat(), "support_call", "", "", ""]
                    for _, account, kind, created, _ in TICKETS if account in known and kind != "Spam"]
    interactions += [[account, day.isoformat(), "order", plain(amount), "", ""]
                     for account, _, kind, day, amount in OPEN_ITEMS if kind == "Rechnung"]
    interactions += [[account, day.isoformat(), TYPES[kind], "", CHANNELS[channel],
                      {True: "yes", False: "no", None: ""}[sponsor]]
                     for account, day, kind, channel, sponsor in ACTIVITIES]
    return {
        "customers.csv": _rows(["customer_id", "name", "industry", "region", "account_manager", "revenue",
                                "gross_margin", "payment_terms_days", "executive_sponsor",
                                "relationship_map_reviewed", "management_knows_top", "satisfaction_score",
                                "newsletter_recipients"], customers, ",").encode("utf-8"),
        "contacts.csv": _rows(["customer_id", "contact_name", "role", "covered_by", "strength", "last_contact"],
                              contacts, ",").encode("utf-8"),
        "interactions.csv": _rows(["customer_id", "date", "type", "amount", "channel", "by_sponsor"],
                                  interactions, ",").encode("utf-8"),
    }


def write(raw_dir: Path = HERE / "mueller_raw", canonical_dir: Path = HERE / "mueller_canonical") -> None:
    for folder, files in ((raw_dir, raw_files()), (canonical_dir, canonical_files())):
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)


if __name__ == "__main__":
    write()

"""Look at a client's raw export: encodings, separators, number and date formats, column names.

``clientwise init CLIENT --from-export DIR`` starts the client's ``[data]`` section
from what this finds (:mod:`clientwise.authoring.export_proposal` writes it), so
the consultant edits guesses instead of typing forty renames. Only the first
rows of each file are read: enough to tell ``132.507,11`` from ``132,507.11``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: Bytes read from each file, and rows looked at.
SAMPLE_BYTES = 262144
SAMPLE_ROWS = 200
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_PREFERRED = ("cp1252", "latin_1", "iso8859_15", "cp1250")
_FRIENDLY = {"cp1252": "windows-1252", "latin_1": "latin-1", "iso8859_15": "iso-8859-15", "cp1250": "windows-1250"}

_GERMAN = re.compile(r"^[-+(]?\s*(?:[€$£]\s*)?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+)\s*(?:%|€|EUR)?\)?-?$")
_ENGLISH = re.compile(r"^[-+(]?\s*(?:[€$£]\s*)?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)\s*(?:%|[A-Z]{3})?\)?$")
#: Date formats tried on date-like columns, most specific first.
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y", "%m/%d/%Y %H:%M", "%m/%d/%Y",
                "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


@dataclass
class Column:
    """One column of an export: its name and a sample of its non-empty cells."""

    name: str
    values: list[str] = field(default_factory=list)

    def distinct(self) -> Counter[str]:
        return Counter(self.values)


@dataclass
class SurveyedFile:
    """What one export file looks like."""

    path: Path
    encoding: str | None  # to declare; None: UTF-8 or marked with a BOM, read without declaring it
    detected: str  # what was found, in words: "UTF-16 (BOM)", "UTF-8", "windows-1252"
    separator: str
    columns: list[Column]
    rows: int
    problem: str | None = None


def survey(directory: Path) -> list[SurveyedFile]:
    """Every text export in ``directory`` (CSV, TSV, Excel's 'Unicode text'), by name."""
    found = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
                       and not p.name.startswith((".", "~$"))):
        found.append(survey_file(path))
    return found


def survey_file(path: Path) -> SurveyedFile:
    head = path.read_bytes()[:SAMPLE_BYTES]
    encoding, detected, text = _decode(head)
    if len(head) == SAMPLE_BYTES:  # the last line may be cut
        text = text[: text.rfind("\n") + 1] or text
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader, [])
        records = [row for _, row in zip(range(SAMPLE_ROWS), reader)]
    except csv.Error as error:
        return SurveyedFile(path, encoding, detected, separator, [], 0, f"could not read it as CSV: {error}")
    columns = [Column(name.strip()) for name in header]
    for record in records:
        for column, cell in zip(columns, record):
            if cell.strip():
                column.values.append(cell.strip())
    return SurveyedFile(path, encoding, detected, separator, columns, len(records))


def _decode(head: bytes) -> tuple[str | None, str, str]:
    """The encoding to declare (None: none needed), the one found in words, and the text."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            shown = "UTF-8 (BOM)" if name == "utf-8-sig" else "UTF-16 (BOM)"
            return None, shown, head.decode(name, errors="replace")
    try:
        return None, "UTF-8", head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a character cut at the end of the sample
            return None, "UTF-8", head[: error.start].decode("utf-8")
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        return "windows-1252", "windows-1252", head.decode("cp1252", errors="replace")
    alike = [best.encoding, *best.could_be_from_charset]
    name = next((n for n in _PREFERRED if n in alike), best.encoding)
    friendly = _FRIENDLY.get(name, name)
    return friendly, friendly, head.decode(name, errors="replace")


def _separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def number_format(files: list[SurveyedFile]) -> tuple[str | None, str]:
    """'de', 'en' or None (nothing tells), and the evidence in words."""
    german, english, example = 0, 0, {}
    for file in files:
        for column in file.columns:
            for value in column.values:
                if _GERMAN.match(value):
                    german += 1
                    example.setdefault("de", value)
                elif _ENGLISH.match(value):
                    english += 1
                    example.setdefault("en", value)
    if german > english:
        return "de", f"{german} cells like {example['de']}"
    if english > german:
        return "en", f"{english} cells like {example['en']}"
    return None, "no number with a decimal or thousands separator seen"


def date_formats(column: Column) -> list[str]:
    """The formats that read every sampled cell of a column (at most one per day/month order)."""
    values = column.values[:50]
    if not values:
        return []
    if all(_EXCEL_SERIAL.match(v) and 20000 <= float(v) <= 80000 for v in values):
        return ["excel"]
    fitting = []
    for form in DATE_FORMATS:
        try:
            for value in values:
                dt.datetime.strptime(value, form)
        except ValueError:
            continue
        fitting.append(form)
    return fitting[:1]


def looks_numeric(column: Column, fmt: str | None) -> float:
    """Share of cells that read as numbers in ``fmt`` (or plainly)."""
    if not column.values:
        return 0.0
    pattern = _GERMAN if fmt == "de" else _ENGLISH
    plain = re.compile(r"^[-+]?\d+$")
    hits = sum(1 for v in column.values if plain.match(v) or pattern.match(v) or v in ("-", "n/a"))
    return hits / len(column.values)

"""A starting ``[data]`` section for a client's raw export, with how sure each guess is.

Each file is given to the table whose fields its columns match best (and whose
name it suggests: ``Accounts_*``, ``Kontakte``, ``tickets``); each column to the
field it most likely is, by its name (exact, a known synonym in English or German,
or a near spelling) and by its cells (a revenue column must hold numbers). Date
stamps in file names become ``*`` so next quarter's export is found too. Every
guess carries a confidence from 0 to 1, written next to it in the ruleset.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from clientwise.authoring.export_survey import Column, SurveyedFile, date_formats, looks_numeric, number_format
from clientwise.ruleset.data import DataConfig, FieldSpec

#: Column names clients use for the default ruleset's fields (compared without case and punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("account id", "accountid", "kundennummer", "kundennr", "kunden nr", "debitor", "debitorennummer",
                    "customer number", "customer no", "client id", "account", "kunde", "kd nr", "customer"),
    "name": ("account name", "accountname", "firma", "firmenname", "kundenname", "company", "company name"),
    "industry": ("branche", "sector", "sektor"),
    "region": ("gebiet", "vertriebsgebiet", "territory", "sales region"),
    "account_manager": ("account owner", "accountinhaber", "owner", "betreuer", "key account manager", "sales rep"),
    "revenue": ("umsatz", "annual revenue", "jahresumsatz", "sales", "revenue ttm", "umsatz ttm"),
    "gross_margin": ("marge", "margin", "gross margin", "rohertrag", "db"),
    "discounts": ("rabatte", "nachlaesse", "nachlässe", "boni", "rebates"),
    "payment_terms_days": ("zahlungsziel", "payment terms", "zahlungsziel tage"),
    "executive_sponsor": ("sponsor", "pate"),
    "satisfaction_score": ("zufriedenheit", "satisfaction", "csat"),
    "newsletter_recipients": ("newsletter", "newsletter empfänger", "newsletter empfaenger"),
    "relationship_map_reviewed": ("letzte beziehungsanalyse", "beziehungsanalyse", "relationship map"),
    "management_knows_top": ("gf kennt kunde", "management knows"),
    "contact_name": ("vollständiger name", "full name", "kontakt", "contact", "ansprechpartner", "name"),
    "role": ("position", "job title", "title", "funktion", "rolle", "titel"),
    "covered_by": ("betreut von", "contact owner", "zuständig", "owner"),
    "strength": ("beziehung", "relationship", "beziehungsstärke"),
    "last_contact": ("letzter kontakt", "last activity", "letzte aktivität"),
    "date": ("datum", "created", "erstellt", "belegdatum", "created date", "activity date", "date"),
    "type": ("typ", "aktivitätstyp", "activity type", "art", "ticket type"),
    "amount": ("betrag", "summe", "wert", "value", "netto", "nettobetrag"),
    "channel": ("kanal",),
    "by_sponsor": ("mit sponsor", "by sponsor"),
}
#: Words in file names that say which table a file holds.
TABLE_WORDS = {
    "customers": ("account", "kunde", "customer", "client", "firma"),
    "contacts": ("contact", "kontakt", "ansprech", "person"),
    "interactions": ("ticket", "activit", "aktivit", "rechnung", "invoice", "order", "auftrag", "op_liste",
                     "interaction", "besuch", "call"),
}
_STAMP = re.compile(r"(?<![A-Za-z])(?:\d{4}[-_.]?\d{2}(?:[-_.]?\d{2})?|\d{4}[-_ ]?Q[1-4]|Q[1-4][-_ ]?\d{4})(?![0-9])")
#: Below this a column is listed as unmatched rather than renamed.
MINIMUM = 0.5


@dataclass(frozen=True)
class Guess:
    column: str
    field: str
    confidence: float
    why: str


@dataclass(frozen=True)
class FileProposal:
    file: SurveyedFile
    table: str
    confidence: float
    pattern: str
    guesses: tuple[Guess, ...]
    unmatched: tuple[str, ...]
    dates: tuple[str, ...]
    #: field -> the client's values in a column that needs a value map
    maps: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-zäöüß]+", " ", text.lower()).split())


def name_score(column: str, field: str) -> tuple[float, str]:
    """How much a column name looks like a field's name, and why."""
    name, target = _norm(column), _norm(field.replace("_", " "))
    if name == target:
        return 1.0, "same name"
    synonyms = [_norm(s) for s in SYNONYMS.get(field, ())]
    if name in synonyms:
        return 0.9, "known name for it"
    if any(s and (f" {s} " in f" {name} ") for s in synonyms if len(s) > 3):
        return 0.75, "contains a known name for it"
    ratio = difflib.SequenceMatcher(None, name, target).ratio()
    return (round(ratio * 0.8, 2), "similar spelling") if ratio >= 0.75 else (0.0, "")


def value_fit(column: Column, spec: FieldSpec, fmt: str | None) -> float:
    """1 when the cells read as the field's type, lower when they do not."""
    if not column.values:
        return 0.8
    if spec.type in ("number", "money", "integer"):
        if spec.type != "money" and _words(column, fmt):
            return 0.8  # a scale written as words ("stark"): a map makes them numbers
        return 0.4 + 0.6 * looks_numeric(column, fmt)
    if spec.type == "date":
        return 1.0 if date_formats(column) else 0.4
    return 1.0


def propose(files: list[SurveyedFile], data: DataConfig) -> tuple[str | None, str, list[FileProposal]]:
    """The number format (with its evidence) and, per readable file, its table and renames."""
    fmt, evidence = number_format(files)
    proposals = [_file_proposal(file, data, fmt) for file in files if file.columns and file.problem is None]
    return fmt, evidence, proposals


def _file_proposal(file: SurveyedFile, data: DataConfig, fmt: str | None) -> FileProposal:
    best: tuple[float, FileProposal] | None = None
    for table, spec in data.tables().items():
        guesses = _assign(file.columns, spec.fields, fmt)
        by_name = any(word in file.path.name.lower() for word in TABLE_WORDS.get(table, ()))
        has_key = any(g.field == data.key for g in guesses)
        score = sum(g.confidence for g in guesses) + (1.5 if by_name else 0) + (1 if has_key else -2)
        confidence = min(1.0, max(0.0, score / (len(guesses) + 3.5)))
        matched = {g.column for g in guesses}
        columns = {c.name: c for c in file.columns}
        dates = tuple(dict.fromkeys(f for g in guesses if spec.fields[g.field].type == "date"
                                    for f in date_formats(columns[g.column])))
        maps = tuple((g.field, values) for g in guesses
                     if (values := _map_values(spec.fields[g.field], columns[g.column], fmt)))
        proposal = FileProposal(file, table, round(confidence, 2), _STAMP.sub("*", file.path.name), tuple(guesses),
                                tuple(c.name for c in file.columns if c.name not in matched), dates, maps)
        if best is None or score > best[0]:
            best = (score, proposal)
    assert best is not None
    return best[1]


def _words(column: Column, fmt: str | None) -> bool:
    return looks_numeric(column, fmt) < 0.5 and 0 < len(column.distinct()) <= 12


def _map_values(spec: FieldSpec, column: Column, fmt: str | None) -> tuple[str, ...]:
    """The values of a column in the client's words where rules expect their own: numbers
    written as words (strength), or a field whose description lists its values."""
    numeric_words = spec.type in ("number", "integer") and _words(column, fmt)
    vocabulary = spec.type == "string" and ("," in spec.description or spec.allowed) and 0 < len(column.distinct()) <= 12
    if not (numeric_words or vocabulary):
        return ()
    folded: dict[str, str] = {}
    for value, _ in column.distinct().most_common(12):
        folded.setdefault(value.lower(), value)  # the map compares in any case
    return tuple(folded.values())


def _map_lines(table: str, field: str, spec: FieldSpec, values: list[str]) -> list[str]:
    words = ", ".join(spec.allowed) if spec.allowed else spec.description or spec.type
    pairs = ", ".join(f"{toml_text(v)} = \"?\"" for v in values)
    return [
        "",
        f"# [data.{table}.fields.{field}.map]   # the client's words; rules expect: {words}",
        f"# ignore_case = {{ {pairs} }}",
        '# unmapped = "null"   # or "keep", "error"',
    ]


def _assign(columns: list[Column], fields: dict[str, FieldSpec], fmt: str | None) -> list[Guess]:
    """Each field to at most one column and back, most confident pairs first."""
    candidates = []
    for column in columns:
        for name, spec in fields.items():
            score, why = name_score(column.name, name)
            if score <= 0:
                continue
            fit = value_fit(column, spec, fmt)
            if fit < 1:
                article = "an" if spec.type[0] in "aeiou" else "a"
                why += f"; its cells fit {article} {spec.type} only {round(fit * 100)}%"
            candidates.append(Guess(column.name, name, round(score * fit, 2), why))
    chosen: list[Guess] = []
    used_columns: set[str] = set()
    used_fields: set[str] = set()
    for guess in sorted(candidates, key=lambda g: (-g.confidence, g.column, g.field)):
        if guess.confidence >= MINIMUM and guess.column not in used_columns and guess.field not in used_fields:
            chosen.append(guess)
            used_columns.add(guess.column)
            used_fields.add(guess.field)
    order = {c.name: i for i, c in enumerate(columns)}
    return sorted(chosen, key=lambda g: order[g.column])


def toml_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def data_section(fmt: str | None, evidence: str, proposals: list[FileProposal], directory: str,
                 data: DataConfig) -> list[str]:
    """The proposed ``[data]`` section as ruleset lines, every guess commented with its confidence."""
    lines = [
        f"# --- [data], proposed from the export in {directory} ------------------------------",
        "# Check every guess: the number after each is how sure clientwise is (1.00: the name matched",
        "# exactly). Columns no field matched are listed; declare a field to use one. Then run",
        "#   clientwise check THIS_FILE DATA",
        "[data]",
    ]
    if fmt is not None:
        lines.append(f"number_format = {toml_text(fmt)}   # {evidence}")
    lines.extend(_answer_words(proposals, data))
    by_table: dict[str, list[FileProposal]] = {}
    for proposal in proposals:
        by_table.setdefault(proposal.table, []).append(proposal)
    for table, group in by_table.items():
        lines.append("")
        if len(group) == 1:
            lines.extend(_single(table, group[0]))
        else:
            for proposal in group:
                lines.extend(_source(table, proposal))
        values: dict[str, list[str]] = {}
        for proposal in group:
            for field_name, seen in proposal.maps:
                values[field_name] = list(dict.fromkeys([*values.get(field_name, []), *seen]))
        spec = data.table(table)
        for field_name, seen in values.items():
            if spec is not None:
                lines.extend(_map_lines(table, field_name, spec.fields[field_name], seen))
    return lines


#: Yes and no as clients' exports write them, beyond the defaults.
YES_WORDS = ("ja", "j", "wahr", "oui", "si", "sí", "✓")
NO_WORDS = ("nein", "falsch", "non")


def _answer_words(proposals: list[FileProposal], data: DataConfig) -> list[str]:
    """``true_values``/``false_values`` with the yes/no words seen in yes/no columns."""
    seen: set[str] = set()
    for proposal in proposals:
        spec = data.table(proposal.table)
        columns = {c.name: c for c in proposal.file.columns}
        for guess in proposal.guesses:
            if spec is not None and spec.fields[guess.field].type == "boolean":
                seen.update(v.lower() for v in columns[guess.column].values)
    lines = []
    for key, words, current in (("true_values", YES_WORDS, data.true_values),
                                ("false_values", NO_WORDS, data.false_values)):
        extra = [w for w in words if w in seen and w not in current]
        if extra:
            lines.append(f"{key} = {toml_text([*extra, *current])}   # seen in yes/no columns: {', '.join(extra)}")
    return lines


def _about(proposal: FileProposal) -> str:
    file = proposal.file
    encoding = file.detected
    separator = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}[file.separator]
    return (f"# {file.path.name}: {file.rows}{'+' if file.rows >= 200 else ''} rows read, {encoding}, "
            f"separated by {separator}; this table: {proposal.confidence:.2f}")


def _format_lines(proposal: FileProposal) -> list[str]:
    lines = []
    if proposal.file.encoding:
        lines.append(f"encoding = {toml_text(proposal.file.encoding)}")
    if proposal.file.separator == "|":
        lines.append('separator = "|"')
    if proposal.dates:
        note = "   # Excel serial day numbers" if "excel" in proposal.dates else ""
        lines.append(f"date_formats = {toml_text(list(proposal.dates))}{note}")
    return lines


def _renames(proposal: FileProposal) -> list[str]:
    lines = []
    width = max((len(toml_text(g.column)) for g in proposal.guesses), default=0)
    for guess in proposal.guesses:
        left = toml_text(guess.column).ljust(width)
        lines.append(f"{left} = {toml_text(guess.field)}   # {guess.confidence:.2f} {guess.why}")
    for column in proposal.unmatched:
        lines.append(f"# {toml_text(column)} matched no field")
    return lines



def _single(table: str, proposal: FileProposal) -> list[str]:
    return [_about(proposal), f"[data.{table}]", f"files = [{toml_text(proposal.pattern)}]",
            *_format_lines(proposal), "", f"[data.{table}.rename]", *_renames(proposal)]


def _source(table: str, proposal: FileProposal) -> list[str]:
    return [_about(proposal), f"[[data.{table}.sources]]", f"files = [{toml_text(proposal.pattern)}]",
            *_format_lines(proposal), "# constants = { type = \"...\" }   # a value every row of this file has",
            f"[data.{table}.sources.rename]", *_renames(proposal), ""]


def report_lines(fmt: str | None, evidence: str, proposals: list[FileProposal], skipped: list[SurveyedFile]) -> list[str]:
    """What ``init --from-export`` prints: per file its table and the column guesses."""
    lines = [f"number format: {fmt or 'plain'} ({evidence})"]
    for proposal in proposals:
        file = proposal.file
        lines.append(f"{file.path.name} -> {proposal.table} ({proposal.confidence:.2f}), "
                     f"{file.detected}, files = [{toml_text(proposal.pattern)}]")
        lines.extend(f"  {g.column} -> {g.field} ({g.confidence:.2f}, {g.why})" for g in proposal.guesses)
        if proposal.unmatched:
            lines.append("  not matched: " + ", ".join(proposal.unmatched))
    lines.extend(f"{file.path.name}: skipped, {file.problem}" for file in skipped)
    return lines

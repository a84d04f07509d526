"""Weighted scorecards: yes/no or 0..1 criteria with weights, a 0-100 score and bands.

The checklist, the relationship health score and third-party sections all need the
same thing: several criteria, each worth a weight, combined into one score that a
consultant can check by hand. A scorecard compiles to expression text (never to code),
so every customer's score is explained term by term like any other derived field.

For a scorecard named ``card`` (see :class:`ScorecardNames` for the field names):

* ``card_<id>`` - one field per criterion: its value, true/false (yes = 1, no = 0) or
  a number in 0..1; null means unanswered.
* ``card_points`` = sum of ``weight * value`` over the criteria (unanswered add 0).
* ``card_possible`` = sum of ``weight`` over the *applicable* criteria.
* ``card_score`` = ``100 * card_points / card_possible``, null when nothing applies.
* ``card_answered`` = how many criteria have a value; ``card_applicable`` = how many
  count in ``card_possible``.
* ``card_band`` (only with bands): bands are sorted by ``up_to``; the first band with
  ``score <= up_to`` wins, the last band catches every higher score. A null score
  gets no band.

An unanswered criterion follows its policy: ``not_applicable`` leaves it out of the
numerator and the denominator (it is reported in ``answered``), ``no`` counts it as
0 (it stays in the denominator). With ``applies`` set, customers for whom it does
not hold get null everywhere: they are not scored at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from clientwise.compiler.plan import Classification, DerivedField, OutputColumn, Rule, Source, Tone
from clientwise.compiler.reason import Reason
from clientwise.errors import Problem, ProblemList, RulesetError
from clientwise.expr.build import number_text
from clientwise.output.blocks import graded

#: What an unanswered (null) criterion counts as.
Unanswered = Literal["not_applicable", "no"]
#: What a criterion's expression gives: true/false, or a number from 0 to 1.
ValueKind = Literal["boolean", "number"]

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_unique_ids(ids: Sequence[str], path: str, what: str) -> None:
    """Raise ValueError naming both key paths when an id repeats (for pydantic validators)."""
    first: dict[str, int] = {}
    for index, item in enumerate(ids):
        if item in first:
            raise ValueError(f"{what} id '{item}' appears twice: {path}[{first[item]}] and {path}[{index}]; "
                             f"every {what} needs its own id")
        first[item] = index


@dataclass(frozen=True)
class Criterion:
    """One scored criterion. ``expression`` is true/false or a number from 0 to 1."""

    id: str
    expression: str
    weight: float
    source: Source
    kind: ValueKind = "boolean"
    unanswered: Unanswered | None = None  # None: the scorecard's policy
    description: str = ""


@dataclass(frozen=True)
class Band:
    """A named score range: scores up to ``up_to`` (inclusive); ``None`` = no upper limit."""

    name: str
    up_to: float | None
    source: Source


@dataclass(frozen=True)
class ScorecardNames:
    """The field names a scorecard produces."""

    prefix: str
    points: str
    possible: str
    score: str
    answered: str
    applicable: str
    band: str

    @classmethod
    def for_prefix(cls, prefix: str, **renamed: str) -> ScorecardNames:
        """Default names ``<prefix>_points`` etc.; pass e.g. ``score="checklist_pct"`` to rename one."""
        names = {key: f"{prefix}_{key}" for key in ("points", "possible", "score", "answered", "applicable", "band")}
        names.update(renamed)
        return cls(prefix=prefix, **names)

    def value(self, criterion_id: str) -> str:
        return f"{self.prefix}_{criterion_id}"


@dataclass(frozen=True)
class Scorecard:
    """A named set of weighted criteria, optional bands and who it applies to."""

    name: str
    criteria: tuple[Criterion, ...]
    source: Source
    bands: tuple[Band, ...] = ()
    unanswered: Unanswered = "not_applicable"
    applies: str | None = None  # a field or condition; None: every customer
    names: ScorecardNames | None = None
    title: str = ""

    @property
    def fields(self) -> ScorecardNames:
        return self.names or ScorecardNames.for_prefix(self.name)

    def policy(self, criterion: Criterion) -> Unanswered:
        return criterion.unanswered or self.unanswered


@dataclass(frozen=True)
class CompiledScorecard:
    """What a scorecard contributes to a section plan."""

    names: ScorecardNames
    derived: tuple[DerivedField, ...]
    band: Classification | None = None
    value_fields: dict[str, str] = field(default_factory=dict)  # criterion id -> field name
    kinds: dict[str, ValueKind] = field(default_factory=dict)  # criterion id -> value kind
    #: The bands from the lowest scores to the highest, coloured from bad to good (the
    #: ``tones`` of the band's output column).
    band_tones: tuple[tuple[str, Tone], ...] = ()

    def outputs(self, title: str, *, values: bool = False) -> list[OutputColumn]:
        """Output columns: score, points, answered, band (if any) and optionally every value."""
        n = self.names
        columns = [
            OutputColumn(n.points, f"{title} points", "number"),
            OutputColumn(n.score, f"{title} score (0-100)", "number"),
            OutputColumn(n.answered, f"{title}: criteria answered", "integer"),
        ]
        if self.band is not None:
            columns.append(OutputColumn(n.band, f"{title} band", "text", tones=self.band_tones))
        if values:
            columns.extend(OutputColumn(name, f"{title}: {cid}", "number" if self.kinds.get(cid) == "number"
                                        else "boolean") for cid, name in self.value_fields.items())
        return columns


def check(card: Scorecard) -> list[Problem]:
    """Everything wrong with a scorecard's definition, each at its key path."""
    problems: list[Problem] = []
    if not card.criteria:
        problems.append(Problem("a scorecard needs at least one criterion", file=card.source.file,
                                location=card.source.path, hint="add a criterion"))
    seen: dict[str, Source] = {}
    n = card.fields
    taken = {n.points, n.possible, n.score, n.answered, n.applicable, n.band}
    for criterion in card.criteria:
        where = criterion.source
        if n.value(criterion.id) in taken:
            problems.append(Problem(f"criterion id '{criterion.id}' would overwrite the field '{n.value(criterion.id)}'",
                                    file=where.file, location=where.path, value=criterion.id,
                                    hint="choose another id"))
        if not IDENTIFIER.match(criterion.id):
            problems.append(Problem(f"criterion id '{criterion.id}' is not a valid name", file=where.file,
                                    location=where.path, value=criterion.id,
                                    hint="use letters, digits and '_', starting with a letter"))
        if criterion.id in seen:
            problems.append(Problem(f"criterion id '{criterion.id}' is used twice (also at {seen[criterion.id].path})",
                                    file=where.file, location=where.path, hint="give every criterion its own id"))
        seen.setdefault(criterion.id, where)
        if not criterion.weight >= 0:
            problems.append(Problem("a weight must be zero or more", file=where.file, location=where.path,
                                    value=repr(criterion.weight), hint="use weight = 1 for an ordinary criterion"))
    open_ended = [band for band in card.bands if band.up_to is None]
    if len(open_ended) > 1:
        problems.append(Problem("only one band may have no up_to (the one catching the highest scores)",
                                file=open_ended[1].source.file, location=open_ended[1].source.path,
                                hint="give it up_to = <highest score of the band>"))
    band_names: set[str] = set()
    for band in card.bands:
        if band.name in band_names:
            problems.append(Problem(f"band '{band.name}' is defined twice", file=band.source.file,
                                    location=band.source.path, hint="give every band its own name"))
        band_names.add(band.name)
    return problems


def _value_expression(card: Scorecard, criterion: Criterion) -> str:
    if card.applies is None:
        return criterion.expression
    return f"if_else({card.applies}, {criterion.expression}, null)"


def _points_term(value: str, criterion: Criterion) -> str:
    weight = number_text(criterion.weight)
    if criterion.kind == "boolean":
        return f"if_else({value}, {weight}, 0)"
    term = f"coalesce({value}, 0)"
    return term if criterion.weight == 1 else f"{term} * {weight}"


def _gate(card: Scorecard, text: str) -> str:
    return text if card.applies is None else f"if_else({card.applies}, {text}, null)"


#: Terms per parenthesised group, so long sums stay shallow for the parser.
GROUP = 8
#: Longest sum written as one expression; longer sums are split into ``<name>_part<k>`` fields.
MAX_SUM_TEXT = 1500


def _sum(terms: Sequence[str], constant: float = 0) -> str:
    """``a + b + ...`` in groups of :data:`GROUP`, plus a constant if any."""
    parts = list(terms)
    if constant or not parts:
        parts.append(number_text(constant))
    while len(parts) > GROUP:
        groups = [parts[i:i + GROUP] for i in range(0, len(parts), GROUP)]
        parts = [f"({' + '.join(g)})" if len(g) > 1 else g[0] for g in groups]
    return " + ".join(parts)


def _sum_fields(card: Scorecard, name: str, terms: Sequence[str], constant: float,
                description: str, tolerates: Sequence[str]) -> list[DerivedField]:
    """One gated field holding the sum, or partial sums first when the text gets too long;
    ``tolerates``: the criteria whose unknown value the sum leaves out as intended."""
    text = _sum(terms, constant)
    tolerated = tuple(tolerates)
    if len(text) <= MAX_SUM_TEXT:
        return [DerivedField(name, _gate(card, text), card.source, description, tolerated)]
    fields: list[DerivedField] = []
    chunk: list[str] = []
    for term in [*terms, ""]:
        if term and len(_sum([*chunk, term])) <= MAX_SUM_TEXT:
            chunk.append(term)
            continue
        if chunk:
            fields.append(DerivedField(f"{name}_part{len(fields) + 1}", _sum(chunk), card.source,
                                       f"{description} (part {len(fields) + 1})", tolerated))
        chunk = [term]
    total = _sum([f.name for f in fields], constant)
    return [*fields, DerivedField(name, _gate(card, total), card.source, description, tolerated)]


def _bands(card: Scorecard, score: str, output: str) -> Classification | None:
    if not card.bands:
        return None
    ordered = _ordered(card.bands)
    rules: list[Rule] = []
    previous: float | None = None
    for index, band in enumerate(ordered):
        last = index == len(ordered) - 1
        shown = f"{score}:number"
        if last:
            when = f"{score} is not null"
            because = (Reason("Score {score} is above {limit}", score=shown, limit=f"{number_text(previous)}:number")
                       if previous is not None else Reason("Score {score}", score=shown))
        else:
            assert band.up_to is not None
            when = f"{score} <= {number_text(band.up_to)}"
            because = Reason("Score {score} is at most {limit}", score=shown, limit=f"{number_text(band.up_to)}:number")
        rules.append(Rule(id=band.name if IDENTIFIER.match(band.name) else f"band{index + 1}", when=when,
                          then=repr(band.name), source=band.source, because=because))
        previous = band.up_to
    return Classification(output=output, rules=tuple(rules), source=card.source.child("bands"),
                          description=f"{card.title or card.name} band: first band whose up_to the score does not exceed")


def compile_scorecard(card: Scorecard) -> CompiledScorecard:
    """The derived fields (and band classification) of a scorecard; see the module docstring.

    Raises :class:`RulesetError` listing every problem with the definition.
    """
    problems = ProblemList(check(card))
    problems.raise_if_any(RulesetError)
    n = card.fields
    label = card.title or card.name
    derived: list[DerivedField] = []
    values: dict[str, str] = {}
    points, possible, answered, applicable = [], [], [], []
    constant_weight = 0.0
    constant_count = 0
    #: criteria an unknown answer leaves out of the score: the export lacking their
    #: inputs leaves them out too; a criterion whose unknown answer counts as "no"
    #: makes the score unknown instead (missing data is never "no")
    optional: list[str] = []
    for criterion in card.criteria:
        value = n.value(criterion.id)
        values[criterion.id] = value
        derived.append(DerivedField(value, _value_expression(card, criterion), criterion.source,
                                    criterion.description or f"{label}: criterion '{criterion.id}' (null = unanswered)"))
        points.append(_points_term(value, criterion))
        answered.append(f"if_else({value} is null, 0, 1)")
        if card.policy(criterion) == "no":
            constant_weight += criterion.weight
            constant_count += 1
        else:
            optional.append(value)
            possible.append(f"if_else({value} is null, 0, {number_text(criterion.weight)})")
            applicable.append(f"if_else({value} is null, 0, 1)")
    derived += _sum_fields(card, n.points, points, 0, f"{label}: sum of weight x value over the criteria", optional)
    derived += _sum_fields(card, n.possible, possible, constant_weight,
                           f"{label}: sum of the weights of the applicable criteria", optional)
    derived.append(DerivedField(
        n.score, f"if_else({n.possible} > 0, 100 * {n.points} / {n.possible}, null)", card.source,
        f"{label}: points as a percentage of the applicable weight (null when nothing applies)"))
    derived += _sum_fields(card, n.answered, answered, 0, f"{label}: criteria with a value", optional)
    if constant_count == 0:  # every criterion is not_applicable when unanswered: applicable = answered
        derived.append(DerivedField(n.applicable, n.answered, card.source, f"{label}: criteria counted in the score"))
    else:
        derived += _sum_fields(card, n.applicable, applicable, constant_count,
                               f"{label}: criteria counted in the score", optional)
    tones = graded([band.name for band in _ordered(card.bands)], ("bad", "warn", "good")) if card.bands else {}
    return CompiledScorecard(names=n, derived=tuple(derived), band=_bands(card, n.score, n.band), value_fields=values,
                             kinds={c.id: c.kind for c in card.criteria}, band_tones=tuple(tones.items()))


def _ordered(bands: Sequence[Band]) -> list[Band]:
    """Bands from the lowest scores to the highest (the one without ``up_to`` last)."""
    return sorted(bands, key=lambda b: (b.up_to is None, b.up_to if b.up_to is not None else 0.0))

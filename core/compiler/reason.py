"""Reasons the framework writes: a catalogue message and the values it names.

A tier, a value class or a health band comes with a ``because`` text. When the ruleset
writes it (``because = "..."``), it is in the ruleset's own language and stays as
written. When a section writes it (``Score 17.5 is at most 50``, ``Ranked 3 of 300 by
revenue; the top 30 are strategic``), it is a :class:`Reason`: an English sentence with
named fields (a catalogue ``msgid``, as the reports' own sentences are) and, for each
field, the expression whose value fills it or a fixed text. So

* the evaluation writes the English sentence, as it always did: :attr:`Reason.template`
  is the ``because`` template with each field replaced by ``{expression:spec}``, and
  JSON, CSV and ``--explain`` keep that text;
* a report in another language looks the sentence up in the catalogues (clientwise's
  and the sections', see :mod:`clientwise.output.messages`) and fills the translation
  with the same values, written in the report's locale like its tables
  (:mod:`clientwise.plugins.reports.reasons`).

A third-party section writes its reasons the same way and translates them in its own
catalogue (``SectionHandler.messages``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from string import Formatter


@dataclass(frozen=True, init=False)
class Reason:
    """``Reason("Score {score} is at most {limit}", score="health_score:number", limit="50:number")``.

    ``message`` is an English ``str.format`` sentence naming its fields (``{score}``,
    no format spec: the value says how it is shown). Each field is filled by one of:

    * a keyword argument: a ``because`` placeholder, an expression with an optional
      format (``profit:money``, ``share:.1%``, see docs/expressions.md), written in the
      report's locale; a text in quotes in a ``coalesce`` (``coalesce(reason, 'no reason
      recorded')``) is a catalogue message too;
    * ``texts``: a fixed word (a tier id, the measure's name, a condition the ruleset
      wrote), shown by its label in the report's language where a catalogue has one
      (``strategic`` -> ``Strategisch``), else as written;
    * ``templates``: a ``because`` template the ruleset wrote (an override's reason):
      its placeholders are filled, its text stays in the ruleset's language.

    Raises ValueError when the message and the fields do not match.
    """

    message: str
    #: (field, placeholder) in the order given.
    values: tuple[tuple[str, str], ...]
    #: (field, fixed text) in the order given.
    texts: tuple[tuple[str, str], ...]
    #: (field, the ruleset's template) in the order given.
    templates: tuple[tuple[str, str], ...]

    def __init__(self, message: str, /, *, texts: Mapping[str, str] | None = None,
                 templates: Mapping[str, str] | None = None, **values: str) -> None:
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "values", tuple(values.items()))
        object.__setattr__(self, "texts", tuple((texts or {}).items()))
        object.__setattr__(self, "templates", tuple((templates or {}).items()))
        named = set(fields(message))
        given = [name for name, _ in (*self.values, *self.texts, *self.templates)]
        if len(set(given)) < len(given):
            raise ValueError(f"reason {message!r}: a field is given twice (as a value, a text or a template)")
        if named != set(given):
            missing, unused = sorted(named - set(given)), sorted(set(given) - named)
            raise ValueError(f"reason {message!r}: fields without a value {missing}, values it does not name {unused}")

    @property
    def template(self) -> str:
        """The English ``because`` template: ``Score {health_score:number} is at most {50:number}``."""
        return self.layout(self.message)[0]

    def layout(self, message: str) -> tuple[str, dict[str, tuple[int, int]]]:
        """``message`` (this reason's or its translation) as a ``because`` template, and
        where in it each field's first occurrence is (start, end): a value becomes its
        placeholder, a text is escaped, a template goes in as written."""
        fill = {name: "{" + value + "}" for name, value in self.values}
        fill |= {name: escaped(text) for name, text in self.texts} | dict(self.templates)
        out: list[str] = []
        at: dict[str, tuple[int, int]] = {}
        size = 0
        for literal, name in parts(message):
            out.append(escaped(literal))
            size += len(out[-1])
            if name is not None:
                out.append(fill[name])
                at.setdefault(name, (size, size + len(fill[name])))
                size += len(fill[name])
        return "".join(out), at


def parts(message: str) -> Iterator[tuple[str, str | None]]:
    """(literal text, field or None) pairs of a ``str.format`` sentence, braces unescaped.

    Raises ValueError for a malformed sentence or a field with a format or conversion."""
    for literal, name, spec, conversion in Formatter().parse(message):
        if name is not None and (spec or conversion or not name.isidentifier()):
            raise ValueError(f"reason {message!r}: write fields as {{name}}, without a format (got {{{name}}})")
        yield literal, name


def fields(message: str) -> list[str]:
    """The fields a sentence names, in order (repeated as often as it names them)."""
    return [name for _, name in parts(message) if name is not None]


def escaped(text: str) -> str:
    """Text as literal text of a ``because`` template (braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")

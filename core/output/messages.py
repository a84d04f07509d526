"""The reports' own text in the reader's language: gettext catalogues read with Babel.

Every sentence a report writes itself ("Executive summary", "Recommended actions",
"{count} customers") is written in English in the code, marked ``t("...")``, and
looked up in a catalogue for the report's language (``[report] locale``): the
``.po`` files in ``clientwise/output/locales/`` (``de.po``), read at run time with
Babel, so a wheel and a fresh clone need no build step. A language without a
catalogue, or a sentence without a translation, is written in English.

A third-party section translates its own text the same way: it ships ``.po`` files
named by language in a folder of its package and calls
``context.messages.extended(folder)`` in its ``report`` (see docs/reports.md,
"Translating a section's text"). ``make messages`` extracts the marked sentences of
clientwise into ``locales/clientwise.pot`` and merges them into each ``.po``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

#: Where clientwise's own catalogues are (``de.po`` ...), inside the installed package.
CATALOGUES = resources.files("clientwise.output") / "locales"


def language_of(tag: str) -> str:
    """``de-DE`` -> ``de``: catalogues are per language, not per region."""
    return tag.replace("_", "-").split("-")[0].lower()


@lru_cache(maxsize=32)
def _read(folder: Traversable | Path, language: str) -> Mapping[str, str]:
    """The translated messages of ``<folder>/<language>.po`` (empty when there is none)."""
    path = folder / f"{language}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as stream:
        catalogue = read_po(stream, locale=language)
    return {str(message.id): str(message.string) for message in catalogue
            if message.id and isinstance(message.string, str) and message.string and not message.fuzzy}


@dataclass(frozen=True)
class Messages:
    """The sentences of one language: ``t("{count} customers", count=3)``.

    Code names the instance ``tr`` (``tr = report.messages``; ``tr("Executive summary")``):
    ``make messages`` finds the sentences to translate by that name.

    ``tag`` is the report's locale (``de-DE``); ``table`` maps English sentences to
    their translation. Sentences are ``str.format`` templates: the English text and
    its translation name the same ``{fields}``.
    """

    tag: str = "en-GB"
    table: Mapping[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return language_of(self.tag)

    def __call__(self, message: str, /, **values: Any) -> str:
        text = self.table.get(message, message)
        return text.format(**values) if values else text

    def word(self, text: str) -> str:
        """An identifier in a sentence by its label in this language (see :func:`word`)."""
        return word(self, text)

    def extended(self, folder: Traversable | Path) -> Messages:
        """These messages and a plugin's own catalogues in ``folder`` (its sentences
        win for the ones it translates)."""
        return Messages(self.tag, {**self.table, **_read(folder, self.language)})


def word(tr: Callable[[str], str], text: str) -> str:
    """An identifier or field name (``revenue``, ``strategic``) as a word in a sentence: the
    translation of its label (``Revenue`` -> ``Umsatz``) where a catalogue has one, else as written."""
    label = text.strip().replace("_", " ").capitalize()
    translated = tr(label)
    return translated if translated != label else text


@lru_cache(maxsize=32)
def messages(tag: str) -> Messages:
    """clientwise's own sentences in the language of ``tag``."""
    return Messages(tag, _read(CATALOGUES, language_of(tag)))


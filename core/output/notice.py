"""Warnings written for two readers: the analyst who tunes the ruleset and the client's
leadership who reads the report.

A :class:`Notice` is a ``str``: the analyst's text, naming the ruleset key to change
(``... more than profitability.max_destroyer_share (30%)``). That text is what the
terminal prints, the JSON output and the run history keep, so nothing that reads
warnings as strings changes. It also carries the ``key`` it is about and a
``message``: a plain sentence for a reader of the report, written in English as a
``str.format`` template (a catalogue ``msgid``, see :mod:`clientwise.output.messages`)
with typed ``values``, so a report writes it in its own language with its own number
formatting (:func:`for_reader`). A plain ``str`` warning (a third-party plugin's) is
shown as it is, translated when a catalogue has exactly that text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from clientwise.output.blocks import kind_of_value

#: Writes a value of a kind (``percent``, ``money`` ...) in the report's locale.
Show = Callable[[Any, str], str]


class Notice(str):
    """A warning: as a string the analyst's text; ``message`` and ``values`` the reader's.

    ``kinds`` says how a value is shown where its type cannot (a float is a ``percent``,
    ``money`` or ``number``); ints, dates and texts need none.
    """

    key: str
    message: str
    values: Mapping[str, Any]
    kinds: Mapping[str, str]

    def __new__(cls, text: str, message: str = "", *, key: str = "", values: Mapping[str, Any] | None = None,
                kinds: Mapping[str, str] | None = None) -> Notice:
        notice = super().__new__(cls, text)
        notice.key, notice.message = key, message
        notice.values, notice.kinds = dict(values or {}), dict(kinds or {})
        return notice

    def reader_text(self, tr: Callable[[str], str], show: Show) -> str:
        """The sentence for the report's reader: the message translated by ``tr``, its
        values written by ``show``; the analyst's text when there is no message."""
        if not self.message:
            return tr(str(self))
        return tr(self.message).format(**{name: self._show(value, self.kinds.get(name), tr, show)
                                          for name, value in self.values.items()})

    @staticmethod
    def _show(value: Any, kind: str | None, tr: Callable[[str], str], show: Show) -> str:
        """A value in the sentence: a text (a tier's or a role's label) translated where
        a catalogue has it, anything else written in the report's locale."""
        return tr(value) if isinstance(value, str) and kind is None else show(value, kind or kind_of_value(value))


def for_reader(warning: str, tr: Callable[[str], str], show: Show) -> str:
    """A warning as a report shows it: a :class:`Notice`'s sentence, else the text itself
    (translated when the catalogue has it)."""
    return warning.reader_text(tr, show) if isinstance(warning, Notice) else tr(str(warning))

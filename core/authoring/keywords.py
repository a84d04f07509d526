"""``clientwise test -k``: pick test cases by id, the way ``pytest -k`` picks tests.

An expression is words joined with ``and``, ``or``, ``not`` and parentheses; a word
matches a case whose id contains it, ignoring case: ``-k "renewal and not slow"``,
``-k "(tier or band) and not legacy"``. Parsed here by recursive descent, never
evaluated as Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from clientwise.errors import InputError, Problem

Matcher = Callable[[str], bool]
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = ("and", "or", "not")


def keyword_matcher(text: str) -> Matcher:
    """A test of case ids for one ``-k`` expression; a malformed one is an :class:`InputError`."""
    parser = _Parser(text)
    matcher = parser.expression()
    if parser.position < len(parser.tokens):
        parser.fail(f"unexpected '{parser.tokens[parser.position]}'")
    return matcher


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _TOKEN.findall(text)
        self.position = 0

    def expression(self) -> Matcher:
        options = [self.term()]
        while self._take("or"):
            options.append(self.term())
        return options[0] if len(options) == 1 else lambda case_id: any(m(case_id) for m in options)

    def term(self) -> Matcher:
        parts = [self.factor()]
        while self._take("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else lambda case_id: all(m(case_id) for m in parts)

    def factor(self) -> Matcher:
        if self._take("not"):
            inner = self.factor()
            return lambda case_id: not inner(case_id)
        if self._take("("):
            inner = self.expression()
            if not self._take(")"):
                self.fail("a '(' is not closed")
            return inner
        if self.position == len(self.tokens):
            self.fail("it ends where a word was expected")
        word = self.tokens[self.position]
        if word in (*_OPERATORS, ")"):
            self.fail(f"'{word}' where a word was expected")
        self.position += 1
        lowered = word.lower()
        return lambda case_id: lowered in case_id.lower()

    def _take(self, token: str) -> bool:
        if self.position < len(self.tokens) and self.tokens[self.position] == token:
            self.position += 1
            return True
        return False

    def fail(self, why: str) -> NoReturn:
        raise InputError(Problem(f"cannot read the expression: {why}", location="-k", value=repr(self.text),
                                 hint='join words with and / or / not and parentheses, '
                                      'e.g. -k "renewal and not slow"'))

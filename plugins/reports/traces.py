"""The rule traces of the customer detail blocks in the report's language.

A trace lists, per rule, its status and, for a rule that fired, its ``because`` text.
The statuses are ids (``fired``, ``not_met``, ``unknown``, ``skipped``) in the JSON;
the report shows them as words (:func:`status_labels`). A ``because`` text a section
wrote (a :class:`~clientwise.compiler.reason.Reason`: "Score 17.5 is at most 50") is
written in English by the evaluation; the report renders the catalogue's translation
instead, with the same values written in its locale (:func:`translated_tracer`). The
ruleset's own ``because`` texts are in the ruleset's language and stay as written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from clientwise.compiler.reason import Reason, fields, parts
from clientwise.expr import nodes as n
from clientwise.expr.template import Placeholder, Template
from clientwise.output.messages import word
from clientwise.runtime.explain import Tracer

Translate = Callable[[str], str]
_ESCAPED = re.compile(r"\{\{|\}\}")


def status_labels(tr: Translate) -> dict[str, str]:
    """What each rule status reads as in the report (the id stays in the JSON)."""
    return {"fired": tr("Fired"), "not_met": tr("Not met"), "unknown": tr("Unknown: data missing"),
            "skipped": tr("Not evaluated")}


def translated_tracer(tracer: Tracer, tr: Translate) -> Tracer:
    """``tracer`` with each section-written reason in the language of ``tr`` (the
    report's catalogues: clientwise's and every section's)."""
    rules = [dataclasses.replace(rule, because=translated(rule.because, rule.reason, tr))
             if rule.reason is not None and rule.because is not None else rule for rule in tracer.rules]
    return dataclasses.replace(tracer, rules=rules)


def translated(template: Template, reason: Reason, tr: Translate) -> Template:
    """The checked ``template`` made from ``reason``, in the catalogue's translation.

    The translation is filled with the template's own checked placeholders (so nothing
    is parsed or type-checked again, and the values are written in the template's
    locale); fixed texts show as labels where the catalogue has them. A translation
    naming a field the reason lacks is a catalogue mistake: the English is kept.
    """
    english, at = reason.layout(reason.message)
    if english != template.text:  # not this reason's template
        return template
    message = tr(reason.message)
    try:
        if not set(fields(message)) <= set(at):
            message = reason.message
    except ValueError:
        message = reason.message
    texts, values = dict(reason.texts), dict(reason.values)
    pieces: list[str | Placeholder] = []
    for literal, name in parts(message):
        pieces.append(literal)
        if name in texts:
            pieces.append(word(tr, texts[name]))
        elif name is not None:
            inside = _within(template, *at[name])
            pieces += [_literals(p, tr) if isinstance(p, Placeholder) else p for p in inside] if name in values else inside
    joined = _joined(pieces)
    if joined == template.parts:
        return template
    return dataclasses.replace(template, text=reason.layout(message)[0], parts=joined)


def _within(template: Template, start: int, end: int) -> list[str | Placeholder]:
    """The template's parts between ``start`` and ``end`` of its text: its placeholders
    there, and the text between them with braces unescaped."""
    pieces: list[str | Placeholder] = []
    at = start
    for placeholder in template.placeholders:
        first, last = placeholder.span
        if first >= start and last <= end:
            pieces += [_ESCAPED.sub(lambda m: m.group(0)[0], template.text[at:first]), placeholder]
            at = last
    pieces.append(_ESCAPED.sub(lambda m: m.group(0)[0], template.text[at:end]))
    return pieces


def _literals(placeholder: Placeholder, tr: Translate) -> Placeholder:
    """``coalesce(reason, 'no reason recorded')`` with the text in quotes translated."""
    node = placeholder.node
    if isinstance(node, n.Call) and node.name == "coalesce" and node.args:
        last = node.args[-1]
        if isinstance(last, n.Literal) and isinstance(last.value, str):
            args = (*node.args[:-1], dataclasses.replace(last, value=tr(last.value)))
            return dataclasses.replace(placeholder, node=dataclasses.replace(node, args=args))
    return placeholder


def _joined(pieces: list[str | Placeholder]) -> tuple[str | Placeholder, ...]:
    """Adjacent texts joined and empty ones dropped, as a parsed template has them."""
    out: list[str | Placeholder] = []
    for piece in pieces:
        if isinstance(piece, str):
            if not piece:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += piece
                continue
        out.append(piece)
    return tuple(out)

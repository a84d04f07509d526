"""``clientwise compare -o review.html|.md|.xlsx``: the comparison as a report for people.

HTML is one self-contained page (no network, no script; a Content Security Policy
allows only its own style) rendered by Jinja2 with autoescaping, so customer text
can never become markup. Markdown escapes customer text like the ``md`` report.
The workbook (:mod:`clientwise.history.workbook`) stores formula-like text as text.
Every report is written atomically: all of it, or nothing and the old file kept.
Numbers are shown with the report formats' helpers (:mod:`clientwise.plugins.reports.format`).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from clientwise._version import __version__
from clientwise.errors import InputError, Problem
from clientwise.history.compare import HEALTH, Comparison, matrix_rows, moved_measure
from clientwise.history.render import signed
from clientwise.output.atomic import atomic_write
from clientwise.plugins.reports.format import MISSING, money, num, pct, whole
from clientwise.plugins.reports.html import content_security_policy
from clientwise.plugins.reports.md import md

#: Customers listed per list in the HTML and Markdown reports (the workbook lists all).
REPORT_LIMIT = 50
SUFFIXES = (".html", ".htm", ".md", ".markdown", ".xlsx")


def fmt(value: Any, kind: str = "number") -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "percent":
        return pct(value)
    if kind == "money":
        return money(value)
    if kind == "integer":
        return whole(value)
    if isinstance(value, (int, float)):
        return num(value)
    return str(value)


def _context(c: Comparison) -> dict[str, Any]:
    return {"c": c, "limit": REPORT_LIMIT, "health": HEALTH, "rows": matrix_rows, "moved_measure": moved_measure,
            "records": lambda frame, limit=REPORT_LIMIT: list(frame.head(limit).iter_rows(named=True))}


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (resources.files("clientwise.history") / "templates" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _template(name: str, autoescape: bool) -> Template:
    environment = Environment(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters.update(fmt=fmt, signed=signed, md=md)
    return environment.from_string(_asset(name))


def render_html(c: Comparison) -> str:
    css = _asset("compare.css")
    policy = content_security_policy(css, "")
    return _template("compare.html.j2", True).render(**_context(c), css=Markup(css), csp=Markup(policy),
                                                     version=__version__)


def render_markdown(c: Comparison) -> str:
    return _template("compare.md.j2", False).render(**_context(c)).rstrip("\n") + "\n"


def write_report(c: Comparison, destination: Path) -> None:
    """Write the report whose format the suffix names; nothing is written on failure."""
    suffix = destination.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(Problem(f"cannot tell the report format from the suffix '{suffix or destination.name}'",
                                 file=str(destination), hint="name the file .html, .md or .xlsx (or use --json)"))
    if not destination.parent.is_dir():
        raise InputError(Problem("the output's directory does not exist", file=str(destination),
                                 hint=f"create {destination.parent} first, or write somewhere else"))
    if suffix == ".xlsx":
        from clientwise.history.workbook import workbook_bytes

        data = workbook_bytes(c)
    else:
        data = (render_html(c) if suffix in (".html", ".htm") else render_markdown(c)).encode("utf-8")
    with atomic_write(destination) as stream:
        stream.write(data)

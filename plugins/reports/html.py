"""The ``html`` format: one self-contained report file to hand to a client's leadership.

Everything is inline (CSS, a few lines of JavaScript for the action filters, SVG
charts), so the file works offline and when emailed. The page declares a Content
Security Policy that allows no network at all and only the report's own style and
script (by hash), and every customer-supplied string is escaped (by Jinja2's
autoescaping in the template, by markupsafe in :mod:`html_blocks`, which writes the
sections' blocks), so a customer named ``<script>`` is shown as text and runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from importlib import resources
from typing import Any, BinaryIO, ClassVar

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from clientwise._version import __version__
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.plugins.io.table import format_cell
from clientwise.plugins.reports import html_blocks, html_review
from clientwise.plugins.reports.html_actions import action_table
from clientwise.plugins.reports.html_customers import customer_blocks
from clientwise.plugins.reports.model import SectionView, build
from clientwise.plugins.reports.printing import Paper, find_paper, page_css
from clientwise.runtime.result import Result


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (resources.files("clientwise.plugins.reports") / "templates" / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(css: str, js: str) -> str:
    """No network, no plugins, no frames; only this report's own style and script run."""
    return (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def _values(values: dict[str, Any] | None) -> str:
    return ", ".join(f"{name} = {format_cell(value)}" for name, value in (values or {}).items())


def attribute_name(name: str) -> str:
    """A column name as it can appear in an id or a ``data-`` attribute name (lower case, no spaces)."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "group"


def _isolated(item: Any) -> Any:
    """Every text the template prints goes through :func:`html_blocks.html_text` (bidi isolation)."""
    return html_blocks.html_text(item) if isinstance(item, str) and not isinstance(item, Markup) else item


@lru_cache(maxsize=None)
def _template() -> Template:
    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, finalize=_isolated)
    return environment.from_string(_asset("report.html.j2"))


def render(result: Result, *, row_limit: int | None = None, paper: Paper | None = None) -> str:
    """The report as one HTML document (same result, same text); see ``build`` for ``row_limit``.

    ``paper``: print on this paper (else on the one the browser's print dialog chooses).
    """
    report = build(result, details=True, row_limit=row_limit)
    css = _asset("report.css") + _asset("report.charts.css") + _asset("report.print.css") + \
        page_css(report.title, paper) + (_asset("review.css") if report.review is not None else "")
    js = _asset("report.js")

    def link(key: Any) -> Markup:
        anchor = report.anchors.get(str(key))
        text = html_blocks.html_text(str(key))
        return Markup(f'<a href="#{anchor}">{text}</a>') if anchor else text

    def section(view: SectionView) -> Markup:
        return html_blocks.section(view, link, report.fmt)

    def value(item: Any, kind: str) -> Markup:
        return html_blocks.value(item, kind, link, report.fmt)

    since = report.review
    new_mark = html_review.new_mark(report.tr)
    return _template().render(
        since_summary=html_review.summary(since, report.tr) if since else "",
        since_section=html_review.section(since, link, report.fmt, report.tr) if since else "",
        new_mark=new_mark,
        r=report, o=report.overview, link=link, section=section, attr=attribute_name, values=_values,
        value=value, f=report.fmt, tr=report.tr,
        action_table=lambda items, owners=False: action_table(report, items, link, attribute_name, new_mark, owners),
        customer_blocks=lambda customers: customer_blocks(
            customers, report.anchors, value, report.tr, _values,
            (lambda key: html_review.customer_line(since, key, report.tr)) if since else None,
            {column.name: column.label for column in report.columns}),
        lang=report.tr.language, as_of=result.as_of,
        css=Markup(css), js=Markup(js), csp=Markup(content_security_policy(css, js)), version=__version__,
    )


class HtmlWriter(Writer):
    """A self-contained HTML report with charts, for people rather than programs."""

    format: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm")
    description: ClassVar[str] = "A self-contained HTML report with charts (works offline; no scripts from elsewhere)."
    escape_formulas: ClassVar[bool] = False  # a web page: text is HTML-escaped and isolated
    review: ClassVar[bool] = True  # "since the last review" when a previous run is stored
    options: ClassVar[frozenset[str]] = frozenset({"paper"})

    def __init__(self, paper: Paper | None = None):
        self.paper = paper

    def configure(self, **options: str) -> HtmlWriter:
        return HtmlWriter(find_paper(options["paper"])) if "paper" in options else self

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(render(result, paper=self.paper).encode("utf-8"))


@hookimpl
def clientwise_writers() -> list[Any]:
    return [HtmlWriter()]

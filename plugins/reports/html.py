"""The ``html`` format: one self-contained report file to hand to a client's leadership.

Everything is inline (CSS, a few lines of JavaScript for the action filter, SVG
charts), so the file works offline and when emailed. The page declares a Content
Security Policy that allows no network at all and only the report's own style and
script (by hash), and every customer-supplied string goes through Jinja2's
autoescaping, so a customer named ``<script>`` is shown as text and runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib import resources
from typing import Any, BinaryIO, ClassVar

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup, escape

from clientwise._version import __version__
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.plugins.io.table import format_cell
from clientwise.plugins.reports import svg
from clientwise.plugins.reports.format import money, num, pct, target_range, whole
from clientwise.plugins.reports.model import Report, build
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


def charts(report: Report, measure: str) -> dict[str, Markup | None]:
    """The report's SVG charts (None when the data for one is missing)."""
    out: dict[str, Markup | None] = {"pareto": None, "whale": None, "destroyers": None, "bands": None}
    if report.pareto:
        cuts = [(share, f"{tier} ends") for tier, share in report.tier_cutoffs]
        out["pareto"] = Markup(svg.curve_chart(
            report.pareto, label=f"Pareto curve of {measure}", x_title="customers ranked by " + measure,
            y_title=f"cumulative share of {measure}", hlines=[(0.8, "80%")], vlines=cuts))
    if report.whale:
        peak = report.whale_peak
        marker = (peak, f"peak: {pct(peak.y)} of profit from {pct(peak.x)} of customers") if peak else None
        out["whale"] = Markup(svg.curve_chart(
            report.whale, label="Whale curve of profit", x_title="customers ranked by profit",
            y_title="cumulative share of profit", hlines=[(1.0, "100% of profit")], marker=marker))
    if report.destroyers:
        out["destroyers"] = Markup(svg.stacked_bars(
            [(d["key"] + (f" {d['name']}" if d["name"] else ""), d["costs"]) for d in report.destroyers],
            label="Cost to serve of the biggest value destroyers, by driver"))
    if report.bands:
        out["bands"] = Markup(svg.bar_chart(
            [(b["band"] or "(no score)", float(b["customers"] or 0), f"{whole(b['customers'])} ({pct(b['share'])})",
              b["band"] or "none") for b in report.bands],
            label="Customers per relationship health band"))
    return out


@lru_cache(maxsize=None)
def _template() -> Template:
    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters.update(money=money, pct=pct, num=num, whole=whole,
                               cell=lambda value, kind: format_cell(value, kind))
    return environment.from_string(_asset("report.html.j2"))


def render(result: Result, *, row_limit: int | None = None) -> str:
    """The report as one HTML document (same result, same text); see ``build`` for ``row_limit``."""
    report = build(result, details=True, row_limit=row_limit)
    css, js = _asset("report.css"), _asset("report.js")
    segmentation = result.summary("segmentation")
    measure = str(segmentation.figures.get("measure", "revenue")) if segmentation is not None else "revenue"
    relationship = result.summary("relationship")
    scope = "customers in the coverage matrix"
    if relationship is not None and report.matrix and any(m["tier"] for m in report.matrix):
        scope = "/".join(dict.fromkeys(str(m["tier"]) for m in report.matrix if m["tier"])) + " customers"

    def link(key: Any) -> Markup:
        anchor = report.anchors.get(str(key))
        text = escape(str(key))
        return Markup(f'<a href="#{anchor}">{text}</a>') if anchor else Markup(text)

    return _template().render(
        r=report, o=report.overview, charts=charts(report, measure), measure=measure, matrix_scope=scope,
        link=link, target=target_range, values=_values,
        css=Markup(css), js=Markup(js), csp=Markup(content_security_policy(css, js)), version=__version__,
    )


class HtmlWriter(Writer):
    """A self-contained HTML report with charts, for people rather than programs."""

    format: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm")
    description: ClassVar[str] = "A self-contained HTML report with charts (works offline; no scripts from elsewhere)."

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(render(result).encode("utf-8"))


@hookimpl
def clientwise_writers() -> list[Any]:
    return [HtmlWriter()]
